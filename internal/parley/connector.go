package parley

import (
	"net/url"

	"github.com/parleyhq/parley/internal/egress"
)

// Connector limits: a webhook secret must be long enough to resist
// guessing.
const (
	MinConnectorSecret = 16
	MaxConnectorSecret = 256
	MaxConnectorURL    = 2048
)

// validateConnector checks an account's agent-platform connector: none, or
// a URL without credentials that egress policy p can reach (https to a
// public host; see reachableURL) with a secret of
// MinConnectorSecret..MaxConnectorSecret bytes.
func (a Account) validateConnector(p egress.Policy) error {
	if a.ConnectorURL == "" {
		if a.ConnectorSecret != "" {
			return FieldErrorf("connectorUrl", "connectorSecret is set without a connectorUrl")
		}
		return nil
	}
	if len(a.ConnectorURL) > MaxConnectorURL {
		return FieldErrorf("connectorUrl", "connectorUrl is longer than %d characters", MaxConnectorURL)
	}
	u, err := url.Parse(a.ConnectorURL)
	if err != nil || u.Host == "" || u.User != nil {
		return FieldErrorf("connectorUrl", "connectorUrl must be an absolute URL without credentials")
	}
	if err := reachableURL("connectorUrl", u, p); err != nil {
		return err
	}
	switch n := len(a.ConnectorSecret); {
	case n == 0:
		return FieldErrorf("connectorSecret", "connectorSecret is required with a connectorUrl")
	case a.ConnectorSecret.IsRedacted():
		return FieldErrorf("connectorSecret", "connectorSecret is the redacted form; send the secret itself")
	case n < MinConnectorSecret || n > MaxConnectorSecret:
		return FieldErrorf("connectorSecret", "connectorSecret must be %d to %d characters", MinConnectorSecret, MaxConnectorSecret)
	}
	return nil
}

// keepsSecret reports whether s stands for the saved secret rather than
// replacing it: left out, or sent back in the redacted form the settings
// are read with.
func keepsSecret(s, saved Secret) bool {
	return saved != "" && (s == "" || s == Secret(saved.Redacted()))
}

// ChangesConnector reports whether saving a over saved sets, changes or
// removes the connector: another connectorUrl, or a connectorSecret that
// is neither the saved one nor stands for it (see KeepConnectorSecret).
func (a Account) ChangesConnector(saved Account) bool {
	return a.ConnectorURL != saved.ConnectorURL ||
		a.ConnectorSecret != saved.ConnectorSecret && !keepsSecret(a.ConnectorSecret, saved.ConnectorSecret)
}

// KeepConnectorSecret returns a with saved's connector secret where a
// leaves it out or sends back its redacted form, so a client may send back
// the settings it read. The secret is kept for the same connectorUrl only:
// a caller who cannot read the secret must not be able to have it sign
// requests to another URL. A changed connectorUrl without connectorSecret
// itself is EINVALID on connectorSecret.
func (a Account) KeepConnectorSecret(saved Account) (Account, error) {
	if a.ConnectorURL == "" || !keepsSecret(a.ConnectorSecret, saved.ConnectorSecret) {
		return a, nil
	}
	if a.ConnectorURL != saved.ConnectorURL {
		return Account{}, FieldErrorf("connectorSecret", "connectorUrl changed: send connectorSecret itself again (the saved one is kept for the same connectorUrl only)")
	}
	a.ConnectorSecret = saved.ConnectorSecret
	return a, nil
}
