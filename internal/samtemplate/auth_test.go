package samtemplate

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parleyhq/parley/internal/auth/kmssign"
	"github.com/parleyhq/parley/internal/lambdafn"
)

// grants returns the actions a function's inline policy statements allow,
// each with the logical ids of the resources the statement names
// (resources given otherwise, such as "*", count as "*").
func grants(fn *yaml.Node) map[string][]string {
	out := map[string][]string{}
	for _, policy := range items(lookup(fn, "Properties", "Policies")) {
		for _, stmt := range items(lookup(policy, "Statement")) {
			if value(lookup(stmt, "Effect")) != "Allow" {
				continue
			}
			var targets []string
			for _, r := range items(lookup(stmt, "Resource")) {
				target := refTarget(r)
				if target == "" {
					target = "*"
				}
				targets = append(targets, target)
			}
			for _, a := range values(lookup(stmt, "Action")) {
				out[a] = append(out[a], targets...)
			}
		}
	}
	return out
}

// items returns a sequence's items, or a single node as the one item.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		return n.Content
	}
	return []*yaml.Node{n}
}

// TestAuthorizerChecksClients checks that API Gateway caches the
// authorizer's decisions no longer than lambdafn.AuthorizerCacheTTL (not
// at all), that it lists no identity source, without which it would refuse
// a request carrying the other credential (a bearer token or a session
// cookie) before the authorizer saw it, and that the authorizer may read
// the table, where it checks that a token's API client is neither revoked
// nor rotated.
func TestAuthorizerChecksClients(t *testing.T) {
	tmpl := loadTemplate(t)
	authorizer := mustFunctionFor(t, tmpl, "authorizer")
	var fnRef string
	var identity *yaml.Node
	for _, api := range resourcesOfType(tmpl, "AWS::Serverless::HttpApi") {
		for _, a := range entries(lookup(api.node, "Properties", "Auth", "Authorizers")) {
			fnRef, identity = refTarget(lookup(a, "FunctionArn")), lookup(a, "Identity")
		}
	}
	if fnRef != authorizer.name {
		t.Fatalf("the HTTP API's authorizer is %q, want %s", fnRef, authorizer.name)
	}
	ttl := lookup(identity, "ReauthorizeEvery")
	seconds, err := strconv.Atoi(value(ttl))
	if err != nil || time.Duration(seconds)*time.Second > lambdafn.AuthorizerCacheTTL {
		t.Errorf("ReauthorizeEvery = %q, want at most %s: a cache needs an identity source, and it lets a revoked client's tokens through", value(ttl), lambdafn.AuthorizerCacheTTL)
	}
	for _, source := range []string{"Headers", "QueryStrings", "StageVariables", "Context"} {
		if got := values(lookup(identity, source)); len(got) > 0 {
			t.Errorf("the authorizer's identity sources include %s %q: API Gateway refuses a request without them before the authorizer sees it, so a bearer token and a session cookie cannot both get through", source, got)
		}
	}
	if got := grants(authorizer.node)["dynamodb:GetItem"]; !slices.Contains(got, "Table") {
		t.Errorf("%s may dynamodb:GetItem on %q, want Table", authorizer.name, got)
	}
}

// TestSigningKeyInKMS checks that on AWS tokens are signed by a KMS key
// and no private key sits in any function's environment: no function (nor
// Globals) declares PARLEY_SIGNING_KEY, every function gets
// PARLEY_SIGNING_KMS_KEY_ID naming a SIGN_VERIFY key of kmssign.KeySpec,
// each may read its public key, and only the api function may sign.
func TestSigningKeyInKMS(t *testing.T) {
	tmpl := loadTemplate(t)
	if names := envNames(tmpl); slices.Contains(names, "PARLEY_SIGNING_KEY") {
		t.Error("template.yaml puts PARLEY_SIGNING_KEY in an environment: on AWS the signing key stays in KMS")
	}
	for name := range entries(lookup(tmpl, "Parameters")) {
		if name == "SigningKey" {
			t.Error("template.yaml still takes a SigningKey parameter")
		}
	}
	keyID := refTarget(lookup(tmpl, "Globals", "Function", "Environment", "Variables", "PARLEY_SIGNING_KMS_KEY_ID"))
	key := mustResource(t, tmpl, keyID, "AWS::KMS::Key")
	if got := value(lookup(key, "Properties", "KeyUsage")); got != "SIGN_VERIFY" {
		t.Errorf("%s KeyUsage = %q, want SIGN_VERIFY", keyID, got)
	}
	if got := value(lookup(key, "Properties", "KeySpec")); got != string(kmssign.KeySpec) {
		t.Errorf("%s KeySpec = %q, want %s", keyID, got, kmssign.KeySpec)
	}
	var aliased bool
	for _, a := range resourcesOfType(tmpl, "AWS::KMS::Alias") {
		aliased = aliased || refTarget(lookup(a.node, "Properties", "TargetKeyId")) == keyID
	}
	if !aliased {
		t.Errorf("%s has no alias", keyID)
	}
	api := mustFunctionFor(t, tmpl, "api")
	for _, fn := range resourcesOfType(tmpl, functionType) {
		if v := lookup(fn.node, "Properties", "Environment", "Variables", "PARLEY_SIGNING_KMS_KEY_ID"); v != nil && refTarget(v) != keyID {
			t.Errorf("%s overrides PARLEY_SIGNING_KMS_KEY_ID", fn.name)
		}
		g := grants(fn.node)
		if !slices.Contains(g["kms:GetPublicKey"], keyID) {
			t.Errorf("%s may not kms:GetPublicKey on %s, which it reads at cold start", fn.name, keyID)
		}
		isAPI := fn.name == api.name
		if signs := len(g["kms:Sign"]) > 0 || len(g["kms:*"]) > 0; signs != isAPI {
			t.Errorf("%s may kms:Sign: %v, want %v (only the api function issues tokens)", fn.name, signs, isAPI)
		}
		if isAPI && !slices.Contains(g["kms:Sign"], keyID) {
			t.Errorf("%s may not kms:Sign on %s", fn.name, keyID)
		}
	}
}
