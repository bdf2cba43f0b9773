package dynamo_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestChunkedRecipients: recipients written in chunks read and list as
// their items or ledger changes once changed and as intake wrote them
// before, in Seq order whatever the page size; a first change writes the
// chunk's ledger and puts no item, a later one puts the recipient's item,
// and a second claim after the job was put back updates it.
func TestChunkedRecipients(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	w := &watchedClient{Client: client}
	s := dynamo.New(w, name)
	const n = 3*dynamo.ChunkSize + 7
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	claim := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true, Claimant: "e1", At: t0}
	changed := map[int]bool{}
	for _, i := range []int{0, 2, dynamo.ChunkSize, n - 1} {
		puts, updates := w.ops["PutItem"], w.ops["UpdateItem"]
		r, err := s.UpdateRecipient(ctx, rs[i].Ref(), claim)
		if err != nil || r.Status != parley.StatusSending || r.Attempts != 1 || r.Phone != rs[i].Phone {
			t.Fatalf("claim of %d = %+v, %v", i, r, err)
		}
		if w.ops["PutItem"] != puts || w.ops["UpdateItem"] != updates+1 {
			t.Errorf("the first change of %d put %d items and made %d updates, want the ledger's one update", i, w.ops["PutItem"]-puts, w.ops["UpdateItem"]-updates)
		}
		if _, err := s.UpdateRecipient(ctx, rs[i].Ref(), claim); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("second claim of %d = %v, want ECONFLICT", i, err)
		}
		changed[i] = true
	}
	// Put back and claimed again: the item takes both changes.
	back := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusSending}, Attempt: 1, Status: parley.StatusQueued, At: t0}
	if _, err := s.UpdateRecipient(ctx, rs[2].Ref(), back); err != nil {
		t.Fatal(err)
	}
	if r, err := s.UpdateRecipient(ctx, rs[2].Ref(), claim); err != nil || r.Attempts != 2 {
		t.Fatalf("second claim after the job was put back = %+v, %v", r, err)
	}
	// A change that does not start from QUEUED meets the chunk's entry.
	sent := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, At: t0}
	if r, err := s.UpdateRecipient(ctx, rs[1].Ref(), sent); parley.ErrorCode(err) != parley.ECONFLICT || r.Status != parley.StatusQueued {
		t.Errorf("change of an unclaimed recipient = %+v, %v; want the QUEUED entry and ECONFLICT", r, err)
	}
	if r, err := s.Recipient(ctx, rs[1].Ref()); err != nil || r.Status != parley.StatusQueued || r.Body != rs[1].Body {
		t.Errorf("Recipient of an unchanged recipient = %+v, %v", r, err)
	}
	if _, err := s.Recipient(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: parley.RecipientID(n + 1)}); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Recipient past the last = %v, want ENOTFOUND", err)
	}
	for _, size := range []int{1, 7, dynamo.ChunkSize, 1000} {
		var got []parley.Recipient
		for {
			page, err := s.Recipients(ctx, "acct1", "camp1", len(got), size)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > size {
				t.Fatalf("page of %d for a limit of %d", len(page), size)
			}
			got = append(got, page...)
		}
		if len(got) != n {
			t.Fatalf("pages of %d listed %d recipients, want %d", size, len(got), n)
		}
		for i, r := range got {
			want := parley.StatusQueued
			if changed[i] {
				want = parley.StatusSending
			}
			if r.Seq != i+1 || r.Status != want || r.Phone != rs[i].Phone {
				t.Fatalf("pages of %d: recipient %d = %+v, want seq %d %s", size, i, r, i+1, want)
			}
		}
	}
}
