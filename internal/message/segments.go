package message

import "unicode/utf16"

// SMSLimit is the longest SMS Parley sends, in characters, opt-out text
// included. It is a length limit, not a promise of one segment: 140 GSM-7
// characters fit one segment, but a message with any character outside the
// GSM alphabet travels as UCS-2, 70 UTF-16 units in one segment and 67 per
// segment of a longer one, so it may take two to five segments. Segments
// gives the count the carrier bills.
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

// Segment sizes, in the encoding's units: a message that fits single goes
// as one segment; a longer one is split into segments of at most multi
// (the rest of each carries the concatenation header).
const (
	gsmSingle, gsmMulti   = 160, 153
	ucs2Single, ucs2Multi = 70, 67
)

// Segments says how text is encoded and into how many SMS segments the
// carrier splits and bills it. Units is the length in the chosen encoding's
// units (septets or UTF-16 code units).
//
// A message that fits one segment (160 septets, 70 UTF-16 units) is one. A
// longer one is cut as carriers cut it: no segment holds more than 153
// septets or 67 units, and no cut falls inside a GSM-7 escape sequence,
// a UTF-16 surrogate pair or a grapheme cluster (an emoji ZWJ sequence, a
// flag, a skin-tone modifier, a variation selector, combining marks), so a
// segment may hold fewer units and the message may take one segment more
// than its length divided by the segment size.
func Segments(text string) (enc Encoding, units, segments int) {
	enc = GSM7
	for _, r := range text {
		if _, ok := gsmCost[r]; !ok {
			enc = UCS2
			break
		}
	}
	single, multi := gsmSingle, gsmMulti
	if enc == UCS2 {
		single, multi = ucs2Single, ucs2Multi
	}
	// Pack the indivisible pieces (none longer than multi) greedily: the
	// carrier fills a segment until the next piece does not fit.
	used := 0
	for piece := range pieces(text, enc) {
		units += piece
		if segments == 0 || used+piece > multi {
			segments, used = segments+1, 0
		}
		used += piece
	}
	switch {
	case units == 0:
		return enc, 0, 0
	case units <= single:
		return enc, units, 1
	}
	return enc, units, segments
}

// pieces yields the sizes, in enc's units, of the parts of text no segment
// boundary may cut: each character in GSM-7 (an extension character is two
// septets); each grapheme cluster in UCS-2. A cluster longer than a segment
// is cut between code points, never inside a surrogate pair.
func pieces(text string, enc Encoding) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		if enc == GSM7 {
			for _, r := range text {
				if !yield(gsmCost[r]) {
					return
				}
			}
			return
		}
		for rest := text; rest != ""; {
			cluster, n := firstCluster(rest)
			rest = rest[n:]
			size := 0
			for _, r := range cluster {
				u := utf16.RuneLen(r)
				if u < 0 {
					u = 1 // an invalid rune travels as U+FFFD
				}
				if size+u > ucs2Multi {
					if !yield(size) {
						return
					}
					size = 0
				}
				size += u
			}
			if !yield(size) {
				return
			}
		}
	}
}
