package dynamo

import (
	"reflect"
	"testing"
	"time"

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
