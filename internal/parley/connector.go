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
