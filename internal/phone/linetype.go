package phone

import "github.com/nyaruka/phonenumbers"

// LineType is what kind of line a number is, as its numbering plan tells:
// whether it can take text messages.
type LineType string

// Line types.
const (
	Mobile LineType = "mobile"
	// FixedLineOrMobile is a number of a plan that does not tell the two
	// apart (the US, Canada…): it may be a mobile.
	FixedLineOrMobile LineType = "fixed_line_or_mobile"
	FixedLine         LineType = "fixed_line"
	// OtherLine is any other valid number: toll-free, VoIP, pager…
	OtherLine   LineType = "other"
	UnknownLine LineType = "unknown"
)

// TypeOf returns the line type of a number in E.164.
func TypeOf(e164 string) LineType {
	num, err := phonenumbers.Parse(e164, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return UnknownLine
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE:
		return Mobile
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return FixedLineOrMobile
	case phonenumbers.FIXED_LINE:
		return FixedLine
	case phonenumbers.UNKNOWN:
		return UnknownLine
	}
	return OtherLine
}

// Textable reports whether a line of type t can take SMS and WhatsApp:
// a mobile, or a number that may be one.
func (t LineType) Textable() bool { return t == Mobile || t == FixedLineOrMobile }
