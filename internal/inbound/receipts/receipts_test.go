package receipts_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

func TestApply(t *testing.T) {
	s, _ := testworld.Open(t)
	ctx := context.Background()
	c, rs := storetest.Fixture("acct1", "camp1", 2)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	send := func(ref parley.Ref, id string) {
		t.Helper()
		if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: id, At: t0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	send(rs[0].Ref(), "SM1")
	send(rs[1].Ref(), "SM2")
	svc := &receipts.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return t0.Add(time.Hour) })}
	steps := []struct {
		id, status, code string
		applied          bool
		want             parley.RecipientStatus
		wantCode         string
	}{
		{"SM1", "queued", "", false, parley.StatusSent, ""},                // already SENT
		{"SM1", "delivered", "", true, parley.StatusDelivered, ""},         //
		{"SM1", "delivered", "", false, parley.StatusDelivered, ""},        // the same webhook twice
		{"SM1", "sent", "", false, parley.StatusDelivered, ""},             // late: never backwards
		{"SM1", "undelivered", "30003", false, parley.StatusDelivered, ""}, // a failure never undoes delivery
		{"SM1", "read", "", true, parley.StatusRead, ""},
		{"SM1", "receiving", "", false, parley.StatusRead, ""}, // a word without meaning
		{"SM2", "undelivered", "30005", true, parley.StatusUndelivered, "30005"},
		{"SM2", "failed", "30008", false, parley.StatusUndelivered, "30005"}, // the first failure stands
		{"SM2", "delivered", "", true, parley.StatusDelivered, ""},           // proof of delivery after all
	}
	refOf := map[string]parley.Ref{"SM1": rs[0].Ref(), "SM2": rs[1].Ref()}
	for i, st := range steps {
		ref := refOf[st.id]
		res, err := svc.Apply(ctx, gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: "acct1", CampaignID: ref.CampaignID, RecipientID: ref.RecipientID,
			ProviderMessageID: st.id, Word: st.status, ErrorCode: st.code}))
		if err != nil {
			t.Fatalf("step %d (%s %s): %v", i, st.id, st.status, err)
		}
		if res.Applied != st.applied || res.Status != st.want {
			t.Fatalf("step %d (%s %s) = %+v; want applied=%v status %s", i, st.id, st.status, res, st.applied, st.want)
		}
		r, err := s.Recipient(ctx, res.Ref)
		if err != nil || r.Status != st.want || r.ErrorMessage != st.wantCode {
			t.Fatalf("step %d: stored %s %q, %v; want %s %q", i, r.Status, r.ErrorMessage, err, st.want, st.wantCode)
		}
		if st.applied && !r.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("step %d: updatedAt %s, want the clock's", i, r.UpdatedAt)
		}
	}
	r0, r1 := rs[0].Ref(), rs[1].Ref()
	// A reference that names no recipient of the account.
	for _, u := range []receipts.Update{
		{AccountID: "acct1", CampaignID: "camp9", RecipientID: r0.RecipientID, ProviderMessageID: "SM1", Status: parley.StatusDelivered},
		{AccountID: "acct2", CampaignID: r0.CampaignID, RecipientID: r0.RecipientID, Provider: twilio.Name, ProviderMessageID: "SM1", Status: parley.StatusDelivered},
	} {
		if _, err := svc.Apply(ctx, u); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("Apply(%+v): %v; want ENOTFOUND", u, err)
		}
	}
	// A reference that names a recipient whose message is another (a
	// forged or stale reference) changes nothing.
	before, _ := s.Recipient(ctx, r0)
	for _, u := range []receipts.Update{
		{AccountID: "acct1", CampaignID: r0.CampaignID, RecipientID: r0.RecipientID, ProviderMessageID: "SM2", Status: parley.StatusFailed, ErrorCode: "30008"},
		{AccountID: "acct1", CampaignID: r0.CampaignID, RecipientID: r0.RecipientID, Provider: twilio.Name, ProviderMessageID: "SM9", Status: parley.StatusFailed, ErrorCode: "30008"},
	} {
		res, err := svc.Apply(ctx, u)
		if err != nil || res.Applied || res.Matched {
			t.Errorf("Apply(%+v) = %+v, %v; want ignored", u, res, err)
		}
	}
	if after, _ := s.Recipient(ctx, r0); after.Status != before.Status || after.ErrorMessage != before.ErrorMessage || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("a mismatched report changed the recipient: %+v -> %+v", before, after)
	}
	for _, u := range []receipts.Update{
		{CampaignID: r1.CampaignID, RecipientID: r1.RecipientID, ProviderMessageID: "SM2", Status: parley.StatusDelivered},
		{AccountID: "acct1", CampaignID: r1.CampaignID, RecipientID: r1.RecipientID, Provider: twilio.Name, Status: parley.StatusDelivered},
		{AccountID: "acct1", RecipientID: r1.RecipientID, Provider: twilio.Name, ProviderMessageID: "SM2", Status: parley.StatusDelivered},
		{AccountID: "acct1", CampaignID: r1.CampaignID, Provider: twilio.Name, ProviderMessageID: "SM2", Status: parley.StatusDelivered},
	} {
		if _, err := svc.Apply(ctx, u); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("Apply(%+v): %v; want EINVALID", u, err)
		}
	}
}

// oneRecipient is a store with a campaign of one recipient, QUEUED, and
// that recipient's reference.
func oneRecipient(t *testing.T) (store.Store, parley.Ref) {
	t.Helper()
	s, _ := testworld.Open(t)
	c, rs := storetest.Fixture("acct1", "camp1", 1)
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		t.Fatal(err)
	}
	return s, rs[0].Ref()
}

func TestApplyWhileSending(t *testing.T) {
	s, ref := oneRecipient(t)
	ctx := context.Background()
	svc := &receipts.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return t0 })}
	u := gateway.MapStatus(whatsapp.Provider{}, receipts.Update{AccountID: "acct1", CampaignID: ref.CampaignID, RecipientID: ref.RecipientID, ProviderMessageID: "wamid.1", Word: "delivered", At: t0})
	// Not sent at all: the report names a message the recipient never had.
	if res, err := svc.Apply(ctx, u); err != nil || res.Applied || res.Matched {
		t.Fatalf("report for a QUEUED recipient = %+v, %v; want ignored", res, err)
	}
	// Claimed, the message with the provider but its id not recorded yet:
	// the provider is asked to come back.
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0}); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Apply(ctx, u); parley.ErrorCode(err) != parley.EUNAVAILABLE || res.Applied {
		t.Fatalf("report before the id is recorded = %+v, %v; want EUNAVAILABLE", res, err)
	}
	if r, _ := s.Recipient(ctx, ref); r.Status != parley.StatusSending {
		t.Fatalf("recipient is %s, want SENDING", r.Status)
	}
	// Recorded: the retried report applies.
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "wamid.1", At: t0,
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Apply(ctx, u); err != nil || !res.Applied || res.Status != parley.StatusDelivered {
		t.Fatalf("retried report = %+v, %v; want DELIVERED", res, err)
	}
}

// TestApplyWaitsForTheRecord: a report of a recipient still being sent
// waits, up to Settle, for the dispatcher to record its message, and then
// applies; a report of SENT does not wait, as the record says SENT itself.
func TestApplyWaitsForTheRecord(t *testing.T) {
	s, ref := oneRecipient(t)
	ctx := context.Background()
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0}); err != nil {
		t.Fatal(err)
	}
	svc := &receipts.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return t0 }), Settle: receipts.DefaultSettle}
	sent := gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: "acct1", CampaignID: ref.CampaignID, RecipientID: ref.RecipientID, ProviderMessageID: "SM1", Word: "sent", At: t0})
	if res, err := svc.Apply(ctx, sent); err != nil || !res.Awaited || res.Applied {
		t.Fatalf("report of SENT while sending = %+v, %v; want awaited", res, err)
	}
	recorded := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // the claim group's last member sends
		_, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "SM1", At: t0,
		})
		recorded <- err
	}()
	delivered := sent
	delivered.Word, delivered.Status = "delivered", parley.StatusDelivered
	res, err := svc.Apply(ctx, delivered)
	if err := <-recorded; err != nil {
		t.Fatal(err)
	}
	if err != nil || !res.Applied || res.Status != parley.StatusDelivered {
		t.Fatalf("report while sending, recorded meanwhile = %+v, %v; want DELIVERED", res, err)
	}
}

// recipients is the port reads wraps.
type recipients = store.Recipients

// reads counts the recipient reads of a store.
type reads struct {
	recipients
	n int
}

func (r *reads) Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error) {
	r.n++
	return r.recipients.Recipient(ctx, ref)
}

// TestDeliveryReportWritesOnly: a delivery report costs one conditional
// write and no read, whether it applies or names another message.
func TestDeliveryReportWritesOnly(t *testing.T) {
	s, ref := oneRecipient(t)
	ctx := context.Background()
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSent, ProviderMessageID: "SM1", At: t0}); err != nil {
		t.Fatal(err)
	}
	counted := &reads{recipients: s}
	svc := &receipts.Service{Store: counted, Clock: parley.ClockFunc(func() time.Time { return t0 })}
	u := receipts.Update{AccountID: "acct1", CampaignID: ref.CampaignID, RecipientID: ref.RecipientID, Provider: twilio.Name, ProviderMessageID: "SM0", Status: parley.StatusDelivered}
	if res, err := svc.Apply(ctx, u); err != nil || res.Applied || res.Matched || res.Status != parley.StatusSent {
		t.Errorf("report of another message = %+v, %v; want ignored", res, err)
	}
	u.ProviderMessageID = "SM1"
	if res, err := svc.Apply(ctx, u); err != nil || !res.Applied || res.Status != parley.StatusDelivered {
		t.Errorf("report of the message = %+v, %v; want applied", res, err)
	}
	if counted.n != 0 {
		t.Errorf("%d recipient reads; want none", counted.n)
	}
}
