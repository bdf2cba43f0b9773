package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// countingCampaigns counts the creates that reach the campaign service, and
// lets a test fail or hold them.
type countingCampaigns struct {
	httpapi.Campaigns
	creates atomic.Int32
	// hook, when set, runs before each create; an error fails it.
	hook func(n int32) error
}

func (c *countingCampaigns) Create(ctx context.Context, accountID string, d campaign.Draft) (campaign.Accepted, error) {
	n := c.creates.Add(1)
	if c.hook != nil {
		if err := c.hook(n); err != nil {
			return campaign.Accepted{}, err
		}
	}
	return c.Campaigns.Create(ctx, accountID, d)
}

// countingGate admits every call and counts them.
type countingGate struct{ admits atomic.Int32 }

func (g *countingGate) Admit(ctx context.Context, accountID string) error {
	g.admits.Add(1)
	return nil
}

// idempotentWorld is a world whose server keeps Idempotency-Keys in its
// store, on a fixed clock.
func idempotentWorld(t *testing.T) (*world, *countingCampaigns, *countingGate) {
	t.Helper()
	w := newWorld(t)
	counted := &countingCampaigns{Campaigns: w.srv.Campaigns}
	gate := &countingGate{}
	w.srv.Campaigns.(*campaign.Service).Gate = gate // creations take from the budget once valid
	w.srv.Campaigns, w.srv.Idempotency = counted, w.store
	w.srv.Clock = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	w.h = w.srv.Handler()
	return w, counted, gate
}

// create posts a campaign with the given Idempotency-Key header values.
func create(path, body string, keys ...string) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, k := range keys {
		req.Header.Add(httpapi.IdempotencyKeyHeader, k)
	}
	return req
}

func withKey(req *http.Request, key string) *http.Request {
	req.Header.Set(httpapi.IdempotencyKeyHeader, key)
	return req
}

const campaignPath = "/api/v2/account/acct1/campaign"

func TestIdempotentCreates(t *testing.T) {
	otherBody := strings.Replace(validBody, "Renewal", "Renewal 2", 1)
	csv := "Phone,B1,B2\n+12025550101,Jane,9999\n+12025550103,Zoe,7777\n"
	tests := []struct {
		name   string
		first  func(t *testing.T) *http.Request
		second func(t *testing.T) *http.Request
		// wantSecond is the retry's status; replayed, whether it is the
		// first answer replayed; creates, how many creates ran.
		wantSecond int
		replayed   bool
		creates    int32
	}{
		{"same key and body", func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") },
			func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") }, http.StatusAccepted, true, 1},
		{"same key, other body", func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") },
			func(*testing.T) *http.Request { return create(campaignPath, otherBody, "k1") }, http.StatusUnprocessableEntity, false, 1},
		{"same key, other media type", func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") },
			func(*testing.T) *http.Request {
				req := create(campaignPath, validBody, "k1")
				req.Header.Set("Content-Type", "text/plain")
				return req
			}, http.StatusUnprocessableEntity, false, 1},
		{"upload retried with a new boundary", func(t *testing.T) *http.Request {
			return withKey(upload(t, campaignPath, uploadCampaign, csv), "k1")
		}, func(t *testing.T) *http.Request {
			return withKey(upload(t, campaignPath, uploadCampaign, csv), "k1")
		}, http.StatusAccepted, true, 1},
		{"upload retried with other rows", func(t *testing.T) *http.Request {
			return withKey(upload(t, campaignPath, uploadCampaign, csv), "k1")
		}, func(t *testing.T) *http.Request {
			return withKey(upload(t, campaignPath, uploadCampaign, csv+"+12025550104,Al,1111\n"), "k1")
		}, http.StatusUnprocessableEntity, false, 1},
		{"no key", func(*testing.T) *http.Request { return create(campaignPath, validBody) },
			func(*testing.T) *http.Request { return create(campaignPath, validBody) }, http.StatusAccepted, false, 2},
		{"other keys", func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") },
			func(*testing.T) *http.Request { return create(campaignPath, validBody, "k2") }, http.StatusAccepted, false, 2},
		{"another account's same key", func(*testing.T) *http.Request { return create(campaignPath, validBody, "k1") },
			func(*testing.T) *http.Request { return create("/api/v2/account/acct2/campaign", validBody, "k1") }, http.StatusAccepted, false, 2},
		{"a refusal is replayed", func(*testing.T) *http.Request { return create(campaignPath, `{"consent":false}`, "k1") },
			func(*testing.T) *http.Request { return create(campaignPath, `{"consent":false}`, "k1") }, http.StatusBadRequest, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, counted, gate := idempotentWorld(t)
			first, firstData := w.send(t, tt.first(t))
			if first.StatusCode >= 500 || first.Header.Get(httpapi.ReplayedHeader) != "" {
				t.Fatalf("first: %d %s", first.StatusCode, firstData)
			}
			admitted := gate.admits.Load()
			second, secondData := w.send(t, tt.second(t))
			if second.StatusCode != tt.wantSecond {
				t.Fatalf("retry: %d %s, want %d", second.StatusCode, secondData, tt.wantSecond)
			}
			if got := second.Header.Get(httpapi.ReplayedHeader) == "true"; got != tt.replayed {
				t.Errorf("retry replayed = %t, want %t", got, tt.replayed)
			}
			if tt.replayed && (string(secondData) != string(firstData) || second.Header.Get("Content-Type") != first.Header.Get("Content-Type")) {
				t.Errorf("replay = %s %s, want the first answer %s %s", second.Header.Get("Content-Type"), secondData, first.Header.Get("Content-Type"), firstData)
			}
			if tt.wantSecond == http.StatusUnprocessableEntity {
				var p httpapi.Problem
				if err := decodeError(secondData, &p); err != nil || p.Code != parley.EUNPROCESSABLE || !strings.Contains(p.Detail, httpapi.IdempotencyKeyHeader) {
					t.Errorf("problem = %s", secondData)
				}
			}
			if n := counted.creates.Load(); n != tt.creates {
				t.Errorf("%d creates ran, want %d", n, tt.creates)
			}
			if n := gate.admits.Load() - admitted; tt.replayed && n != 0 {
				t.Errorf("the creation gate admitted %d calls for the replay; a replay must spend none", n)
			}
		})
	}
}

func TestIdempotentCreateQueuesOnce(t *testing.T) {
	w, _, _ := idempotentWorld(t)
	for range 3 {
		if resp, data := w.send(t, create(campaignPath, validBody, "once")); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%d %s", resp.StatusCode, data)
		}
	}
	ms, err := w.queue.Receive(context.Background(), 10, 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	queued := 0
	for _, m := range ms {
		refs, err := queue.DecodeRecipients(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		queued += len(refs)
	}
	if queued != 2 { // validBody has two valid consumers
		t.Errorf("%d recipients queued by three posts of one key, want the first post's 2", queued)
	}
}

func TestIdempotencyKeyRejected(t *testing.T) {
	for name, keys := range map[string][]string{
		"empty":       {""},
		"too long":    {strings.Repeat("k", httpapi.MaxIdempotencyKey+1)},
		"not ASCII":   {"clé"},
		"control":     {"k\x01"},
		"given twice": {"k1", "k2"},
	} {
		t.Run(name, func(t *testing.T) {
			w, counted, _ := idempotentWorld(t)
			resp, data := w.send(t, create(campaignPath, validBody, keys...))
			var p httpapi.Problem
			if resp.StatusCode != http.StatusBadRequest || decodeError(data, &p) != nil || p.Field != httpapi.IdempotencyKeyHeader {
				t.Errorf("%d %s, want 400 naming %s", resp.StatusCode, data, httpapi.IdempotencyKeyHeader)
			}
			if counted.creates.Load() != 0 {
				t.Error("a create ran")
			}
		})
	}
	w, _, _ := idempotentWorld(t)
	if resp, data := w.send(t, create(campaignPath, validBody, strings.Repeat("k", httpapi.MaxIdempotencyKey))); resp.StatusCode != http.StatusAccepted {
		t.Errorf("a key of %d characters: %d %s", httpapi.MaxIdempotencyKey, resp.StatusCode, data)
	}
}

func TestIdempotentFailureReleases(t *testing.T) {
	for name, fail := range map[string]error{
		"5xx": parley.Errorf(parley.EUNAVAILABLE, "the store is down"),
		"429": parley.TooMany(time.Second, "slow down"),
	} {
		t.Run(name, func(t *testing.T) {
			w, counted, _ := idempotentWorld(t)
			counted.hook = func(n int32) error {
				if n == 1 {
					return fail
				}
				return nil
			}
			if resp, data := w.send(t, create(campaignPath, validBody, "k1")); resp.StatusCode < 429 {
				t.Fatalf("first: %d %s", resp.StatusCode, data)
			}
			resp, data := w.send(t, create(campaignPath, validBody, "k1"))
			if resp.StatusCode != http.StatusAccepted || resp.Header.Get(httpapi.ReplayedHeader) != "" {
				t.Fatalf("retry: %d %s, want it run", resp.StatusCode, data)
			}
			if resp, _ := w.send(t, create(campaignPath, validBody, "k1")); resp.Header.Get(httpapi.ReplayedHeader) != "true" {
				t.Errorf("third: %d, want the retry's answer replayed", resp.StatusCode)
			}
			if n := counted.creates.Load(); n != 2 {
				t.Errorf("%d creates ran, want 2", n)
			}
		})
	}
}

func TestIdempotentInProgress(t *testing.T) {
	w, counted, _ := idempotentWorld(t)
	started, finish := make(chan struct{}), make(chan struct{})
	counted.hook = func(int32) error {
		close(started)
		<-finish
		return nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var first int
	go func() {
		defer wg.Done()
		resp, _ := w.send(t, create(campaignPath, validBody, "k1"))
		first = resp.StatusCode
	}()
	<-started
	resp, data := w.send(t, create(campaignPath, validBody, "k1"))
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("Retry-After") == "" {
		t.Errorf("while the first runs: %d %s (Retry-After %q), want 409 with Retry-After", resp.StatusCode, data, resp.Header.Get("Retry-After"))
	}
	if resp, _ := w.send(t, create(campaignPath, otherBodyOf(validBody), "k1")); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another body while the first runs: %d, want 422", resp.StatusCode)
	}
	close(finish)
	wg.Wait()
	if first != http.StatusAccepted || counted.creates.Load() != 1 {
		t.Errorf("first = %d, %d creates; want 202 and 1", first, counted.creates.Load())
	}
}

func otherBodyOf(body string) string { return strings.Replace(body, "Renewal", "Other", 1) }

// TestIdempotentCreatesAreRoutes checks that every route the header is
// honoured on is served, and has an access rule.
func TestIdempotentCreatesAreRoutes(t *testing.T) {
	w := newWorld(t)
	n := 0
	for _, rt := range w.srv.Routes() {
		if httpapi.IsIdempotentCreate(rt.Method, rt.Pattern) {
			n++
			if _, ok := httpapi.AccessOf(rt.Method, rt.Pattern); !ok {
				t.Errorf("%s %s has no access rule", rt.Method, rt.Pattern)
			}
		}
	}
	if n != 14 {
		t.Errorf("%d routes honour %s, want the 14 creates", n, httpapi.IdempotencyKeyHeader)
	}
}

// spyIdempotency counts the calls that reach the idempotency store.
type spyIdempotency struct {
	httpapi.Idempotency
	calls atomic.Int32
}

func (s *spyIdempotency) BeginIdempotent(ctx context.Context, rec parley.IdempotencyRecord, now time.Time) (parley.IdempotencyRecord, bool, error) {
	s.calls.Add(1)
	return s.Idempotency.BeginIdempotent(ctx, rec, now)
}

func TestIdempotencyAfterAuthentication(t *testing.T) {
	w := newAuthWorld(t)
	spy := &spyIdempotency{Idempotency: w.store}
	w.srv.Idempotency = spy
	other := "Bearer " + w.mint(t, "acct2", auth.RoleAdmin)
	for _, rt := range w.srv.Routes() {
		if !httpapi.IsIdempotentCreate(rt.Method, rt.Pattern) {
			continue
		}
		for _, authorization := range []string{"", "Bearer not-a-token", other} {
			req := httptest.NewRequest(rt.Method, fill(rt.Pattern, "acct1"), strings.NewReader(`{}`))
			req.Header.Set(httpapi.IdempotencyKeyHeader, "k1")
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden {
				t.Errorf("%s %s with %q: %d, want 401 or 403", rt.Method, rt.Pattern, authorization, rec.Code)
			}
		}
	}
	if n := spy.calls.Load(); n != 0 {
		t.Errorf("refused requests reached the idempotency store %d times", n)
	}
}

func TestIdempotentClientCreate(t *testing.T) {
	w := newAuthWorld(t)
	w.srv.Idempotency = w.store
	admin := "Bearer " + w.mint(t, "acct1", auth.RoleAdmin)
	var answers []httpapi.ClientResponse
	for range 2 {
		req := httptest.NewRequest("POST", "/api/v2/account/acct1/clients", strings.NewReader(`{"name":"crm","role":"campaign_manager"}`))
		req.Header.Set("Authorization", admin)
		req.Header.Set(httpapi.IdempotencyKeyHeader, "client-1")
		resp, data := w.send(t, req)
		var c httpapi.ClientResponse
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &c) != nil || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %s (Cache-Control %q)", resp.StatusCode, data, resp.Header.Get("Cache-Control"))
		}
		answers = append(answers, c)
	}
	if answers[0].ClientID != answers[1].ClientID || answers[1].ClientSecret == "" || answers[0].ClientSecret != answers[1].ClientSecret {
		t.Errorf("answers %+v, want the first replayed, secret and all", answers)
	}
	if cs, err := w.store.ClientsOf(context.Background(), "acct1"); err != nil || len(cs) != 1 {
		t.Errorf("clients = %d, %v; want 1", len(cs), err)
	}
}

// TestOpenAPIIdempotencyKey checks that the document gives the
// Idempotency-Key parameter, and the 409 and 422 answers, to exactly the
// routes that honour it.
func TestOpenAPIIdempotencyKey(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []map[string]any `yaml:"parameters"`
			Responses  map[string]any   `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIDocument(t), &doc); err != nil {
		t.Fatal(err)
	}
	for _, rt := range newWorld(t).srv.Routes() {
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			continue // TestOpenAPIMatchesRouter reports it
		}
		documented := slices.ContainsFunc(op.Parameters, func(p map[string]any) bool {
			return p["$ref"] == "#/components/parameters/idempotencyKey"
		})
		want := httpapi.IsIdempotentCreate(rt.Method, rt.Pattern)
		if documented != want {
			t.Errorf("%s %s: Idempotency-Key documented %t, honoured %t", rt.Method, rt.Pattern, documented, want)
		}
		if want && (op.Responses["409"] == nil || op.Responses["422"] == nil) {
			t.Errorf("%s %s: the 409 and 422 answers are not documented", rt.Method, rt.Pattern)
		}
	}
}

// unkeptIdempotency fails every FinishIdempotent.
type unkeptIdempotency struct {
	httpapi.Idempotency
	finishes atomic.Int32
}

func (u *unkeptIdempotency) FinishIdempotent(ctx context.Context, rec parley.IdempotencyRecord) error {
	u.finishes.Add(1)
	return parley.Errorf(parley.EUNAVAILABLE, "the store is down")
}

// TestIdempotentAnswerNotKept checks that when the store cannot keep an
// answer, the key stays reserved: a retry is 409, and creates nothing.
func TestIdempotentAnswerNotKept(t *testing.T) {
	w, counted, _ := idempotentWorld(t)
	unkept := &unkeptIdempotency{Idempotency: w.store}
	w.srv.Idempotency = unkept
	if resp, data := w.send(t, create(campaignPath, validBody, "k1")); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.send(t, create(campaignPath, validBody, "k1")); resp.StatusCode != http.StatusConflict {
		t.Errorf("retry: %d %s, want 409 until the lease runs out", resp.StatusCode, data)
	}
	if n, f := counted.creates.Load(), unkept.finishes.Load(); n != 1 || f != 3 {
		t.Errorf("%d creates, %d attempts to keep the answer; want 1 and 3", n, f)
	}
}
