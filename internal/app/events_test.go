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
	"github.com/parleyhq/parley/internal/c2m"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/web/browsertest"
	"github.com/parleyhq/parley/internal/window"
)

func TestMain(m *testing.M) {
	code := awstest.Main(m)
	browsertest.Close()
	os.Exit(code)
}

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

// webhookEvent plays the function URL event in events/name through the
// webhooks function's handler, and, to show that this handler serves
// webhooks alone, the same event at an API route, which it answers 404.
func webhookEvent(t *testing.T, a *app.App, name string, wantStatus int) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	readEvent(t, name, &ev)
	h := httpapi.LambdaHandler(a.API.WebhooksHandler())
	resp, err := h(context.Background(), ev)
	if err != nil || resp.StatusCode != wantStatus {
		t.Fatalf("%s: status %d (%v), want %d: %s", name, resp.StatusCode, err, wantStatus, resp.Body)
	}
	api := ev
	api.RawPath, api.RequestContext.HTTP.Path, api.RequestContext.HTTP.Method = "/api/v2/account/demo/campaign", "/api/v2/account/demo/campaign", http.MethodGet
	if other, err := h(context.Background(), api); err != nil || other.StatusCode != http.StatusNotFound {
		t.Fatalf("%s at an API route: status %d (%v), want 404: %s", name, other.StatusCode, err, other.Body)
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
	authorizeSession(t, a, play("authorizer-session.json"))

	deflect(t, a, play("api-c2m-eligibility.json"), play("api-c2m-invite.json"))

	var tick events.EventBridgeEvent
	readEvent(t, play("windowcheck-schedule.json"), &tick)
	if err := lambdafn.Scheduled(func(ctx context.Context) error { return a.WindowCheck(ctx, false) })(context.Background(), tick); err != nil {
		t.Fatalf("window check: %v", err)
	}

	playEventPush(t, a, play("eventpush-sqs-batch.json"))

	playVoice(t, a, play("api-voice-answer.json"), play("api-voice-amd.json"), play("api-voice-status.json"), play("webhooks-url-voice-status.json"))

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

// exampleCallID is the callId the Connect to Messaging files in events/
// refer to (seed 004's).
const exampleCallID = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354"

// deflect plays seed 004's SMS deflection: eligibility of the account's SMS
// handoff answers the callId, and its invite accepts the one-consumer
// campaign the message is sent by, sent at once.
func deflect(t *testing.T, a *app.App, eligibility, invite string) {
	t.Helper()
	ctx := context.Background()
	err := a.Store.PutAccount(ctx, parley.Account{ID: "demo", UpdatedAt: noon.Now(), OutboundSkills: []string{"sales"},
		Channels: []parley.ChannelSetting{{Channel: parley.ChannelSMS, Enabled: true}}})
	if err != nil {
		t.Fatal(err)
	}
	h := parley.Handoff{AccountID: "demo", ID: "H072047293477863", Title: "IVR sms", Version: 1, LookbackMinutes: 60,
		Channels:  []parley.HandoffChannel{{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: "Thanks for calling: reply here to chat with us"}},
		CreatedAt: noon.Now(), UpdatedAt: noon.Now()}
	if err := a.Store.PutHandoff(ctx, h); err != nil {
		t.Fatal(err)
	}
	a.C2M.NewCallID = func() string { return exampleCallID }
	var answer c2m.Eligibility
	if err := json.Unmarshal(apiEvent(t, a, eligibility, http.StatusOK), &answer); err != nil {
		t.Fatal(err)
	}
	if answer.CallID != exampleCallID || !answer.Eligible || answer.RecommendedChannelName != "sms" || !slices.Equal(answer.AvailableChannels, []string{"sms"}) {
		t.Fatalf("%s: %+v", eligibility, answer)
	}
	var invited c2m.Invited
	if err := json.Unmarshal(apiEvent(t, a, invite, http.StatusOK), &invited); err != nil || invited.CallID != exampleCallID {
		t.Fatalf("%s: %+v, %v", invite, invited, err)
	}
	c, err := a.Store.Campaign(ctx, "demo", exampleCallID)
	if err != nil || c.CallID != exampleCallID || c.Skill != "sales" || c.Recipients != 1 {
		t.Fatalf("the invite's campaign: %+v, %v", c, err)
	}
	rs, err := a.Store.Recipients(ctx, c.AccountID, c.ID, 0, 10)
	if err != nil || len(rs) != 1 || rs[0].Phone != "+14259549855" || !rs[0].DueAt.Equal(noon.Now()) {
		t.Fatalf("the invite's recipient: %+v, %v; want +14259549855 due at once", rs, err)
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

// authorizeSession plays an authorizer event carrying the webtool's
// session cookie, a token the app issued, with the session's CSRF token:
// it passes the session's account and role on; without the CSRF token,
// and with the cookie's signature broken, it is refused.
func authorizeSession(t *testing.T, a *app.App, name string) {
	t.Helper()
	tokens := a.API.Auth.(*auth.Tokens)
	issued, err := tokens.Issue(context.Background(), auth.Principal{AccountID: "demo", Role: auth.RoleCampaignManager, Subject: "local:campaign_manager"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	session := issued.AccessToken
	broken := session[:len(session)-4] + "AAAA"
	for _, tc := range []struct {
		session, csrf string
		want          bool
	}{{session, auth.CSRFToken(session), true}, {session, "", false}, {broken, auth.CSRFToken(broken), false}} {
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		readEvent(t, name, &ev)
		for i := range ev.Cookies {
			ev.Cookies[i] = strings.ReplaceAll(ev.Cookies[i], "REPLACE_WITH_SESSION", tc.session)
		}
		ev.Headers[strings.ToLower(auth.CSRFHeader)] = tc.csrf
		resp, err := lambdafn.Authorizer(tokens, obs.Discard())(context.Background(), ev)
		if err != nil || resp.IsAuthorized != tc.want {
			t.Fatalf("%s (CSRF token %q): authorized %v (%v), want %v", name, tc.csrf, resp.IsAuthorized, err, tc.want)
		}
		if tc.want && (resp.Context[auth.ContextAccount] != "demo" || resp.Context[auth.ContextRole] != string(auth.RoleCampaignManager)) {
			t.Fatalf("%s: context %v", name, resp.Context)
		}
	}
}

func TestEventsEmbedded(t *testing.T) { runEvents(t, embeddedApp(t)) }

func TestEventsAWS(t *testing.T) { runEvents(t, awsApp(t)) }

// asAdmin is the app's router for a caller holding an admin token of the
// account the request's path names.
func asAdmin(tb testing.TB, a *app.App) http.Handler { return asRole(tb, a, auth.RoleAdmin) }

// asRole is the app's router for a caller holding a token of role for the
// account the request's path names.
func asRole(tb testing.TB, a *app.App, role auth.Role) http.Handler {
	tb.Helper()
	tokens := a.API.Auth.(*auth.Tokens)
	h := a.API.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		account, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/v2/account/"), "/")
		issued, err := tokens.Issue(context.Background(), auth.Principal{AccountID: account, Role: role, Subject: "test"}, time.Hour)
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

// The Twilio account, call and campaign the voice webhooks in events/ are
// signed for and name.
const (
	exampleTwilioSID   = "AC5e1ec7ed0a11ce0b0b5eedfaceca11ed"
	exampleTwilioToken = "events-twilio-auth-token-0123456789"
	exampleCallSID     = "CA9f3c2e4a5d4e6f8a7b1c2d3e4f5a6b7c"
	examplePhoneID     = "0193a4c0-5b2d-7e1f-8a3c-4d5e6f708192"
)

// playVoice plays a telephone campaign call's voice webhooks, signed by
// the account's Twilio: the TwiML fetch holds the line, the verdict of
// machine detection (a person) makes the call wait for an operator, and
// the person hangs up before one is free: the call is abandoned, and its
// contact's attempt counted once.
func playVoice(t *testing.T, a *app.App, answer, amd, status, statusAtURL string) {
	t.Helper()
	ctx := context.Background()
	cfg := parley.ChannelConfig{AccountID: "demo", Channel: parley.ChannelSMS, Provider: twilio.Name, Version: 1, UpdatedAt: noon.Now(),
		Credentials: twilio.Credentials{AccountSID: exampleTwilioSID, AuthToken: exampleTwilioToken}.Channel(),
		Senders:     []parley.ChannelSender{{Default: true, ID: "+12025550100"}}}
	if err := a.Store.PutChannelConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c := dialer.Campaign{AccountID: "demo", ID: examplePhoneID, Name: "renewals", Mode: dialer.ModePredictive, PickupPercent: 50,
		OperatorGroup: "sales", Goal: dialer.GoalAllProcessed, PhoneField: "phone", Hours: window.Default,
		CallerIDs: []string{"+12025550100"}, MaxAttempts: 1, State: dialer.CampaignActive, CreatedAt: noon.Now()}
	if err := a.Store.CreatePhoneCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.AddEntries(ctx, "demo", c.ID, []dialer.Entry{{ContactID: "k1", Phone: "+12025550123", Status: dialer.EntryInProgress, CallID: exampleCallSID, ClaimedAt: noon.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.CreatePhoneCall(ctx, dialer.Call{ProviderID: exampleCallSID, AccountID: "demo", CampaignID: c.ID, ContactID: "k1", Attempt: 1,
		Phone: "+12025550123", From: "+12025550100", Status: dialer.CallRinging, PlacedAt: noon.Now().Add(-15 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if twiml := string(apiEvent(t, a, answer, http.StatusOK)); !strings.Contains(twiml, "<Pause") {
		t.Fatalf("%s answered %s", answer, twiml)
	}
	apiEvent(t, a, amd, http.StatusNoContent)
	call, err := a.Store.PhoneCall(ctx, "demo", c.ID, exampleCallSID)
	if err != nil || call.Status != dialer.CallWaiting || call.Answer != dialer.AnswerHuman {
		t.Fatalf("after the verdict: %+v, %v", call, err)
	}
	// Twilio may deliver a callback twice: again here, at the webhooks
	// function's URL, signed for that URL.
	apiEvent(t, a, status, http.StatusNoContent)
	webhookEvent(t, a, statusAtURL, http.StatusNoContent)
	call, err = a.Store.PhoneCall(ctx, "demo", c.ID, exampleCallSID)
	if err != nil || call.Status != dialer.CallEnded || !call.Abandoned {
		t.Fatalf("after the hang-up: %+v, %v", call, err)
	}
	e, err := a.Store.Entry(ctx, "demo", c.ID, "k1")
	if err != nil || e.Status == dialer.EntryInProgress || e.Attempts != 1 {
		t.Fatalf("the contact after its call: %+v, %v", e, err)
	}
}
