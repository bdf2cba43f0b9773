package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
)

// Channels reads and changes the accounts' channel configurations. What it
// returns redacts its secrets when encoded.
type Channels interface {
	Put(ctx context.Context, c parley.ChannelConfig) (parley.ChannelConfig, error)
	Get(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error)
	List(ctx context.Context, accountID string) ([]parley.ChannelConfig, error)
}

// ChannelConfigRequest is a channel configuration as PUT takes it: the
// provider, its credentials with the secrets in clear (or, to keep a saved
// secret, the redacted form GET returned), the senders and an optional API
// host. Answers are parley.ChannelConfig, secrets redacted ("••••abcd").
type ChannelConfigRequest struct {
	Provider parley.Provider             `json:"provider"`
	BaseURL  string                      `json:"baseUrl"`
	Senders  []parley.ChannelSender      `json:"senders"`
	Twilio   *parley.TwilioCredentials   `json:"twilio"`
	WhatsApp *parley.WhatsAppCredentials `json:"whatsapp"`
	CM       *parley.CMCredentials       `json:"cm"`
	FCM      *FCMRequest                 `json:"fcm"`
}

// FCMRequest carries a Google service-account key file, either as the JSON
// object Google issues or as a string holding it.
type FCMRequest struct {
	ServiceAccountJSON json.RawMessage `json:"serviceAccountJson"`
}

// credentials returns the key file as text.
func (f *FCMRequest) credentials() (*parley.FCMCredentials, error) {
	raw := bytes.TrimSpace(f.ServiceAccountJSON)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, parley.FieldErrorf("fcm.serviceAccountJson", "serviceAccountJson is not a JSON string or object")
		}
		return &parley.FCMCredentials{ServiceAccountJSON: parley.Secret(s)}, nil
	}
	if len(raw) == 0 || string(raw) == "null" {
		return &parley.FCMCredentials{}, nil
	}
	return &parley.FCMCredentials{ServiceAccountJSON: parley.Secret(raw)}, nil
}

// config converts the request for the account's channel.
func (req ChannelConfigRequest) config(accountID string, channel parley.Channel) (parley.ChannelConfig, error) {
	c := parley.ChannelConfig{
		AccountID: accountID, Channel: channel, Provider: req.Provider, BaseURL: req.BaseURL, Senders: req.Senders,
		Twilio: req.Twilio, WhatsApp: req.WhatsApp, CM: req.CM,
	}
	if req.FCM != nil {
		fcm, err := req.FCM.credentials()
		if err != nil {
			return parley.ChannelConfig{}, err
		}
		c.FCM = fcm
	}
	return c, nil
}

// channels answers 503 for the channel routes of a server built without
// the service.
func (s *Server) channels(w http.ResponseWriter, r *http.Request) bool {
	if s.Channels == nil {
		s.fail(w, r, parley.Errorf(parley.EUNAVAILABLE, "channel configuration is not available in this process"))
		return false
	}
	return true
}

func (s *Server) putChannel(w http.ResponseWriter, r *http.Request) {
	if !s.channels(w, r) {
		return
	}
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req ChannelConfigRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := req.config(r.PathValue("accountId"), parley.Channel(r.PathValue("channel")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	saved, err := s.Channels.Put(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "channel configured", "config", saved)
	writeJSON(w, http.StatusOK, saved)
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	if !s.channels(w, r) {
		return
	}
	cs, err := s.Channels.List(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	if !s.channels(w, r) {
		return
	}
	c, err := s.Channels.Get(r.Context(), r.PathValue("accountId"), parley.Channel(r.PathValue("channel")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
