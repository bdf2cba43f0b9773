package dynamo

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/parley"
)

// TestOutboundContextItemSize checks that the item the dispatcher writes for
// every message sent stays within 1 KB (one write unit) however long the
// campaign's texts are.
func TestOutboundContextItemSize(t *testing.T) {
	info := map[string]string{}
	for _, k := range []string{"customerName", "shopperId", "tier", "orderNumber", "segment", "region"} {
		info[k] = strings.Repeat("v", 40)
	}
	c := parley.OutboundContext{
		AccountID: strings.Repeat("a", 24), Consumer: "+123456789012345", CampaignID: "0195f2c4-7a8e-7b3c-9d1e-2f3a4b5c6d7e",
		CampaignName: strings.Repeat("Ñ", 200), RecipientID: "100000", Skill: strings.Repeat("s", 100),
		Channel: parley.ChannelWhatsApp, Sender: strings.Repeat("f", parley.MaxContextSender), Body: strings.Repeat("😀", 1024), CustomerInfo: info,
		ProviderMessageID: "wamid." + strings.Repeat("x", 60), SentAt: time.Date(2026, 11, 23, 17, 0, 0, 123456789, time.UTC),
		Lookback: parley.MaxLookback,
	}
	it, err := newRoutingContextItem(c)
	if err != nil {
		t.Fatal(err)
	}
	av, err := encode(it)
	if err != nil {
		t.Fatal(err)
	}
	if n := awscost.ItemSize(av); n > 1024 {
		t.Errorf("outbound context item is %d bytes, want at most 1024", n)
	} else {
		t.Logf("largest outbound context item: %d bytes", n)
	}
	back, err := it.domain(c.AccountID, c.Consumer)
	if err != nil || !back.SentAt.Equal(c.SentAt) || back.Lookback != c.Lookback || back.CampaignID != c.CampaignID {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}
