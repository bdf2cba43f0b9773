package queue

// The wire format of the dispatch queue's jobs: what campaigns enqueue and
// dispatchers decode.

import (
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// JobKind says what a job on the dispatch queue asks for.
type JobKind string

// Job kinds. A job body without a kind is a send: every job encoded before
// kinds existed is one.
const (
	// JobSend sends one recipient; its body is a recipient reference (SendJob).
	JobSend JobKind = ""
	// JobFanout queues the next chunk of a campaign's recipients; its body
	// is an encoded FanoutJob.
	JobFanout JobKind = "fanout"
	// JobRange sends a run of consecutive recipients of one chunk; its body
	// is an encoded RangeJob.
	JobRange JobKind = "range"
)

// KindOf returns the kind of a job body. A body that is not a JSON object,
// or names no kind, is JobSend (DecodeSendJob then says what is wrong with it).
func KindOf(body []byte) JobKind {
	var k struct {
		Kind JobKind `json:"k"`
	}
	if json.Unmarshal(body, &k) != nil {
		return JobSend
	}
	return k.Kind
}

// FanoutJob asks a dispatcher to queue the recipients of one chunk of a
// campaign: those after Seq After. Running it again (a redelivery) queues
// that chunk again, which the recipients' claims absorb.
type FanoutJob struct {
	AccountID  string `json:"a"`
	CampaignID string `json:"c"`
	After      int    `json:"n"`
}

// fanoutBody is a FanoutJob on the wire, with its kind.
type fanoutBody struct {
	Kind JobKind `json:"k"`
	FanoutJob
}

// Encode returns the job body for j.
func (j FanoutJob) Encode() []byte {
	b, _ := json.Marshal(fanoutBody{Kind: JobFanout, FanoutJob: j}) // strings and an int always marshal
	return b
}

// DecodeFanoutJob parses a JobFanout body. A body that is not a complete
// fan-out job is EINVALID: redelivering it can never succeed.
func DecodeFanoutJob(b []byte) (FanoutJob, error) {
	var f fanoutBody
	if err := json.Unmarshal(b, &f); err != nil {
		return FanoutJob{}, parley.Wrap(parley.EINVALID, err, "job body is not a fan-out job")
	}
	switch {
	case f.Kind != JobFanout:
		return FanoutJob{}, parley.Errorf(parley.EINVALID, "job body %q is a %q job, not a fan-out job", b, f.Kind)
	case f.AccountID == "" || f.CampaignID == "" || f.After < 0:
		return FanoutJob{}, parley.Errorf(parley.EINVALID, "fan-out job %q lacks account or campaign, or starts before the first recipient", b)
	}
	return f.FanoutJob, nil
}

// RangeJob sends the recipients of a campaign with Seqs From to To, all in
// one chunk (parley.ChunkSize) and all with ids of their Seqs
// (parley.RecipientID): one queue message, and one handling, for up to a
// chunk of sends instead of one each.
type RangeJob struct {
	AccountID  string `json:"a"`
	CampaignID string `json:"c"`
	From       int    `json:"f"`
	To         int    `json:"t"`
}

// rangeBody is a RangeJob on the wire, with its kind.
type rangeBody struct {
	Kind JobKind `json:"k"`
	RangeJob
}

// Encode returns the job body for j.
func (j RangeJob) Encode() []byte {
	b, _ := json.Marshal(rangeBody{Kind: JobRange, RangeJob: j}) // strings and ints always marshal
	return b
}

// Refs returns the references of the job's recipients, in Seq order.
func (j RangeJob) Refs() []parley.Ref {
	refs := make([]parley.Ref, 0, j.To-j.From+1)
	for seq := j.From; seq <= j.To; seq++ {
		refs = append(refs, parley.Ref{AccountID: j.AccountID, CampaignID: j.CampaignID, RecipientID: parley.RecipientID(seq)})
	}
	return refs
}

// DecodeRangeJob parses a JobRange body. A body that is not a complete
// range of one chunk is EINVALID: redelivering it can never succeed.
func DecodeRangeJob(b []byte) (RangeJob, error) {
	var r rangeBody
	if err := json.Unmarshal(b, &r); err != nil {
		return RangeJob{}, parley.Wrap(parley.EINVALID, err, "job body is not a range job")
	}
	switch {
	case r.Kind != JobRange:
		return RangeJob{}, parley.Errorf(parley.EINVALID, "job body %q is a %q job, not a range job", b, r.Kind)
	case r.AccountID == "" || r.CampaignID == "":
		return RangeJob{}, parley.Errorf(parley.EINVALID, "range job %q lacks account or campaign", b)
	case r.From < 1 || r.To < r.From || parley.ChunkOf(r.From) != parley.ChunkOf(r.To):
		return RangeJob{}, parley.Errorf(parley.EINVALID, "range job %q: %d..%d is not a run of recipients within one chunk of %d", b, r.From, r.To, parley.ChunkSize)
	}
	return r.RangeJob, nil
}

// SendJob returns the body of the job that sends one recipient: its
// reference, as JSON.
func SendJob(r parley.Ref) []byte {
	b, _ := json.Marshal(r) // a struct of strings always marshals
	return b
}

// DecodeSendJob parses a JobSend body. A body that is not a complete
// reference is EINVALID: redelivering it can never succeed.
func DecodeSendJob(b []byte) (parley.Ref, error) {
	var r parley.Ref
	if err := json.Unmarshal(b, &r); err != nil {
		return parley.Ref{}, parley.Wrap(parley.EINVALID, err, "job body is not a recipient reference")
	}
	if r.AccountID == "" || r.CampaignID == "" || r.RecipientID == "" {
		return parley.Ref{}, parley.Errorf(parley.EINVALID, "job body %q lacks account, campaign or recipient", b)
	}
	return r, nil
}

// Job kinds of telephone campaigns: a pacing round (JobPace) and the check,
// Grace after a live answer, that the call found an operator (JobGrace).
// Their bodies are the runtime's own JSON, with the kind.
const (
	JobPace  JobKind = "pace"
	JobGrace JobKind = "grace"
)

// Phone reports whether a job kind belongs to telephone campaigns.
func (k JobKind) Phone() bool { return k == JobPace || k == JobGrace }

// Known reports whether k is a kind of this release. A job of another kind
// was queued by a later release: a dispatcher of this one must leave it to
// the queue (to come back, or to the dead-letter queue, to be redriven),
// never drop it.
func (k JobKind) Known() bool {
	return k == JobSend || k == JobFanout || k == JobRange || k.Phone()
}

// DecodeRecipients parses the body of a job that sends recipients (JobSend
// or JobRange) and returns their references, in Seq order. A body that is
// neither is EINVALID.
func DecodeRecipients(b []byte) ([]parley.Ref, error) {
	if KindOf(b) == JobRange {
		j, err := DecodeRangeJob(b)
		if err != nil {
			return nil, err
		}
		return j.Refs(), nil
	}
	ref, err := DecodeSendJob(b)
	if err != nil {
		return nil, err
	}
	return []parley.Ref{ref}, nil
}
