package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// PhoneOperators runs the operators of telephone campaigns: their groups,
// their states and their sessions (*phonecampaign.Dialer is one).
type PhoneOperators interface {
	Operators(ctx context.Context, accountID string) ([]dialer.Agent, error)
	Operator(ctx context.Context, accountID, agentID string) (dialer.Agent, error)
	Groups(ctx context.Context, accountID string) ([]phonecampaign.Group, error)
	Group(ctx context.Context, accountID, name string) (phonecampaign.Group, error)
	CreateGroup(ctx context.Context, accountID, name string) (phonecampaign.Group, bool, error)
	DeleteGroup(ctx context.Context, accountID, name string) error
	AddMember(ctx context.Context, accountID, group, agentID string) (dialer.Agent, error)
	RemoveMember(ctx context.Context, accountID, group, agentID string) (dialer.Agent, error)
	SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error)
	CompleteSession(ctx context.Context, accountID, agentID, result string, answers map[string]string) (dialer.Call, error)
	Accept(ctx context.Context, accountID, agentID string) (dialer.Agent, error)
	Skip(ctx context.Context, accountID, agentID string) (dialer.Agent, error)
	Misdetected(ctx context.Context, accountID, campaignID, providerID string) (dialer.Call, error)
	Sessions(ctx context.Context, accountID string, q phonecampaign.SessionQuery) (phonecampaign.SessionPage, error)
}

// The operator routes. "me" is the operator the token speaks for.
const (
	phoneOperatorsPath   = "/api/v2/account/{accountId}/phone-operators"
	phoneOperatorMePath  = phoneOperatorsPath + "/me"
	phoneGroupsPath      = "/api/v2/account/{accountId}/phone-operator-groups"
	phoneGroupPath       = phoneGroupsPath + "/{group}"
	phoneGroupMemberPath = phoneGroupPath + "/members/{operatorId}"
	phoneSessionsPath    = "/api/v2/account/{accountId}/phone-sessions"
	misdetectedPath      = phoneCampaignPath + "/calls/{callId}/misdetected"
)

func phoneOperatorRoutes() []Route {
	return []Route{
		{http.MethodGet, phoneOperatorsPath, needPhoneOperators((*Server).listPhoneOperators)},
		{http.MethodGet, phoneGroupsPath, needPhoneOperators((*Server).listPhoneGroups)},
		{http.MethodGet, phoneGroupPath, needPhoneOperators((*Server).getPhoneGroup)},
		{http.MethodPut, phoneGroupPath, needPhoneOperators((*Server).createPhoneGroup)},
		{http.MethodDelete, phoneGroupPath, needPhoneOperators((*Server).deletePhoneGroup)},
		{http.MethodPut, phoneGroupMemberPath, needPhoneOperators((*Server).addPhoneGroupMember)},
		{http.MethodDelete, phoneGroupMemberPath, needPhoneOperators((*Server).removePhoneGroupMember)},
		{http.MethodGet, phoneSessionsPath, needPhoneOperators((*Server).listPhoneSessions)},
		{http.MethodPost, misdetectedPath, needPhoneOperators((*Server).flagMisdetected)},
		{http.MethodGet, phoneOperatorMePath, needPhoneOperators((*Server).getPhoneOperatorMe)},
		{http.MethodPut, phoneOperatorMePath + "/state", needPhoneOperators((*Server).setPhoneOperatorState)},
		{http.MethodPost, phoneOperatorMePath + "/wrap-up", needPhoneOperators((*Server).wrapUpPhoneCall)},
		{http.MethodPost, phoneOperatorMePath + "/offer/accept", needPhoneOperators(offerAction((PhoneOperators).Accept))},
		{http.MethodPost, phoneOperatorMePath + "/offer/skip", needPhoneOperators(offerAction((PhoneOperators).Skip))},
		{http.MethodGet, phoneOperatorMePath + "/sessions", needPhoneOperators((*Server).listMyPhoneSessions)},
		{http.MethodPost, phoneOperatorMePath + "/voice-token", need(func(s *Server) bool { return s.VoiceTokens != nil },
			"this server signs no Voice SDK tokens", (*Server).voiceToken)},
	}
}

func needPhoneOperators(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return need(func(s *Server) bool { return s.PhoneOperators != nil }, "this server runs no telephone campaign operators", h)
}

// PhoneOperatorResponse is an operator as the API shows them.
type PhoneOperatorResponse struct {
	ID    string `json:"id"`
	Group string `json:"group,omitempty"`
	State string `json:"state"`
	Since string `json:"since,omitempty"`
	// Leaving is set when the operator asked to go offline during a call:
	// they leave once their wrap-up ends.
	Leaving    bool   `json:"leaving,omitempty"`
	CallID     string `json:"callId,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	// Offer is, in a preview campaign, the contact offered to the operator.
	Offer *PhoneOfferResponse `json:"offer,omitempty"`
}

// PhoneOfferResponse is a contact of a preview campaign offered to an
// operator; dialAt is when its call is placed, once they accepted it.
type PhoneOfferResponse struct {
	CampaignID string `json:"campaignId"`
	ContactID  string `json:"contactId"`
	Phone      string `json:"phone"`
	OfferedAt  string `json:"offeredAt"`
	AcceptedAt string `json:"acceptedAt,omitempty"`
}

func phoneOperatorResponse(a dialer.Agent) PhoneOperatorResponse {
	out := PhoneOperatorResponse{ID: a.ID, Group: a.Group, State: string(a.State), Since: optionalTime(a.Since), Leaving: a.Leaving,
		CallID: a.CallID, CampaignID: a.CampaignID}
	if o := a.Offer; o != nil {
		out.Offer = &PhoneOfferResponse{CampaignID: o.CampaignID, ContactID: o.ContactID, Phone: o.Phone,
			OfferedAt: timestamp(o.OfferedAt), AcceptedAt: optionalTime(o.AcceptedAt)}
	}
	return out
}

func phoneOperatorResponses(as []dialer.Agent) []PhoneOperatorResponse {
	out := make([]PhoneOperatorResponse, len(as))
	for i, a := range as {
		out[i] = phoneOperatorResponse(a)
	}
	return out
}

// PhoneGroupResponse is an operator group and its members.
type PhoneGroupResponse struct {
	Name    string                  `json:"name"`
	Members []PhoneOperatorResponse `json:"members"`
}

// PhoneSessionResponse is a session: one call an operator took.
type PhoneSessionResponse struct {
	CallID     string `json:"callId"`
	CampaignID string `json:"campaignId"`
	ContactID  string `json:"contactId"`
	Attempt    int    `json:"attempt"`
	Phone      string `json:"phone"`
	From       string `json:"from"`
	Operator   string `json:"operator"`
	Status     string `json:"status"`
	PlacedAt   string `json:"placedAt"`
	AnsweredAt string `json:"answeredAt,omitempty"`
	BridgedAt  string `json:"bridgedAt,omitempty"`
	EndedAt    string `json:"endedAt,omitempty"`
	WrappedAt  string `json:"wrappedAt,omitempty"`
	Result     string `json:"result,omitempty"`
	// Params are the answers to the campaign's call script.
	Params map[string]string `json:"params,omitempty"`
}

func phoneSessionResponse(c dialer.Call) PhoneSessionResponse {
	out := PhoneSessionResponse{CallID: c.ProviderID, CampaignID: c.CampaignID, ContactID: c.ContactID, Attempt: c.Attempt,
		Phone: c.Phone, From: c.From, Operator: c.Operator, Status: string(c.Status), PlacedAt: timestamp(c.PlacedAt), Result: c.Result,
		Params: c.Params}
	out.AnsweredAt, out.BridgedAt = optionalTime(c.AnsweredAt), optionalTime(c.BridgedAt)
	out.EndedAt, out.WrappedAt = optionalTime(c.EndedAt), optionalTime(c.WrappedAt)
	return out
}

func (s *Server) listPhoneOperators(w http.ResponseWriter, r *http.Request) {
	as, err := s.PhoneOperators.Operators(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"operators": phoneOperatorResponses(as)})
}

func (s *Server) listPhoneGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := s.PhoneOperators.Groups(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]PhoneGroupResponse, len(gs))
	for i, g := range gs {
		out[i] = PhoneGroupResponse{Name: g.Name, Members: phoneOperatorResponses(g.Members)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
}

func (s *Server) getPhoneGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.PhoneOperators.Group(r.Context(), r.PathValue("accountId"), r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, PhoneGroupResponse{Name: g.Name, Members: phoneOperatorResponses(g.Members)})
}

// createPhoneGroup creates an operator group, empty: 201 when it is new,
// 200 with the group as it is when the account has it.
func (s *Server) createPhoneGroup(w http.ResponseWriter, r *http.Request) {
	g, created, err := s.PhoneOperators.CreateGroup(r.Context(), r.PathValue("accountId"), r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdOrOK(created), PhoneGroupResponse{Name: g.Name, Members: phoneOperatorResponses(g.Members)})
}

// createdOrOK is the status of a create that may find what it creates
// there already: 201 when it created it, 200 otherwise.
func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) deletePhoneGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.PhoneOperators.DeleteGroup(r.Context(), r.PathValue("accountId"), r.PathValue("group")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addPhoneGroupMember(w http.ResponseWriter, r *http.Request) {
	a, err := s.PhoneOperators.AddMember(r.Context(), r.PathValue("accountId"), r.PathValue("group"), r.PathValue("operatorId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneOperatorResponse(a))
}

func (s *Server) removePhoneGroupMember(w http.ResponseWriter, r *http.Request) {
	a, err := s.PhoneOperators.RemoveMember(r.Context(), r.PathValue("accountId"), r.PathValue("group"), r.PathValue("operatorId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneOperatorResponse(a))
}

// me returns the operator id the request's token speaks for.
func me(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.Subject == "" {
		return "", parley.Errorf(parley.EUNAUTHORIZED, "an operator's bearer token is required: it names the operator")
	}
	return p.Subject, nil
}

func (s *Server) getPhoneOperatorMe(w http.ResponseWriter, r *http.Request) {
	id, err := me(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.PhoneOperators.Operator(r.Context(), r.PathValue("accountId"), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneOperatorResponse(a))
}

// PhoneOperatorStateRequest is the state an operator sets: online or
// offline (busy and wrap_up follow their calls).
type PhoneOperatorStateRequest struct {
	State string `json:"state"`
}

// operatorRequest reads the operator a request is from and its JSON body
// into dst; ok is false when it answered a problem.
func (s *Server) operatorRequest(w http.ResponseWriter, r *http.Request, dst any) (id string, ok bool) {
	id, err := me(r)
	if err == nil {
		var data []byte
		if data, err = readBody(r, w, maxBody); err == nil {
			err = decodeJSON(data, dst, "")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return "", false
	}
	return id, true
}

func (s *Server) setPhoneOperatorState(w http.ResponseWriter, r *http.Request) {
	var req PhoneOperatorStateRequest
	id, ok := s.operatorRequest(w, r, &req)
	if !ok {
		return
	}
	a, err := s.PhoneOperators.SetState(r.Context(), r.PathValue("accountId"), id, "", dialer.OperatorState(req.State))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneOperatorResponse(a))
}

// WrapUpRequest ends the operator's wrap-up with the call's result and
// their answers to the campaign's call script (by item name).
type WrapUpRequest struct {
	Result  string            `json:"result"`
	Answers map[string]string `json:"answers,omitempty"`
}

// MaxResultLength bounds an operator's result.
const MaxResultLength = 200

func (s *Server) wrapUpPhoneCall(w http.ResponseWriter, r *http.Request) {
	var req WrapUpRequest
	id, ok := s.operatorRequest(w, r, &req)
	if !ok {
		return
	}
	if len(req.Result) > MaxResultLength {
		s.fail(w, r, parley.FieldErrorf("result", "the result has %d bytes; at most %d are allowed", len(req.Result), MaxResultLength))
		return
	}
	call, err := s.PhoneOperators.CompleteSession(r.Context(), r.PathValue("accountId"), id, req.Result, req.Answers)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneSessionResponse(call))
}

// offerAction answers an operator's acceptance or skip of the contact
// offered to them.
func offerAction(act func(PhoneOperators, context.Context, string, string) (dialer.Agent, error)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		id, err := me(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a, err := act(s.PhoneOperators, r.Context(), r.PathValue("accountId"), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, phoneOperatorResponse(a))
	}
}

func (s *Server) flagMisdetected(w http.ResponseWriter, r *http.Request) {
	call, err := s.PhoneOperators.Misdetected(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"), r.PathValue("callId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := phoneSessionResponse(call)
	writeJSON(w, http.StatusOK, map[string]any{"call": out, "abandoned": call.Abandoned, "misdetected": call.Misdetected})
}

func (s *Server) listPhoneSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.writeSessions(w, r, dialer.SessionFilter{Operator: q.Get("operator"), CampaignID: q.Get("campaignId")})
}

func (s *Server) listMyPhoneSessions(w http.ResponseWriter, r *http.Request) {
	id, err := me(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeSessions(w, r, dialer.SessionFilter{Operator: id, CampaignID: r.URL.Query().Get("campaignId")})
}

// sessionParamPrefix starts the query keys that select sessions by a
// parameter's value: ?param.interested=true.
const sessionParamPrefix = "param."

func (s *Server) writeSessions(w http.ResponseWriter, r *http.Request, f dialer.SessionFilter) {
	sq := phonecampaign.SessionQuery{SessionFilter: f, Cursor: r.URL.Query().Get("cursor")}
	for k, vs := range r.URL.Query() {
		name, ok := strings.CutPrefix(k, sessionParamPrefix)
		if !ok {
			continue
		}
		if len(vs) != 1 || name == "" {
			s.fail(w, r, parley.FieldErrorf(k, "give one value for %s, as ?%s<name>=<value>", k, sessionParamPrefix))
			return
		}
		if sq.Params == nil {
			sq.Params = map[string]string{}
		}
		sq.Params[name] = vs[0]
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > phonecampaign.MaxSessions {
			s.fail(w, r, parley.FieldErrorf("limit", "limit %q is not a whole number from 1 to %d", v, phonecampaign.MaxSessions))
			return
		}
		sq.Limit = n
	}
	page, err := s.PhoneOperators.Sessions(r.Context(), r.PathValue("accountId"), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]PhoneSessionResponse, len(page.Sessions))
	for i, c := range page.Sessions {
		out[i] = phoneSessionResponse(c)
	}
	resp := map[string]any{"sessions": out}
	if page.Next != "" {
		resp["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, resp)
}

// VoiceTokens signs operators' Twilio Voice SDK access tokens
// (*twilio.Voice is one).
type VoiceTokens interface {
	VoiceToken(ctx context.Context, accountID, identity string) (twilio.VoiceToken, error)
}

// VoiceTokenResponse is an operator's Voice SDK access token: the SDK
// registers with it as identity, the operator id calls are bridged to.
type VoiceTokenResponse struct {
	Token     string `json:"token"`
	Identity  string `json:"identity"`
	ExpiresAt string `json:"expiresAt"`
}

// voiceToken answers the Voice SDK access token of the operator the
// request's token speaks for; the token is never logged.
func (s *Server) voiceToken(w http.ResponseWriter, r *http.Request) {
	id, err := me(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tok, err := s.VoiceTokens.VoiceToken(r.Context(), r.PathValue("accountId"), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, VoiceTokenResponse{Token: tok.Token.Reveal(), Identity: tok.Identity, ExpiresAt: timestamp(tok.ExpiresAt)})
}
