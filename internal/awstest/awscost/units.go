package awscost

import (
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// DynamoDB's capacity accounting, as its developer guide describes it.
const (
	// WriteBlock is the item size one write unit covers; larger items
	// take a unit per started block.
	WriteBlock = 1024
	// ReadBlock is the item size one strongly consistent read unit
	// covers; an eventually consistent read costs half as much.
	ReadBlock = 4096
	// TransactionalFactor is how many units a write inside
	// TransactWriteItems costs per unit an ordinary write would.
	TransactionalFactor = 2
	// containerOverhead is what a List or Map costs besides its elements,
	// and elementOverhead what each of its elements costs besides itself.
	containerOverhead = 3
	elementOverhead   = 1
)

// Capacity is a quantity of DynamoDB read and write units.
type Capacity struct {
	Read, Write float64
}

// Add returns c + d.
func (c Capacity) Add(d Capacity) Capacity {
	return Capacity{Read: c.Read + d.Read, Write: c.Write + d.Write}
}

// Scale returns c with both quantities multiplied by f.
func (c Capacity) Scale(f float64) Capacity {
	return Capacity{Read: c.Read * f, Write: c.Write * f}
}

// WriteUnits is what writing an item of size bytes costs: one unit per
// started WriteBlock, and at least one.
func WriteUnits(size int) float64 { return blocks(size, WriteBlock) }

// ReadUnits is what reading size bytes in one request costs: one unit per
// started ReadBlock (at least one) when strongly consistent, half that when
// eventually consistent.
func ReadUnits(size int, consistent bool) float64 {
	n := blocks(size, ReadBlock)
	if !consistent {
		return n / 2
	}
	return n
}

// blocks is how many started blocks of block bytes size spans, at least one.
func blocks(size, block int) float64 {
	return max(1, math.Ceil(float64(size)/float64(block)))
}

// ItemSize is the size of item as DynamoDB counts it for capacity: for each
// attribute the UTF-8 length of its name plus the size of its value.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

// valueSize is the size of one attribute value without its name.
func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return NumberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		return sum(v.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return sum(v.Value, NumberSize)
	case *types.AttributeValueMemberBS:
		return sum(v.Value, func(b []byte) int { return len(b) })
	case *types.AttributeValueMemberL:
		return containerOverhead + sum(v.Value, func(e types.AttributeValue) int { return elementOverhead + valueSize(e) })
	case *types.AttributeValueMemberM:
		return containerOverhead + len(v.Value)*elementOverhead + ItemSize(v.Value)
	}
	return 0
}

func sum[T any](xs []T, size func(T) int) int {
	n := 0
	for _, x := range xs {
		n += size(x)
	}
	return n
}

// NumberSize is the size DynamoDB gives a number written as s: a byte per
// two significant digits, rounded up, plus one. Leading and trailing zeros
// are not significant; sign, decimal point and exponent are not digits.
func NumberSize(s string) int {
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, mantissa)
	digits = strings.Trim(digits, "0")
	return (len(digits)+1)/2 + 1
}

// EventBridge's accounting of PutEvents, as its pricing page and user
// guide describe it.
const (
	// BusEventBlock is the entry size one billed event covers; a larger
	// entry is an event per started block.
	BusEventBlock = 64 << 10
	// busTimeSize is what an entry's Time counts for.
	busTimeSize = 14
)

// BusEventSize is the size of a PutEvents entry as EventBridge counts it:
// its Time (when set), Source, DetailType, Detail and Resources.
func BusEventSize(e ebtypes.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += busTimeSize
	}
	return n + sum(e.Resources, func(r string) int { return len(r) })
}

// BusEvents is how many events EventBridge bills for putting e: one per
// started BusEventBlock of its size.
func BusEvents(e ebtypes.PutEventsRequestEntry) int {
	return int(blocks(BusEventSize(e), BusEventBlock))
}
