package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func TestDecode(t *testing.T) {
	cases := []struct {
		name   string
		av     item
		tat    int64
		factor float64
		cut    int64
		bad    bool
	}{
		{"absent", nil, 0, 0, 0, false},
		{"tat only", item{attrTAT: n("1900000000123456789")}, 1900000000123456789, 0, 0, false},
		{"scaled", item{attrTAT: n("5"), attrScale: n("0.25"), attrCut: n("7")}, 5, 0.25, 7, false},
		{"full scale", item{attrScale: n("1"), attrCut: n("0")}, 0, 1, 0, false},
		{"keys and TTL ignored", item{"pk": str("RATE#a#sms#s"), "expiresAt": n("1")}, 0, 0, 0, false},
		{"tat as text", item{attrTAT: str("5")}, 0, 0, 0, true},
		{"fractional tat", item{attrTAT: n("5.5")}, 0, 0, 0, true},
		{"negative tat", item{attrTAT: n("-5")}, 0, 0, 0, true},
		{"tat too large", item{attrTAT: n("99999999999999999999")}, 0, 0, 0, true},
		{"scale above 1", item{attrScale: n("1.5")}, 0, 0, 0, true},
		{"scale below the floor", item{attrScale: n("0.01")}, 0, 0, 0, true},
		{"scale not a number", item{attrScale: n("NaN")}, 0, 0, 0, true},
		{"cut as a list", item{attrCut: &types.AttributeValueMemberL{}}, 0, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := decode(tc.av)
			if tc.bad {
				if parley.ErrorCode(err) != parley.EINTERNAL {
					t.Errorf("decode = %+v, %v; want %s", st, err, parley.EINTERNAL)
				}
				return
			}
			if err != nil || st.tat != tc.tat || st.scale.Factor != tc.factor || unixNano(st.scale.CutAt) != tc.cut {
				t.Errorf("decode = %+v, %v; want tat %d, factor %g, cut %d", st, err, tc.tat, tc.factor, tc.cut)
			}
		})
	}
}

// encode writes st as the adapter's updates store it.
func encode(st stored) item {
	av := item{}
	if st.tat != 0 {
		av[attrTAT] = intNum(st.tat)
	}
	if st.scale.Factor != 0 {
		av[attrScale] = floatNum(st.scale.Factor)
	}
	if !st.scale.CutAt.IsZero() {
		av[attrCut] = intNum(unixNano(st.scale.CutAt))
	}
	return av
}

// FuzzDecode feeds rate items whose attributes are absent, numbers or text
// of any content: decode never panics, rejects with EINTERNAL, and what it
// accepts is in range and survives being written back.
func FuzzDecode(f *testing.F) {
	f.Add("1900000000123456789", "0.5", "1900000000000000000", uint8(0b010101))
	f.Add("5", "1", "0", uint8(0b010101))
	f.Add("-1", "0.01", "x", uint8(0b101010))
	f.Add("1e3", "1E-1", "0x10", uint8(0b010101))
	f.Add("", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, tat, scale, cut string, kinds uint8) {
		av := item{}
		for i, a := range []struct{ name, value string }{{attrTAT, tat}, {attrScale, scale}, {attrCut, cut}} {
			switch kinds >> (2 * i) & 3 {
			case 1, 3:
				av[a.name] = n(a.value)
			case 2:
				av[a.name] = str(a.value)
			}
		}
		st, err := decode(av)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINTERNAL {
				t.Fatalf("decode error %v is not %s", err, parley.EINTERNAL)
			}
			return
		}
		if f := st.scale.Factor; st.tat < 0 || (f != 0 && (f < ratelimit.MinFactor || f > 1)) {
			t.Fatalf("decode accepted %+v", st)
		}
		again, err := decode(encode(st))
		if err != nil || again.tat != st.tat || again.scale.Factor != st.scale.Factor || !again.scale.CutAt.Equal(st.scale.CutAt) {
			t.Fatalf("written back, %+v decodes as %+v, %v", st, again, err)
		}
	})
}
