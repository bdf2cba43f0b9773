package campaign

import (
	"io"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/recipient"
)

// shape is what each uploaded or typed line of d must carry after the
// phone number: the values of the message's {{n}} variables, or, for a
// message without variables, optionally the recipient's own text.
func (d Draft) shape() recipient.Shape {
	if n := len(message.Placeholders(d.Message)); n > 0 {
		return recipient.Shape{BodyVars: maxPlaceholder(d.Message)}
	}
	return recipient.Shape{FreeText: true}
}

func maxPlaceholder(tpl string) int {
	n := 0
	for _, p := range message.Placeholders(tpl) {
		n = max(n, p)
	}
	return n
}

// ReadCSV reads d's recipients from an uploaded CSV file (at most
// recipient.MaxCSVRecipients data rows). A bad line becomes a consumer that
// fails with its line's code; a bad file is EINVALID naming the line.
func ReadCSV(r io.Reader, d Draft) ([]Consumer, error) {
	rows, err := recipient.ParseCSV(r, d.shape(), recipient.MaxCSVRecipients)
	return consumers(rows), err
}

// ReadManual reads d's recipients from lines typed by hand (at most
// recipient.MaxManualLines).
func ReadManual(text string, d Draft) ([]Consumer, error) {
	rows, err := recipient.ParseManual(text, d.shape())
	return consumers(rows), err
}

func consumers(rows []recipient.Row) []Consumer {
	out := make([]Consumer, len(rows))
	for i, r := range rows {
		c := Consumer{SMS: r.Raw, Line: r.Line, Text: r.Text, Error: r.Error, Detail: r.Detail}
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
