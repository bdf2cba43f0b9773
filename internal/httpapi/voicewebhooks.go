package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// VoiceCalls takes in what the voice webhooks report about the calls of
// telephone campaigns (*phonecampaign.Dialer is one).
type VoiceCalls interface {
	Answered(ctx context.Context, ev phonecampaign.Event) error
	Ended(ctx context.Context, ev phonecampaign.Event, talk time.Duration) error
}

// voiceWebhookRoutes are Twilio's voice webhooks of each account: the
// answer TwiML, call progress and the machine-detection verdict.
func (s *Server) voiceWebhookRoutes() []Route {
	var rs []Route
	for _, event := range twilio.VoiceEvents {
		rs = append(rs, Route{http.MethodPost, twilio.VoicePath(event), voiceWebhook(event)})
	}
	return rs
}

// voiceWebhook is the handler of a voice webhook event. Nothing of the
// request but its path is used before the X-Twilio-Signature has been
// checked, over the full public URL and the form, against the auth token
// of the account's Twilio configuration (its SMS channel's): the
// signature's presence first, then the account's configuration, then the
// bounded body. The campaign comes from the signed URL. A repeated event
// changes nothing (the runtime applies each once), and a failure answers
// 5xx so that Twilio delivers it again.
func voiceWebhook(event string) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.VoiceCalls == nil || s.ChannelConfigs == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server takes no voice webhooks"))
			return
		}
		accountID := r.PathValue("accountId")
		signature := r.Header.Get(twilio.SignatureHeader)
		if signature == "" {
			s.fail(w, r, gateway.Unsigned(twilio.SignatureHeader))
			return
		}
		cfg, err := s.webhookConfig(r.Context(), accountID, parley.ChannelSMS, twilio.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		creds, _ := twilio.CredentialsOf(cfg.Credentials) // VerifiedForm refuses empty ones
		body, err := readBody(r, w, maxWebhookBody)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form, err := twilio.VerifiedForm(creds, accountID, s.publicURL(r), body, signature)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u, err := twilio.ParseVoiceWebhook(event, form)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		campaignID := r.URL.Query().Get(twilio.CampaignParam)
		if campaignID == "" {
			s.fail(w, r, parley.FieldErrorf(twilio.CampaignParam, "the webhook URL names no campaign (query parameter %s)", twilio.CampaignParam))
			return
		}
		ev := phonecampaign.Event{AccountID: accountID, CampaignID: campaignID, ProviderID: u.CallSID, At: s.now(), Answer: u.Answer}
		switch {
		case u.Answered:
			err = s.VoiceCalls.Answered(r.Context(), ev)
		case u.Ended:
			err = s.VoiceCalls.Ended(r.Context(), ev, u.Duration)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if event == twilio.VoiceAnswer {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write([]byte(twilio.AnswerTwiML()))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
