package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// voiceCalls records what the voice webhooks delivered.
type voiceCalls struct {
	mu       sync.Mutex
	answered []phonecampaign.Event
	ended    []phonecampaign.Event
	talk     []time.Duration
}

func (v *voiceCalls) Answered(ctx context.Context, ev phonecampaign.Event) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.answered = append(v.answered, ev)
	return nil
}

func (v *voiceCalls) Ended(ctx context.Context, ev phonecampaign.Event, talk time.Duration) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ended, v.talk = append(v.ended, ev), append(v.talk, talk)
	return nil
}

func (v *voiceCalls) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.answered) + len(v.ended)
}

const voiceCall = "CA0123456789abcdef0123456789abcdef"

func callForm(kv ...string) url.Values {
	f := url.Values{"CallSid": {voiceCall}, "AccountSid": {twilioSID}, "From": {hookBrand}, "To": {hookConsumer},
		"Direction": {"outbound-api"}, "ApiVersion": {"2010-04-01"}}
	for i := 0; i < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestVoiceWebhooks(t *testing.T) {
	w := newHookWorld(t)
	calls := &voiceCalls{}
	w.srv.VoiceCalls = calls
	w.h = w.srv.Handler()
	hook := "/webhooks/twilio/" + hookAccount + "/voice/"

	code, body := w.twilioPost(t, hook+"answer?campaign=c1", callForm("CallStatus", "in-progress"), twilioAuthToken, "")
	if code != http.StatusOK || !strings.Contains(body, "<Pause length=") {
		t.Fatalf("answer: %d %s", code, body)
	}
	if code, body := w.twilioPost(t, hook+"status?campaign=c1", callForm("CallStatus", "ringing", "SequenceNumber", "1"), twilioAuthToken, ""); code != http.StatusNoContent {
		t.Fatalf("ringing: %d %s", code, body)
	}
	if calls.count() != 0 {
		t.Fatalf("ringing or the TwiML fetch delivered %d events", calls.count())
	}
	if code, body := w.twilioPost(t, hook+"amd?campaign=c1", callForm("AnsweredBy", "human", "MachineDetectionDuration", "1850"), twilioAuthToken, ""); code != http.StatusNoContent {
		t.Fatalf("amd: %d %s", code, body)
	}
	if code, body := w.twilioPost(t, hook+"status?campaign=c1", callForm("CallStatus", "completed", "CallDuration", "74", "SequenceNumber", "3"), twilioAuthToken, ""); code != http.StatusNoContent {
		t.Fatalf("completed: %d %s", code, body)
	}
	if len(calls.answered) != 1 || calls.answered[0].At.IsZero() {
		t.Fatalf("answered %+v", calls.answered)
	}
	if calls.answered[0].At = (time.Time{}); calls.answered[0] != (phonecampaign.Event{AccountID: hookAccount, CampaignID: "c1", ProviderID: voiceCall, Answer: dialer.AnswerHuman}) {
		t.Errorf("answered %+v", calls.answered)
	}
	if len(calls.ended) != 1 || calls.ended[0].ProviderID != voiceCall || calls.ended[0].CampaignID != "c1" || calls.talk[0] != 74*time.Second {
		t.Errorf("ended %+v after %v", calls.ended, calls.talk)
	}

	// Nothing is delivered from a request not signed by the account's
	// Twilio, or whose signed URL is not the one requested.
	before := calls.count()
	amd := callForm("AnsweredBy", "machine_start")
	for _, tc := range []struct {
		name, target, token, signed string
		form                        url.Values
		want                        int
	}{
		{"unsigned", hook + "amd?campaign=c1", "", "", amd, http.StatusUnauthorized},
		{"another account's token", hook + "amd?campaign=c1", otherAuthToken, "", amd, http.StatusForbidden},
		{"campaign changed after signing", hook + "amd?campaign=c2", twilioAuthToken, publicBase + hook + "amd?campaign=c1", amd, http.StatusForbidden},
		{"another Twilio account", hook + "amd?campaign=c1", twilioAuthToken, "", callForm("AnsweredBy", "human", "AccountSid", "AC"+strings.Repeat("f", 32)), http.StatusForbidden},
		{"account without Twilio", "/webhooks/twilio/Z/voice/amd?campaign=c1", twilioAuthToken, "", amd, http.StatusForbidden},
		{"no campaign", hook + "amd", twilioAuthToken, "", amd, http.StatusBadRequest},
		{"no verdict", hook + "amd?campaign=c1", twilioAuthToken, "", callForm(), http.StatusBadRequest},
		{"unknown event", hook + "hangup?campaign=c1", twilioAuthToken, "", amd, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := w.twilioPost(t, tc.target, tc.form, tc.token, tc.signed)
			if code != tc.want {
				t.Fatalf("%d %s, want %d", code, body, tc.want)
			}
		})
	}
	big := callForm("AnsweredBy", "human", "Pad", strings.Repeat("x", 1<<20))
	if code, _ := w.twilioPost(t, hook+"amd?campaign=c1", big, twilioAuthToken, ""); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: %d", code)
	}
	if calls.count() != before {
		t.Errorf("refused requests delivered %d events", calls.count()-before)
	}
}
