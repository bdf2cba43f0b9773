package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/web/browsertest"
)

// TestMain keeps the tests' servers' records out of the user's cache
// directory, and stops the browser the webtool's tests share.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-record")
	if err != nil {
		panic(err)
	}
	recordPath = func() string { return filepath.Join(dir, "serve.json") }
	code := m.Run()
	browsertest.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestCommandsFindTheRunningServer: run from another directory without
// flags, the commands reach the running server and sign with its key; told
// another data directory, they say it differs from the running server's
// and create no key there.
func TestCommandsFindTheRunningServer(t *testing.T) { eachDay(t, testCommandsFindTheRunningServer) }

func testCommandsFindTheRunningServer(t *testing.T, clock parley.Clock) {
	t.Setenv("PARLEY_ADDR", "")
	t.Setenv("PARLEY_DATA_DIR", "")
	t.Setenv("PARLEY_TOKEN", "")
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)

	var out, errOut bytes.Buffer
	if code := runAt(clock, []string{"dlq", "redrive"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"redriven"`) {
		t.Fatalf("parley dlq redrive from another directory: exit %d, %q %q", code, out.String(), errOut.String())
	}
	if code := runAt(clock, []string{"sandbox", "messages"}, io.Discard, &errOut); code != 0 {
		t.Fatalf("parley sandbox messages from another directory: exit %d, %q", code, errOut.String())
	}
	if code := runAt(clock, []string{"token", "--account", "demo"}, io.Discard, &errOut); code != 0 {
		t.Fatalf("parley token from another directory: exit %d, %q", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(elsewhere, ".parley")); !os.IsNotExist(err) {
		t.Errorf("a command created a data directory where it was run: %v", err)
	}

	other := t.TempDir()
	errOut.Reset()
	code := runAt(clock, []string{"dlq", "redrive", "--data", other}, io.Discard, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "note: --data is "+other) || !strings.Contains(errOut.String(), "parley serve creates it") {
		t.Errorf("parley dlq redrive --data %s: exit %d, %q", other, code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(other, signingkey.FileName)); !os.IsNotExist(err) {
		t.Errorf("a command created a signing key: %v", err)
	}

	s.stop()
	if _, ok := readRecord(); ok {
		t.Error("the record outlived the server")
	}
}
