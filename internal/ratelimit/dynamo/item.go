package dynamo

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	schema "github.com/parleyhq/parley/internal/store/dynamo"
)

// The rate item: pk RATE#<account>#<channel>#<sender>, sk RATE.
const (
	pkPrefix  = "RATE#"
	skRate    = "RATE"
	attrTAT   = "tat"   // N, unix nanoseconds
	attrScale = "scale" // N, the scale's factor in [MinFactor, 1]; absent means 1
	attrCut   = "cutAt" // N, unix nanoseconds of the last cut; 0 if never
	attrWrite = "w"     // S, the token of the last reservation written
)

// retention is how long an item outlives its TAT. Past its TAT an item
// means no more than an absent one, apart from a scale that has had a day to
// climb back.
const retention = 24 * time.Hour

// item is one stored item as the SDK carries it.
type item = map[string]types.AttributeValue

func itemKey(key ratelimit.Key) item {
	pk := pkPrefix + key.AccountID + "#" + string(key.Channel) + "#" + key.Sender
	return item{schema.AttrPK: str(pk), schema.AttrSK: str(skRate)}
}

// stored is a rate item's state; the zero value is an absent item.
type stored struct {
	tat   int64 // unix nanoseconds; 0 when absent
	scale ratelimit.Scale
	// write is the token of the reservation that last moved tat: a write
	// the SDK retried after it had taken effect finds its own token and
	// is not booked twice.
	write string
}

// decode reads the state from a rate item; nil is an absent item. It
// rejects attributes of the wrong type or out of range.
func decode(av item) (stored, error) {
	tat, err := intAttr(av, attrTAT)
	if err != nil {
		return stored{}, err
	}
	cut, err := intAttr(av, attrCut)
	if err != nil {
		return stored{}, err
	}
	factor, err := numAttr(av, attrScale)
	if err != nil {
		return stored{}, err
	}
	if factor != 0 && !(factor >= ratelimit.MinFactor && factor <= 1) {
		return stored{}, malformed(attrScale, strconv.FormatFloat(factor, 'g', -1, 64))
	}
	st := stored{tat: tat, scale: ratelimit.Scale{Factor: factor}}
	if w, ok := av[attrWrite].(*types.AttributeValueMemberS); ok {
		st.write = w.Value
	}
	if cut != 0 {
		st.scale.CutAt = time.Unix(0, cut).UTC()
	}
	return st, nil
}

// numText returns the text of the number attribute name; "" when absent.
func numText(av item, name string) (string, error) {
	v, ok := av[name]
	if !ok {
		return "", nil
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return "", malformed(name, "not a number")
	}
	return n.Value, nil
}

func intAttr(av item, name string) (int64, error) {
	s, err := numText(av, name)
	if err != nil || s == "" {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, malformed(name, s)
	}
	return v, nil
}

func numAttr(av item, name string) (float64, error) {
	s, err := numText(av, name)
	if err != nil || s == "" {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, malformed(name, s)
	}
	return v, nil
}

func malformed(name, value string) error {
	return parley.Errorf(parley.EINTERNAL, "rate item: malformed %s %q", name, value)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func intNum(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func floatNum(f float64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

// unixNano is t in unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// expiry is the TTL of an item whose TAT is about tat.
func expiry(tat int64) types.AttributeValue {
	return intNum(time.Unix(0, tat).Add(retention).Unix())
}
