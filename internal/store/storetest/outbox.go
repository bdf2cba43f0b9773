package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var outboxT0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// Outbox runs the contract suite of store.Outbox. newOutbox returns an
// empty outbox.
func Outbox(t *testing.T, newRecorder func(t *testing.T) store.Outbox) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newRecorder(t)) })
}

func testRoundTrip(t *testing.T, s store.Outbox) {
	ctx := context.Background()
	for i := range 3 {
		m := parley.SentMessage{
			ID: fmt.Sprintf("SB%d", i), Channel: parley.ChannelSMS, To: "+12025550100", From: "+15550000001",
			Body: fmt.Sprintf("body %d", i), CampaignID: "camp1", AccountID: "acct1", RecipientID: parley.RecipientID(i + 1),
			SentAt: outboxT0.Add(time.Duration(i) * time.Second),
		}
		if i == 2 {
			m.Channel = parley.ChannelWhatsApp
			m.Template = &parley.Template{Name: "renewal", Language: "en_US", Body: []string{"Jane"},
				Header: &parley.Media{Type: parley.MediaImage, URL: "https://e.com/a.png"}, Buttons: []parley.Button{{Index: 1, Kind: parley.ButtonURL, Value: "X1"}}}
		}
		if err := s.RecordSandbox(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	byRef, found, err := s.SandboxMessage(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: parley.RecipientID(2)})
	if err != nil || !found || byRef.ID != "SB1" || byRef.Body != "body 1" {
		t.Errorf("SandboxMessage(000002) = %+v, %v, %v", byRef, found, err)
	}
	if _, found, err := s.SandboxMessage(ctx, parley.Ref{AccountID: "acct2", CampaignID: "camp1", RecipientID: parley.RecipientID(2)}); found || err != nil {
		t.Errorf("another account's SandboxMessage found: %v, %v", found, err)
	}
	other := parley.SentMessage{ID: "SB-other", Channel: parley.ChannelSMS, To: "+12025550100", Body: "another account's",
		CampaignID: "camp9", AccountID: "acct2", RecipientID: parley.RecipientID(1), SentAt: outboxT0}
	if err := s.RecordSandbox(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SandboxMessages(ctx, "acct2"); err != nil || len(got) != 1 || got[0].ID != "SB-other" {
		t.Errorf("SandboxMessages(acct2) = %+v, %v; want only its own message", got, err)
	}
	got, err := s.SandboxMessages(ctx, "acct1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("SandboxMessages = %d messages, want 3", len(got))
	}
	for i, m := range got {
		if m.ID != fmt.Sprintf("SB%d", i) || m.Body != fmt.Sprintf("body %d", i) || !m.SentAt.Equal(outboxT0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("message %d = %+v", i, m)
		}
		if i == 2 && (m.Template == nil || m.Template.Header.URL != "https://e.com/a.png" || m.Template.Buttons[0].Value != "X1" || m.Template.Body[0] != "Jane") {
			t.Errorf("message %d lost its template: %+v", i, m.Template)
		}
	}
}
