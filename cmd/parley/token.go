package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

// operatorAccount is the account claim of operator tokens, which name no
// tenant.
const operatorAccount = "operator"

// token prints a development access token that parley serve accepts: signed
// with the key serve uses (PARLEY_SIGNING_KEY, else the key serve created
// under its data directory: --data, PARLEY_DATA_DIR, else the running
// server's), for the configured issuer and audience, issued at clock's now.
func token(clock parley.Clock, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	account := fs.String("account", "", "account the token is for (required)")
	role := fs.String("role", string(auth.RoleAdmin), "admin, campaign_manager, support, agent or agent_manager")
	operator := fs.Bool("operator", false, "an operator token (for /admin routes), for no tenant")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (at most PARLEY_MAX_TOKEN_TTL: 720h on the embedded backend)")
	subject := fs.String("subject", "dev", "who the token is for (its sub claim)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory of parley serve (PARLEY_DATA_DIR; else the running server's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dataSetting.locate(fs, &cfg.DataDir, stderr)
	if *operator {
		*account, *role = operatorAccount, string(auth.RoleOperator)
	}
	if *account == "" {
		return fmt.Errorf("--account is required (or --operator)")
	}
	r, err := auth.ParseTenantRole(*role, "role")
	if *operator {
		r, err = auth.RoleOperator, nil
	}
	if err != nil {
		return fmt.Errorf("--role: %s", parley.ErrorMessage(err))
	}
	ctx := context.Background()
	tokens, err := signingkey.ExistingTokens(ctx, cfg, clock)
	if err != nil {
		return err
	}
	if *operator {
		tokens = tokens.Operators()
	}
	tok, err := tokens.Issue(ctx, auth.Principal{AccountID: *account, Role: r, Subject: *subject}, *ttl)
	if parley.ErrorField(err) == "ttl" {
		return fmt.Errorf("--ttl: %s", parley.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok.AccessToken)
	return err
}
