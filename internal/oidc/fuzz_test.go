package oidc_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/oidc"
	"github.com/parleyhq/parley/internal/oidc/oidctest"
	"github.com/parleyhq/parley/internal/parley"
)

// FuzzVerify feeds arbitrary ID tokens to the verifier: it never panics,
// and every refusal is EUNAUTHORIZED, so nothing an identity provider or
// a browser sends can crash the callback or be taken for a session.
func FuzzVerify(f *testing.F) {
	is := oidctest.New(f, "client", "", "http://127.0.0.1/auth/callback")
	p, err := oidc.New(oidc.Config{Issuer: is.URL, ClientID: "client"}, nil, parley.SystemClock{})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", ".", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		"eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJpc3MiOiJ4In0.c2ln"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := p.Verify(context.Background(), raw, "nonce")
		if err == nil {
			t.Fatalf("%q verified", raw)
		}
		if code := parley.ErrorCode(err); code != parley.EUNAUTHORIZED {
			t.Fatalf("%q: %s %v, want unauthorized", raw, code, err)
		}
	})
}
