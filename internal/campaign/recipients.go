package campaign

import (
	"github.com/parleyhq/parley/internal/campaign/upload"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
)

// shape is what each uploaded or typed line of c's recipients must carry
// after the phone number (for in-app, the consumer id): a template's header
// link, body variables and dynamic URL variable; for plain text the values
// of the message's {{n}} variables, or, when it has none, optionally the
// recipient's own text.
func shape(c parley.Campaign) upload.Shape {
	if t := c.Template; t != nil {
		s := upload.Shape{BodyVars: t.BodyVars(), Header: t.MediaHeader(), Country: c.DefaultCountry}
		_, s.URLVar = t.URLVariable()
		return s
	}
	inApp := c.Channel == parley.ChannelInApp
	if n := maxPlaceholder(c.Message); n > 0 {
		return upload.Shape{BodyVars: n, InApp: inApp, Country: c.DefaultCountry}
	}
	return upload.Shape{FreeText: true, InApp: inApp, Country: c.DefaultCountry}
}

func maxPlaceholder(tpl string) int {
	n := 0
	for _, p := range message.Placeholders(tpl) {
		n = max(n, p)
	}
	return n
}

// consumers returns d's recipients from its one source: consumers[], the
// typed list or the uploaded file, read to c's shape.
func consumers(d Draft, c parley.Campaign) ([]Consumer, error) {
	sources := 0
	for _, given := range []bool{d.Consumers != nil, d.Manual != "", d.CSV != nil} {
		if given {
			sources++
		}
	}
	switch {
	case sources == 0:
		return nil, parley.FieldErrorf("consumers", "consumers is required (or manualRecipients, or a recipients file)")
	case sources > 1:
		return nil, parley.FieldErrorf("consumers", "give consumers, manualRecipients or a recipients file, not several")
	case d.CSV != nil:
		rows, err := upload.ParseCSV(d.CSV, shape(c), upload.MaxCSVRecipients)
		return fromRows(rows, shape(c).InApp), err
	case d.Manual != "":
		rows, err := upload.ParseManual(d.Manual, shape(c))
		return fromRows(rows, shape(c).InApp), err
	case len(d.Consumers) == 0:
		return nil, parley.FieldErrorf("consumers", "at least one consumer is required")
	case len(d.Consumers) > parley.MaxConsumersPerCall:
		return nil, parley.FieldErrorf("consumers", "%d consumers in one call; at most %d", len(d.Consumers), parley.MaxConsumersPerCall)
	}
	return d.Consumers, nil
}

// fromRows turns list rows into consumers; an in-app list's first column
// is the consumer id.
func fromRows(rows []upload.Row, inApp bool) []Consumer {
	out := make([]Consumer, len(rows))
	for i, r := range rows {
		c := Consumer{SMS: r.Raw, Line: r.Line, Text: r.Text, Header: r.Header, URL: r.URL, Error: r.Error, Detail: r.Detail}
		if inApp {
			c.SMS, c.ConsumerID, c.Timezone = "", r.Raw, r.Timezone
		}
		if len(r.Body) > 0 {
			c.Variables = make(map[string]string, len(r.Body))
			for j, v := range r.Body {
				c.Variables[itoa(j+1)] = v
			}
		}
		out[i] = c
	}
	return out
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
