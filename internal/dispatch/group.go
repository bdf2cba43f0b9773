package dispatch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ClaimAhead is how far ahead of its send slot a recipient of a range job
// may be claimed, together with the others of its job whose slots come
// within it: one write (store.Recipients.ClaimRange) claims them all, in
// place of one each. A recipient claimed ahead that is not sent (the
// dispatcher stops, its campaign pauses) is given back, QUEUED; after a
// crash, the claims of up to ClaimAhead of sending wait for their lease,
// and are settled like any other claim a crash left (see takeOver).
const ClaimAhead = time.Second

// claimGroup is the jobs of one message whose send slots lie within
// ClaimAhead of the first one's: their recipients are claimed at once, by
// whichever of them comes to its claim first, except those that left the
// group before (see leave), and the messages sent to them are recorded at
// once, when the last member claimed is done (see record).
type claimGroup struct {
	refs    []parley.Ref
	mu      sync.Mutex
	left    []bool // per member: gave up before the claim
	state   claimState
	done    chan struct{} // closed when the claim is in
	results []store.RangeClaim

	// Once the claim is in: the members claimed that are still to finish,
	// which of them have, the records they left to write together, and
	// what the write did.
	unfinished int
	finished   []bool
	records    []*store.RangeRecord
	recorded   chan struct{} // closed when the records are written
	written    []store.RangeClaim
}

// claimState is how far a group's claim is.
type claimState int

const (
	claimPending claimState = iota
	claiming
	claimed
)

// errClaimDied is the claim result of a group whose claim never answered
// (it panicked).
var errClaimDied = errors.New("dispatch: the range claim did not finish")

// claim claims the recipients of the members still in the group, once, and
// returns what the claim did to each member's, in the order of refs.
func (g *claimGroup) claim(ctx context.Context, d *Dispatcher) []store.RangeClaim {
	g.mu.Lock()
	if g.state != claimPending {
		g.mu.Unlock()
		<-g.done
		return g.outcome()
	}
	g.state = claiming
	var refs []parley.Ref
	var at []int
	for k, ref := range g.refs {
		if !g.left[k] {
			refs, at = append(refs, ref), append(at, k)
		}
	}
	g.mu.Unlock()
	defer func() {
		// Also when the claim panics: the others must not wait forever.
		g.mu.Lock()
		g.state = claimed
		g.finished, g.records, g.recorded = make([]bool, len(g.refs)), make([]*store.RangeRecord, len(g.refs)), make(chan struct{})
		for _, res := range g.outcome() {
			if res.Claimed {
				g.unfinished++
			}
		}
		g.mu.Unlock()
		close(g.done)
	}()
	now := d.Clock.Now()
	rs := d.Store.ClaimRange(ctx, refs, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true,
		Claimant: d.Epoch, DueAt: now.Add(ClaimLease), At: now,
	})
	results := make([]store.RangeClaim, len(g.refs))
	for n, k := range at {
		results[k] = rs[n]
	}
	g.results = results
	return g.outcome()
}

// outcome is the claim's result once it is in.
func (g *claimGroup) outcome() []store.RangeClaim {
	if len(g.results) != len(g.refs) {
		results := make([]store.RangeClaim, len(g.refs))
		for k := range results {
			results[k].Err = errClaimDied
		}
		return results
	}
	return g.results
}

// claimedAhead returns the recipient of member pos as claimed, if the
// group's claim is in and claimed it.
func (g *claimGroup) claimedAhead(pos int) (parley.Recipient, bool) {
	g.mu.Lock()
	in := g.state == claimed
	g.mu.Unlock()
	if !in {
		return parley.Recipient{}, false
	}
	res := g.outcome()[pos]
	return res.Recipient, res.Claimed
}

// leave takes member pos out of the group's claim, when it will not be
// sent now: a claim still to come leaves its recipient alone. When the
// claim is under way or in, leave waits for it and returns the member's
// recipient as claimed, if it was, for the member to give back.
func (g *claimGroup) leave(pos int) (parley.Recipient, bool) {
	g.mu.Lock()
	if g.state == claimPending {
		g.left[pos] = true
		g.mu.Unlock()
		return parley.Recipient{}, false
	}
	g.mu.Unlock()
	<-g.done
	res := g.outcome()[pos]
	return res.Recipient, res.Claimed
}

// group gives the jobs of each range job's message (jobs are in message
// order, each message's in Seq and slot order) their claim groups: runs of
// jobs whose slots lie within ClaimAhead of the run's first.
func group(jobs []job, b *batch) {
	var g *claimGroup
	var first time.Time
	for k := range jobs {
		j := &jobs[k]
		if len(b.refs[j.i]) < 2 {
			g = nil
			continue
		}
		if g == nil || jobs[k-1].i != j.i || j.slot.Sub(first) >= ClaimAhead {
			g, first = &claimGroup{done: make(chan struct{})}, j.slot
		}
		j.group, j.pos = g, len(g.refs)
		g.refs, g.left = append(g.refs, j.ref), append(g.left, false)
	}
}

// record leaves the record of member pos, whose recipient the group's
// claim claimed, to be written with the others' (store.RecordRange) once
// every member claimed has recorded or finished (see finish), and returns
// what the write did to it. ok is false when the record was not written
// with the others (ctx ended first, or the write panicked): the member
// then records on its own.
//
// A member thus waits for the others of its group, whose send slots lie
// within ClaimAhead of its own, before its job is done: one write records
// them all, where each recorded its own.
func (g *claimGroup) record(ctx context.Context, d *Dispatcher, pos int, rec store.RangeRecord) (res store.RangeClaim, ok bool) {
	if !g.finishMember(ctx, d, pos, &rec) {
		return res, false
	}
	select {
	case <-g.recorded:
	case <-ctx.Done():
		return res, false
	}
	if len(g.written) != len(g.refs) {
		return res, false
	}
	return g.written[pos], true
}

// finish marks member pos done without a record to write with the others
// (it was not claimed with them, or it recorded on its own), so the group
// need not wait for it.
func (g *claimGroup) finish(ctx context.Context, d *Dispatcher, pos int) {
	g.finishMember(ctx, d, pos, nil)
}

// finishMember marks member pos, claimed by the group's claim, finished,
// with rec to write with the others' (nil for none), and reports whether
// it was such a member still to finish. The last one writes the records.
func (g *claimGroup) finishMember(ctx context.Context, d *Dispatcher, pos int, rec *store.RangeRecord) bool {
	g.mu.Lock()
	if g.state != claimed || !g.outcome()[pos].Claimed || g.finished[pos] {
		g.mu.Unlock()
		return false
	}
	g.records[pos], g.finished[pos] = rec, true
	g.unfinished--
	last := g.unfinished == 0
	g.mu.Unlock()
	if last {
		g.write(ctx, d)
	}
	return true
}

// write writes the records the members left, in one RecordRange, and
// wakes them.
func (g *claimGroup) write(ctx context.Context, d *Dispatcher) {
	defer close(g.recorded) // also if the write panics: the members record on their own
	var recs []store.RangeRecord
	var at []int
	for k, rec := range g.records {
		if rec != nil {
			recs, at = append(recs, *rec), append(at, k)
		}
	}
	if len(recs) == 0 {
		return
	}
	out := d.Store.RecordRange(ctx, recs)
	written := make([]store.RangeClaim, len(g.refs))
	for n, k := range at {
		written[k] = out[n]
	}
	g.written = written
}
