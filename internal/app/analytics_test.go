package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/lambdafn"
)

// TestAnalyticsAWS runs the sample campaign on moto_server as parley serve
// on an emulator does: what the dispatcher records reaches the analytics
// once the table's stream is folded, and once only however often it is.
func TestAnalyticsAWS(t *testing.T) {
	a := awsApp(t)
	if !a.FoldsLifecycle() {
		t.Fatal("an app on an emulator folds no stream")
	}
	testAnalytics(t, a)
}

// TestAnalyticsEmbedded: the embedded store counts as it writes.
func TestAnalyticsEmbedded(t *testing.T) { testAnalytics(t, embeddedApp(t)) }

func testAnalytics(t *testing.T, a *app.App) {
	ctx := context.Background()
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
}
