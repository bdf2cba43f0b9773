package optout

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// MaxImportRows bounds the data rows of one import, so that it is written
// well inside an API request's time.
const MaxImportRows = 10_000

// CodeInvalidChannel is the line error of an import row whose channel is
// not sms, whatsapp, voice or all.
const CodeInvalidChannel = "INVALID_CHANNEL"

// Line is one data row of an import file: the number in E.164 form and its
// channel, or why the row was refused.
type Line struct {
	Line    int // 1-based line of the file
	Phone   string
	Channel parley.Channel
	Error   string // parley.CodeInvalidNumber or CodeInvalidChannel
	Detail  string
}

// bom is the UTF-8 byte order mark some spreadsheet programs write first.
const bom = "\uFEFF"

// ParseCSV reads an import file (UTF-8, comma-separated): one number per
// row, optionally followed by its channel (sms, whatsapp, voice or all; def when
// the column is absent or empty). A first row whose first cell is "phone"
// (any case) is a header. Blank rows are skipped; columns after the second
// are ignored. A row with a bad number or channel is a Line with its Error;
// the file as a whole is refused, with an EINVALID error naming the line,
// only when it is not CSV or UTF-8 or has more than MaxImportRows rows.
func ParseCSV(r io.Reader, def parley.Channel) ([]Line, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		_, _ = br.Discard(len(bom)) // buffered: cannot fail
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out []Line
	for first := true; ; {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &parley.Error{Code: parley.EINVALID, Field: fmt.Sprintf("line %d", pe.Line), Message: "the file is not valid CSV", Err: err}
		}
		if err != nil {
			return nil, parley.Wrap(parley.EUNAVAILABLE, err, "the opt-out file could not be read")
		}
		line, _ := cr.FieldPos(0)
		for _, v := range rec {
			if !utf8.ValidString(v) {
				return nil, parley.FieldErrorf(fmt.Sprintf("line %d", line), "the file is not UTF-8 text")
			}
		}
		raw := strings.TrimSpace(rec[0])
		channel := ""
		if len(rec) > 1 {
			channel = strings.TrimSpace(rec[1])
		}
		if raw == "" && channel == "" {
			continue
		}
		if first && strings.EqualFold(raw, "phone") {
			first = false
			continue
		}
		first = false
		if len(out) == MaxImportRows {
			return nil, parley.FieldErrorf(fmt.Sprintf("line %d", line), "the file has more than %d rows", MaxImportRows)
		}
		out = append(out, parseLine(line, raw, channel, def))
	}
}

func parseLine(line int, raw, channel string, def parley.Channel) Line {
	l := Line{Line: line, Phone: raw}
	ch, err := ParseChannel(channel, def)
	if err != nil {
		l.Error, l.Detail = CodeInvalidChannel, fmt.Sprintf("line %d: %s", line, parley.ErrorMessage(err))
		return l
	}
	l.Channel = ch
	e164, ok := phone.Normalize(raw)
	if !ok {
		l.Error, l.Detail = parley.CodeInvalidNumber, fmt.Sprintf("line %d: %q is not a valid phone number with country code", line, raw)
		return l
	}
	l.Phone = e164
	return l
}

// ParseChannel reads the channel of an opt-out entry: sms, whatsapp, voice or all,
// in any case; def when s is empty.
func ParseChannel(s string, def parley.Channel) (parley.Channel, error) {
	if s == "" {
		return def, nil
	}
	switch ch := parley.Channel(strings.ToLower(s)); ch {
	case parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelVoice, parley.ChannelAll:
		return ch, nil
	}
	return "", parley.FieldErrorf("channel", "channel %q is not sms, whatsapp, voice (do not call) or all", s)
}

// exportHeader is the first row of an export.
var exportHeader = []string{"phone", "channel", "source", "createdAt"}

// writeRow writes one entry of an export.
func writeRow(w *csv.Writer, e parley.OptOut) error {
	return w.Write([]string{e.Phone, string(e.Channel), e.Source, e.CreatedAt.UTC().Format(time.RFC3339)})
}
