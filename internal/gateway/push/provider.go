package push

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Provider is Firebase Cloud Messaging, for in-app push.
type Provider struct{}

// Name is the name of Firebase Cloud Messaging (in-app push), as channel configurations give it.
const Name parley.Provider = "fcm"

var _ gateway.Provider = Provider{}

// Credentials authenticate an account with Firebase Cloud Messaging.
type Credentials struct {
	// ServiceAccountJSON is the Google service account's JSON key file.
	ServiceAccountJSON parley.Secret `json:"serviceAccountJson"`
}

// MarshalJSON encodes the credentials with the key file masked whole, and
// the service account's project and email (which are not secret) beside it
// so a brand can tell which account is configured.
func (f Credentials) MarshalJSON() ([]byte, error) {
	var key struct {
		ProjectID   string `json:"project_id"`
		ClientEmail string `json:"client_email"`
	}
	_ = json.Unmarshal([]byte(f.ServiceAccountJSON.Reveal()), &key) // checked by ValidateCredentials; empty otherwise
	out := struct {
		ServiceAccountJSON string `json:"serviceAccountJson"`
		ProjectID          string `json:"projectId,omitempty"`
		ClientEmail        string `json:"clientEmail,omitempty"`
	}{ProjectID: key.ProjectID, ClientEmail: key.ClientEmail}
	if f.ServiceAccountJSON != "" {
		out.ServiceAccountJSON = parley.SecretMask
	}
	return json.Marshal(out)
}

// clearCredentials are Credentials with the key file in clear: the block
// the store seals.
type clearCredentials struct {
	ServiceAccountJSON string `json:"serviceAccountJson"`
}

// Channel returns c as a channel configuration's credentials.
func (f Credentials) Channel() parley.Credentials {
	creds, _ := gateway.EncodeCredentials(Name, clearCredentials{ServiceAccountJSON: f.ServiceAccountJSON.Reveal()}) // a string always encodes
	return creds
}

// CredentialsOf returns the FCM credentials of a channel configuration.
func CredentialsOf(c parley.Credentials) (Credentials, error) {
	return gateway.CredentialsOf[Credentials](Name, c)
}

// maxServiceAccount bounds the size of a key file.
const maxServiceAccount = 16 << 10

// Name is fcm.
func (Provider) Name() parley.Provider { return Name }

// Channels is in-app.
func (Provider) Channels() []parley.Channel { return []parley.Channel{parley.ChannelInApp} }

// DecodeCredentials reads the API's fcm block, whose serviceAccountJson is
// the key file either as the JSON object Google issues or as a string
// holding it.
func (Provider) DecodeCredentials(block json.RawMessage) (parley.Credentials, error) {
	var req struct {
		ServiceAccountJSON json.RawMessage `json:"serviceAccountJson"`
	}
	if err := json.Unmarshal(block, &req); err != nil {
		return parley.Credentials{}, err
	}
	raw := bytes.TrimSpace(req.ServiceAccountJSON)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return parley.Credentials{}, parley.FieldErrorf("fcm.serviceAccountJson", "serviceAccountJson is not a JSON string or object")
		}
		return Credentials{ServiceAccountJSON: parley.Secret(s)}.Channel(), nil
	case len(raw) == 0 || string(raw) == "null":
		return Credentials{}.Channel(), nil
	}
	return Credentials{ServiceAccountJSON: parley.Secret(raw)}.Channel(), nil
}

// ValidateCredentials requires a service-account key file that parses and
// whose token URI egress policy p may reach.
func (Provider) ValidateCredentials(creds parley.Credentials, p egress.Policy) error {
	const field = "fcm.serviceAccountJson"
	f, err := CredentialsOf(creds)
	if err != nil {
		return gateway.NeedsCredentials(Name)
	}
	if f.ServiceAccountJSON == "" {
		return parley.FieldErrorf(field, "%s is required", field)
	}
	if f.ServiceAccountJSON.IsRedacted() {
		return parley.FieldErrorf(field, "%s is a redacted value that does not match the saved one; send the key file itself", field)
	}
	if len(f.ServiceAccountJSON) > maxServiceAccount {
		return parley.FieldErrorf(field, "%s is longer than %d bytes", field, maxServiceAccount)
	}
	var key struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(f.ServiceAccountJSON.Reveal()), &key); err != nil {
		return parley.FieldErrorf(field, "%s is not a JSON object", field)
	}
	if key.Type != "service_account" {
		return parley.FieldErrorf(field, "%s is not a service-account key file (its type is %q)", field, key.Type)
	}
	if err := usableServiceAccount(f.ServiceAccountJSON, p); err != nil {
		msg := parley.ErrorMessage(err)
		if f := parley.ErrorField(err); f != "" {
			msg = f + ": " + msg
		}
		return parley.FieldErrorf(field, "the service account key file is not usable: %s", msg)
	}
	return nil
}

// usableServiceAccount checks that a key file parses and that its token URI
// is one egress may reach.
func usableServiceAccount(key parley.Secret, p egress.Policy) error {
	account, err := ParseServiceAccount([]byte(key.Reveal()))
	if err != nil {
		return err
	}
	return account.CheckTokenURI(p)
}

// RedactCredentials is the block with the key file masked whole.
func (Provider) RedactCredentials(creds parley.Credentials) (json.RawMessage, error) {
	return gateway.RedactBlock[Credentials](Name, creds)
}

// KeepSecrets keeps the saved key file sent back masked.
func (Provider) KeepSecrets(sent, saved parley.Credentials) parley.Credentials {
	return gateway.KeepBlockSecrets(Name, sent, saved, func(c *Credentials, old Credentials) {
		if old.ServiceAccountJSON != "" && c.ServiceAccountJSON == parley.SecretMask {
			c.ServiceAccountJSON = old.ServiceAccountJSON // masked whole by MarshalJSON
		}
	})
}

// ValidSenderID takes any printable id: FCM needs no sender.
func (Provider) ValidSenderID(id string) (bool, string) { return parley.AnySenderID(id) }

// NeedsSenders is nil: FCM needs no sender.
func (Provider) NeedsSenders(parley.ChannelConfig) error { return nil }

// DefaultSender passes the outbound number through.
func (Provider) DefaultSender(_ parley.ChannelConfig, outbound string) (string, bool) {
	return outbound, true
}

// New builds the push client of cfg, which needs deps.Devices.
func (Provider) New(cfg parley.ChannelConfig, deps gateway.Deps) (gateway.Client, error) {
	f, err := CredentialsOf(cfg.Credentials)
	if err != nil {
		return gateway.Client{}, errors.New("no FCM credentials")
	}
	if deps.Devices == nil {
		return gateway.Client{}, errors.New("this process has no device token store for push")
	}
	account, err := ParseServiceAccount([]byte(f.ServiceAccountJSON.Reveal()))
	if err != nil {
		return gateway.Client{}, errors.New("the service account key file is not usable: " + parley.ErrorMessage(err))
	}
	return gateway.Client{Sender: &Gateway{Title: deps.PushTitle, Tokens: deps.Devices,
		Client: &Client{BaseURL: cfg.BaseURL, Account: account, HTTP: deps.HTTP, Clock: deps.Clock}}}, nil
}

// Status is false: FCM reports no delivery statuses.
func (Provider) Status(string) (parley.RecipientStatus, bool) { return "", false }
