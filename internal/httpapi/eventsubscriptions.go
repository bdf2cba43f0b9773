package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/eventsubs"
)

// EventSubscriptions manages the webhook endpoints an account subscribes
// to lifecycle events (eventsubs.Service).
type EventSubscriptions interface {
	Create(ctx context.Context, accountID string, c eventsubs.Change) (parley.EventSubscription, error)
	Update(ctx context.Context, accountID, id string, c eventsubs.Change) (parley.EventSubscription, error)
	Get(ctx context.Context, accountID, id string) (parley.EventSubscription, *parley.EventDelivery, error)
	List(ctx context.Context, accountID string) ([]parley.EventSubscription, error)
	Delete(ctx context.Context, accountID, id string) error
	Deliveries(ctx context.Context, accountID, id string, limit int) ([]parley.EventDelivery, error)
	Test(ctx context.Context, accountID, id string) (parley.EventDelivery, error)
}

// The event subscription routes.
const (
	eventSubscriptionsPath = "/api/v2/account/{accountId}/event-subscriptions"
	eventSubscriptionPath  = eventSubscriptionsPath + "/{subscriptionId}"
)

// defaultDeliveriesPage is how many delivery attempts GET …/deliveries
// answers unless limit says otherwise.
const defaultDeliveriesPage = 20

func eventSubscriptionRoutes() []Route {
	return []Route{
		{http.MethodPost, eventSubscriptionsPath, needEventSubscriptions((*Server).createEventSubscription)},
		{http.MethodGet, eventSubscriptionsPath, needEventSubscriptions((*Server).listEventSubscriptions)},
		{http.MethodGet, eventSubscriptionPath, needEventSubscriptions((*Server).getEventSubscription)},
		{http.MethodPut, eventSubscriptionPath, needEventSubscriptions((*Server).updateEventSubscription)},
		{http.MethodDelete, eventSubscriptionPath, needEventSubscriptions((*Server).deleteEventSubscription)},
		{http.MethodGet, eventSubscriptionPath + "/deliveries", needEventSubscriptions((*Server).eventDeliveries)},
		{http.MethodPost, eventSubscriptionPath + "/test", needEventSubscriptions((*Server).testEventSubscription)},
	}
}

func needEventSubscriptions(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.EventSubscriptions == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server pushes no events"))
			return
		}
		h(s, w, r)
	}
}

// EventSubscriptionRequest creates or replaces a subscription. Secret is
// optional: left out, Parley generates one on create and keeps the saved
// one on a change (unless the url changes); RotateSecret asks Parley for
// a new one. Enabled defaults to true.
type EventSubscriptionRequest struct {
	URL          string             `json:"url"`
	EventTypes   []parley.EventType `json:"eventTypes"`
	Secret       string             `json:"secret,omitempty"`
	RotateSecret bool               `json:"rotateSecret,omitempty"`
	Description  string             `json:"description,omitempty"`
	Enabled      *bool              `json:"enabled,omitempty"`
}

func (req EventSubscriptionRequest) change() eventsubs.Change {
	return eventsubs.Change{URL: req.URL, Types: req.EventTypes, Secret: parley.Secret(req.Secret), RotateSecret: req.RotateSecret,
		Description: req.Description, Disabled: req.Enabled != nil && !*req.Enabled}
}

// EventSubscriptionResponse is a subscription. Secret is there only in the
// answer that set it (a create, a change of secret): it is never shown
// again.
type EventSubscriptionResponse struct {
	ID           string                 `json:"id"`
	URL          string                 `json:"url"`
	EventTypes   []parley.EventType     `json:"eventTypes"`
	Description  string                 `json:"description,omitempty"`
	Enabled      bool                   `json:"enabled"`
	Secret       string                 `json:"secret,omitempty"`
	CreatedAt    string                 `json:"createdAt"`
	UpdatedAt    string                 `json:"updatedAt"`
	LastDelivery *EventDeliveryResponse `json:"lastDelivery,omitempty"`
}

func eventSubscriptionResponse(sub parley.EventSubscription) EventSubscriptionResponse {
	return EventSubscriptionResponse{ID: sub.ID, URL: sub.URL, EventTypes: sub.Types, Description: sub.Description, Enabled: !sub.Disabled,
		Secret: sub.Secret.Reveal(), CreatedAt: timestamp(sub.CreatedAt), UpdatedAt: timestamp(sub.UpdatedAt)}
}

// EventDeliveryResponse is one delivery attempt of an event.
type EventDeliveryResponse struct {
	EventID       string `json:"eventId"`
	EventType     string `json:"eventType"`
	Attempt       int    `json:"attempt"`
	At            string `json:"at"`
	Outcome       string `json:"outcome"`
	Status        int    `json:"status,omitempty"`
	Error         string `json:"error,omitempty"`
	NextAttemptAt string `json:"nextAttemptAt,omitempty"`
}

func eventDeliveryResponse(d parley.EventDelivery) EventDeliveryResponse {
	out := EventDeliveryResponse{EventID: d.EventID, EventType: string(d.EventType), Attempt: d.Attempt, At: timestamp(d.At),
		Outcome: d.Outcome, Status: d.Status, Error: d.Error}
	if !d.NextAttemptAt.IsZero() {
		out.NextAttemptAt = timestamp(d.NextAttemptAt)
	}
	return out
}

// EventDeliveriesResponse lists a subscription's newest delivery attempts.
type EventDeliveriesResponse struct {
	Deliveries []EventDeliveryResponse `json:"deliveries"`
}

func (s *Server) readEventSubscription(w http.ResponseWriter, r *http.Request) (EventSubscriptionRequest, bool) {
	var req EventSubscriptionRequest
	data, err := readBody(r, w, maxBody)
	if err == nil {
		err = decodeJSON(data, &req, "")
	}
	if err != nil {
		s.fail(w, r, err)
		return req, false
	}
	return req, true
}

func (s *Server) createEventSubscription(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readEventSubscription(w, r)
	if !ok {
		return
	}
	sub, err := s.EventSubscriptions.Create(r.Context(), r.PathValue("accountId"), req.change())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, eventSubscriptionResponse(sub))
}

func (s *Server) updateEventSubscription(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readEventSubscription(w, r)
	if !ok {
		return
	}
	sub, err := s.EventSubscriptions.Update(r.Context(), r.PathValue("accountId"), r.PathValue("subscriptionId"), req.change())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eventSubscriptionResponse(sub))
}

func (s *Server) listEventSubscriptions(w http.ResponseWriter, r *http.Request) {
	subs, err := s.EventSubscriptions.List(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]EventSubscriptionResponse, len(subs))
	for i, sub := range subs {
		sub.Secret = ""
		out[i] = eventSubscriptionResponse(sub)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getEventSubscription(w http.ResponseWriter, r *http.Request) {
	sub, last, err := s.EventSubscriptions.Get(r.Context(), r.PathValue("accountId"), r.PathValue("subscriptionId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sub.Secret = ""
	out := eventSubscriptionResponse(sub)
	if last != nil {
		d := eventDeliveryResponse(*last)
		out.LastDelivery = &d
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteEventSubscription(w http.ResponseWriter, r *http.Request) {
	if err := s.EventSubscriptions.Delete(r.Context(), r.PathValue("accountId"), r.PathValue("subscriptionId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) eventDeliveries(w http.ResponseWriter, r *http.Request) {
	limit := defaultDeliveriesPage
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(w, r, parley.FieldErrorf("limit", "limit %q is not a whole number", v))
			return
		}
		limit = n
	}
	ds, err := s.EventSubscriptions.Deliveries(r.Context(), r.PathValue("accountId"), r.PathValue("subscriptionId"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := EventDeliveriesResponse{Deliveries: make([]EventDeliveryResponse, len(ds))}
	for i, d := range ds {
		out.Deliveries[i] = eventDeliveryResponse(d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) testEventSubscription(w http.ResponseWriter, r *http.Request) {
	d, err := s.EventSubscriptions.Test(r.Context(), r.PathValue("accountId"), r.PathValue("subscriptionId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eventDeliveryResponse(d))
}
