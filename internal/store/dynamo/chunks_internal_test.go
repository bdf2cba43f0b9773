package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

// TestChunkEntryKeepsEveryField: a recipient with every field set comes
// back from its chunk entry whole, so a field added to parley.Recipient
// cannot be lost by intake's chunks unnoticed.
func TestChunkEntryKeepsEveryField(t *testing.T) {
	var r parley.Recipient
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x" + v.Type().Field(i).Name)
		case reflect.Int:
			f.SetInt(int64(i + 1))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"America/New_York"}))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{"1": "Jane"}))
		case reflect.Struct:
			if f.Type() == reflect.TypeFor[parley.Timeline]() {
				continue // below: a chunk holds the intake steps of its status
			}
			f.Set(reflect.ValueOf(time.Date(2026, 11, 21, 14, 0, i, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %s: teach this test to set it", v.Type().Field(i).Name, f.Kind())
		}
	}
	r.ID = parley.RecipientID(r.Seq)
	r.Status = parley.StatusQueued
	r.Timeline.StampStatus(r.Status, time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC))
	if got := newChunkEntry(r).domain(r.AccountID, r.CampaignID); !reflect.DeepEqual(got, r) {
		t.Errorf("chunk entry round trip\n got %+v\nwant %+v", got, r)
	}
}

// TestChunkPacking: intake packs a chunk's entries to a fraction of their
// JSON, and a chunk reads back whole packed or, as written before packing,
// as plain JSON; a packed chunk that unpacks past maxChunkJSON is refused.
func TestChunkPacking(t *testing.T) {
	var rs []parley.Recipient
	for seq := 1; seq <= chunkSize; seq++ {
		rs = append(rs, parley.Recipient{
			AccountID: "acct", CampaignID: "camp", ID: parley.RecipientID(seq), Seq: seq, Channel: parley.ChannelSMS,
			Phone: fmt.Sprintf("+1202555%04d", seq), Variables: map[string]string{"1": fmt.Sprintf("Name%d", seq)}, Status: parley.StatusQueued,
			Body: fmt.Sprintf("Hi Name%d, your subscription renews on 12/31. Reply YES to keep it. Reply STOP to opt out.", seq),
		})
	}
	reqs, err := recipientWrites(rs)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("recipientWrites = %d requests, %v; want one chunk", len(reqs), err)
	}
	packed := reqs[0].PutRequest.Item
	es, err := decodeChunk(packed)
	if err != nil || len(es) != chunkSize || es[4].domain("acct", "camp").Body != rs[4].Body {
		t.Fatalf("decodeChunk = %d entries, %v", len(es), err)
	}
	plain, _ := json.Marshal(es)
	size := len(packed["rz"].(*types.AttributeValueMemberB).Value)
	if size*3 > len(plain) {
		t.Errorf("packed chunk is %d bytes of %d bytes of JSON; want under a third", size, len(plain))
	}
	old := item{"pk": str("p"), "sk": str(chunkSK(0)), "rs": str(string(plain))}
	if es, err := decodeChunk(old); err != nil || len(es) != chunkSize {
		t.Errorf("an unpacked chunk: %d entries, %v", len(es), err)
	}
	bomb, err := pack(bytes.Repeat([]byte(" "), maxChunkJSON+1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeChunk(item{"pk": str("p"), "sk": str(chunkSK(0)), "rz": &types.AttributeValueMemberB{Value: bomb}}); err == nil {
		t.Error("a chunk that unpacks past the bound was decoded")
	}
}
