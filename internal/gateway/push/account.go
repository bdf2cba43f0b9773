// Package push is the in-app channel: it sends push notifications through
// Firebase Cloud Messaging's HTTP v1 API to the devices a brand's consumer
// registered, authenticating as a Google service account with an OAuth 2.0
// JWT bearer grant signed by the standard library.
package push

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
)

// DefaultTokenURI is Google's OAuth 2.0 token endpoint, used when a key
// file names none.
const DefaultTokenURI = "https://oauth2.googleapis.com/token"

// minKeyBits is the smallest RSA key accepted; Google issues 2048-bit keys.
const minKeyBits = 2048

// ServiceAccount is a Google service account read from its JSON key file.
// The private key is kept unexported and never printed: String, GoString
// and LogValue leave it out, and JSON encoding cannot reach it.
type ServiceAccount struct {
	Type         string // always "service_account"
	ProjectID    string // the Firebase project messages are sent from
	PrivateKeyID string // the key's id, sent as the JWT "kid"
	ClientEmail  string // the account, sent as the JWT issuer
	TokenURI     string // where assertions are exchanged for access tokens
	key          *rsa.PrivateKey
}

// keyFile is the fields of Google's service-account key file we use.
type keyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// ParseServiceAccount reads a service-account JSON key. It requires type
// "service_account", a project id, a key id, a client email, an https token
// URI (DefaultTokenURI when absent) and a PKCS #8 PEM RSA private key of at
// least 2048 bits. Errors are EINVALID *parley.Error naming the field; they
// never quote the key.
func ParseServiceAccount(data []byte) (ServiceAccount, error) {
	var k keyFile
	if err := json.Unmarshal(data, &k); err != nil {
		return ServiceAccount{}, parley.Wrap(parley.EINVALID, err, "service account key is not JSON")
	}
	if k.TokenURI == "" {
		k.TokenURI = DefaultTokenURI
	}
	if err := k.validate(); err != nil {
		return ServiceAccount{}, err
	}
	key, err := parseKey(k.PrivateKey)
	if err != nil {
		return ServiceAccount{}, err
	}
	return ServiceAccount{
		Type: k.Type, ProjectID: k.ProjectID, PrivateKeyID: k.PrivateKeyID,
		ClientEmail: k.ClientEmail, TokenURI: k.TokenURI, key: key,
	}, nil
}

func (k keyFile) validate() error {
	switch {
	case k.Type != "service_account":
		return parley.FieldErrorf("type", "key type %q is not service_account", k.Type)
	case !validProjectID(k.ProjectID):
		return parley.FieldErrorf("project_id", "project id %q is not a Google project id", k.ProjectID)
	case strings.TrimSpace(k.PrivateKeyID) == "":
		return parley.FieldErrorf("private_key_id", "key id is missing")
	case !strings.Contains(k.ClientEmail, "@"):
		return parley.FieldErrorf("client_email", "client email %q is not an address", k.ClientEmail)
	case !httpsURL(k.TokenURI):
		return parley.FieldErrorf("token_uri", "token URI is not an https URL")
	}
	return nil
}

// validProjectID accepts Google project ids: lower-case letters, digits and
// hyphens, with an optional "domain:" prefix of dots and colons.
func validProjectID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// CheckTokenURI refuses a token URI whose host egress policy p refuses up
// front (an IP literal that is not public, a localhost name): EINVALID on
// token_uri. The token exchange's connection is checked again by the HTTP
// client, whatever the name resolves to.
func (a ServiceAccount) CheckTokenURI(p egress.Policy) error {
	u, err := url.Parse(a.TokenURI)
	if err != nil {
		return parley.FieldErrorf("token_uri", "token URI is not a URL")
	}
	if err := p.CheckHost(u.Hostname()); err != nil {
		return parley.FieldErrorf("token_uri", "token URI is refused: %v", err)
	}
	return nil
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// parseKey decodes a PKCS #8 PEM RSA private key.
func parseKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, parley.FieldErrorf("private_key", "private key is not a PKCS #8 PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, &parley.Error{Code: parley.EINVALID, Field: "private_key", Message: "private key does not parse", Err: err}
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, parley.FieldErrorf("private_key", "private key is %T, not RSA", parsed)
	}
	if key.N.BitLen() < minKeyBits {
		return nil, parley.FieldErrorf("private_key", "RSA key of %d bits is shorter than %d", key.N.BitLen(), minKeyBits)
	}
	return key, nil
}

// String describes the account without its private key.
func (a ServiceAccount) String() string {
	key := "unset"
	if a.key != nil {
		key = "[redacted]"
	}
	return fmt.Sprintf("push.ServiceAccount{ProjectID: %q, ClientEmail: %q, PrivateKeyID: %q, PrivateKey: %s}",
		a.ProjectID, a.ClientEmail, a.PrivateKeyID, key)
}

// GoString is String, so %#v hides the key too.
func (a ServiceAccount) GoString() string { return a.String() }

// LogValue is String, so slog hides the key too.
func (a ServiceAccount) LogValue() slog.Value { return slog.StringValue(a.String()) }
