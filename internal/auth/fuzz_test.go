package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// FuzzParse feeds arbitrary strings to the token parser and verifier: they
// must never panic, every refusal is EUNAUTHORIZED, and nothing but the
// one genuinely signed token verifies.
func FuzzParse(f *testing.F) {
	v := verifier(f)
	valid, err := v.Issue(context.Background(), auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "s"}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(valid.AccessToken, ".")
	k := testKeys()
	for _, seed := range []string{
		valid.AccessToken,
		"", ".", "..", "...", "a.b.c",
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2],
		forge(map[string]any{"alg": "none"}, claims(nil), func([]byte) []byte { return nil }),
		forge(map[string]any{"alg": "HS256", "kid": k.rsa.ID()}, claims(nil), hmacSigner([]byte("k"))),
		forge(map[string]any{"alg": "EdDSA", "kid": k.ed.ID()}, map[string]any{"aud": []any{1, 2}, "exp": "soon"}, edSigner(k.edPriv)),
		seg(map[string]any{"alg": "EdDSA", "crit": []string{"x"}}) + "." + parts[1] + "." + parts[2],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := auth.Parse(token); err != nil && parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Fatalf("Parse error %v is not EUNAUTHORIZED", err)
		}
		p, err := v.Verify(context.Background(), token)
		switch {
		case err == nil && token != valid.AccessToken:
			t.Fatalf("a token other than the signed one verified: %q → %+v", token, p)
		case err != nil && parley.ErrorCode(err) != parley.EUNAUTHORIZED:
			t.Fatalf("Verify error %v is not EUNAUTHORIZED", err)
		}
	})
}
