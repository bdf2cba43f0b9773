package storetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Recipients checks store.Recipients, on recipients created with their
// campaign (store.Campaigns).
func Recipients(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	t.Run("Paging", func(t *testing.T) { testRecipientsPaging(t, newStore(t)) })
	t.Run("Update", func(t *testing.T) { testUpdateRecipient(t, newStore(t)) })
	t.Run("ConcurrentClaim", func(t *testing.T) { testConcurrentClaim(t, newStore(t), opt) })
	t.Run("DueIndex", func(t *testing.T) { testDue(t, newStore(t)) })
	t.Run("FencedChange", func(t *testing.T) { testFencedChange(t, newStore(t)) })
	t.Run("InApp", func(t *testing.T) { testInAppRecipient(t, newStore(t)) })
	t.Run("SentKeepsNoPointer", func(t *testing.T) { testSentKeepsNoPointer(t, newStore(t)) })
	t.Run("CarriesMessage", func(t *testing.T) { testCarriesMessage(t, newStore(t)) })
	t.Run("ClaimRange", func(t *testing.T) { testClaimRange(t, newStore(t)) })
	t.Run("ConcurrentClaimRange", func(t *testing.T) { testConcurrentClaimRange(t, newStore(t), opt) })
	t.Run("RecordRange", func(t *testing.T) { testRecordRange(t, newStore(t)) })
}

func testRecipientsPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 57
	c, rs := Fixture("acct1", "camp1", n)
	create(t, s, c, rs)
	other, ors := Fixture("acct1", "camp2", 5)
	create(t, s, other, ors)
	var seen []parley.Recipient
	after := 0
	for {
		page, err := s.Recipients(ctx, "acct1", "camp1", after, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 20 {
			t.Fatalf("page of %d exceeds limit 20", len(page))
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, page...)
		after = page[len(page)-1].Seq
	}
	if len(seen) != n {
		t.Fatalf("paged %d recipients, want %d", len(seen), n)
	}
	for i, r := range seen {
		if r.Seq != i+1 || r.CampaignID != "camp1" {
			t.Fatalf("recipient %d = seq %d of %s, want seq %d of camp1", i, r.Seq, r.CampaignID, i+1)
		}
	}
}

func testUpdateRecipient(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	ref := rs[0].Ref()
	t1 := t0.Add(time.Minute)
	claimed, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true, At: t1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if claimed.Status != parley.StatusSending || claimed.Attempts != 1 || !claimed.UpdatedAt.Equal(t1) || claimed.Phone != rs[0].Phone {
		t.Errorf("claimed = %+v", claimed)
	}
	cur, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t1})
	wantCode(t, err, parley.ECONFLICT)
	if cur.Status != parley.StatusSending {
		t.Errorf("conflict returned status %q, want the stored SENDING", cur.Status)
	}
	sent, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "SM123", At: t1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.ProviderMessageID != "SM123" || sent.Attempts != 1 {
		t.Errorf("sent = %+v", sent)
	}
	failed, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSent}, Status: parley.StatusFailed, ErrorMessage: "30003", At: t1,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Recipient(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != parley.StatusFailed || got.ErrorMessage != "30003" || got.ProviderMessageID != "SM123" || failed.Status != got.Status {
		t.Errorf("stored = %+v", got)
	}
}

func testConcurrentClaim(t *testing.T, s store.Store, opt Options) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range n {
		wg.Go(func() {
			_, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0})
			mu.Lock()
			defer mu.Unlock()
			switch parley.ErrorCode(err) {
			case "":
				wins++
			case parley.ECONFLICT:
				conflicts++
			default:
				t.Errorf("claim: %v", err)
			}
		})
	}
	wg.Wait()
	if wins < 1 || (!opt.Racy && wins != 1) {
		t.Errorf("%d of %d concurrent claims won (%d conflicts), want exactly 1", wins, n, conflicts)
	}
}

// dueIDs lists the due index (SCHEDULED recipients) as campaign/recipient
// ids.
func dueIDs(t *testing.T, s store.Store, before time.Time, limit int) []string {
	t.Helper()
	status := parley.StatusScheduled
	rs, err := s.DueRecipients(context.Background(), status, before, limit)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.CampaignID+"/"+r.ID)
		if r.Status != status {
			t.Errorf("%s index lists %s/%s, which is %s", status, r.CampaignID, r.ID, r.Status)
		}
	}
	return ids
}

func testDue(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 5)
	offsets := []time.Duration{10 * time.Minute, 20 * time.Minute, 0, -1, 2 * time.Hour}
	for i, off := range offsets {
		rs[i].DueAt = t0.Add(off)
		if off != 0 {
			rs[i].Status = parley.StatusScheduled
		}
	}
	create(t, s, c, rs)
	c2, rs2 := Fixture("acct2", "camp2", 1)
	rs2[0].Status, rs2[0].DueAt = parley.StatusScheduled, t0.Add(5*time.Minute)
	create(t, s, c2, rs2)

	want := []string{"camp1/000004", "camp2/000001", "camp1/000001", "camp1/000002"}
	if got := dueIDs(t, s, t0.Add(30*time.Minute), 10); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("DueRecipients = %v, want %v (earliest first, across accounts)", got, want)
	}
	if got := dueIDs(t, s, t0.Add(30*time.Minute), 2); fmt.Sprint(got) != fmt.Sprint(want[:2]) {
		t.Fatalf("DueRecipients limit 2 = %v, want %v", got, want[:2])
	}
	queued := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusScheduled}, Status: parley.StatusQueued, At: t0}
	if _, err := s.UpdateRecipient(ctx, rs[0].Ref(), queued); err != nil {
		t.Fatal(err)
	}
	later := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusScheduled}, Status: parley.StatusScheduled, DueAt: t0.Add(3 * time.Hour), At: t0}
	moved, err := s.UpdateRecipient(ctx, rs[1].Ref(), later)
	if err != nil || !moved.DueAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("reschedule: %+v, %v", moved, err)
	}
	back := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusScheduled, DueAt: t0.Add(time.Minute), At: t0}
	if _, err := s.UpdateRecipient(ctx, rs[2].Ref(), back); err != nil {
		t.Fatal(err)
	}
	want = []string{"camp1/000004", "camp1/000003", "camp2/000001"}
	if got := dueIDs(t, s, t0.Add(30*time.Minute), 10); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after changes DueRecipients = %v, want %v", got, want)
	}
	want = []string{"camp1/000004", "camp1/000003", "camp2/000001", "camp1/000005", "camp1/000002"}
	if got := dueIDs(t, s, t0.Add(24*time.Hour), 10); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("all due = %v, want %v (a rescheduled recipient is listed once, at its new time)", got, want)
	}

	// A claim takes a recipient out of the index and keeps its lease's end
	// as DueAt; its outcome does not put it back.
	claim := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusScheduled}, Status: parley.StatusSending, DueAt: t0.Add(5 * time.Minute), At: t0}
	claimed, err := s.UpdateRecipient(ctx, rs[3].Ref(), claim)
	if err != nil || !claimed.DueAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("claim = %+v, %v; want the lease's end as DueAt", claimed, err)
	}
	if got := dueIDs(t, s, t0.Add(30*time.Minute), 10); fmt.Sprint(got) != "[camp1/000003 camp2/000001]" {
		t.Fatalf("SCHEDULED index after the claim = %v", got)
	}
	sent := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, At: t0}
	if _, err := s.UpdateRecipient(ctx, rs[3].Ref(), sent); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s, t0.Add(24*time.Hour), 10); len(got) != 4 {
		t.Fatalf("index after the outcome = %v", got)
	}
}

// testFencedChange checks that a change fenced to one claim (Attempt)
// applies only while the stored Attempts match, and that a claim's
// Claimant is kept with it: replaced by a take-over, cleared by the
// outcome.
func testFencedChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	ref, t0 := rs[0].Ref(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sending := []parley.RecipientStatus{parley.StatusSending}
	first, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true, Claimant: "epoch-a", At: t0})
	if err != nil || first.Attempts != 1 || first.Claimant != "epoch-a" {
		t.Fatalf("claim = %+v, %v", first, err)
	}
	if got, err := s.Recipient(ctx, ref); err != nil || got.Claimant != "epoch-a" {
		t.Fatalf("stored claim = %+v, %v; want claimant epoch-a", got, err)
	}
	second, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSending, CountAttempt: true, Claimant: "epoch-b", At: t0})
	if err != nil || second.Attempts != 2 || second.Claimant != "epoch-b" {
		t.Fatalf("take-over fenced to attempt 1 = %+v, %v", second, err)
	}
	cur, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, At: t0})
	wantCode(t, err, parley.ECONFLICT)
	if cur.Status != parley.StatusSending || cur.Attempts != 2 || cur.Claimant != "epoch-b" {
		t.Errorf("a change fenced to a lost claim returned %+v, want the stored recipient", cur)
	}
	if got, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 2, Status: parley.StatusSent, At: t0}); err != nil || got.Status != parley.StatusSent || got.Claimant != "" {
		t.Errorf("the current claim's change = %+v, %v; want SENT without a claimant", got, err)
	}
	if got, err := s.Recipient(ctx, ref); err != nil || got.Claimant != "" {
		t.Errorf("stored outcome = %+v, %v; want no claimant", got, err)
	}
}

func testInAppRecipient(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 2)
	c.Channel, c.OutboundNumber = parley.ChannelInApp, ""
	for i := range rs {
		rs[i].Channel, rs[i].Phone = parley.ChannelInApp, ""
		rs[i].Zones = []string{"Europe/Paris"}
	}
	rs[0].ConsumerID, rs[1].ConsumerID = "jane", "bob@example.com"
	create(t, s, c, rs)
	got, err := s.Recipients(ctx, "acct1", "camp1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Recipients = %d, want 2", len(got))
	}
	for i, r := range got {
		if r.ConsumerID != rs[i].ConsumerID || r.Phone != "" || r.Channel != parley.ChannelInApp || !slices.Equal(r.Zones, rs[i].Zones) {
			t.Errorf("recipient %d = %+v, want consumer %q on inapp in %q", i, r, rs[i].ConsumerID, rs[i].Zones)
		}
	}
	if c, err := s.Campaign(ctx, "acct1", "camp1"); err != nil || c.Channel != parley.ChannelInApp {
		t.Errorf("Campaign = %+v, %v; want channel inapp", c, err)
	}
}

// testSentKeepsNoPointer checks that recording a provider message id is
// the recipient's own change: statuses find the recipient by the reference
// the provider echoes, and check its ProviderMessageID.
func testSentKeepsNoPointer(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 2)
	create(t, s, c, rs)
	ref := rs[1].Ref()
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "SM1", At: t0,
	}); err != nil {
		t.Fatal(err)
	}
	// A later change without an id keeps it.
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSent}, Status: parley.StatusDelivered, At: t0.Add(time.Minute),
	}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recipient(ctx, ref)
	if err != nil || r.ProviderMessageID != "SM1" || r.Status != parley.StatusDelivered {
		t.Fatalf("Recipient = %+v, %v; want DELIVERED with SM1", r, err)
	}
	if other, err := s.Recipient(ctx, rs[0].Ref()); err != nil || other.ProviderMessageID != "" {
		t.Errorf("the other recipient = %+v, %v; want no provider id", other, err)
	}
}

// testCarriesMessage: a change naming the message the recipient must carry
// applies only to the recipient that carries it, and a failed condition
// answers the stored recipient.
func testCarriesMessage(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	ref, t0 := rs[0].Ref(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSent, ProviderMessageID: "m1", At: t0}); err != nil {
		t.Fatal(err)
	}
	delivered := parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, At: t0.Add(time.Second), Carries: "m0"}
	cur, err := s.UpdateRecipient(ctx, ref, delivered)
	wantCode(t, err, parley.ECONFLICT)
	if cur.Status != parley.StatusSent || cur.ProviderMessageID != "m1" {
		t.Errorf("a change for another message returned %+v, want the stored recipient", cur)
	}
	delivered.Carries = "m1"
	if got, err := s.UpdateRecipient(ctx, ref, delivered); err != nil || got.Status != parley.StatusDelivered || got.ProviderMessageID != "m1" {
		t.Errorf("the carried message's change = %+v, %v; want DELIVERED", got, err)
	}
}

// rangeRefs are the references of recipients from to to of campaign
// camp1 of acct1.
func rangeRefs(from, to int) []parley.Ref {
	var refs []parley.Ref
	for seq := from; seq <= to; seq++ {
		refs = append(refs, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: parley.RecipientID(seq)})
	}
	return refs
}

// rangeClaim is a dispatcher's claim by claimant, attempted at t0.
func rangeClaim(claimant string) parley.RecipientChange {
	return parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true,
		Claimant: claimant, DueAt: t0.Add(5 * time.Minute), At: t0,
	}
}

// testClaimRange: a range claim moves the QUEUED recipients of its refs
// and only those, each as a claim of its own would, and what it claimed is
// a claim like any other: read as SENDING, listed, fenced to its attempt,
// taken over.
func testClaimRange(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 30)
	rs[3].Status, rs[3].ErrorMessage = parley.StatusSkipped, parley.CodeOptedOut // skipped at intake
	create(t, s, c, rs)
	if _, err := s.UpdateRecipient(ctx, rs[5].Ref(), parley.Cancellation(t0)); err != nil {
		t.Fatal(err)
	}
	got := s.ClaimRange(ctx, rangeRefs(1, 8), rangeClaim("epoch-a"))
	if len(got) != 8 {
		t.Fatalf("ClaimRange = %d claims", len(got))
	}
	for i, g := range got {
		seq := i + 1
		if g.Err != nil {
			t.Fatalf("recipient %d: %v", seq, g.Err)
		}
		want := seq != 4 && seq != 6
		if g.Claimed != want || g.Recipient.ID != parley.RecipientID(seq) {
			t.Errorf("recipient %d: claimed %v (%s), want %v", seq, g.Claimed, g.Recipient.ID, want)
			continue
		}
		stored, err := s.Recipient(ctx, rs[i].Ref())
		if err != nil {
			t.Fatal(err)
		}
		if !want {
			if stored.Status != rs[i].Status && stored.Status != parley.StatusCancelled || g.Recipient.Status != stored.Status {
				t.Errorf("recipient %d not claimable is %s (answered %s)", seq, stored.Status, g.Recipient.Status)
			}
			continue
		}
		r := g.Recipient
		if r.Status != parley.StatusSending || r.Attempts != 1 || r.Claimant != "epoch-a" || !r.DueAt.Equal(t0.Add(5*time.Minute)) || r.Timeline.Attempted.IsZero() {
			t.Errorf("recipient %d claimed as %+v", seq, r)
		}
		if stored.Status != parley.StatusSending || stored.Attempts != 1 || stored.Claimant != "epoch-a" || stored.Body != rs[i].Body || stored.Phone != rs[i].Phone {
			t.Errorf("recipient %d reads as %+v", seq, stored)
		}
	}
	listed, err := s.Recipients(ctx, "acct1", "camp1", 0, 10)
	if err != nil || len(listed) != 10 {
		t.Fatalf("Recipients = %d, %v", len(listed), err)
	}
	for _, r := range listed {
		sending := r.Seq <= 8 && r.Seq != 4 && r.Seq != 6
		if (r.Status == parley.StatusSending) != sending {
			t.Errorf("recipient %d lists as %s", r.Seq, r.Status)
		}
	}

	// An overlapping claim takes only what is left; an unknown recipient
	// is the zero claim.
	got = s.ClaimRange(ctx, append(rangeRefs(7, 10), parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: parley.RecipientID(31)}), rangeClaim("epoch-b"))
	if len(got) != 5 {
		t.Fatalf("second ClaimRange = %d claims", len(got))
	}
	for i, want := range []bool{false, false, true, true} {
		if got[i].Claimed != want || got[i].Recipient.Status != parley.StatusSending {
			t.Errorf("second claim of recipient %d: claimed %v, status %s", 7+i, got[i].Claimed, got[i].Recipient.Status)
		}
	}
	if got[0].Recipient.Claimant != "epoch-a" || got[3].Recipient.Claimant != "epoch-b" {
		t.Errorf("claimants %q and %q", got[0].Recipient.Claimant, got[3].Recipient.Claimant)
	}
	if got[4].Claimed || got[4].Recipient.ID != "" || got[4].Err != nil {
		t.Errorf("an unknown recipient claims as %+v", got[4])
	}

	// A range-claimed recipient is fenced to its claim's attempt and can be
	// taken over like any other.
	sending := []parley.RecipientStatus{parley.StatusSending}
	taken, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSending, CountAttempt: true, Claimant: "epoch-c", At: t0})
	if err != nil || taken.Attempts != 2 || taken.Claimant != "epoch-c" {
		t.Fatalf("take-over = %+v, %v", taken, err)
	}
	if _, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "m1", At: t0}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("the first claim's record after the take-over: %v, want ECONFLICT", err)
	}
	sent, err := s.UpdateRecipient(ctx, rs[1].Ref(), parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "m2", At: t0})
	if err != nil || sent.Status != parley.StatusSent || sent.ProviderMessageID != "m2" || sent.Claimant != "" || sent.Body != rs[1].Body {
		t.Errorf("record of a range-claimed recipient = %+v, %v", sent, err)
	}
	if again := s.ClaimRange(ctx, rangeRefs(1, 3), rangeClaim("epoch-d")); again[0].Claimed || again[1].Claimed || again[1].Recipient.Status != parley.StatusSent {
		t.Errorf("claiming again = %+v", again)
	}
}

// testRecordRange: the records of a range claim's outcomes apply each as
// UpdateRecipient would: fenced to the claim's attempt, once, readable and
// listed, and a delivery report then finds the message each carries. A
// record of a claim another dispatcher took over changes nothing.
func testRecordRange(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 30)
	create(t, s, c, rs)
	for i, g := range s.ClaimRange(ctx, rangeRefs(1, 6), rangeClaim("epoch-a")) {
		if !g.Claimed || g.Err != nil {
			t.Fatalf("claim of recipient %d: %+v", i+1, g)
		}
	}
	sending := []parley.RecipientStatus{parley.StatusSending}
	if _, err := s.UpdateRecipient(ctx, rs[4].Ref(), parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSending, CountAttempt: true, Claimant: "epoch-b", At: t0}); err != nil {
		t.Fatal(err) // recipient 5 taken over
	}
	t1 := t0.Add(time.Minute)
	sent := func(seq int) store.RangeRecord {
		return store.RangeRecord{Ref: rs[seq-1].Ref(), Claimant: "epoch-a", Change: parley.RecipientChange{
			From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: fmt.Sprintf("SM%d", seq), Channel: parley.ChannelSMS, At: t1,
		}}
	}
	records := []store.RangeRecord{sent(1), sent(2), sent(3), sent(5), sent(6)}
	failed := sent(4)
	failed.Change.Status, failed.Change.ProviderMessageID, failed.Change.ErrorMessage = parley.StatusFailed, "", "30003"
	records = append(records, failed)
	got := s.RecordRange(ctx, records)
	if len(got) != len(records) {
		t.Fatalf("RecordRange = %d results", len(got))
	}
	for k, g := range got {
		seq, _ := strconv.Atoi(records[k].Ref.RecipientID)
		if g.Err != nil {
			t.Fatalf("recipient %d: %v", seq, g.Err)
		}
		if want := seq != 5; g.Claimed != want {
			t.Errorf("recipient %d: recorded %v, want %v", seq, g.Claimed, want)
		}
	}
	for seq, want := range map[int]parley.RecipientStatus{1: parley.StatusSent, 3: parley.StatusSent, 4: parley.StatusFailed, 5: parley.StatusSending, 6: parley.StatusSent, 7: parley.StatusQueued} {
		r, err := s.Recipient(ctx, rs[seq-1].Ref())
		if err != nil || r.Status != want {
			t.Errorf("recipient %d is %s, %v; want %s", seq, r.Status, err, want)
			continue
		}
		if want == parley.StatusSent && (r.ProviderMessageID != fmt.Sprintf("SM%d", seq) || r.Claimant != "" || r.Attempts != 1 ||
			!r.UpdatedAt.Equal(t1) || !r.Timeline.Sent.Equal(t1) || r.Body != rs[seq-1].Body || r.Channel != parley.ChannelSMS) {
			t.Errorf("recipient %d reads as %+v", seq, r)
		}
		if seq == 4 && r.ErrorMessage != "30003" {
			t.Errorf("recipient 4 failed with %q", r.ErrorMessage)
		}
		if seq == 5 && r.Claimant != "epoch-b" {
			t.Errorf("recipient 5 taken over reads as %+v", r)
		}
	}
	listed, err := s.Recipients(ctx, "acct1", "camp1", 0, 8)
	if err != nil || len(listed) != 8 {
		t.Fatalf("Recipients = %d, %v", len(listed), err)
	}
	if listed[1].Status != parley.StatusSent || listed[1].ProviderMessageID != "SM2" || listed[4].Status != parley.StatusSending {
		t.Errorf("listed as %s %q, %s", listed[1].Status, listed[1].ProviderMessageID, listed[4].Status)
	}

	// A reply's stamp on a recorded recipient that no report reached yet
	// sticks, and a report after it still applies.
	if st, ok := s.(store.Stamps); ok {
		r, stamped, err := st.StampRecipient(ctx, rs[2].Ref(), parley.StepResponded, t1.Add(time.Minute))
		if err != nil || !stamped || r.Status != parley.StatusSent || !r.Timeline.Responded.Equal(t1.Add(time.Minute)) {
			t.Errorf("stamping recipient 3 = %+v, %v, %v", r, stamped, err)
		}
		if _, again, _ := st.StampRecipient(ctx, rs[2].Ref(), parley.StepResponded, t1.Add(2*time.Minute)); again {
			t.Error("stamped recipient 3 twice")
		}
		report := parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, Carries: "SM3", At: t1.Add(3 * time.Minute)}
		if r, err := s.UpdateRecipient(ctx, rs[2].Ref(), report); err != nil || r.Status != parley.StatusDelivered || !r.Timeline.Responded.Equal(t1.Add(time.Minute)) || r.ProviderMessageID != "SM3" {
			t.Errorf("report after the stamp = %+v, %v", r, err)
		}
	}

	// Recorded again (a redelivered job), nothing moves.
	if again := s.RecordRange(ctx, records[:2]); again[0].Claimed || again[1].Claimed || again[0].Err != nil || again[0].Recipient.Status != parley.StatusSent {
		t.Errorf("recording again = %+v", again)
	}
	// A report of another message changes nothing; one of the message
	// carried delivers it, and a later one reads it.
	delivered := parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, Carries: "SM9", At: t1.Add(time.Second)}
	if _, err := s.UpdateRecipient(ctx, rs[1].Ref(), delivered); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("report of a message the recipient does not carry: %v, want ECONFLICT", err)
	}
	delivered.Carries = "SM2"
	if r, err := s.UpdateRecipient(ctx, rs[1].Ref(), delivered); err != nil || r.Status != parley.StatusDelivered || r.ProviderMessageID != "SM2" || r.Body != rs[1].Body {
		t.Errorf("delivery report = %+v, %v", r, err)
	}
	read := parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusRead), Status: parley.StatusRead, Carries: "SM2", At: t1.Add(2 * time.Second)}
	if r, err := s.UpdateRecipient(ctx, rs[1].Ref(), read); err != nil || r.Status != parley.StatusRead || !r.Timeline.Delivered.Equal(t1.Add(time.Second)) {
		t.Errorf("read report = %+v, %v", r, err)
	}
	if r, err := s.Recipient(ctx, rs[1].Ref()); err != nil || r.Status != parley.StatusRead || !r.Timeline.Sent.Equal(t1) {
		t.Errorf("recipient 2 reads as %+v, %v", r, err)
	}
}

// testConcurrentClaimRange: dispatchers claiming overlapping ranges of one
// chunk at once, beside single claims, claim each recipient once.
func testConcurrentClaimRange(t *testing.T, s store.Store, opt Options) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", parley.ChunkSize)
	create(t, s, c, rs)
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			from := 1 + i*3%parley.ChunkSize
			got := s.ClaimRange(ctx, rangeRefs(from, min(from+12, parley.ChunkSize)), rangeClaim(fmt.Sprintf("epoch-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			for _, g := range got {
				if g.Err != nil {
					t.Errorf("ClaimRange from %d: %v", from, g.Err)
				}
				if g.Claimed {
					wins[g.Recipient.ID]++
				}
			}
		})
		wg.Go(func() {
			_, err := s.UpdateRecipient(ctx, rs[i].Ref(), rangeClaim("single"))
			mu.Lock()
			defer mu.Unlock()
			switch parley.ErrorCode(err) {
			case "":
				wins[rs[i].ID]++
			case parley.ECONFLICT:
			default:
				t.Errorf("single claim: %v", err)
			}
		})
	}
	wg.Wait()
	for _, r := range rs {
		n := wins[r.ID]
		stored, err := s.Recipient(ctx, r.Ref())
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case n == 0 && stored.Status == parley.StatusQueued: // no claim covered it
		case n == 1 && stored.Status == parley.StatusSending && stored.Attempts == 1:
		case opt.Racy && n > 1:
		default:
			t.Errorf("recipient %s claimed %d times, stored %s after %d attempts", r.ID, n, stored.Status, stored.Attempts)
		}
	}
}
