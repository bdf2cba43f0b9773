// Package storetest is the contract suite every store adapter passes, a
// suite per port (Campaigns, Recipients, Accounts, …); Run runs them all.
package storetest

import (
	"context"
	"fmt"
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

// Run runs the contract suite of every port store.Store composes, each
// under its port's name. newStore returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	t.Run("Campaigns", func(t *testing.T) { Campaigns(t, newStore) })
	t.Run("CampaignListing", func(t *testing.T) { CampaignListing(t, newStore) })
	t.Run("Recipients", func(t *testing.T) { Recipients(t, newStore, opt) })
	t.Run("Accounts", func(t *testing.T) { Accounts(t, newStore) })
	t.Run("Templates", func(t *testing.T) { Templates(t, newStore) })
	t.Run("Handoffs", func(t *testing.T) { Handoffs(t, newStore) })
	t.Run("Channels", func(t *testing.T) { Channels(t, newStore) })
	t.Run("Clients", func(t *testing.T) { Clients(t, newStore) })
	t.Run("PushTokens", func(t *testing.T) { PushTokens(t, newStore) })
	t.Run("OptOuts", func(t *testing.T) { OptOuts(t, newStore) })
	t.Run("Seen", func(t *testing.T) { Seen(t, newStore) })
	t.Run("OutboundContexts", func(t *testing.T) { OutboundContexts(t, newStore) })
	t.Run("MessageHistory", func(t *testing.T) { MessageHistory(t, newStore) })
	t.Run("Conversations", func(t *testing.T) { Conversations(t, newStore, opt) })
	t.Run("Broadcasts", func(t *testing.T) { Broadcasts(t, newStore) })
	t.Run("ReportEvents", func(t *testing.T) { ReportEvents(t, newStore) })
	t.Run("Idempotency", func(t *testing.T) { Idempotency(t, newStore, opt) })
	t.Run("DailyCounts", func(t *testing.T) { DailyCounts(t, newStore, opt) })
	t.Run("Calls", func(t *testing.T) { Calls(t, newStore) })
	t.Run("Contacts", func(t *testing.T) { Contacts(t, newStore) })
	t.Run("PhoneCampaigns", func(t *testing.T) { PhoneCampaigns(t, newStore) })
	t.Run("EventSubscriptions", func(t *testing.T) { EventSubscriptions(t, newStore) })
	t.Run("Counters", func(t *testing.T) { Counters(t, newStore) })
	t.Run("RangeClaimCounters", func(t *testing.T) { RangeClaimCounters(t, newStore) })
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
			SDEs:      map[string]string{"ctmrinfo.customerId": fmt.Sprintf("C-%d", seq)},
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
