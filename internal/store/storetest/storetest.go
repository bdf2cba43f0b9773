// Package storetest is the contract suite every store.Store adapter passes.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Options tune the suite to what a backend can promise.
type Options struct {
	// Racy is set for emulators whose conditional writes are not atomic
	// under concurrency; the concurrent-claim case then only checks that
	// at least one claim won.
	Racy bool
}

// Run runs the contract suite. newStore returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	t.Run("CampaignRoundTrip", func(t *testing.T) { testCampaignRoundTrip(t, newStore(t)) })
	t.Run("CampaignConflict", func(t *testing.T) { testCampaignConflict(t, newStore(t)) })
	t.Run("AccountScoping", func(t *testing.T) { testAccountScoping(t, newStore(t)) })
	t.Run("RecipientsPaging", func(t *testing.T) { testRecipientsPaging(t, newStore(t)) })
	t.Run("UpdateRecipient", func(t *testing.T) { testUpdateRecipient(t, newStore(t)) })
	t.Run("ConcurrentClaim", func(t *testing.T) { testConcurrentClaim(t, newStore(t), opt) })
	t.Run("Fanout", func(t *testing.T) { testFanout(t, newStore(t)) })
	t.Run("DueIndex", func(t *testing.T) { testDue(t, newStore(t)) })
	t.Run("FencedChange", func(t *testing.T) { testFencedChange(t, newStore(t)) })
	t.Run("CampaignState", func(t *testing.T) { testCampaignState(t, newStore(t)) })
	t.Run("Account", func(t *testing.T) { testAccount(t, newStore(t)) })
	t.Run("Templates", func(t *testing.T) { testTemplates(t, newStore(t)) })
	t.Run("Conversations", func(t *testing.T) { testConversations(t, newStore, opt) })
	t.Run("InApp", func(t *testing.T) { testInApp(t, newStore) })
	t.Run("Channels", func(t *testing.T) { testChannels(t, newStore(t)) })
	t.Run("Replies", func(t *testing.T) { testReplies(t, newStore) })
	t.Run("Clients", func(t *testing.T) { testClients(t, newStore(t)) })
}

func testTemplates(t *testing.T, s store.Store) {
	ctx := context.Background()
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "T2", Name: "renewal", Language: "en_US", Header: parley.MediaImage,
		Body: "Hi {{1}}", Footer: "Thanks", Buttons: []parley.TemplateButton{{Kind: parley.ButtonURL, Text: "Open", URL: "https://e.com/{{1}}"}}}
	other := tpl
	other.ID, other.Name = "T1", "welcome"
	for _, x := range []parley.WhatsAppTemplate{tpl, other, {AccountID: "acct2", ID: "T9", Name: "x", Language: "en", Body: "b"}} {
		if err := s.PutTemplate(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Template(ctx, "acct1", "T2")
	if err != nil || got.Name != "renewal" || got.Header != parley.MediaImage || len(got.Buttons) != 1 || got.Buttons[0].URL != "https://e.com/{{1}}" {
		t.Fatalf("Template = %+v, %v", got, err)
	}
	_, err = s.Template(ctx, "acct2", "T2")
	wantCode(t, err, parley.ENOTFOUND)
	list, err := s.Templates(ctx, "acct1")
	if err != nil || len(list) != 2 || list[0].ID != "T1" || list[1].ID != "T2" {
		t.Fatalf("Templates = %+v, %v; want T1, T2", list, err)
	}
	if none, err := s.Templates(ctx, "acct3"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("Templates of an account with none = %#v, %v; want an empty list", none, err)
	}
}

func testAccount(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.Account(ctx, "acct1")
	if err != nil || a != (parley.Account{ID: "acct1"}) {
		t.Fatalf("unsaved account = %+v, %v; want zero settings", a, err)
	}
	want := parley.Account{ID: "acct1", OptOutText: "Text STOP to quit", HelpText: "Call 555-0100", DefaultSkill: "service", UpdatedAt: t0}
	if err := s.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "acct1")
	if err != nil || got.OptOutText != want.OptOutText || got.HelpText != want.HelpText || got.DefaultSkill != want.DefaultSkill || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("Account = %+v, %v; want %+v", got, err, want)
	}
	if other, _ := s.Account(ctx, "acct2"); other.OptOutText != "" {
		t.Errorf("another account sees the settings: %+v", other)
	}
}

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// Fixture returns a campaign with n recipients, ready to create.
func Fixture(account, id string, n int) (parley.Campaign, []parley.Recipient) {
	c := parley.Campaign{
		AccountID: account, ID: id, Name: "renewal " + id, Skill: "sales",
		TemplateID: parley.PlainSMSTemplateID, OutboundNumber: "+15550000001",
		Channel: parley.ChannelSMS, Message: "Hi {{1}}", Consent: true,
		Recipients: n, CreatedAt: t0,
	}
	rs := make([]parley.Recipient, n)
	for i := range rs {
		seq := i + 1
		rs[i] = parley.Recipient{
			AccountID: account, CampaignID: id, ID: parley.RecipientID(seq), Seq: seq,
			Channel: parley.ChannelSMS, Phone: fmt.Sprintf("+1202555%04d", seq%10000),
			Variables: map[string]string{"1": fmt.Sprintf("name%d", seq)},
			Body:      fmt.Sprintf("Hi name%d", seq), Status: parley.StatusQueued,
			DueAt: t0, UpdatedAt: t0,
		}
	}
	return c, rs
}

func create(t *testing.T, s store.Store, c parley.Campaign, rs []parley.Recipient) {
	t.Helper()
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		t.Fatalf("CreateCampaign(%s): %v", c.ID, err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := parley.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func testCampaignRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 3)
	create(t, s, c, rs)
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || got.OutboundNumber != c.OutboundNumber || got.Recipients != 3 ||
		!got.CreatedAt.Equal(c.CreatedAt) || got.Channel != c.Channel || got.Message != c.Message || !got.Consent {
		t.Errorf("Campaign = %+v, want %+v", got, c)
	}
	r, err := s.Recipient(ctx, rs[1].Ref())
	if err != nil {
		t.Fatal(err)
	}
	if r.Phone != rs[1].Phone || r.Body != rs[1].Body || r.Variables["1"] != "name2" ||
		r.Status != parley.StatusQueued || r.Seq != 2 || !r.DueAt.Equal(t0) {
		t.Errorf("Recipient = %+v, want %+v", r, rs[1])
	}
	_, err = s.Campaign(ctx, "acct1", "nope")
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.Recipient(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: "999999"})
	wantCode(t, err, parley.ENOTFOUND)
}

func testCampaignConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 2)
	create(t, s, c, rs)
	c2, rs2 := Fixture("acct1", "camp1", 1)
	c2.Name = "other"
	wantCode(t, s.CreateCampaign(ctx, c2, rs2), parley.ECONFLICT)
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || got.Recipients != 2 {
		t.Errorf("conflicting create overwrote the campaign: %+v", got)
	}
}

func testAccountScoping(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acctA", "camp1", 2)
	create(t, s, c, rs)
	_, err := s.Campaign(ctx, "acctB", "camp1")
	wantCode(t, err, parley.ENOTFOUND)
	ref := rs[0].Ref()
	ref.AccountID = "acctB"
	_, err = s.Recipient(ctx, ref)
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0})
	wantCode(t, err, parley.ENOTFOUND)
	list, err := s.Recipients(ctx, "acctB", "camp1", 0, 10)
	if err != nil || len(list) != 0 {
		t.Errorf("Recipients of another account = %d, %v; want none", len(list), err)
	}
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

func testFanout(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 30)
	create(t, s, c, rs)
	done, drs := Fixture("acct1", "camp2", 2)
	done.FannedOut = 2
	create(t, s, done, drs)
	pending, err := s.PendingFanout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != "camp1" {
		t.Fatalf("PendingFanout = %+v, want camp1 only", pending)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 20); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 10); err != nil {
		t.Fatal(err)
	}
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.FannedOut != 20 {
		t.Errorf("FannedOut = %d after 20 then 10, want 20", got.FannedOut)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 30); err != nil {
		t.Fatal(err)
	}
	pending, err = s.PendingFanout(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("PendingFanout after completion = %+v, %v; want none", pending, err)
	}
	wantCode(t, s.SetFannedOut(ctx, "acct1", "nope", 1), parley.ENOTFOUND)
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
// applies only while the stored Attempts match.
func testFencedChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	ref, t0 := rs[0].Ref(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sending := []parley.RecipientStatus{parley.StatusSending}
	first, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true, At: t0})
	if err != nil || first.Attempts != 1 {
		t.Fatalf("claim = %+v, %v", first, err)
	}
	second, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSending, CountAttempt: true, At: t0})
	if err != nil || second.Attempts != 2 {
		t.Fatalf("take-over fenced to attempt 1 = %+v, %v", second, err)
	}
	cur, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, At: t0})
	wantCode(t, err, parley.ECONFLICT)
	if cur.Status != parley.StatusSending || cur.Attempts != 2 {
		t.Errorf("a change fenced to a lost claim returned %+v, want the stored recipient", cur)
	}
	if got, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: sending, Attempt: 2, Status: parley.StatusSent, At: t0}); err != nil || got.Status != parley.StatusSent {
		t.Errorf("the current claim's change = %+v, %v", got, err)
	}
}

func testCampaignState(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	active := []parley.CampaignState{parley.StateActive}
	paused, err := s.SetCampaignState(ctx, "acct1", "camp1", active, parley.StatePaused)
	if err != nil || paused.State != parley.StatePaused || paused.Name != c.Name {
		t.Fatalf("pause: %+v, %v", paused, err)
	}
	cur, err := s.SetCampaignState(ctx, "acct1", "camp1", active, parley.StatePaused)
	wantCode(t, err, parley.ECONFLICT)
	if cur.State != parley.StatePaused {
		t.Errorf("conflict returned state %q, want the stored PAUSED", cur.State)
	}
	cancelled, err := s.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive, parley.StatePaused}, parley.StateCancelled)
	if err != nil || cancelled.State != parley.StateCancelled {
		t.Fatalf("cancel: %+v, %v", cancelled, err)
	}
	if got, _ := s.Campaign(ctx, "acct1", "camp1"); got.State != parley.StateCancelled || got.Recipients != 1 {
		t.Errorf("stored %+v", got)
	}
	_, err = s.SetCampaignState(ctx, "acct2", "camp1", active, parley.StatePaused)
	wantCode(t, err, parley.ENOTFOUND)
}
