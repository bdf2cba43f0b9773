package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/inbound"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/parley"
)

// Inbox takes in what the webhooks receive (*inbound.Service is one).
type Inbox interface {
	Receive(ctx context.Context, m inbound.Message) (inbound.Outcome, error)
	Status(ctx context.Context, u receipts.Update) (inbound.StatusOutcome, error)
}

// ChannelConfigs gives an account's channel configuration with its
// secrets, which the account's webhooks are verified with (store.Channels
// is one).
type ChannelConfigs interface {
	ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error)
}

// Paths of the sandbox injection routes.
const (
	sandboxRepliesPath  = "/sandbox/replies"
	sandboxStatusesPath = "/sandbox/statuses"
)

// maxWebhookBody bounds a provider's webhook body.
const maxWebhookBody = 1 << 20

// webhookRoutes are the providers' webhooks (gateway.WebhookPath of each
// provider that posts them, with its methods) and, with the sandbox
// gateway, the routes that inject what a provider would post.
func (s *Server) webhookRoutes() []Route {
	var rs []Route
	for _, p := range providers.Webhooks() {
		for _, m := range p.WebhookMethods() {
			rs = append(rs, Route{m, gateway.WebhookPath(p.Name()), needInbox(webhook(p))})
		}
	}
	if s.Sandbox != nil {
		rs = append(rs,
			Route{http.MethodPost, sandboxRepliesPath, needInbox((*Server).sandboxReply)},
			Route{http.MethodPost, sandboxStatusesPath, needInbox((*Server).sandboxStatus)})
	}
	return rs
}

// needInbox answers 404 for the webhook routes of a server that takes no
// webhooks.
func needInbox(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Inbox == nil || s.ChannelConfigs == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server takes no webhooks"))
			return
		}
		h(s, w, r)
	}
}

// WebhookResult says what a webhook took in.
type WebhookResult struct {
	// Messages counts the consumers' messages taken in, Duplicates those
	// taken in before (which changed nothing).
	Messages   int `json:"messages"`
	Duplicates int `json:"duplicates"`
	// Statuses counts the statuses applied to a recipient (a late or
	// repeated one changes nothing but counts).
	Statuses int `json:"statuses"`
	// Templates counts the WhatsApp template status updates that changed
	// a template; a late or repeated one changes nothing and is ignored.
	Templates int `json:"templates,omitempty"`
	// Ignored counts what concerns no recipient or number of the account:
	// statuses without a reference Parley gave, or naming no recipient;
	// messages to a number the account has not configured.
	Ignored int `json:"ignored"`
}

// webhook is the handler of provider p's webhook: the provider checks the
// request carries a signature, the account's configuration of the
// provider's channel is read, the provider checks what it can before the
// body is read, then the bounded body is read and the provider verifies
// and parses the request (gateway.WebhookProvider); what it delivered goes
// to the Inbox.
func webhook(p gateway.WebhookProvider) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		req := gateway.WebhookRequest{AccountID: r.PathValue("accountId"), Method: r.Method, URL: s.publicURL(r),
			Header: r.Header, Query: r.URL.Query()}
		if err := p.Signed(req); err != nil {
			s.fail(w, r, err)
			return
		}
		cfg, err := s.webhookConfig(r.Context(), req.AccountID, p.WebhookChannel(), p.Name())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := p.Authorize(cfg, req); err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method != http.MethodGet {
			if req.Body, err = readBody(r, w, maxWebhookBody); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		ev, err := p.Webhook(cfg, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.takeIn(w, r, ev)
	}
}

// webhookConfig returns the account's configuration of channel if it sends
// through provider: the secrets the webhook is verified with. Any other
// case is EFORBIDDEN, except a store that cannot answer (EUNAVAILABLE).
func (s *Server) webhookConfig(ctx context.Context, accountID string, channel parley.Channel, provider parley.Provider) (parley.ChannelConfig, error) {
	cfg, err := s.ChannelConfigs.ChannelConfig(ctx, accountID, channel)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && cfg.Provider != provider):
		return parley.ChannelConfig{}, gateway.Refused("account %s does not send %s through %s", accountID, channel, provider)
	case err != nil:
		return parley.ChannelConfig{}, parley.Wrap(parley.EUNAVAILABLE, err, "the %s configuration of account %s could not be read", channel, accountID)
	}
	return cfg, nil
}

// takeIn hands what a webhook delivered to the Inbox and answers with the
// provider's answer, or else with what was taken in; or with the first
// failure, so that the provider delivers the webhook again: what was taken
// in already is then a duplicate, or a status that changes nothing.
func (s *Server) takeIn(w http.ResponseWriter, r *http.Request, ev gateway.Events) {
	res := WebhookResult{Ignored: ev.Ignored}
	var errs []error
	for _, m := range ev.Messages {
		out, err := s.Inbox.Receive(r.Context(), m)
		res.count(out, err, &errs)
	}
	for _, u := range ev.Statuses {
		out, err := s.Inbox.Status(r.Context(), u)
		res.countStatus(out, err, &errs)
	}
	for _, u := range ev.Templates {
		changed, err := s.review(r.Context(), u)
		res.countTemplate(changed, err, &errs)
	}
	switch {
	case len(errs) > 0:
		if len(errs) > 1 {
			s.Log.WarnContext(r.Context(), "webhook items failed", "path", r.URL.Path, "failed", len(errs), "err", errors.Join(errs...))
		}
		s.fail(w, r, errs[0])
	case ev.Answer != nil:
		w.Header().Set("Content-Type", ev.ContentType)
		_, _ = w.Write(ev.Answer)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// gatewayOriginKey carries the scheme and host API Gateway received a
// request at, which LambdaHandler records.
type gatewayOriginKey struct{}

// publicURL is the URL the provider requested, as it signs it: the path
// and query as requested, after PublicURL when set; on Lambda, after the
// https origin of API Gateway's domain; else after the request's own
// scheme and Host, or, only with TrustForwarded, the scheme and host
// X-Forwarded-Proto and X-Forwarded-Host name.
func (s *Server) publicURL(r *http.Request) string {
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI()
	}
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/") + target
	}
	if origin, ok := r.Context().Value(gatewayOriginKey{}).(string); ok && origin != "" {
		return origin + target
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if !s.TrustForwarded {
		return scheme + "://" + host + target
	}
	if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	return scheme + "://" + host + target
}

// firstValue is the first of a header's comma-separated values (the one
// the outermost proxy set).
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// count adds what Receive did to the result.
func (res *WebhookResult) count(out inbound.Outcome, err error, errs *[]error) {
	switch {
	case err != nil:
		*errs = append(*errs, err)
	case out.Duplicate:
		res.Duplicates++
	default:
		res.Messages++
	}
}

// review applies a template status update: whether it changed a template.
func (s *Server) review(ctx context.Context, u gateway.TemplateUpdate) (bool, error) {
	if s.Templates == nil {
		return false, nil
	}
	return s.Templates.Review(ctx, u)
}

// countTemplate adds what a template status update did to the result.
func (res *WebhookResult) countTemplate(changed bool, err error, errs *[]error) {
	switch {
	case err != nil:
		*errs = append(*errs, err)
	case changed:
		res.Templates++
	default:
		res.Ignored++
	}
}

// countStatus adds what Status did to the result.
func (res *WebhookResult) countStatus(out inbound.StatusOutcome, err error, errs *[]error) {
	switch {
	case err != nil:
		*errs = append(*errs, err)
	case out.Ignored != "":
		res.Ignored++
	default:
		res.Statuses++
	}
}

// SandboxReplyRequest injects a consumer's message, as a provider's webhook
// would deliver it.
type SandboxReplyRequest struct {
	AccountID string `json:"accountId"`
	// From is the consumer (an E.164 number, or an in-app consumer id).
	From string `json:"from"`
	// To is the number the consumer writes to; a keyword is answered
	// from it.
	To      string         `json:"to"`
	Body    string         `json:"body"`
	Channel parley.Channel `json:"channel"` // sms (default), whatsapp or inapp
}

// SandboxReplyResponse says what the injected message did.
type SandboxReplyResponse struct {
	// ProviderMessageID is the id the message was given.
	ProviderMessageID string `json:"providerMessageId"`
	// Keyword is the keyword that dealt with the message (OPT_OUT,
	// OPT_IN, HELP), absent when it was routed.
	Keyword string `json:"keyword,omitempty"`
	// Answer is the keyword's answer sent back, AnswerID its sandbox
	// message id.
	Answer   string `json:"answer,omitempty"`
	AnswerID string `json:"answerId,omitempty"`
	// ConversationID is the conversation the message was routed to.
	ConversationID string `json:"conversationId,omitempty"`
}

// parseSandboxReply reads and checks a SandboxReplyRequest body.
func parseSandboxReply(data []byte) (SandboxReplyRequest, error) {
	var req SandboxReplyRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return SandboxReplyRequest{}, err
	}
	if req.Channel == "" {
		req.Channel = parley.ChannelSMS
	}
	switch {
	case strings.TrimSpace(req.From) == "":
		return SandboxReplyRequest{}, parley.FieldErrorf("from", "from is required: the consumer who writes")
	case !parley.ConfigurableChannel(req.Channel):
		return SandboxReplyRequest{}, parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", req.Channel)
	}
	return req, nil
}

// sandboxReply takes in a message as if a consumer had sent it, through the
// same inbound path as the providers' webhooks.
func (s *Server) sandboxReply(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := parseSandboxReply(data)
	if err == nil {
		req.AccountID, err = s.sandboxAccount(r, req.AccountID)
	}
	if err == nil {
		err = s.sandboxChannel(r.Context(), req.AccountID, req.Channel)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := sandbox.NewMessageID()
	out, err := s.Inbox.Receive(r.Context(), inbound.Message{
		AccountID: req.AccountID, Provider: sandbox.Name, Channel: req.Channel, ID: id,
		From: req.From, To: req.To, Body: req.Body,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := SandboxReplyResponse{ProviderMessageID: id, Answer: out.Answer, AnswerID: out.AnswerID, ConversationID: out.Conversation.ID}
	if !out.Routed {
		resp.Keyword = out.Keyword.String()
	}
	writeJSON(w, http.StatusOK, resp)
}

// SandboxStatusRequest injects a delivery status of a message the sandbox
// recorded, as a provider's status callback would deliver it.
type SandboxStatusRequest struct {
	AccountID         string `json:"accountId"`
	ProviderMessageID string `json:"providerMessageId"`
	// Status is a word of Twilio's: queued, sent, delivered, read,
	// undelivered, failed...
	Status    string `json:"status"`
	ErrorCode string `json:"errorCode"`
}

// SandboxStatusResponse says what the injected status did.
type SandboxStatusResponse struct {
	CampaignID  string `json:"campaignId"`
	RecipientID string `json:"recipientId"`
	// Applied says whether the recipient moved; Status is its status
	// after the report.
	Applied bool                   `json:"applied"`
	Status  parley.RecipientStatus `json:"status"`
}

// parseSandboxStatus reads and checks a SandboxStatusRequest body.
func parseSandboxStatus(data []byte) (SandboxStatusRequest, error) {
	var req SandboxStatusRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return SandboxStatusRequest{}, err
	}
	if strings.TrimSpace(req.ProviderMessageID) == "" {
		return SandboxStatusRequest{}, parley.FieldErrorf("providerMessageId", "providerMessageId is required: the id of a message the sandbox recorded")
	}
	if _, ok := (sandbox.Provider{}).Status(req.Status); !ok {
		return SandboxStatusRequest{}, parley.FieldErrorf("status", "status %q is not one of queued, sent, delivered, read, undelivered, failed", req.Status)
	}
	return req, nil
}

// sandboxStatus applies a status to the recipient of a message the sandbox
// recorded, through the same inbound path as the providers' status callbacks.
func (s *Server) sandboxStatus(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := parseSandboxStatus(data)
	if err == nil {
		req.AccountID, err = s.sandboxAccount(r, req.AccountID)
	}
	var m parley.SentMessage
	if err == nil {
		m, err = s.sandboxMessage(r.Context(), req.AccountID, req.ProviderMessageID)
	}
	if err == nil {
		err = s.sandboxChannel(r.Context(), req.AccountID, m.Channel)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Inbox.Status(r.Context(), gateway.MapStatus(sandbox.Provider{}, gateway.StatusUpdate{
		AccountID: req.AccountID, CampaignID: m.CampaignID, RecipientID: m.RecipientID,
		ProviderMessageID: req.ProviderMessageID, Word: req.Status, ErrorCode: req.ErrorCode,
	}))
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case out.Ignored != "":
		s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "sandbox message %s names no recipient of account %s (%s)", req.ProviderMessageID, req.AccountID, out.Ignored))
		return
	}
	writeJSON(w, http.StatusOK, SandboxStatusResponse{CampaignID: m.CampaignID, RecipientID: m.RecipientID, Applied: out.Applied, Status: out.Status})
}

// sandboxMessage finds the message the sandbox recorded under id for the
// account: it names the recipient a status is for.
func (s *Server) sandboxMessage(ctx context.Context, accountID, id string) (parley.SentMessage, error) {
	ms, err := s.Sandbox.Messages(ctx, accountID)
	if err != nil {
		return parley.SentMessage{}, fmt.Errorf("read the sandbox outbox: %w", err)
	}
	for _, m := range ms {
		if m.ID == id && m.AccountID == accountID {
			return m, nil
		}
	}
	return parley.SentMessage{}, parley.Errorf(parley.ENOTFOUND, "the sandbox recorded no message %s for account %s", id, accountID)
}

// sandboxChannel refuses an injection on a channel the account sends
// through a real provider: what the sandbox injects (and a keyword's
// answer to it) stays in the sandbox.
func (s *Server) sandboxChannel(ctx context.Context, accountID string, channel parley.Channel) error {
	cfg, err := s.ChannelConfigs.ChannelConfig(ctx, accountID, channel)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return nil // unconfigured channels go to the sandbox
	case err != nil:
		return parley.Wrap(parley.EUNAVAILABLE, err, "the %s configuration of account %s could not be read", channel, accountID)
	case cfg.Provider != sandbox.Name:
		return parley.Errorf(parley.EFORBIDDEN, "account %s sends %s through %s: the sandbox injects only on channels that send to the sandbox", accountID, channel, cfg.Provider)
	}
	return nil
}
