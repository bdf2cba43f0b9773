package auth_test

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
)

// cachedClients is the client service with its tokens verified as the
// app wires them: through a ClientCache of ClientCacheTTL on clock.
func cachedClients(t *testing.T) (*auth.Clients, *clocktest.Clock) {
	t.Helper()
	svc, s := newClients(t)
	clock := clocktest.New(now)
	svc.Tokens.Clock, svc.Clock = clock, clock
	svc.Tokens.Clients = auth.NewClientCache(s, auth.ClientCacheTTL, clock)
	return svc, clock
}

// exchange creates a client of account A and exchanges its secret.
func exchange(t *testing.T, svc *auth.Clients) (auth.Credentials, string) {
	t.Helper()
	ctx := context.Background()
	creds, err := svc.Create(ctx, "A", auth.RoleCampaignManager, "CRM")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := svc.Exchange(ctx, creds.Client.ID, creds.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Tokens.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("a fresh client token: %v", err)
	}
	return creds, tok.AccessToken
}

// wantRefused checks that token no longer verifies, with a reason naming
// want.
func wantRefused(t *testing.T, tokens *auth.Tokens, token, want string) {
	t.Helper()
	if p, err := tokens.Verify(context.Background(), token); parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), want) {
		t.Errorf("Verify = %+v, %v; want EUNAUTHORIZED naming %q", p, err, want)
	}
}

// TestRevokedClientTokenRefused: a revoked client's tokens stop verifying
// once the verifier's cache has run out (ClientCacheTTL), though they have
// not expired.
func TestRevokedClientTokenRefused(t *testing.T) {
	ctx := context.Background()
	svc, clock := cachedClients(t)
	creds, token := exchange(t, svc)
	if err := svc.Revoke(ctx, "A", creds.Client.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(auth.ClientCacheTTL)
	wantRefused(t, svc.Tokens, token, "revoked")

	uncached := *svc.Tokens
	uncached.Clients = svc.Store
	wantRefused(t, &uncached, token, "revoked")
}

// TestRotatedClientTokenRefused: rotating a client retires the tokens its
// old secret obtained, and tokens from the new secret verify.
func TestRotatedClientTokenRefused(t *testing.T) {
	ctx := context.Background()
	svc, clock := cachedClients(t)
	creds, token := exchange(t, svc)
	rotated, err := svc.Rotate(ctx, "A", creds.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Client.KeyVersion != creds.Client.KeyVersion+1 {
		t.Errorf("key version %d after rotating version %d", rotated.Client.KeyVersion, creds.Client.KeyVersion)
	}
	clock.Advance(auth.ClientCacheTTL)
	wantRefused(t, svc.Tokens, token, "rotated")

	fresh, err := svc.Exchange(ctx, creds.Client.ID, rotated.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Tokens.Verify(ctx, fresh.AccessToken); err != nil {
		t.Errorf("a token of the rotated secret: %v", err)
	}
}

// TestClientTokensNeedTheStore: a verifier that cannot look clients up
// fails rather than accept a client's token unchecked.
func TestClientTokensNeedTheStore(t *testing.T) {
	svc, _ := newClients(t)
	_, token := exchange(t, svc)
	blind := *svc.Tokens
	blind.Clients = nil
	if _, err := blind.Verify(context.Background(), token); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Errorf("Verify without a client store = %v, want EUNAVAILABLE", err)
	}
}

// TestTokenLifetimeOverMaxRefused: a token living longer from iat to exp
// than MaxTTL is refused however validly signed, up to an exp in the year
// 9999; Issue refuses to mint one.
func TestTokenLifetimeOverMaxRefused(t *testing.T) {
	k := testKeys()
	header := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.ed.ID()}
	iat := now.Add(-10 * time.Second)
	year9999 := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name   string
		maxTTL time.Duration // 0: the default, an hour
		exp    time.Time
		want   string // "" when it verifies
	}{
		{"exp in 9999", 0, year9999, "at most"},
		{"exp in 9999, the embedded maximum", 720 * time.Hour, year9999, "at most"},
		{"a day", 0, iat.Add(24 * time.Hour), "at most"},
		{"an hour and a second", 0, iat.Add(time.Hour + time.Second), "at most"},
		{"an hour", 0, iat.Add(time.Hour), ""},
		{"30 days under a 720h maximum", 720 * time.Hour, iat.Add(720 * time.Hour), ""},
		{"15 minutes and a second under a 15m maximum", 15 * time.Minute, iat.Add(15*time.Minute + time.Second), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier(t)
			v.MaxTTL = tt.maxTTL
			token := forge(header, claims(map[string]any{"iat": iat.Unix(), "exp": tt.exp.Unix()}), edSigner(k.edPriv))
			_, err := v.Verify(context.Background(), token)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Verify: %v", err)
			case tt.want != "":
				wantRefused(t, v, token, tt.want)
			}
		})
	}
	v := verifier(t)
	p := auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "dev"}
	if _, err := v.Issue(context.Background(), p, time.Hour+time.Second); parley.ErrorField(err) != "ttl" {
		t.Errorf("Issue beyond MaxTTL = %v, want EINVALID on ttl", err)
	}
	v.MaxTTL = 15 * time.Minute
	svc, _ := newClients(t)
	svc.Tokens.MaxTTL = 15 * time.Minute
	_, token := exchange(t, svc)
	if parsed, _ := auth.Parse(token); time.Duration(parsed.Claims.Expires-parsed.Claims.IssuedAt)*time.Second != 15*time.Minute {
		t.Errorf("a client token under a 15m maximum lives %ds", parsed.Claims.Expires-parsed.Claims.IssuedAt)
	}
}

// TestTokensCarryJTI: every token has its own random jti, and a client's
// tokens name the client and its key version.
func TestTokensCarryJTI(t *testing.T) {
	ctx := context.Background()
	v := verifier(t)
	p := auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "dev"}
	seen := map[string]bool{}
	for range 3 {
		tok, err := v.Issue(ctx, p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := auth.Parse(tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		c := parsed.Claims
		if b, err := hex.DecodeString(c.ID); err != nil || len(b) != 16 || seen[c.ID] {
			t.Errorf("jti %q: want 16 random bytes in hex, unlike %v", c.ID, seen)
		}
		seen[c.ID] = true
		if c.ClientID != "" || c.ClientVersion != 0 {
			t.Errorf("a development token names client %q version %d", c.ClientID, c.ClientVersion)
		}
	}

	svc, _ := newClients(t)
	creds, token := exchange(t, svc)
	parsed, err := auth.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	if c := parsed.Claims; c.ID == "" || seen[c.ID] || c.ClientID != creds.Client.ID || c.ClientVersion != 1 || c.Subject != creds.Client.ID {
		t.Errorf("client token claims %+v, want a new jti, client_id %s and client_version 1", c, creds.Client.ID)
	}
}

// countingClients counts the reads that reach the store.
type countingClients struct {
	auth.ClientReader
	mu    sync.Mutex
	reads int
	fail  error
}

func (c *countingClients) Client(ctx context.Context, id string) (parley.APIClient, error) {
	c.mu.Lock()
	c.reads++
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return parley.APIClient{}, fail
	}
	return c.ClientReader.Client(ctx, id)
}

func TestClientCache(t *testing.T) {
	ctx := context.Background()
	_, s := newClients(t)
	if err := s.PutClient(ctx, parley.APIClient{ID: "pc_1", AccountID: "A", Role: "admin", SecretHash: "$argon2id$x", KeyVersion: 3}); err != nil {
		t.Fatal(err)
	}
	store := &countingClients{ClientReader: s}
	clock := clocktest.New(now)
	cache := auth.NewClientCache(store, 5*time.Second, clock)
	read := func(id string) (parley.APIClient, error) {
		t.Helper()
		return cache.Client(ctx, id)
	}
	for range 3 {
		if c, err := read("pc_1"); err != nil || c.KeyVersion != 3 || c.SecretHash != "" {
			t.Fatalf("cached read = %+v, %v; want version 3 without its hash", c, err)
		}
		if _, err := read("pc_none"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("unknown client: %v", err)
		}
	}
	if store.reads != 2 {
		t.Errorf("%d store reads for two clients within the TTL", store.reads)
	}
	clock.Advance(5 * time.Second)
	store.fail = parley.Errorf(parley.EUNAVAILABLE, "throttled")
	for range 2 {
		if _, err := read("pc_1"); parley.ErrorCode(err) != parley.EUNAVAILABLE {
			t.Errorf("after the TTL with the store failing: %v", err)
		}
	}
	if store.reads != 4 {
		t.Errorf("%d store reads: a failed read was cached", store.reads)
	}
	store.fail = nil
	clock.Advance(-time.Minute)
	if _, err := read("pc_1"); err != nil || store.reads != 5 {
		t.Errorf("after the clock went back: %v, %d reads; want a fresh read", err, store.reads)
	}
}

// TestClientTokenMustMatchClient: a token naming a client must carry the
// client's own account, role and id.
func TestClientTokenMustMatchClient(t *testing.T) {
	ctx := context.Background()
	svc, s := newClients(t)
	if err := s.PutClient(ctx, parley.APIClient{ID: "pc_1", AccountID: "B", Role: "support", KeyVersion: 1}); err != nil {
		t.Fatal(err)
	}
	k := testKeys()
	header := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.ed.ID()}
	for name, c := range map[string]map[string]any{
		"another account": {"client_id": "pc_1", "client_version": 1, "account": "A", "role": "support"},
		"another role":    {"client_id": "pc_1", "client_version": 1, "account": "B", "role": "admin"},
		"another subject": {"client_id": "pc_1", "client_version": 1, "account": "B", "role": "support", "sub": "pc_2"},
	} {
		t.Run(name, func(t *testing.T) {
			wantRefused(t, svc.Tokens, forge(header, claims(c), edSigner(k.edPriv)), "does not match")
		})
	}
	ok := forge(header, claims(map[string]any{"client_id": "pc_1", "client_version": 1, "account": "B", "role": "support"}), edSigner(k.edPriv))
	if _, err := svc.Tokens.Verify(ctx, ok); err != nil {
		t.Errorf("the client's own token: %v", err)
	}
}
