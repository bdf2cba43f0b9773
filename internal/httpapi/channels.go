package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/gateway/providers"
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
// provider, its credential block named after it (such as "twilio") with
// the secrets in clear (or, to keep a saved secret, the redacted form GET
// returned), the senders and an optional API host. Answers are
// ChannelConfigResponse, secrets redacted ("••••abcd").
type ChannelConfigRequest struct {
	Provider parley.Provider        `json:"provider"`
	BaseURL  string                 `json:"baseUrl"`
	Senders  []parley.ChannelSender `json:"senders"`
	// Credentials are the credential blocks, by the name of the provider
	// they are for (any member named after a provider).
	Credentials map[parley.Provider]json.RawMessage `json:"-"`
}

// UnmarshalJSON reads the request's fields and the credential block of
// every provider it names.
func (req *ChannelConfigRequest) UnmarshalJSON(b []byte) error {
	type fields ChannelConfigRequest
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return err
	}
	f.Credentials = map[parley.Provider]json.RawMessage{}
	for _, p := range providers.All {
		if raw, ok := members[string(p.Name())]; ok && string(bytes.TrimSpace(raw)) != "null" {
			f.Credentials[p.Name()] = raw
		}
	}
	*req = ChannelConfigRequest(f)
	return nil
}

// config converts the request for the account's channel: each block
// decoded by its provider (a provider that takes no credentials ignores
// its block), the provider's own as the credentials, or else the block of
// another provider, which validation refuses by name.
func (req ChannelConfigRequest) config(accountID string, channel parley.Channel) (parley.ChannelConfig, error) {
	c := parley.ChannelConfig{AccountID: accountID, Channel: channel, Provider: req.Provider, BaseURL: req.BaseURL, Senders: req.Senders}
	var foreign parley.Credentials
	for _, p := range providers.All {
		block, ok := req.Credentials[p.Name()]
		if !ok {
			continue
		}
		creds, err := p.DecodeCredentials(block)
		if err != nil {
			if pe := (*parley.Error)(nil); errors.As(err, &pe) {
				return parley.ChannelConfig{}, err
			}
			return parley.ChannelConfig{}, jsonError(block, err, string(p.Name()))
		}
		switch {
		case creds.IsZero():
		case p.Name() == req.Provider:
			c.Credentials = creds
		case foreign.IsZero():
			foreign = creds
		}
	}
	if !foreign.IsZero() {
		c.Credentials = foreign
	}
	return c, nil
}

// ChannelConfigResponse is a channel configuration as the API answers it:
// the configuration's fields with the provider's credential block, named
// after it, its secrets redacted.
type ChannelConfigResponse struct {
	Config parley.ChannelConfig
	// Block is the provider's redacted credential block; nil when none.
	Block json.RawMessage
}

// channelHead and channelTail are the fields of a ChannelConfigResponse
// before and after its credential block.
type (
	channelHead struct {
		AccountID string                 `json:"accountId"`
		Channel   parley.Channel         `json:"channel"`
		Provider  parley.Provider        `json:"provider"`
		BaseURL   string                 `json:"baseUrl,omitempty"`
		Senders   []parley.ChannelSender `json:"senders,omitempty"`
	}
	channelTail struct {
		Version   int       `json:"version"`
		UpdatedAt time.Time `json:"updatedAt"`
	}
)

// MarshalJSON encodes the fields in the API's order, the credential block
// under the provider's name.
func (r ChannelConfigResponse) MarshalJSON() ([]byte, error) {
	c := r.Config
	head, err := json.Marshal(channelHead{AccountID: c.AccountID, Channel: c.Channel, Provider: c.Provider, BaseURL: c.BaseURL, Senders: c.Senders})
	if err != nil {
		return nil, err
	}
	tail, err := json.Marshal(channelTail{Version: c.Version, UpdatedAt: c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	out := append(head[:len(head)-1], ',')
	if r.Block != nil {
		name, _ := json.Marshal(string(c.Provider))
		out = append(append(append(out, name...), ':'), r.Block...)
		out = append(out, ',')
	}
	return append(out, tail[1:]...), nil
}

// channelResponse is the API's answer for c, its provider's block
// redacted by the provider.
func channelResponse(c parley.ChannelConfig) (ChannelConfigResponse, error) {
	res := ChannelConfigResponse{Config: c}
	p, ok := providers.Lookup(c.Provider)
	if !ok || c.Credentials.IsZero() {
		return res, nil
	}
	block, err := p.RedactCredentials(c.Credentials)
	if err != nil {
		return ChannelConfigResponse{}, fmt.Errorf("redact the credentials of channel %s of %s: %w", c.Channel, c.AccountID, err)
	}
	res.Block = block
	return res, nil
}

// channelResponses are the answers for cs; nil, after answering with the
// failure, when one cannot be redacted.
func (s *Server) channelResponses(w http.ResponseWriter, r *http.Request, cs ...parley.ChannelConfig) []ChannelConfigResponse {
	out := make([]ChannelConfigResponse, 0, len(cs))
	for _, c := range cs {
		res, err := channelResponse(c)
		if err != nil {
			s.fail(w, r, err)
			return nil
		}
		out = append(out, res)
	}
	return out
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
	if out := s.channelResponses(w, r, saved); out != nil {
		writeJSON(w, http.StatusOK, out[0])
	}
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
	if out := s.channelResponses(w, r, cs...); out != nil {
		writeJSON(w, http.StatusOK, out)
	}
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
	if out := s.channelResponses(w, r, c); out != nil {
		writeJSON(w, http.StatusOK, out[0])
	}
}
