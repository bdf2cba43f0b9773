package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// minter returns a function that issues acct1's bearer tokens.
func minter(t *testing.T, w *authWorld) func(role auth.Role, subject string) string {
	return func(role auth.Role, subject string) string {
		t.Helper()
		tok, err := w.tokens.Issue(context.Background(), auth.Principal{AccountID: "acct1", Role: role, Subject: subject}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok.AccessToken
	}
}

type noJobs struct{}

func (noJobs) Pace(context.Context, phonecampaign.PaceJob, time.Duration) error   { return nil }
func (noJobs) Grace(context.Context, phonecampaign.GraceJob, time.Duration) error { return nil }

// TestPhoneOperatorRoutes: managers put operators into groups, an operator
// sets only their own state and sees only their own sessions.
func TestPhoneOperatorRoutes(t *testing.T) {
	w := newAuthWorld(t)
	clock := clocktest.New(noonUTC)
	w.srv.PhoneOperators = &phonecampaign.Dialer{Store: w.store, Clock: clock, Voice: sandboxvoice.New(clock, 1, sandboxvoice.DefaultProfile), Jobs: noJobs{}}
	w.h = w.srv.Handler()
	mint := minter(t, w)
	admin, support, ann, bob := mint(auth.RoleAdmin, "boss"), mint(auth.RoleSupport, "sup"), mint(auth.RoleAgent, "ann"), mint(auth.RoleAgent, "bob")
	const base = "/api/v2/account/acct1/"
	check := func(name, method, path, token, body string, status int, has string) {
		t.Helper()
		got, _, data := w.call(t, method, base+path, token, body)
		if got != status || !strings.Contains(string(data), has) {
			t.Errorf("%s: %d %s, want %d with %s", name, got, data, status, has)
		}
	}
	check("online before any group", "PUT", "phone-operators/me/state", ann, `{"state":"online"}`, http.StatusBadRequest, `"field":"group"`)
	check("support adds a member", "PUT", "phone-operator-groups/sales/members/ann", support, "", http.StatusForbidden, "")
	check("an agent adds a member", "PUT", "phone-operator-groups/sales/members/ann", ann, "", http.StatusForbidden, "")
	check("admin adds ann", "PUT", "phone-operator-groups/sales/members/ann", admin, "", http.StatusOK, `"group":"sales"`)
	check("admin adds bob", "PUT", "phone-operator-groups/sales/members/bob", admin, "", http.StatusOK, `"state":"offline"`)
	check("ann online", "PUT", "phone-operators/me/state", ann, `{"state":"online"}`, http.StatusOK, `"id":"ann","group":"sales","state":"online"`)
	check("ann busy", "PUT", "phone-operators/me/state", ann, `{"state":"busy"}`, http.StatusBadRequest, `"field":"state"`)
	check("unknown field", "PUT", "phone-operators/me/state", ann, `{"state":"online","id":"bob"}`, http.StatusBadRequest, `"field":"id"`)
	check("bob sees himself", "GET", "phone-operators/me", bob, "", http.StatusOK, `"id":"bob","group":"sales","state":"offline"`)
	check("support lists operators", "GET", "phone-operators", support, "", http.StatusOK, `"id":"ann"`)
	check("an agent lists operators", "GET", "phone-operators", ann, "", http.StatusForbidden, "")
	check("admin sets state for ann", "PUT", "phone-operators/me/state", admin, `{"state":"online"}`, http.StatusForbidden, "")
	check("support reads groups", "GET", "phone-operator-groups/sales", support, "", http.StatusOK, `"name":"sales","members":[{"id":"ann"`)
	check("no such group", "GET", "phone-operator-groups/nope", support, "", http.StatusNotFound, "")
	check("support creates a group", "PUT", "phone-operator-groups/night", support, "", http.StatusForbidden, "")
	check("an agent creates a group", "PUT", "phone-operator-groups/night", ann, "", http.StatusForbidden, "")
	check("admin creates an empty group", "PUT", "phone-operator-groups/night", admin, "", http.StatusCreated, `{"name":"night","members":[]}`)
	check("admin creates it again", "PUT", "phone-operator-groups/night", admin, "", http.StatusOK, `{"name":"night","members":[]}`)
	check("the empty group is listed", "GET", "phone-operator-groups", support, "", http.StatusOK, `{"name":"night","members":[]}`)
	check("a group with members is kept", "DELETE", "phone-operator-groups/sales", admin, "", http.StatusConflict, "members")
	check("support deletes a group", "DELETE", "phone-operator-groups/night", support, "", http.StatusForbidden, "")
	check("admin deletes the empty group", "DELETE", "phone-operator-groups/night", admin, "", http.StatusNoContent, "")
	check("the deleted group", "GET", "phone-operator-groups/night", support, "", http.StatusNotFound, "")
	check("bob accepts nothing", "POST", "phone-operators/me/offer/accept", bob, "", http.StatusConflict, "no contact offered")
	check("bob skips nothing", "POST", "phone-operators/me/offer/skip", bob, "", http.StatusConflict, "no contact offered")
	check("support accepts", "POST", "phone-operators/me/offer/accept", support, "", http.StatusForbidden, "")
	check("bob wraps up nothing", "POST", "phone-operators/me/wrap-up", bob, `{"result":"sold"}`, http.StatusConflict, "not wrapping up")

	// Sessions: ann's and bob's calls of one campaign.
	ctx := context.Background()
	if err := w.store.CreatePhoneCampaign(ctx, dialer.Campaign{AccountID: "acct1", ID: "c1", Name: "c1", Mode: dialer.ModeProgressive,
		OperatorGroup: "sales", State: dialer.CampaignActive, CreatedAt: noonUTC}); err != nil {
		t.Fatal(err)
	}
	for i, op := range []string{"ann", "bob"} {
		if _, err := w.store.CreatePhoneCall(ctx, dialer.Call{ProviderID: "p-" + op, AccountID: "acct1", CampaignID: "c1", ContactID: "k1",
			Status: dialer.CallEnded, Operator: op, PlacedAt: noonUTC, BridgedAt: noonUTC.Add(time.Duration(i) * time.Minute), Result: "sold",
			Params: map[string]string{"plan": []string{"basic", "plus"}[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, data := w.call(t, "GET", base+"phone-operators/me/sessions", ann, "")
	if !strings.Contains(string(data), `"callId":"p-ann"`) || strings.Contains(string(data), "p-bob") {
		t.Errorf("ann's sessions: %s", data)
	}
	_, _, data = w.call(t, "GET", base+"phone-operators/me/sessions?campaignId=c1", bob, "")
	if !strings.Contains(string(data), `"callId":"p-bob"`) || strings.Contains(string(data), "p-ann") {
		t.Errorf("bob's sessions: %s", data)
	}
	check("support reads every session", "GET", "phone-sessions", support, "", http.StatusOK, `"callId":"p-bob"`)
	check("an agent reads every session", "GET", "phone-sessions", ann, "", http.StatusForbidden, "")
	_, _, data = w.call(t, "GET", base+"phone-sessions?param.plan=plus", support, "")
	if !strings.Contains(string(data), `"callId":"p-bob"`) || strings.Contains(string(data), "p-ann") || !strings.Contains(string(data), `"params":{"plan":"plus"}`) {
		t.Errorf("sessions with plan plus: %s", data)
	}
	check("two values of one param", "GET", "phone-sessions?param.plan=a&param.plan=b", support, "", http.StatusBadRequest, `"field":"param.plan"`)
	check("bad limit", "GET", "phone-sessions?limit=0", support, "", http.StatusBadRequest, `"field":"limit"`)
	check("bad cursor", "GET", "phone-sessions?cursor=x", support, "", http.StatusBadRequest, `"field":"cursor"`)
	var page struct {
		Sessions []httpapi.PhoneSessionResponse
		Next     string
	}
	_, _, data = w.call(t, "GET", base+"phone-sessions?limit=1", support, "")
	if err := json.Unmarshal(data, &page); err != nil || len(page.Sessions) != 1 || page.Next == "" {
		t.Fatalf("a page of one session: %s, %v", data, err)
	}
	first := page.Sessions[0].CallID
	_, _, data = w.call(t, "GET", base+"phone-sessions?limit=1&cursor="+page.Next, support, "")
	if err := json.Unmarshal(data, &page); err != nil || len(page.Sessions) != 1 || page.Sessions[0].CallID == first {
		t.Errorf("the next page: %s, %v; want the other session", data, err)
	}
	check("admin removes ann", "DELETE", "phone-operator-groups/sales/members/ann", admin, "", http.StatusOK, `"state":"offline"`)
}

// tokenSigner signs a fake token naming the identity asked for.
type tokenSigner struct{ at time.Time }

func (s tokenSigner) VoiceToken(ctx context.Context, accountID, identity string) (twilio.VoiceToken, error) {
	if accountID != "acct1" {
		return twilio.VoiceToken{}, parley.Errorf(parley.ECONFLICT, "account %s places no calls through Twilio", accountID)
	}
	return twilio.VoiceToken{Token: parley.Secret("jwt-for-" + identity), Identity: identity, ExpiresAt: s.at.Add(time.Hour)}, nil
}

// TestVoiceTokenRoute: an operator gets a Voice SDK token for their own
// identity only; managers and support get none.
func TestVoiceTokenRoute(t *testing.T) {
	w := newAuthWorld(t)
	w.srv.VoiceTokens = tokenSigner{at: noonUTC}
	w.h = w.srv.Handler()
	mint := minter(t, w)
	const path = "/api/v2/account/acct1/phone-operators/me/voice-token"
	status, hdr, data := w.call(t, "POST", path, mint(auth.RoleAgent, "ann"), "")
	var got httpapi.VoiceTokenResponse
	if err := json.Unmarshal(data, &got); err != nil || status != http.StatusOK || got.Token != "jwt-for-ann" || got.Identity != "ann" ||
		got.ExpiresAt == "" || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("ann's token: %d %s %v", status, data, err)
	}
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleSupport} {
		if status, _, data := w.call(t, "POST", path, mint(role, "boss"), ""); status != http.StatusForbidden {
			t.Errorf("%s asks for a token: %d %s, want 403", role, status, data)
		}
	}
	if status, _, _ := w.call(t, "POST", path, "", ""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", status)
	}
}
