package message

import "unicode/utf16"

// SMSLimit is the longest SMS Parley sends, opt-out text included: the
// message then fits one segment in either encoding's common case and never
// arrives split.
const SMSLimit = 140

// Encoding is how an SMS travels.
type Encoding string

// SMS encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// gsmBasic is the GSM 03.38 default alphabet; each costs one septet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension characters are sent as an escape plus a septet: two each.
const gsmExtension = "\f^{}\\[~]|€"

var gsmCost = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Segments says how text is encoded and into how many SMS segments it is
// split: GSM-7 holds 160 septets in one segment and 153 per segment of a
// longer message; UCS-2 holds 70 UTF-16 units, 67 per segment when split.
// Units is the length in the chosen encoding's units (septets or UTF-16
// code units).
func Segments(text string) (enc Encoding, units, segments int) {
	enc, units = GSM7, 0
	for _, r := range text {
		c, ok := gsmCost[r]
		if !ok {
			enc = UCS2
			break
		}
		units += c
	}
	single, multi := 160, 153
	if enc == UCS2 {
		units, single, multi = len(utf16.Encode([]rune(text))), 70, 67
	}
	switch {
	case units == 0:
		return enc, 0, 0
	case units <= single:
		return enc, units, 1
	default:
		return enc, units, (units + multi - 1) / multi
	}
}
