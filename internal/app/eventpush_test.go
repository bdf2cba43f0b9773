package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/parley"
)

// brandEndpoint is a brand's webhook: it verifies each POST with secret at
// the apps' clock and keeps the events, once per id.
type brandEndpoint struct {
	t      *testing.T
	secret func() string
	mu     sync.Mutex
	events map[string]parley.Event
	posts  int
}

func newBrandEndpoint(t *testing.T, secret func() string) (*brandEndpoint, string) {
	b := &brandEndpoint{t: t, secret: secret, events: map[string]parley.Event{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := agentpush.Verify(b.secret(), r.Header.Get(agentpush.HeaderSignature), body, noon.Now(), 0); err != nil {
			t.Errorf("a POST does not verify: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev parley.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get(agentpush.HeaderDelivery) {
			t.Errorf("body %s, %v", body, err)
		}
		b.mu.Lock()
		b.posts++
		b.events[ev.ID] = ev
		b.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func (b *brandEndpoint) received() (int, map[string]parley.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]parley.Event{}
	for k, v := range b.events {
		out[k] = v
	}
	return b.posts, out
}

// sampleSubscriptionID is the subscription events/eventpush-sqs-batch.json
// delivers to.
const sampleSubscriptionID = "01935f2e-8c1a-7b3e-9c4d-00000000e001"

// playEventPush hands events/eventpush-sqs-batch.json to the event push
// function's handler: a delivery to a subscribed endpoint, one to a
// subscription that is gone, a malformed job. All three finish; the
// endpoint gets one signed POST.
func playEventPush(t *testing.T, a *app.App, name string) {
	t.Helper()
	const secret = "whsec_sample-subscription-secret-0123456789"
	brand, url := newBrandEndpoint(t, func() string { return secret })
	sub := parley.EventSubscription{ID: sampleSubscriptionID, AccountID: "demo", URL: url, Types: []parley.EventType{parley.EventDelivered}, Secret: secret, CreatedAt: noon.Now(), UpdatedAt: noon.Now()}
	if err := a.Store.CreateEventSubscription(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	a.EventDelivery.HTTP = egress.Policy{AllowLoopback: true}.Client(time.Second) // the endpoint is an httptest server
	var batch events.SQSEvent
	readEvent(t, name, &batch)
	resp, err := lambdafn.SQS(a.EventDelivery)(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%s: %+v, %v", name, resp, err)
	}
	posts, got := brand.received()
	ev, ok := got["evt_01935f2e-8c1a-7b3e-9c4d-2f6a1b7c8d90_000001_delivered"]
	if posts != 1 || !ok || ev.Consumer != "+12025550101" || ev.Type != parley.EventDelivered {
		t.Fatalf("%s: the endpoint got %d POSTs: %+v", name, posts, got)
	}
	ds, err := a.Store.EventDeliveries(context.Background(), "demo", sampleSubscriptionID, 10)
	if err != nil || len(ds) != 1 || ds[0].Outcome != parley.DeliveryDelivered {
		t.Fatalf("%s: recorded %+v, %v", name, ds, err)
	}
}

// pushEvents, on an app that reaches loopback addresses
// (PARLEY_ALLOW_LOOPBACK_EGRESS), subscribes through the API, publishes through the app's sink
// and delivers with the app's event pollers, as parley serve runs them.
func pushEvents(t *testing.T, a *app.App) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var secret string
	brand, url := newBrandEndpoint(t, func() string { return secret })
	h := asAdmin(t, a)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v2/account/acct1/event-subscriptions",
		strings.NewReader(fmt.Sprintf(`{"url":%q,"eventTypes":["message.sent","consumer.opted_out"]}`, url))))
	var created httpapi.EventSubscriptionResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || rec.Code != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", rec.Code, rec.Body)
	}
	secret = created.Secret
	done := make(chan struct{})
	go func() { a.EventDelivery.Run(ctx, a.EventQueue, 2); close(done) }()

	evs := []parley.Event{
		{ID: "ev-sent", Type: parley.EventSent, AccountID: "acct1", At: noon.Now(), CampaignID: "c1", RecipientID: "000001"},
		{ID: "ev-read", Type: parley.EventRead, AccountID: "acct1", At: noon.Now(), CampaignID: "c1", RecipientID: "000001"},
		{ID: "ev-stop", Type: parley.EventOptedOut, AccountID: "acct1", At: noon.Now(), Consumer: "+12025550101"},
		{ID: "ev-other", Type: parley.EventSent, AccountID: "acct2", At: noon.Now()},
	}
	if err := a.EventSink.Publish(ctx, evs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deliveries of ev-sent and ev-stop", func() bool { _, got := brand.received(); return len(got) == 2 })
	cancel()
	<-done
	if _, got := brand.received(); got["ev-sent"].ID == "" || got["ev-stop"].Consumer != "+12025550101" {
		t.Errorf("delivered %+v", got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v2/account/acct1/event-subscriptions/"+created.ID+"/deliveries", nil))
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `"outcome":"delivered"`) != 2 {
		t.Errorf("deliveries: %d %s", rec.Code, rec.Body)
	}
}

func TestEventPushEmbedded(t *testing.T) {
	pushEvents(t, embeddedApp(t, func(c *config.Config) { c.AllowLoopbackEgress = true }))
}

// TestEventPushAWS runs the same on SQS and DynamoDB, with the events put
// on an EventBridge bus as well.
func TestEventPushAWS(t *testing.T) {
	t.Setenv("PARLEY_EVENT_BUS", awstest.Name(t)+"-events")
	t.Setenv("PARLEY_ALLOW_LOOPBACK_EGRESS", "true")
	pushEvents(t, awsApp(t))
}

// TestDeadEndpointDoesNotHoldUpSending keeps a subscribed endpoint from
// ever answering while a campaign is sent in the same process, as parley
// serve runs both: the campaign's messages go out while every delivery to
// the endpoint hangs.
func TestDeadEndpointDoesNotHoldUpSending(t *testing.T) {
	a := embeddedApp(t, func(c *config.Config) { c.AllowLoopbackEgress = true })
	var started, answered atomic.Int32
	release := make(chan struct{})
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		select {
		case <-release:
			answered.Add(1)
		case <-r.Context().Done():
		}
	}))
	defer dead.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := parley.EventSubscription{ID: "dead", AccountID: "demo", URL: dead.URL, Types: []parley.EventType{parley.EventTypeAll}, Secret: "whsec_dead-endpoint-0123456789abcdef0123"}
	if err := a.Store.CreateEventSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	evs := make([]parley.Event, 40)
	for i := range evs {
		evs[i] = parley.Event{ID: fmt.Sprintf("ev%d", i), Type: parley.EventSent, AccountID: "demo", At: noon.Now()}
	}
	if err := a.EventSink.Publish(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { a.EventDelivery.Run(ctx, a.EventQueue, 2) })
	waitFor(t, "deliveries to the dead endpoint", func() bool { return started.Load() > 0 })

	a.Campaigns.NewID = func() string { return exampleCampaignID }
	apiEvent(t, a, "api-create-campaign.json", http.StatusAccepted)
	wg.Go(func() { a.Dispatcher.Run(ctx, a.Queue, 1) })
	waitFor(t, "the campaign's sends", func() bool { return slices.Equal(conversations(t, a), []string{"SENT", "SENT"}) })
	if answered.Load() != 0 || started.Load() == 0 {
		t.Fatalf("%d deliveries started, %d answered; want the endpoint dead throughout", started.Load(), answered.Load())
	}
}

// waitFor polls cond until it holds, for at most 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s", what)
		}
	}
}
