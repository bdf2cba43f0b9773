package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Backend: "embedded", DataDir: ".parley", Addr: "127.0.0.1:8080", Gateway: "sandbox", LogLevel: "INFO", Workers: 4, MPS: 10, Burst: 1,
		Issuer: "parley", Audience: "parley-api", CreateRate: 10, RequestRate: 10, MaxTokenTTL: 720 * time.Hour, RangeJobs: true}
	if c != want {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
	if c, err := FromEnv(env(map[string]string{"PARLEY_BACKEND": "aws", "PARLEY_TABLE": "t", "PARLEY_JOBS_QUEUE_URL": "https://q"})); err != nil || c.MaxTokenTTL != time.Hour {
		t.Errorf("aws MaxTokenTTL = %s, %v; want 1h", c.MaxTokenTTL, err)
	}
	if c, err := FromEnv(env(map[string]string{"PARLEY_RANGE_JOBS": "false"})); err != nil || c.RangeJobs {
		t.Errorf("PARLEY_RANGE_JOBS=false: range jobs %v, %v", c.RangeJobs, err)
	}
	if c.Egress().AllowLoopback {
		t.Error("loopback egress is allowed by default")
	}
	if c, err := FromEnv(env(map[string]string{"PARLEY_ALLOW_LOOPBACK_EGRESS": "true"})); err != nil || !c.Egress().AllowLoopback {
		t.Errorf("PARLEY_ALLOW_LOOPBACK_EGRESS=true: %+v, %v", c, err)
	}
	tests := []struct {
		name string
		env  map[string]string
		err  string
	}{
		{"aws complete", map[string]string{"PARLEY_BACKEND": "aws", "PARLEY_TABLE": "t", "PARLEY_JOBS_QUEUE_URL": "https://q"}, ""},
		{"aws on emulator", map[string]string{"PARLEY_BACKEND": "aws", "PARLEY_TABLE": "t", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, ""},
		{"aws without table", map[string]string{"PARLEY_BACKEND": "aws", "PARLEY_JOBS_QUEUE_URL": "q"}, "PARLEY_TABLE"},
		{"aws without queue", map[string]string{"PARLEY_BACKEND": "aws", "PARLEY_TABLE": "t"}, "PARLEY_JOBS_QUEUE_URL"},
		{"unknown backend", map[string]string{"PARLEY_BACKEND": "redis"}, "PARLEY_BACKEND"},
		{"unknown gateway", map[string]string{"PARLEY_GATEWAY": "carrier-pigeon"}, "PARLEY_GATEWAY"},
		{"bad workers", map[string]string{"PARLEY_WORKERS": "many"}, "PARLEY_WORKERS"},
		{"zero workers", map[string]string{"PARLEY_WORKERS": "0"}, "PARLEY_WORKERS"},
		{"fractional rate", map[string]string{"PARLEY_MPS": "0.5"}, ""},
		{"zero rate", map[string]string{"PARLEY_MPS": "0"}, "PARLEY_MPS"},
		{"burst zero", map[string]string{"PARLEY_BURST": "0"}, "PARLEY_BURST"},
		{"request rate", map[string]string{"PARLEY_REQUEST_RATE": "50"}, ""},
		{"request rate zero", map[string]string{"PARLEY_REQUEST_RATE": "0"}, "PARLEY_REQUEST_RATE"},
		{"public url", map[string]string{"PARLEY_PUBLIC_URL": "https://api.example.com/parley/"}, ""},
		{"public url without scheme", map[string]string{"PARLEY_PUBLIC_URL": "api.example.com"}, "PARLEY_PUBLIC_URL"},
		{"public url with a query", map[string]string{"PARLEY_PUBLIC_URL": "https://api.example.com/?x=1"}, "PARLEY_PUBLIC_URL"},
		{"public url with credentials", map[string]string{"PARLEY_PUBLIC_URL": "https://u:p@api.example.com"}, "PARLEY_PUBLIC_URL"},
		{"kms signing key", map[string]string{"PARLEY_SIGNING_KMS_KEY_ID": "alias/parley-signing"}, ""},
		{"two signing keys", map[string]string{"PARLEY_SIGNING_KMS_KEY_ID": "alias/parley-signing", "PARLEY_SIGNING_KEY": "pem"}, "PARLEY_SIGNING_KMS_KEY_ID"},
		{"signing key in a Lambda function", map[string]string{"PARLEY_SIGNING_KEY": "pem", "AWS_LAMBDA_FUNCTION_NAME": "api"}, "KMS"},
		{"kms in a Lambda function", map[string]string{"PARLEY_SIGNING_KMS_KEY_ID": "alias/parley-signing", "AWS_LAMBDA_FUNCTION_NAME": "api"}, ""},
		{"max token ttl", map[string]string{"PARLEY_MAX_TOKEN_TTL": "15m"}, ""},
		{"max token ttl not a duration", map[string]string{"PARLEY_MAX_TOKEN_TTL": "3600"}, "PARLEY_MAX_TOKEN_TTL"},
		{"max token ttl too short", map[string]string{"PARLEY_MAX_TOKEN_TTL": "1m"}, "PARLEY_MAX_TOKEN_TTL"},
		{"max token ttl too long", map[string]string{"PARLEY_MAX_TOKEN_TTL": "8760h"}, "PARLEY_MAX_TOKEN_TTL"},
		{"no range jobs", map[string]string{"PARLEY_RANGE_JOBS": "false"}, ""},
		{"range jobs garbled", map[string]string{"PARLEY_RANGE_JOBS": "some"}, "PARLEY_RANGE_JOBS"},
		{"loopback egress", map[string]string{"PARLEY_ALLOW_LOOPBACK_EGRESS": "true"}, ""},
		{"loopback egress off", map[string]string{"PARLEY_ALLOW_LOOPBACK_EGRESS": "false"}, ""},
		{"loopback egress garbled", map[string]string{"PARLEY_ALLOW_LOOPBACK_EGRESS": "yes please"}, "PARLEY_ALLOW_LOOPBACK_EGRESS"},
		{"loopback egress in Lambda", map[string]string{"PARLEY_ALLOW_LOOPBACK_EGRESS": "true", "AWS_LAMBDA_FUNCTION_NAME": "parley-api"}, "PARLEY_ALLOW_LOOPBACK_EGRESS"},
		{"oidc client secret in Lambda", map[string]string{"PARLEY_OIDC_CLIENT_SECRET": "s", "AWS_LAMBDA_FUNCTION_NAME": "parley-api"}, "PARLEY_OIDC_CLIENT_SECRET"},
	}
	if c, err := FromEnv(env(map[string]string{"PARLEY_SECRETS_KMS_KEY_ID": " alias/parley-secrets "})); err != nil || c.SecretsKMSKeyID != "alias/parley-secrets" {
		t.Errorf("SecretsKMSKeyID = %q, %v", c.SecretsKMSKeyID, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(tt.env))
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("FromEnv = %v, want an error naming %q", err, tt.err)
			}
		})
	}
}

// TestNamesDocumented checks that the README documents every variable.
func TestNamesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names {
		if !regexp.MustCompile(`\b` + n + `\b`).Match(readme) {
			t.Errorf("README.md does not document %s", n)
		}
	}
}
