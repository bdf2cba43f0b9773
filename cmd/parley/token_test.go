package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

// TestTokenCommand checks that parley token mints a token that verifies
// with the keys parley serve resolves from the same data directory.
func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"token", "--account", "acme", "--data", dir}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "parley serve creates it") {
		t.Fatalf("parley token before the server made its key: exit %d, %q", code, errOut.String())
	}
	if _, err := signingkey.Tokens(context.Background(), config.Config{Backend: config.BackendEmbedded, DataDir: dir}, parley.SystemClock{}); err != nil {
		t.Fatal(err) // the server's first start
	}
	out.Reset()
	if code := run([]string{"token", "--account", "acme", "--role", "support", "--ttl", "10m", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("parley token exited %d: %s", code, errOut.String())
	}
	tokens, err := signingkey.Tokens(context.Background(), config.Config{Backend: config.BackendEmbedded, DataDir: dir}, parley.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tokens.Verify(context.Background(), strings.TrimSpace(out.String()))
	if err != nil || p != (auth.Principal{AccountID: "acme", Role: auth.RoleSupport, Subject: "dev"}) {
		t.Fatalf("the token speaks for %+v, %v", p, err)
	}
	for _, args := range [][]string{
		{"token", "--data", dir},
		{"token", "--account", "acme", "--role", "root", "--data", dir},
		{"token", "--account", "acme", "--ttl", "0s", "--data", dir},
		{"token", "--account", "acme", "--ttl", "721h", "--data", dir},
	} {
		var errOut bytes.Buffer
		if code := run(args, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "parley:") {
			t.Errorf("parley %v: exit %d, %q", args, code, errOut.String())
		}
	}
}
