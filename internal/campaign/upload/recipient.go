// Package upload reads the recipient lists brands give a proactive
// campaign: an uploaded CSV file or lines typed by hand. Each line is one
// recipient, phone number first (for in-app messaging, the brand's consumer
// id), then the values the message needs: for a WhatsApp template its header
// media URL, its body variables and its dynamic button's URL variable; for
// SMS or in-app plain text the recipient's own text.
//
// A problem with one line never rejects the others: the line's Row carries
// LivePerson's error code and a sentence saying why. Only a problem with the
// input as a whole (too many lines, broken CSV, a bad header row) is an
// error.
package upload

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// Limits on one input.
const (
	// MaxCSVRecipients is the most data rows ParseCSV reads when its caller
	// sets no other limit.
	MaxCSVRecipients = 100_000
	// MaxManualLines is the most recipient lines ParseManual reads.
	MaxManualLines = 100
)

// Per-recipient error codes, as LivePerson names them. MissingVariable and
// MissingHeaderVariable are written with a suffix: MISSING_VARIABLE=2 for
// the second body variable, MISSING_HEADER_VARIABLE=image for an image
// header.
const (
	CodeInvalidNumber         = parley.CodeInvalidNumber
	CodeAmbiguousNumber       = parley.CodeAmbiguousNumber
	CodeDuplicateNumber       = parley.CodeDuplicateNumber
	CodeTooManyVariables      = "TOO_MANY_VARIABLES"
	CodeInsufficientVariables = "INSUFFICIENT_VARIABLES"
	CodeMissingVariable       = parley.CodeMissingVariable
	CodeMissingHeaderVariable = "MISSING_HEADER_VARIABLE"
	CodeHeaderInvalidURL      = "HEADER_VARIABLE_INVALID_URL"
	// A consumers[] entry's headerVariables: none for a template with a
	// media header, more than one (or one where the message has no media
	// header), or one that is not a JSON string.
	CodeInsufficientHeaderVariables = "INSUFFICIENT_HEADER_VARIABLES"
	CodeTooManyHeaderVariables      = "TOO_MANY_HEADER_VARIABLES"
	CodeHeaderNotString             = "HEADER_VARIABLE_NOT_STRING"
	CodeMissingButtonVariable       = "MISSING_BUTTON_VARIABLE"
	CodeInvalidButtonVariable       = "INVALID_BUTTON_VARIABLE"
	CodeInvalidConsumerID           = parley.CodeInvalidConsumerID
	CodeDuplicateConsumerID         = parley.CodeDuplicateConsumerID
)

// Shape says what each line must carry after the phone number.
type Shape struct {
	// Header is the template header's media type: "", parley.MediaImage,
	// parley.MediaVideo or parley.MediaDocument. A media header takes a
	// per-recipient https URL (column H1).
	Header string
	// BodyVars is how many body variables the template has (B1…Bn).
	BodyVars int
	// URLVar says the template has a dynamic URL button (BU1).
	URLVar bool
	// FreeText says the line may carry the recipient's own SMS text instead
	// of template values; it excludes the fields above.
	FreeText bool
	// InApp says each line starts with the brand's consumer id (column
	// ConsumerId) instead of a phone number; a file with a header row may
	// also give each consumer's time zone (column Timezone). An in-app
	// message is plain text: InApp excludes Header and URLVar.
	InApp bool
	// Country is the ISO 3166 alpha-2 country numbers written without a
	// country code are read in (see phone.Read); "" for none.
	Country string
}

// AmbiguousNumber says why a number is CodeAmbiguousNumber, after the
// words naming it.
const AmbiguousNumber = "has no country code and is a valid number only when its area code (or a group in parentheses) is read as one; " +
	"write it with + and its country code, or set a default country (defaultCountry) on the account or the campaign"

// headerExtensions are the file extensions a header URL may end in, per
// media type, as WhatsApp accepts them.
var headerExtensions = map[string][]string{
	parley.MediaImage:    {"jpg", "jpeg", "png"},
	parley.MediaVideo:    {"mp4", "3gpp"},
	parley.MediaDocument: {"pdf"},
}

// check returns an EINVALID error when s is not a shape a line can have.
func (s Shape) check() error {
	if _, ok := headerExtensions[s.Header]; s.Header != "" && !ok {
		return parley.FieldErrorf("shape.header", "header type %q is not image, video or document", s.Header)
	}
	if s.BodyVars < 0 {
		return parley.FieldErrorf("shape.bodyVars", "a template cannot have %d body variables", s.BodyVars)
	}
	if s.FreeText && (s.Header != "" || s.BodyVars > 0 || s.URLVar) {
		return parley.FieldErrorf("shape.freeText", "free text excludes template values")
	}
	if s.InApp && (s.Header != "" || s.URLVar) {
		return parley.FieldErrorf("shape.inApp", "an in-app message is plain text, without a header or buttons")
	}
	return nil
}

// width is how many values follow the phone number on a complete line.
func (s Shape) width() int {
	n := s.BodyVars
	if s.Header != "" {
		n++
	}
	if s.URLVar || s.FreeText {
		n++
	}
	return n
}

// Row is one recipient line and what was found wrong with it.
type Row struct {
	// Line is the 1-based line number in the input; with a header row, the
	// header is line 1. A CSV record spanning lines has its first line.
	Line int
	// Raw is the phone number (or consumer id) as written, Phone its E.164
	// form ("" when it is not a valid number, and for in-app lines).
	Raw   string
	Phone string
	// ConsumerID is an in-app line's consumer id, Timezone the time zone
	// its Timezone column gave ("" when none; checked by the caller).
	ConsumerID string
	Timezone   string
	// Header is the header media URL, Body the body variables in order, URL
	// the dynamic button's URL variable, Text an SMS recipient's own text.
	Header string
	Body   []string
	URL    string
	Text   string
	// Error is "" or one of the Code values; Detail is then a sentence
	// naming the line and what is wrong with it (never the number itself).
	Error  string
	Detail string
}

// line is one recipient line cut into cells: the phone number, then the
// values in shape order (header URL, body variables, button URL variable,
// or the SMS text). given is how many value cells the line had; extra says
// it had more, not all empty.
type line struct {
	number int
	phone  string // or the consumer id, for in-app lines
	tz     string
	values []string
	given  int
	extra  bool
}

// checker turns lines into rows, remembering the numbers seen so far.
type checker struct {
	shape Shape
	seen  map[string]int // E.164 number (or consumer id) → line it first appeared on
	rows  []Row
}

func newChecker(s Shape) *checker {
	return &checker{shape: s, seen: map[string]int{}}
}

// add checks one line and appends its row.
func (c *checker) add(l line) {
	r, numberCode := c.fill(l)
	r.Error, r.Detail = c.verdict(l, r, numberCode)
	c.rows = append(c.rows, r)
}

// fill copies the line's cells into a row and reads its number; numberCode
// is phone.Read's verdict on it.
func (c *checker) fill(l line) (r Row, numberCode string) {
	r = Row{Line: l.number, Raw: l.phone, Timezone: l.tz}
	if c.shape.InApp {
		r.ConsumerID = l.phone
	} else {
		r.Phone, numberCode = phone.Read(l.phone, c.shape.Country)
	}
	v := l.values
	if c.shape.Header != "" {
		r.Header, v = v[0], v[1:]
	}
	if c.shape.BodyVars > 0 {
		r.Body, v = slices.Clone(v[:c.shape.BodyVars]), v[c.shape.BodyVars:]
	}
	switch {
	case c.shape.URLVar:
		r.URL = v[0]
	case c.shape.FreeText:
		r.Text = v[0]
	}
	return r, numberCode
}

// verdict returns the first problem of the line, in LivePerson's order of
// concern: the number, then the count of values, then each value. Details
// name lines, never numbers, so they are safe to log; Row.Raw has the
// number as written. The first line with a number owns it, whatever else
// is wrong with that line.
func (c *checker) verdict(l line, r Row, numberCode string) (code, detail string) {
	at := "line " + strconv.Itoa(l.number) + ": "
	if code, detail := c.identity(l, r, numberCode, at); code != "" {
		return code, detail
	}
	if want := c.shape.width(); l.extra {
		return CodeTooManyVariables, at + fmt.Sprintf("more values follow the phone number than the %d the message takes", want)
	} else if l.given < want && !c.shape.FreeText {
		return CodeInsufficientVariables, at + fmt.Sprintf("%d values follow the phone number; the message takes %d", l.given, want)
	}
	return c.values(r, at)
}

// identity checks the line's phone number, or its consumer id for in-app,
// and remembers it.
func (c *checker) identity(l line, r Row, numberCode, at string) (code, detail string) {
	if c.shape.InApp {
		first, dup := c.seen[r.ConsumerID]
		switch why := parley.ConsumerIDProblem(r.ConsumerID); {
		case why != "":
			return CodeInvalidConsumerID, at + why
		case dup:
			return CodeDuplicateConsumerID, at + fmt.Sprintf("the consumer id repeats line %d", first)
		}
		c.seen[r.ConsumerID] = l.number
		return "", ""
	}
	switch first, dup := c.seen[r.Phone]; {
	case l.phone == "":
		return CodeInvalidNumber, at + "the phone number is missing"
	case numberCode == phone.Ambiguous:
		return CodeAmbiguousNumber, at + "the phone number " + AmbiguousNumber
	case r.Phone == "" && c.shape.Country != "":
		return CodeInvalidNumber, at + "the phone number is not a valid number, with its country code or of " + c.shape.Country
	case r.Phone == "":
		return CodeInvalidNumber, at + "the phone number is not a valid number starting with its country code"
	case dup:
		return CodeDuplicateNumber, at + fmt.Sprintf("the phone number repeats line %d", first)
	}
	c.seen[r.Phone] = l.number
	return "", ""
}

// values checks the template values of a row.
func (c *checker) values(r Row, at string) (code, detail string) {
	if h := c.shape.Header; h != "" {
		if r.Header == "" {
			return CodeMissingHeaderVariable + "=" + h, at + "the " + h + " header URL (H1) is empty"
		}
		if !validHeaderURL(h, r.Header) {
			exts := headerExtensions[h]
			return CodeHeaderInvalidURL, at + fmt.Sprintf("the %s header URL (H1) must be an absolute https URL of a .%s file", h, strings.Join(exts, ", ."))
		}
	}
	for i, b := range r.Body {
		if b == "" {
			return CodeMissingVariable + "=" + strconv.Itoa(i+1), at + fmt.Sprintf("body variable B%d is empty", i+1)
		}
	}
	if c.shape.URLVar {
		if r.URL == "" {
			return CodeMissingButtonVariable, at + "the button URL variable (BU1) is empty"
		}
		if strings.ContainsFunc(r.URL, unsafeInURL) {
			return CodeInvalidButtonVariable, at + "the button URL variable (BU1) contains spaces or control characters"
		}
	}
	return "", ""
}

// validHeaderURL reports whether s is an absolute https URL whose path ends
// in an extension media of kind may have.
func validHeaderURL(kind, s string) bool {
	if strings.ContainsFunc(s, unsafeInURL) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return false
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(u.Path), "."))
	return slices.Contains(headerExtensions[kind], ext)
}

func unsafeInURL(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// cut splits a line's cells, the phone number first, into a line of shape
// s: values beyond the shape's width count only when not empty.
func cut(number int, cells []string, s Shape) line {
	l := line{number: number, values: make([]string, s.width())}
	if len(cells) == 0 {
		return l
	}
	l.phone = cells[0]
	rest := cells[1:]
	l.given = copy(l.values, rest)
	l.extra = slices.ContainsFunc(rest[l.given:], func(v string) bool { return v != "" })
	return l
}

// blank reports whether every cell is empty.
func blank(cells []string) bool {
	return !slices.ContainsFunc(cells, func(v string) bool { return v != "" })
}

// trimAll trims the spaces around every cell, in place.
func trimAll(cells []string) []string {
	for i, v := range cells {
		cells[i] = strings.TrimSpace(v)
	}
	return cells
}

// Check validates the template values of one recipient given outside a
// list (the API's consumers[] array), naming it by where in the detail. It
// returns "" when they fit s.
func Check(s Shape, header string, body []string, url, where string) (code, detail string) {
	c := &checker{shape: s}
	return c.values(Row{Header: header, Body: body, URL: url}, where+": ")
}
