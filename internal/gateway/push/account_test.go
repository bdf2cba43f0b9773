package push

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestParseServiceAccount(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	smallKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t))}))
	set := func(field string, v any) func(map[string]any) {
		return func(f map[string]any) { f[field] = v }
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		field  string // the refused field; "" when the file is accepted
	}{
		{"google key file", nil, ""},
		{"domain-scoped project", set("project_id", "example.com:parley-test"), ""},
		{"no token_uri", func(f map[string]any) { delete(f, "token_uri") }, ""},
		{"user credentials", set("type", "authorized_user"), "type"},
		{"no project", set("project_id", ""), "project_id"},
		{"project with a slash", set("project_id", "parley/../x"), "project_id"},
		{"no key id", set("private_key_id", " "), "private_key_id"},
		{"no email", set("client_email", "fcm-sender"), "client_email"},
		{"http token_uri", set("token_uri", "http://oauth2.googleapis.com/token"), "token_uri"},
		{"relative token_uri", set("token_uri", "/token"), "token_uri"},
		{"PKCS #1 key", set("private_key", pkcs1), "private_key"},
		{"EC key", set("private_key", pemPKCS8(t, ecKey)), "private_key"},
		{"1024-bit key", set("private_key", pemPKCS8(t, smallKey)), "private_key"},
		{"not PEM", set("private_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "private_key"},
		{"corrupt DER", set("private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")}))), "private_key"},
		{"key id not a string", set("private_key_id", 42), "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := keyFileJSON(t, "https://oauth2.googleapis.com/token", tt.change)
			a, err := ParseServiceAccount(data)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ParseServiceAccount: %v", err)
				}
				if a.Type != "service_account" || a.PrivateKeyID != testKeyID || a.ClientEmail != testEmail ||
					a.TokenURI != DefaultTokenURI || a.key == nil || !a.key.PublicKey.Equal(&rsaKey(t).PublicKey) {
					t.Errorf("account %v", a)
				}
				return
			}
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			if tt.field != "-" && parley.ErrorField(err) != tt.field {
				t.Errorf("field %q, want %q (%v)", parley.ErrorField(err), tt.field, err)
			}
		})
	}
	if _, err := ParseServiceAccount([]byte("not json")); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("non-JSON: %v", err)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	f := newFakeGoogle(t)
	c := f.client()
	if _, err := c.Send(t.Context(), "device-1", Notification{Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	keyPEM := pemPKCS8(t, rsaKey(t))
	keyBody := strings.Split(keyPEM, "\n")[3] // a line of the key's base64
	d := rsaKey(t).D.String()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("push", "account", c.Account, "client", c)
	encoded, err := json.Marshal(c.Account)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c.Account), "%+v client": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c.Account),
		"token source": c.source().String(), "slog": logged.String(), "json": string(encoded),
	}
	for name, out := range outputs {
		for _, secret := range []string{keyBody, d, "ya29.c.test-1"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks a secret: %s", name, out)
			}
		}
	}
}
