package push

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func FuzzParseServiceAccount(f *testing.F) {
	f.Add(keyFileJSON(f, DefaultTokenURI, nil))
	f.Add(keyFileJSON(f, "", func(m map[string]any) {
		m["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	}))
	f.Add(keyFileJSON(f, "https://oauth2.googleapis.com/token?x=1", func(m map[string]any) { m["project_id"] = "a:b.c-d" }))
	f.Add([]byte(`{"type":"service_account"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseServiceAccount(data)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			var k keyFile
			if json.Unmarshal(data, &k) == nil && len(k.PrivateKey) > 16 && strings.Contains(err.Error(), k.PrivateKey) {
				t.Fatalf("error quotes the private key: %v", err)
			}
			return
		}
		if a.Type != "service_account" || !validProjectID(a.ProjectID) || a.PrivateKeyID == "" || !httpsURL(a.TokenURI) ||
			a.key == nil || a.key.N.BitLen() < minKeyBits {
			t.Fatalf("accepted %v", a)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add(404, []byte(fcmError(404, "NOT_FOUND", "gone", "UNREGISTERED")), "")
	f.Add(429, []byte(fcmError(429, "RESOURCE_EXHAUSTED", "slow down", "QUOTA_EXCEEDED")), "30")
	f.Add(503, []byte(`<html/>`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(400, []byte(`{"error":{"details":[{"@type":"x","errorCode":"UNREGISTERED"}]}}`), "-1")
	f.Add(401, []byte(`{"error":null}`), "99999999999999999999")
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte, retry string) {
		se := classify(status, http.Header{"Retry-After": {retry}}, body, now)
		if se.Provider != "fcm" || se.Code == "" || strings.HasPrefix(se.Kind.String(), "FailKind(") {
			t.Fatalf("classify(%d, %q) = %#v", status, body, se)
		}
		if (se.Code == CodeUnregistered) != (se.Kind == parley.FailIneligible) {
			t.Fatalf("code %s with kind %s", se.Code, se.Kind)
		}
		if se.RetryAfter < 0 || se.RetryAfter > maxTokenLifetime {
			t.Fatalf("RetryAfter %v", se.RetryAfter)
		}
	})
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}`))
	f.Add(200, []byte(`{"access_token":"ya29.x","expires_in":9223372036854775807,"token_type":"bearer"}`))
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`))
	f.Add(200, []byte(`{"access_token":"","expires_in":-5}`))
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		token, ttl, err := parseTokenResponse(status, http.Header{}, body, now)
		if err == nil {
			if status != http.StatusOK || token == "" || ttl <= 0 || ttl > maxTokenLifetime {
				t.Fatalf("accepted %q for %v at HTTP %d", token, ttl, status)
			}
			return
		}
		se := err.(*parley.SendError)
		if se.Provider != "fcm" || se.Code == "" || token != "" {
			t.Fatalf("parseTokenResponse(%d) = %q, %#v", status, token, se)
		}
	})
}
