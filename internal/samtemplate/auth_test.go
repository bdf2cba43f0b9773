package samtemplate

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

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
// authorizer's decisions no longer than lambdafn.AuthorizerCacheTTL, and
// that the authorizer may read the table, where it checks that a token's
// API client is neither revoked nor rotated.
func TestAuthorizerChecksClients(t *testing.T) {
	tmpl := loadTemplate(t)
	authorizer := mustFunctionFor(t, tmpl, "authorizer")
	var fnRef string
	var ttl *yaml.Node
	for _, api := range resourcesOfType(tmpl, "AWS::Serverless::HttpApi") {
		for _, a := range entries(lookup(api.node, "Properties", "Auth", "Authorizers")) {
			fnRef, ttl = refTarget(lookup(a, "FunctionArn")), lookup(a, "Identity", "ReauthorizeEvery")
		}
	}
	if fnRef != authorizer.name {
		t.Fatalf("the HTTP API's authorizer is %q, want %s", fnRef, authorizer.name)
	}
	seconds, err := strconv.Atoi(value(ttl))
	if err != nil || time.Duration(seconds)*time.Second > lambdafn.AuthorizerCacheTTL {
		t.Errorf("ReauthorizeEvery = %q, want at most %s: a longer cache lets a revoked client's tokens through", value(ttl), lambdafn.AuthorizerCacheTTL)
	}
	if got := grants(authorizer.node)["dynamodb:GetItem"]; !slices.Contains(got, "Table") {
		t.Errorf("%s may dynamodb:GetItem on %q, want Table", authorizer.name, got)
	}
}
