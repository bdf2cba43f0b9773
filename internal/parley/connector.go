package parley

import "net/url"

// Connector limits: a webhook secret must be long enough to resist
// guessing.
const (
	MinConnectorSecret = 16
	MaxConnectorSecret = 256
	MaxConnectorURL    = 2048
)

// validateConnector checks an account's agent-platform connector: none, or
// an https URL (http only to a loopback host, for local runs) with a secret
// of MinConnectorSecret..MaxConnectorSecret bytes.
func (a Account) validateConnector() error {
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
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && (u.Scheme != "http" || !loopback(u.Hostname()))) {
		return FieldErrorf("connectorUrl", "connectorUrl must be an https URL without credentials (http only to a loopback host)")
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
