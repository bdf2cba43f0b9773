package app_test

import (
	"context"
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/kmssign"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/obs"
)

// TestAuthorizerRefusesRevokedClient plays the authorizer function as it
// runs on AWS (app.Verifier on DynamoDB) against an API client's token:
// authorized while the client lives, refused within the cache bound once
// the api function rotates it, and again once it revokes it.
func TestAuthorizerRefusesRevokedClient(t *testing.T) {
	ctx := context.Background()
	a := awsApp(t)
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New(noon.Now())
	verifier, err := app.Verifier(ctx, cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	authorizer := lambdafn.Authorizer(verifier, obs.Discard())
	authorized := func(token string) bool {
		t.Helper()
		resp, err := authorizer(ctx, authorizerEvent(t, "authorizer.json", token))
		if err != nil {
			t.Fatal(err)
		}
		return resp.IsAuthorized
	}

	creds, err := a.API.Clients.Create(ctx, "demo", auth.RoleSupport, "CRM")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := a.API.Clients.Exchange(ctx, creds.Client.ID, creds.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if !authorized(issued.AccessToken) {
		t.Fatal("a live client's token was refused")
	}
	rotated, err := a.API.Clients.Rotate(ctx, "demo", creds.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(auth.ClientCacheTTL)
	if authorized(issued.AccessToken) {
		t.Errorf("a token of the secret rotated away was authorized %s later", auth.ClientCacheTTL)
	}
	issued, err = a.API.Clients.Exchange(ctx, creds.Client.ID, rotated.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if !authorized(issued.AccessToken) {
		t.Fatal("a token of the new secret was refused")
	}
	if err := a.API.Clients.Revoke(ctx, "demo", creds.Client.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(auth.ClientCacheTTL)
	if authorized(issued.AccessToken) {
		t.Errorf("a revoked client's token was authorized %s later", auth.ClientCacheTTL)
	}
}

// TestAWSSignsWithKMS: on the aws backend the app signs tokens with a KMS
// key and publishes its public key, and no private key is in the process.
func TestAWSSignsWithKMS(t *testing.T) {
	a := awsApp(t)
	tokens := a.API.Auth.(*auth.Tokens)
	signer, ok := tokens.Keys.Signing().(*kmssign.Signer)
	if !ok {
		t.Fatalf("the app signs with %T, want a KMS key", tokens.Keys.Signing())
	}
	if jwks := tokens.JWKS(); len(jwks.Keys) != 1 || jwks.Keys[0].Kid != signer.Public().ID() {
		t.Errorf("JWKS %+v, want the KMS key %s", jwks, signer.Public().ID())
	}
}
