package eventpush

import (
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Job is the wire format of the event queue: one event to deliver to one
// subscription, and where its delivery stands.
type Job struct {
	SubscriptionID string `json:"s"`
	// Attempt is how many attempts were made before this one.
	Attempt int `json:"n,omitempty"`
	// Since is when the event was first queued: retries end RetryFor
	// after it.
	Since time.Time `json:"f"`
	// NotBefore holds a job that arrives early back: a wait longer than
	// one queue delay (queue.MaxDelay) is made of several hops.
	NotBefore time.Time    `json:"w,omitzero"`
	Event     parley.Event `json:"e"`
}

// Encode returns the job's queue body.
func (j Job) Encode() []byte {
	b, _ := json.Marshal(j) // strings, ints and times always marshal
	return b
}

// maxJobBody bounds a job body DecodeJob reads: an event is small, and a
// queue message is at most 256 KiB.
const maxJobBody = 256 << 10

// DecodeJob parses a queue body. A body that is not a complete job is
// EINVALID: redelivering it can never succeed.
func DecodeJob(b []byte) (Job, error) {
	if len(b) > maxJobBody {
		return Job{}, parley.Errorf(parley.EINVALID, "event job of %d bytes is larger than %d", len(b), maxJobBody)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return Job{}, parley.Wrap(parley.EINVALID, err, "queue body is not an event job")
	}
	if err := checkEvent(j.Event); err != nil {
		return Job{}, err
	}
	switch {
	case j.SubscriptionID == "":
		return Job{}, parley.Errorf(parley.EINVALID, "event job of event %s names no subscription", j.Event.ID)
	case j.Attempt < 0:
		return Job{}, parley.Errorf(parley.EINVALID, "event job of event %s has attempt %d", j.Event.ID, j.Attempt)
	case j.Since.IsZero():
		return Job{}, parley.Errorf(parley.EINVALID, "event job of event %s has no first-queued time", j.Event.ID)
	}
	return j, nil
}

// checkEvent refuses an event without the fields every delivery needs.
func checkEvent(ev parley.Event) error {
	switch {
	case ev.ID == "":
		return parley.Errorf(parley.EINVALID, "event of type %q has no id", ev.Type)
	case ev.Type == "":
		return parley.Errorf(parley.EINVALID, "event %s has no type", ev.ID)
	case ev.AccountID == "":
		return parley.Errorf(parley.EINVALID, "event %s has no account", ev.ID)
	}
	return nil
}
