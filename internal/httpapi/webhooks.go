package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
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

// Paths of the webhook and sandbox injection routes.
const (
	twilioWebhookPath   = "/webhooks/twilio/{accountId}"
	whatsAppWebhookPath = "/webhooks/whatsapp/{accountId}"
	cmWebhookPath       = "/webhooks/cm/{accountId}"
	sandboxRepliesPath  = "/sandbox/replies"
	sandboxStatusesPath = "/sandbox/statuses"
)

// maxWebhookBody bounds a provider's webhook body.
const maxWebhookBody = 1 << 20

// twimlEmpty is the answer to Twilio: TwiML that does nothing (a keyword's
// answer, if any, is sent through the API like every message).
const twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// webhookRoutes are the providers' webhooks and, with the sandbox gateway,
// the routes that inject what a provider would post.
func (s *Server) webhookRoutes() []Route {
	rs := []Route{
		{http.MethodPost, twilioWebhookPath, needInbox((*Server).twilioWebhook)},
		{http.MethodGet, whatsAppWebhookPath, needInbox((*Server).whatsAppHandshake)},
		{http.MethodPost, whatsAppWebhookPath, needInbox((*Server).whatsAppWebhook)},
		{http.MethodPost, cmWebhookPath, needInbox((*Server).cmWebhook)},
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
	// Ignored counts what concerns no recipient or number of the account:
	// statuses without a reference Parley gave, or naming no recipient;
	// messages to a number the account has not configured.
	Ignored int `json:"ignored"`
}

// webhookConfig returns the account's configuration of channel if it sends
// through provider: the secrets the webhook is verified with. Any other
// case is EFORBIDDEN, except a store that cannot answer (EUNAVAILABLE).
func (s *Server) webhookConfig(ctx context.Context, accountID string, channel parley.Channel, provider parley.Provider) (parley.ChannelConfig, error) {
	cfg, err := s.ChannelConfigs.ChannelConfig(ctx, accountID, channel)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && cfg.Provider != provider):
		return parley.ChannelConfig{}, refused("account %s does not send %s through %s", accountID, channel, provider)
	case err != nil:
		return parley.ChannelConfig{}, parley.Wrap(parley.EUNAVAILABLE, err, "the %s configuration of account %s could not be read", channel, accountID)
	}
	return cfg, nil
}

// unsigned is the refusal of a webhook without its provider's signature.
func unsigned(what string) error {
	return parley.Errorf(parley.EUNAUTHORIZED, "the request carries no %s", what)
}

// badSignature is the refusal of a webhook whose signature does not verify.
func badSignature(what, accountID string) error {
	return refused("the %s does not verify with the secret of account %s", what, accountID)
}

// webhookRefusedMessage is the one answer to every webhook refused after
// its signature was looked at: it says nothing of the account's
// configuration, so webhooks cannot be used to learn which accounts exist
// or which provider each uses.
const webhookRefusedMessage = "the webhook does not verify: check the URL registered with the provider and the account's channel credentials"

// refused is a webhook's refusal: EFORBIDDEN with the uniform message, the
// reason kept for the log alone.
func refused(format string, args ...any) error {
	return parley.Wrap(parley.EFORBIDDEN, fmt.Errorf(format, args...), webhookRefusedMessage)
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

// twilioWebhook takes Twilio's incoming messages and status callbacks for
// an account whose SMS goes through Twilio. The X-Twilio-Signature is
// checked against the account's auth token before anything is read from
// the form.
func (s *Server) twilioWebhook(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	signature := r.Header.Get("X-Twilio-Signature")
	if signature == "" {
		s.fail(w, r, unsigned("X-Twilio-Signature"))
		return
	}
	cfg, err := s.webhookConfig(r.Context(), accountID, parley.ChannelSMS, parley.ProviderTwilio)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token := ""
	if cfg.Twilio != nil {
		token = cfg.Twilio.AuthToken.Reveal()
	}
	if token == "" {
		s.fail(w, r, refused("account %s has no Twilio auth token to verify webhooks with (twilio.authToken)", accountID))
		return
	}
	body, err := readBody(r, w, maxWebhookBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.fail(w, r, parley.Errorf(parley.EINVALID, "the body is not a form"))
		return
	}
	if !twilio.ValidSignature(token, s.publicURL(r), form, signature) {
		s.fail(w, r, badSignature("X-Twilio-Signature", accountID))
		return
	}
	if sid := form.Get("AccountSid"); sid != cfg.Twilio.AccountSID {
		s.fail(w, r, refused("the request is for Twilio account %q, not the one account %s is configured with", sid, accountID))
		return
	}
	if twilioStatusCallback(form) {
		err = s.twilioStatus(r, accountID, form)
	} else {
		err = s.twilioInbound(r, cfg, form)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(twimlEmpty))
}

// twilioStatusCallback tells a status callback from an incoming message:
// it reports a status of a message sent.
func twilioStatusCallback(form url.Values) bool {
	st := form.Get("MessageStatus")
	return st != "" && st != "received" && st != "receiving"
}

func (s *Server) twilioInbound(r *http.Request, cfg parley.ChannelConfig, form url.Values) error {
	in, err := twilio.ParseInbound(form)
	if err != nil {
		return err
	}
	_, err = s.Inbox.Receive(r.Context(), inbound.Message{
		AccountID: cfg.AccountID, Provider: receipts.Twilio, Channel: parley.ChannelSMS, ID: in.MessageSID,
		From: in.From, To: in.To, AnswerFrom: outboundOf(cfg, in.To), Body: in.Body,
	})
	return err
}

// outboundOf is the outbound number of the configured sender whose
// provider id is sender (the number or phone-number id a consumer wrote
// to), so that an answer goes out through that sender; "" when none maps
// one.
func outboundOf(cfg parley.ChannelConfig, sender string) string {
	for _, c := range cfg.Senders {
		if c.ID == sender && c.OutboundNumber != "" {
			return c.OutboundNumber
		}
	}
	return ""
}

func (s *Server) twilioStatus(r *http.Request, accountID string, form url.Values) error {
	st, err := twilio.ParseStatus(form)
	if err != nil {
		return err
	}
	u := receipts.Update{AccountID: accountID, Provider: receipts.Twilio, ProviderMessageID: st.MessageSID,
		Status: string(st.MessageStatus), ErrorCode: st.ErrorCode}
	if ref, ok := parley.ParseCallbackRef(accountID, r.URL.Query().Get(twilio.RefParam)); ok {
		u.CampaignID, u.RecipientID = ref.CampaignID, ref.RecipientID
	}
	_, err = s.Inbox.Status(r.Context(), u)
	return err
}

// whatsAppHandshake answers Meta's verification of the webhook URL with the
// challenge, when the verify token is the account's.
func (s *Server) whatsAppHandshake(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	q := r.URL.Query()
	if q.Get("hub.verify_token") == "" {
		s.fail(w, r, unsigned("hub.verify_token"))
		return
	}
	cfg, err := s.webhookConfig(r.Context(), accountID, parley.ChannelWhatsApp, parley.ProviderWhatsApp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	verify := ""
	if cfg.WhatsApp != nil {
		verify = cfg.WhatsApp.VerifyToken.Reveal()
	}
	challenge, ok := whatsapp.Handshake(q, verify)
	if !ok {
		s.fail(w, r, refused("the verification of account %s's webhook failed: hub.mode must be subscribe, hub.verify_token the account's and hub.challenge a number", accountID))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(challenge))
}

// whatsAppWebhook takes Meta's notifications of messages and statuses for
// an account whose WhatsApp goes through the Cloud API. The
// X-Hub-Signature-256 over the raw body is checked with the account's app
// secret before the body is parsed. Only what concerns the account's own
// phone-number ids (its senders) is taken in.
func (s *Server) whatsAppWebhook(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	signature := r.Header.Get(whatsapp.SignatureHeader)
	if signature == "" {
		s.fail(w, r, unsigned(whatsapp.SignatureHeader))
		return
	}
	cfg, err := s.webhookConfig(r.Context(), accountID, parley.ChannelWhatsApp, parley.ProviderWhatsApp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r, w, maxWebhookBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret := ""
	if cfg.WhatsApp != nil {
		secret = cfg.WhatsApp.AppSecret.Reveal()
	}
	if !whatsapp.VerifySignature(secret, body, signature) {
		s.fail(w, r, badSignature(whatsapp.SignatureHeader, accountID))
		return
	}
	n, err := whatsapp.ParseNotification(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ours := func(phoneNumberID string) bool {
		return slices.ContainsFunc(cfg.Senders, func(c parley.ChannelSender) bool { return c.ID == phoneNumberID })
	}
	var res WebhookResult
	var errs []error
	for _, in := range n.Inbound {
		if !ours(in.PhoneNumberID) {
			res.Ignored++
			continue
		}
		from := in.From
		if from == "" {
			from = in.UserID
		}
		out, err := s.Inbox.Receive(r.Context(), inbound.Message{
			AccountID: accountID, Provider: receipts.WhatsApp, Channel: parley.ChannelWhatsApp, ID: in.ID,
			From: from, To: in.To, AnswerFrom: outboundOf(cfg, in.PhoneNumberID), Body: in.Text, At: in.Timestamp,
		})
		res.count(out, err, &errs)
	}
	for _, st := range n.Statuses {
		if !ours(st.PhoneNumberID) {
			res.Ignored++
			continue
		}
		u := receipts.Update{AccountID: accountID, Provider: receipts.WhatsApp, ProviderMessageID: st.ID, Status: st.Status, At: st.Timestamp}
		if len(st.Errors) > 0 {
			u.ErrorCode = st.Errors[0].Code
		}
		if ref, ok := parley.ParseCallbackRef(accountID, st.CallbackData); ok {
			u.CampaignID, u.RecipientID = ref.CampaignID, ref.RecipientID
		}
		out, err := s.Inbox.Status(r.Context(), u)
		res.countStatus(out, err, &errs)
	}
	s.answerWebhook(w, r, res, errs)
}

// cmWebhook takes CM.com's inbound messages and status reports (JSON or
// XML) for an account whose SMS goes through CM. CM signs neither, so the
// URL registered with CM carries the account's webhook token (query
// parameter token), checked before the body is read.
func (s *Server) cmWebhook(w http.ResponseWriter, r *http.Request) {
	accountID := r.PathValue("accountId")
	token := r.URL.Query().Get(cm.TokenParam)
	if token == "" {
		s.fail(w, r, unsigned("webhook token (query parameter "+cm.TokenParam+")"))
		return
	}
	cfg, err := s.webhookConfig(r.Context(), accountID, parley.ChannelSMS, parley.ProviderCM)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	expected := ""
	if cfg.CM != nil {
		expected = cfg.CM.WebhookToken.Reveal()
	}
	if expected == "" {
		s.fail(w, r, refused("account %s has no CM webhook token to verify webhooks with (cm.webhookToken)", accountID))
		return
	}
	if !cm.VerifyToken(expected, token) {
		s.fail(w, r, badSignature("webhook token", accountID))
		return
	}
	body, err := readBody(r, w, maxWebhookBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var res WebhookResult
	var errs []error
	if cm.IsStatusReport(body) {
		reports, err := cm.ParseStatusReports(body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, rep := range reports {
			u := receipts.Update{AccountID: accountID, Provider: receipts.CM, ProviderMessageID: rep.Reference,
				Status: rep.Status.String(), ErrorCode: rep.ErrorCode, At: rep.Time}
			if c, rid, ok := cm.ParseReference(rep.Reference); ok {
				u.CampaignID, u.RecipientID = c, rid
			}
			out, err := s.Inbox.Status(r.Context(), u)
			res.countStatus(out, err, &errs)
		}
	} else {
		in, err := cm.ParseInbound(body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ch := parley.ChannelSMS
		if strings.EqualFold(in.Channel, "WhatsApp") {
			ch = parley.ChannelWhatsApp
		}
		out, err := s.Inbox.Receive(r.Context(), inbound.Message{
			AccountID: accountID, Provider: receipts.CM, Channel: ch, ID: in.MessageID(),
			From: in.From, To: in.To, AnswerFrom: outboundOf(cfg, in.To), Body: in.Body, At: in.Time,
		})
		res.count(out, err, &errs)
	}
	s.answerWebhook(w, r, res, errs)
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

// answerWebhook answers with the result, or with the first failure so that
// the provider delivers the webhook again: what was taken in already is
// then a duplicate, or a status that changes nothing.
func (s *Server) answerWebhook(w http.ResponseWriter, r *http.Request, res WebhookResult, errs []error) {
	if len(errs) > 0 {
		if len(errs) > 1 {
			s.Log.WarnContext(r.Context(), "webhook items failed", "path", r.URL.Path, "failed", len(errs), "err", errors.Join(errs...))
		}
		s.fail(w, r, errs[0])
		return
	}
	writeJSON(w, http.StatusOK, res)
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
		AccountID: req.AccountID, Provider: receipts.Sandbox, Channel: req.Channel, ID: id,
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
	if _, ok := receipts.ProviderStatus(receipts.Sandbox, req.Status); !ok {
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
	out, err := s.Inbox.Status(r.Context(), receipts.Update{
		AccountID: req.AccountID, CampaignID: m.CampaignID, RecipientID: m.RecipientID, Provider: receipts.Sandbox,
		ProviderMessageID: req.ProviderMessageID, Status: req.Status, ErrorCode: req.ErrorCode,
	})
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
	case cfg.Provider != parley.ProviderSandbox:
		return parley.Errorf(parley.EFORBIDDEN, "account %s sends %s through %s: the sandbox injects only on channels that send to the sandbox", accountID, channel, cfg.Provider)
	}
	return nil
}
