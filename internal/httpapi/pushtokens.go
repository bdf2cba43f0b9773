package httpapi

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
)

// PushTokens registers, lists and unregisters the device tokens a brand's
// app registers for its consumers (pushtoken.Service).
type PushTokens interface {
	Register(ctx context.Context, t parley.PushToken) (parley.PushToken, error)
	List(ctx context.Context, accountID, consumerID string) ([]parley.PushToken, error)
	Unregister(ctx context.Context, accountID, consumerID, token string) error
}

// PushTokenRequest registers a device: its FCM registration token, its
// platform (android, ios or web) and the brand's app it registered from,
// which in-app handoffs name (optional).
type PushTokenRequest struct {
	Token    string `json:"token"`
	Platform string `json:"platform"`
	App      string `json:"app,omitempty"`
}

// PushTokenResponse is one registered device of a consumer.
type PushTokenResponse struct {
	ConsumerID   string `json:"consumerId"`
	Token        string `json:"token"`
	Platform     string `json:"platform"`
	App          string `json:"app,omitempty"`
	RegisteredAt string `json:"registeredAt"`
}

func pushTokenResponse(t parley.PushToken) PushTokenResponse {
	return PushTokenResponse{ConsumerID: t.ConsumerID, Token: t.Token, Platform: t.Platform, App: t.App, RegisteredAt: timestamp(t.RegisteredAt)}
}

// The push-token routes, under one consumer of one account.
const (
	pushTokensPath = "/api/v2/account/{accountId}/consumers/{consumerId}/push-tokens"
	pushTokenPath  = pushTokensPath + "/{token}"
)

func (s *Server) registerPushToken(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req PushTokenRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	saved, err := s.PushTokens.Register(r.Context(), parley.PushToken{
		AccountID: r.PathValue("accountId"), ConsumerID: r.PathValue("consumerId"), Token: req.Token, Platform: req.Platform, App: req.App,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, pushTokenResponse(saved))
}

func (s *Server) listPushTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.PushTokens.List(r.Context(), r.PathValue("accountId"), r.PathValue("consumerId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]PushTokenResponse, len(ts))
	for i, t := range ts {
		out[i] = pushTokenResponse(t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) unregisterPushToken(w http.ResponseWriter, r *http.Request) {
	err := s.PushTokens.Unregister(r.Context(), r.PathValue("accountId"), r.PathValue("consumerId"), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
