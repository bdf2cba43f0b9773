package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

// remote is a running parley serve, addressed by the --addr flag.
type remote struct {
	addr string
	// token is the bearer token sent: PARLEY_TOKEN, or a token minted
	// with the local signing key (see mint): an operator's for operator
	// routes, else an admin's of account.
	token    string
	data     string
	account  string
	operator bool
	clock    parley.Clock
}

// parseRemote reads the --addr and --data flags of an operator command;
// what they leave unsaid comes from the environment, then from the record
// of the running parley serve (see setting.locate).
func parseRemote(clock parley.Clock, name string, operator bool, args []string, stderr io.Writer) (*remote, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	r := &remote{addr: cfg.Addr, data: cfg.DataDir, token: os.Getenv("PARLEY_TOKEN"), clock: clock, operator: operator}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&r.addr, "addr", r.addr, "address of parley serve (PARLEY_ADDR; else the running server's)")
	fs.StringVar(&r.data, "data", r.data, "data directory of parley serve, whose key signs the token (PARLEY_DATA_DIR; else the running server's)")
	if !operator {
		fs.StringVar(&r.account, "account", "demo", "the account whose data the command reads")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	addrSetting.locate(fs, &r.addr, stderr)
	dataSetting.locate(fs, &r.data, stderr)
	return r, nil
}

// mint mints a short-lived token with the signing key parley serve uses,
// for someone on the same machine: an operator token for operator routes,
// else an admin token of r.account.
func (r *remote) mint() (string, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return "", err
	}
	cfg.DataDir = r.data
	ctx := context.Background()
	tokens, err := signingkey.ExistingTokens(ctx, cfg, r.clock)
	if err != nil {
		return "", err
	}
	p := auth.Principal{AccountID: r.account, Role: auth.RoleAdmin, Subject: "parley-cli"}
	if r.operator {
		tokens, p = tokens.Operators(), auth.Principal{AccountID: operatorAccount, Role: auth.RoleOperator, Subject: "parley-cli"}
	}
	tok, err := tokens.Issue(ctx, p, 5*time.Minute)
	return tok.AccessToken, err
}

// call sends a request and writes the JSON answer, indented, to out.
func (r *remote) call(method, path string, out io.Writer) error {
	req, err := http.NewRequest(method, "http://"+r.addr+path, nil)
	if err != nil {
		return err
	}
	if r.token == "" {
		if r.token, err = r.mint(); err != nil {
			return fmt.Errorf("no PARLEY_TOKEN, and no token could be minted: %w", err)
		}
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("is parley serve running on %s? %w", r.addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, body)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err != nil {
		return fmt.Errorf("%s %s answered non-JSON: %w", method, path, err)
	}
	indented.WriteByte('\n')
	_, err = indented.WriteTo(out)
	return err
}
