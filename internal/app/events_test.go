package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// noon is a clock at which the example numbers (New York) are inside the
// default delivery window, whatever the hour the tests run at.
var noon = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

// exampleCampaignID is the campaign id the files in events/ refer to.
const exampleCampaignID = "01935f2e-8c1a-7b3e-9c4d-2f6a1b7c8d90"

func embeddedApp(tb testing.TB, configure ...func(*config.Config)) *app.App {
	tb.Helper()
	cfg := config.Config{Backend: config.BackendEmbedded, DataDir: tb.TempDir(), Gateway: "sandbox", Workers: 1, MPS: 1e6, Burst: 100}
	for _, f := range configure {
		f(&cfg)
	}
	a, err := app.New(context.Background(), cfg, obs.Discard(), app.WithClock(noon))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// awsApp builds the app on moto_server the way parley serve --backend aws
// does against an emulator: from the environment, creating what is missing,
// down to the KMS key tokens are signed with.
func awsApp(t *testing.T) *app.App {
	t.Helper()
	awstest.SetEnv(t)
	t.Setenv("PARLEY_BACKEND", "aws")
	t.Setenv("PARLEY_TABLE", awstest.Name(t))
	t.Setenv("PARLEY_SIGNING_KEY", "")
	t.Setenv("PARLEY_SIGNING_KMS_KEY_ID", "")
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, obs.Discard(), app.WithClock(noon))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func readEvent(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s does not decode into %T: %v", name, v, err)
	}
}

func apiEvent(t *testing.T, a *app.App, name string, wantStatus int) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	readEvent(t, name, &ev)
	resp, err := httpapi.LambdaAuthorizedHandler(a.API.Handler())(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s: status %d, want %d: %s", name, resp.StatusCode, wantStatus, resp.Body)
	}
	return []byte(resp.Body)
}

func conversations(t *testing.T, a *app.App) []string {
	t.Helper()
	var rep httpapi.ConversationsResponse
	if err := json.Unmarshal(apiEvent(t, a, "api-get-conversations.json", http.StatusOK), &rep); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, c := range rep.Conversations {
		statuses = append(statuses, c.ParleyStatus)
	}
	return statuses
}

// runEvents plays every file of events/ through the handler it is meant for
// and checks each answer.
func runEvents(t *testing.T, a *app.App) {
	played := map[string]bool{}
	play := func(name string) string { played[name] = true; return name }
	a.Campaigns.NewID = func() string { return exampleCampaignID }

	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(apiEvent(t, a, play("api-create-campaign.json"), http.StatusAccepted), &created); err != nil {
		t.Fatal(err)
	}
	if created.ProactiveCampaignID == nil || *created.ProactiveCampaignID != exampleCampaignID || len(created.AcceptedConsumers) != 2 ||
		len(created.FailedConsumers) != 1 || created.FailedConsumers[0].ErrorMessage != "INVALID_NUMBER" {
		t.Fatalf("created %+v", created)
	}
	var p httpapi.LPError // LivePerson's route: LivePerson's error body
	if err := json.Unmarshal(apiEvent(t, a, play("api-create-campaign-invalid.json"), http.StatusBadRequest), &p); err != nil || p.Field != "consent" || p.Code != http.StatusBadRequest {
		t.Fatalf("invalid create: %+v, %v", p, err)
	}
	if got := conversations(t, a); !slices.Equal(got, []string{"QUEUED", "QUEUED"}) {
		t.Fatalf("before dispatch: %v", got)
	}
	var batch events.SQSEvent
	readEvent(t, play("dispatcher-sqs-batch.json"), &batch)
	resp, err := lambdafn.SQS(a.Dispatcher)(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dispatch: %+v, %v", resp, err)
	}
	var sent []parley.SentMessage
	if err := json.Unmarshal(apiEvent(t, a, play("api-sandbox-messages.json"), http.StatusOK), &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 {
		t.Fatalf("the batch (recipient 1 twice, recipient 2, a malformed job) sent %d messages, want 2", len(sent))
	}
	if got := conversations(t, a); !slices.Equal(got, []string{"SENT", "SENT"}) {
		t.Fatalf("after dispatch: %v", got)
	}
	play("api-get-conversations.json")
	authorize(t, a, play("authorizer.json"))

	var tick events.EventBridgeEvent
	readEvent(t, play("windowcheck-schedule.json"), &tick)
	if err := lambdafn.Scheduled(func(ctx context.Context) error { return a.WindowCheck(ctx, false) })(context.Background(), tick); err != nil {
		t.Fatalf("window check: %v", err)
	}

	playEventPush(t, a, play("eventpush-sqs-batch.json"))

	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !played[filepath.Base(f)] {
			t.Errorf("events/%s is not exercised by this test", filepath.Base(f))
		}
	}
}

// authorizerEvent reads the authorizer event in events/name with token in
// place of its placeholder.
func authorizerEvent(t *testing.T, name, token string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	readEvent(t, name, &ev)
	for i := range ev.IdentitySource {
		ev.IdentitySource[i] = strings.ReplaceAll(ev.IdentitySource[i], "REPLACE_WITH_TOKEN", token)
	}
	ev.Headers["authorization"] = strings.ReplaceAll(ev.Headers["authorization"], "REPLACE_WITH_TOKEN", token)
	return ev
}

// authorize plays an authorizer event carrying a token the app issued and
// checks it passes the token's account and role on; the same event with
// the token's signature broken is refused.
func authorize(t *testing.T, a *app.App, name string) {
	t.Helper()
	tokens := a.API.Auth.(*auth.Tokens)
	issued, err := tokens.Issue(context.Background(), auth.Principal{AccountID: "demo", Role: auth.RoleSupport, Subject: "client-demo"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token string
		want  bool
	}{{issued.AccessToken, true}, {issued.AccessToken[:len(issued.AccessToken)-4] + "AAAA", false}} {
		resp, err := lambdafn.Authorizer(tokens, obs.Discard())(context.Background(), authorizerEvent(t, name, tc.token))
		if err != nil || resp.IsAuthorized != tc.want {
			t.Fatalf("%s: authorized %v (%v), want %v", name, resp.IsAuthorized, err, tc.want)
		}
		if tc.want && (resp.Context[auth.ContextAccount] != "demo" || resp.Context[auth.ContextRole] != string(auth.RoleSupport)) {
			t.Fatalf("%s: context %v", name, resp.Context)
		}
	}
}

func TestEventsEmbedded(t *testing.T) { runEvents(t, embeddedApp(t)) }

func TestEventsAWS(t *testing.T) { runEvents(t, awsApp(t)) }

// asAdmin is the app's router for a caller holding an admin token of the
// account the request's path names.
func asAdmin(tb testing.TB, a *app.App) http.Handler {
	tb.Helper()
	tokens := a.API.Auth.(*auth.Tokens)
	h := a.API.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		account, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/v2/account/"), "/")
		issued, err := tokens.Issue(context.Background(), auth.Principal{AccountID: account, Role: auth.RoleAdmin, Subject: "test"}, time.Hour)
		if err != nil {
			tb.Error(err)
			return
		}
		r.Header.Set("Authorization", "Bearer "+issued.AccessToken)
		h.ServeHTTP(w, r)
	})
}

// TestAWSStartsWithPublicKeysOnly builds the app with public keys alone
// (PARLEY_VERIFY_KEYS): a process that verifies tokens but cannot sign
// them starts.
func TestAWSStartsWithPublicKeysOnly(t *testing.T) {
	k, err := auth.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.Public().MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PARLEY_VERIFY_KEYS", string(pub))
	a := awsApp(t)
	if a.Dispatcher == nil {
		t.Fatal("no dispatcher")
	}
}
