package awscost

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestNumberSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 1},
		{"7", 2},
		{"12", 2},
		{"123", 3},
		{"1000", 2},     // trailing zeros are not significant
		{"0.5", 2},      // nor leading ones
		{"-12.30", 3},   // sign and point are not digits
		{"1.25e+10", 3}, // nor the exponent
		{"1732147200000000000", 5},
		{"12345678901234567890123456789012345678", 20}, // 38 digits
	}
	for _, tt := range tests {
		if got := NumberSize(tt.in); got != tt.want {
			t.Errorf("NumberSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestItemSize(t *testing.T) {
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"empty", nil, 0},
		{"string", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "abc"}}, 5},
		{"utf-8 string", map[string]types.AttributeValue{"é": &types.AttributeValueMemberS{Value: "日本"}}, 2 + 6},
		{"number", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "123"}}, 1 + 3},
		{"binary", map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}}, 4},
		{"bool and null", map[string]types.AttributeValue{
			"t": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true},
		}, 4},
		{"sets", map[string]types.AttributeValue{
			"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bc"}},
			"ns": &types.AttributeValueMemberNS{Value: []string{"1", "22"}},
			"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		}, 2 + 3 + 2 + 4 + 2 + 3},
		{"empty list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{}}, 1 + 3},
		{"list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "ab"}, &types.AttributeValueMemberN{Value: "5"},
		}}}, 1 + 3 + (1 + 2) + (1 + 2)},
		{"map", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"k": &types.AttributeValueMemberS{Value: "v"},
		}}}, 1 + 3 + 1 + (1 + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ItemSize(tt.item); got != tt.want {
				t.Errorf("ItemSize = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	tests := []struct {
		size             int
		write            float64
		strong, eventual float64
	}{
		{0, 1, 1, 0.5},
		{1, 1, 1, 0.5},
		{1024, 1, 1, 0.5},
		{1025, 2, 1, 0.5},
		{3000, 3, 1, 0.5},
		{4096, 4, 1, 0.5},
		{4097, 5, 2, 1},
		{10 * 1024, 10, 3, 1.5},
	}
	for _, tt := range tests {
		if got := WriteUnits(tt.size); got != tt.write {
			t.Errorf("WriteUnits(%d) = %v, want %v", tt.size, got, tt.write)
		}
		if got := ReadUnits(tt.size, true); got != tt.strong {
			t.Errorf("ReadUnits(%d, strong) = %v, want %v", tt.size, got, tt.strong)
		}
		if got := ReadUnits(tt.size, false); got != tt.eventual {
			t.Errorf("ReadUnits(%d, eventual) = %v, want %v", tt.size, got, tt.eventual)
		}
	}
}

// FuzzItemSize checks ItemSize's properties on items built from fuzzed
// names, strings and number literals: sizes are never negative, attributes
// add up, nesting costs exactly the documented overheads, and a number's
// size stays within its digit count.
func FuzzItemSize(f *testing.F) {
	f.Add("pk", "ACCOUNT#a#CAMPAIGN#c", "1732147200")
	f.Add("é", "日本語", "-0.000120e-5")
	f.Add("", "", "")
	f.Add("n", strings.Repeat("x", 2000), "99999999999999999999999999999999999999")
	f.Fuzz(func(t *testing.T, name, s, num string) {
		if n := NumberSize(num); n < 1 || n > (len(num)+1)/2+1 {
			t.Fatalf("NumberSize(%q) = %d, outside 1..%d", num, n, (len(num)+1)/2+1)
		}
		a := map[string]types.AttributeValue{name: &types.AttributeValueMemberS{Value: s}}
		b := map[string]types.AttributeValue{name + "#n": &types.AttributeValueMemberN{Value: num}}
		both := map[string]types.AttributeValue{name: a[name], name + "#n": b[name+"#n"]}
		if got, want := ItemSize(both), ItemSize(a)+ItemSize(b); got != want || got < 0 {
			t.Fatalf("ItemSize of both = %d, want %d (the sum of each)", got, want)
		}
		nested := map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: both}}
		if got, want := ItemSize(nested), len("m")+containerOverhead+len(both)*elementOverhead+ItemSize(both); got != want {
			t.Fatalf("ItemSize of a map of both = %d, want %d", got, want)
		}
		list := map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{a[name], b[name+"#n"]}}}
		if got, want := ItemSize(list), len("l")+containerOverhead+2*elementOverhead+len(s)+NumberSize(num); got != want {
			t.Fatalf("ItemSize of a list of both = %d, want %d", got, want)
		}
	})
}

func TestBusEvents(t *testing.T) {
	at := time.Now() // an entry's time counts 14 bytes, whatever it is
	entry := func(detail int, timed bool, resources ...string) ebtypes.PutEventsRequestEntry {
		e := ebtypes.PutEventsRequestEntry{Source: aws.String("parley"), DetailType: aws.String("message.sent"),
			Detail: aws.String(strings.Repeat("x", detail)), Resources: resources}
		if timed {
			e.Time = &at
		}
		return e
	}
	tests := []struct {
		name   string
		entry  ebtypes.PutEventsRequestEntry
		size   int
		events int
	}{
		{"untimed", entry(100, false), 6 + 12 + 100, 1},
		{"timed", entry(100, true), 14 + 6 + 12 + 100, 1},
		{"resources", entry(100, true, "arn:a", "arn:bc"), 14 + 6 + 12 + 100 + 11, 1},
		{"one block", entry(BusEventBlock-14-6-12, true), BusEventBlock, 1},
		{"a byte more", entry(BusEventBlock-14-6-12+1, true), BusEventBlock + 1, 2},
		{"four blocks", entry(4*BusEventBlock-14-6-12, true), 4 * BusEventBlock, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BusEventSize(tt.entry); got != tt.size {
				t.Errorf("BusEventSize = %d, want %d", got, tt.size)
			}
			if got := BusEvents(tt.entry); got != tt.events {
				t.Errorf("BusEvents = %d, want %d", got, tt.events)
			}
		})
	}
}
