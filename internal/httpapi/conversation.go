package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// Conversations reads and closes the conversations consumers' replies open
// (*conversation.Service is one).
type Conversations interface {
	List(ctx context.Context, accountID string, f parley.ConversationFilter) (parley.ConversationPage, error)
	Get(ctx context.Context, accountID, id string) (parley.Conversation, error)
	Close(ctx context.Context, accountID, id string) (parley.Conversation, error)
}

// Broadcasts defines provider broadcast campaigns (*conversation.Service is one).
type Broadcasts interface {
	CreateBroadcast(ctx context.Context, b parley.BroadcastCampaign) (parley.BroadcastCampaign, error)
	Broadcast(ctx context.Context, accountID, id string) (parley.BroadcastCampaign, error)
	Broadcasts(ctx context.Context, accountID string) ([]parley.BroadcastCampaign, error)
}

// Paths of the conversation and broadcast routes.
const (
	conversationsPath     = "/api/v2/account/{accountId}/conversations"
	conversationPath      = conversationsPath + "/{conversationId}"
	closeConversationPath = conversationPath + "/close"
	broadcastsPath        = "/api/v2/account/{accountId}/broadcasts"
	broadcastPath         = broadcastsPath + "/{broadcastId}"
)

// conversationRoutes are the routes of conversations and broadcasts.
func conversationRoutes() []Route {
	return []Route{
		{http.MethodGet, conversationsPath, needConversations((*Server).listConversations)},
		{http.MethodGet, conversationPath, needConversations((*Server).getConversation)},
		{http.MethodPost, closeConversationPath, needConversations((*Server).closeConversation)},
		{http.MethodPost, broadcastsPath, needBroadcasts((*Server).createBroadcast)},
		{http.MethodGet, broadcastsPath, needBroadcasts((*Server).listBroadcasts)},
		{http.MethodGet, broadcastPath, needBroadcasts((*Server).getBroadcast)},
	}
}

// needConversations answers 404 for the conversation routes of a server
// without a conversation service.
func needConversations(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Conversations == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no conversations"))
			return
		}
		h(s, w, r)
	}
}

// needBroadcasts answers 404 for the broadcast routes of a server without
// a broadcast service.
func needBroadcasts(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Broadcasts == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no broadcast campaigns"))
			return
		}
		h(s, w, r)
	}
}

// conversationFilter reads the query of a conversation listing: skill,
// status (OPEN or CLOSED), consumer (E.164; a "+" that arrived as a space
// is restored), limit (1..100) and cursor.
func conversationFilter(q map[string][]string) (parley.ConversationFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := parley.ConversationFilter{Skill: strings.TrimSpace(get("skill")), Cursor: get("cursor")}
	consumer := get("consumer")
	if strings.HasPrefix(consumer, " ") && !strings.HasPrefix(strings.TrimSpace(consumer), "+") {
		consumer = "+" + strings.TrimSpace(consumer) // ?consumer=+1202... unescaped
	}
	f.Consumer = strings.TrimSpace(consumer)
	var err error
	if f.Status, err = parley.ParseConversationStatus(get("status"), "status"); err != nil {
		return f, err
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > parley.MaxConversationPage {
			return f, parley.FieldErrorf("limit", "limit %q is not a number from 1 to %d", v, parley.MaxConversationPage)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	f, err := conversationFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Conversations.List(r.Context(), r.PathValue("accountId"), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Get(r.Context(), r.PathValue("accountId"), r.PathValue("conversationId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) closeConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Close(r.Context(), r.PathValue("accountId"), r.PathValue("conversationId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// BroadcastRequest defines a provider broadcast campaign.
type BroadcastRequest struct {
	Name        string              `json:"name"`
	Goal        string              `json:"goal"`
	Timeframe   Timeframe           `json:"timeframe"`
	Engagements []parley.Engagement `json:"engagements"`
}

// Timeframe bounds a broadcast campaign: replies from start to end, both
// included (RFC 3339), are linked to its engagements.
type Timeframe struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// BroadcastResponse is a broadcast campaign as the API shows it.
type BroadcastResponse struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Goal        string              `json:"goal"`
	Timeframe   Timeframe           `json:"timeframe"`
	Engagements []parley.Engagement `json:"engagements"`
	CreatedAt   string              `json:"createdAt"`
}

func broadcastResponse(b parley.BroadcastCampaign) BroadcastResponse {
	es := b.Engagements
	if es == nil {
		es = []parley.Engagement{}
	}
	return BroadcastResponse{
		ID: b.ID, Name: b.Name, Goal: b.Goal, Timeframe: Timeframe{Start: timestamp(b.Start), End: timestamp(b.End)},
		Engagements: es, CreatedAt: timestamp(b.CreatedAt),
	}
}

func (s *Server) createBroadcast(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req BroadcastRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	b := parley.BroadcastCampaign{AccountID: r.PathValue("accountId"), Name: req.Name, Goal: req.Goal, Engagements: req.Engagements}
	if b.Start, err = parseTime("timeframe.start", req.Timeframe.Start); err != nil {
		s.fail(w, r, err)
		return
	}
	if b.End, err = parseTime("timeframe.end", req.Timeframe.End); err != nil {
		s.fail(w, r, err)
		return
	}
	saved, err := s.Broadcasts.CreateBroadcast(r.Context(), b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, broadcastResponse(saved))
}

func (s *Server) listBroadcasts(w http.ResponseWriter, r *http.Request) {
	bs, err := s.Broadcasts.Broadcasts(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]BroadcastResponse, 0, len(bs))
	for _, b := range bs {
		out = append(out, broadcastResponse(b))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getBroadcast(w http.ResponseWriter, r *http.Request) {
	b, err := s.Broadcasts.Broadcast(r.Context(), r.PathValue("accountId"), r.PathValue("broadcastId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, broadcastResponse(b))
}
