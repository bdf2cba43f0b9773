package dynamo

import (
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// stampAttrs are the attributes of a recipient item that hold its
// timeline, one a step; each is set once, with if_not_exists.
var stampAttrs = [parley.NumSteps]string{
	"tAttempted", "tEligible", "tSkipped", "tSent", "tDelivered", "tRead", "tFailed",
	"tCancelled", "tOptedOut", "tResponded", "tConvCreated", "tConvClosed",
}

// timelineItem is a recipient's timeline as its item holds it.
type timelineItem struct {
	Attempted           string `dynamodbav:"tAttempted,omitempty"`
	Eligible            string `dynamodbav:"tEligible,omitempty"`
	Skipped             string `dynamodbav:"tSkipped,omitempty"`
	Sent                string `dynamodbav:"tSent,omitempty"`
	Delivered           string `dynamodbav:"tDelivered,omitempty"`
	Read                string `dynamodbav:"tRead,omitempty"`
	Failed              string `dynamodbav:"tFailed,omitempty"`
	Cancelled           string `dynamodbav:"tCancelled,omitempty"`
	OptedOut            string `dynamodbav:"tOptedOut,omitempty"`
	Responded           string `dynamodbav:"tResponded,omitempty"`
	ConversationCreated string `dynamodbav:"tConvCreated,omitempty"`
	ConversationClosed  string `dynamodbav:"tConvClosed,omitempty"`
}

func (it *timelineItem) fields() [parley.NumSteps]*string {
	return [parley.NumSteps]*string{
		&it.Attempted, &it.Eligible, &it.Skipped, &it.Sent, &it.Delivered, &it.Read, &it.Failed,
		&it.Cancelled, &it.OptedOut, &it.Responded, &it.ConversationCreated, &it.ConversationClosed,
	}
}

// stampString is a stamp as an item stores it; "" for none.
func stampString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func newTimelineItem(tl parley.Timeline) timelineItem {
	var it timelineItem
	for s, f := range it.fields() {
		*f = stampString(tl.At(parley.Step(s)))
	}
	return it
}

// domain is the timeline; a stamp that does not parse is left unstamped.
func (it timelineItem) domain() parley.Timeline {
	var tl parley.Timeline
	for s, f := range it.fields() {
		if at, err := time.Parse(time.RFC3339Nano, *f); err == nil {
			tl.Stamp(parley.Step(s), at)
		}
	}
	return tl
}
