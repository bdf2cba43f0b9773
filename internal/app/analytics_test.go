package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/parley"
)

// TestAnalyticsAWS runs the sample campaign on moto_server as parley serve
// on an emulator does: what the dispatcher records reaches the analytics
// once the table's stream is folded, and once only however often it is;
// so do its lifecycle events, to a subscribed webhook.
func TestAnalyticsAWS(t *testing.T) {
	a := awsApp(t)
	if !a.FoldsLifecycle() {
		t.Fatal("an app on an emulator folds no stream")
	}
	testAnalytics(t, a)
}

// TestAnalyticsEmbedded: the embedded store counts as it writes, and
// publishes the events its outbox keeps when the feed runs.
func TestAnalyticsEmbedded(t *testing.T) { testAnalytics(t, embeddedApp(t)) }

func testAnalytics(t *testing.T, a *app.App) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const secret = "whsec_analytics-subscription-secret-0123456789"
	brand, url := newBrandEndpoint(t, func() string { return secret })
	sub := parley.EventSubscription{ID: "01935f2e-8c1a-7b3e-9c4d-00000000e002", AccountID: "demo", URL: url, Types: []parley.EventType{parley.EventSent, parley.EventCampaignStateChanged}, Secret: secret, CreatedAt: noon.Now(), UpdatedAt: noon.Now()}
	if err := a.Store.CreateEventSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	a.EventDelivery.HTTP = egress.Policy{AllowLoopback: true}.Client(time.Second) // the endpoint is an httptest server
	a.Campaigns.NewID = func() string { return exampleCampaignID }
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(apiEvent(t, a, "api-create-campaign.json", http.StatusAccepted), &created); err != nil {
		t.Fatal(err)
	}
	var batch events.SQSEvent
	readEvent(t, "dispatcher-sqs-batch.json", &batch)
	if resp, err := lambdafn.SQS(a.Dispatcher)(ctx, batch); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dispatch: %+v, %v", resp, err)
	}
	if _, err := a.Campaigns.Pause(ctx, "demo", exampleCampaignID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := a.FoldLifecycle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := a.API.Analytics.Answer(ctx, analytics.Query{AccountID: "demo", CampaignID: exampleCampaignID})
	if err != nil {
		t.Fatal(err)
	}
	if want := (analytics.Counts{Attempted: 2, Eligible: 2, Sent: 2}); rep.Counts != want {
		t.Errorf("counts %+v, want %+v", rep.Counts, want)
	}
	if rep.SuccessRate == nil || *rep.SuccessRate != 0 {
		t.Errorf("success rate %v, want 0 (nothing delivered yet)", rep.SuccessRate)
	}
	done := make(chan struct{})
	go func() { a.EventDelivery.Run(ctx, a.EventQueue, 2); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "a message.sent event per recipient and the pause", func() bool { _, got := brand.received(); return len(got) == 3 })
	_, got := brand.received()
	for _, ev := range got {
		switch {
		case ev.CampaignID != exampleCampaignID:
			t.Errorf("event of another campaign: %+v", ev)
		case ev.Type == parley.EventCampaignStateChanged && (ev.Status != string(parley.StatePaused) || !ev.At.Equal(noon.Now())):
			t.Errorf("the pause's event %+v", ev)
		case ev.Type == parley.EventSent && (ev.Consumer == "" || ev.ProviderMessageID == ""):
			t.Errorf("a send's event %+v", ev)
		}
	}
}
