package twilio

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// configs serves channel configurations by account.
type configs map[string]parley.ChannelConfig

func (c configs) ChannelConfig(ctx context.Context, accountID string, ch parley.Channel) (parley.ChannelConfig, error) {
	cfg, ok := c[accountID]
	if !ok || ch != parley.ChannelSMS {
		return parley.ChannelConfig{}, parley.Errorf(parley.ENOTFOUND, "no %s config", ch)
	}
	return cfg, nil
}

// fallbackVoice records what reaches the fallback gateway.
type fallbackVoice struct{ did []string }

func (f *fallbackVoice) PlaceCall(ctx context.Context, p phonecampaign.PlaceCall) (string, error) {
	f.did = append(f.did, "place "+p.AccountID)
	return "SB00000001", nil
}
func (f *fallbackVoice) Bridge(ctx context.Context, c dialer.Call, op string) error {
	f.did = append(f.did, "bridge "+c.ProviderID+" "+op)
	return nil
}
func (f *fallbackVoice) Abandon(ctx context.Context, c dialer.Call) error {
	f.did = append(f.did, "abandon "+c.ProviderID)
	return nil
}
func (f *fallbackVoice) Hangup(ctx context.Context, c dialer.Call) error {
	f.did = append(f.did, "hangup "+c.ProviderID)
	return nil
}

func TestVoiceGateway(t *testing.T) {
	ctx := context.Background()
	fake, srv := newFakeCalls(t)
	cfgs := configs{"a1": {AccountID: "a1", Channel: parley.ChannelSMS, Provider: Name, BaseURL: srv.URL,
		Credentials: Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}.Channel()},
		"cm": {AccountID: "cm", Channel: parley.ChannelSMS, Provider: "cm"}}
	fb := &fallbackVoice{}
	v := &Voice{Configs: cfgs, Fallback: fb, PublicURL: "https://parley.example.com/", HTTP: srv.Client(), RingTimeout: 25 * time.Second}

	sid, err := v.PlaceCall(ctx, phonecampaign.PlaceCall{AccountID: "a1", CampaignID: "c 1", ContactID: "k1", Attempt: 1, To: "+12025550123", From: "+12025550100"})
	if err != nil {
		t.Fatal(err)
	}
	if !callSIDForm.MatchString(sid) {
		t.Fatalf("sid %q", sid)
	}
	form := fake.calls[sid]
	hook := "https://parley.example.com/webhooks/twilio/a1/voice/"
	for field, want := range map[string]string{
		"To": "+12025550123", "From": "+12025550100", "Method": "POST",
		"Url": hook + "answer?campaign=c+1", "StatusCallback": hook + "status?campaign=c+1", "StatusCallbackMethod": "POST",
		"MachineDetection": "Enable", "AsyncAmd": "true", "AsyncAmdStatusCallback": hook + "amd?campaign=c+1",
		"AsyncAmdStatusCallbackMethod": "POST", "Timeout": "25",
	} {
		if got := form.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if got := form["StatusCallbackEvent"]; !slices.Equal(got, []string{"initiated", "ringing", "answered", "completed"}) {
		t.Errorf("StatusCallbackEvent = %q", got)
	}

	call := dialer.Call{AccountID: "a1", CampaignID: "c 1", ProviderID: sid, From: "+12025550100"}
	if err := v.Bridge(ctx, call, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := v.Abandon(ctx, call); err != nil {
		t.Fatal(err)
	}
	if err := v.Hangup(ctx, call); err != nil {
		t.Fatal(err)
	}
	ups := fake.updates[sid]
	if len(ups) != 3 {
		t.Fatalf("updates %v", ups)
	}
	if tw := ups[0].Get("Twiml"); !strings.Contains(tw, `<Dial callerId="+12025550100"><Client>ann</Client></Dial>`) {
		t.Errorf("bridge TwiML %s", tw)
	}
	if tw := ups[1].Get("Twiml"); !strings.Contains(tw, "<Say>"+DefaultAbandonMessage+"</Say><Hangup/>") {
		t.Errorf("abandon TwiML %s", tw)
	}
	if ups[2].Get("Status") != "completed" {
		t.Errorf("hangup %v", ups[2])
	}
	// A call that ended cannot be redirected: Twilio's 21220 comes back.
	if err := v.Bridge(ctx, call, "ann"); err == nil {
		t.Error("bridged an ended call")
	}

	// Accounts without Twilio go to the fallback, and so do its calls.
	if id, err := v.PlaceCall(ctx, phonecampaign.PlaceCall{AccountID: "cm", To: "+12025550123", From: "+12025550100"}); err != nil || id != "SB00000001" {
		t.Fatalf("fallback place: %q, %v", id, err)
	}
	sb := dialer.Call{AccountID: "cm", ProviderID: "SB00000001"}
	_ = v.Bridge(ctx, sb, "bob")
	_ = v.Abandon(ctx, sb)
	_ = v.Hangup(ctx, sb)
	if want := []string{"place cm", "bridge SB00000001 bob", "abandon SB00000001", "hangup SB00000001"}; !slices.Equal(fb.did, want) {
		t.Errorf("fallback did %q, want %q", fb.did, want)
	}
}

func TestVoiceGatewayRefuses(t *testing.T) {
	ctx := context.Background()
	_, srv := newFakeCalls(t)
	twilioCfg := parley.ChannelConfig{AccountID: "a1", Channel: parley.ChannelSMS, Provider: Name, BaseURL: srv.URL,
		Credentials: Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}.Channel()}
	wrongToken := twilioCfg
	wrongToken.Credentials = Credentials{AccountSID: testAccount, AuthToken: "not-the-token-0123456789"}.Channel()
	p := phonecampaign.PlaceCall{AccountID: "a1", CampaignID: "c1", To: "+12025550123", From: "+12025550100"}
	for _, tc := range []struct {
		name string
		v    *Voice
		code string
		kind parley.FailKind
	}{
		{"no Twilio and no fallback", &Voice{Configs: configs{}, PublicURL: "https://p.example.com"}, "NO_VOICE", parley.FailConfig},
		{"no public URL", &Voice{Configs: configs{"a1": twilioCfg}, HTTP: srv.Client()}, "NO_VOICE", parley.FailConfig},
		{"wrong auth token", &Voice{Configs: configs{"a1": wrongToken}, HTTP: srv.Client(), PublicURL: "https://p.example.com"}, "20003", parley.FailConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.PlaceCall(ctx, p)
			var se *parley.SendError
			if !errors.As(err, &se) || se.Code != tc.code || se.Kind != tc.kind {
				t.Fatalf("err %v, want a %v send error %s", err, tc.kind, tc.code)
			}
		})
	}
	if err := (&Voice{Configs: configs{}}).Hangup(ctx, dialer.Call{AccountID: "a1", ProviderID: "SB1"}); err == nil {
		t.Error("hung up a call no gateway placed")
	}
}

func TestParseVoiceWebhook(t *testing.T) {
	base := func(kv ...string) url.Values {
		f := url.Values{"CallSid": {"CA" + strings.Repeat("a", 32)}, "AccountSid": {testAccount}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, tc := range []struct {
		name  string
		event string
		form  url.Values
		want  VoiceUpdate
		field string // of the error, when one is wanted
	}{
		{"answer fetch", VoiceAnswer, base(), VoiceUpdate{}, ""},
		{"ringing says nothing", VoiceStatus, base("CallStatus", "ringing"), VoiceUpdate{}, ""},
		{"answered says nothing", VoiceStatus, base("CallStatus", "in-progress"), VoiceUpdate{}, ""},
		{"busy", VoiceStatus, base("CallStatus", "busy"), VoiceUpdate{Ended: true, Answer: dialer.AnswerBusy}, ""},
		{"no answer", VoiceStatus, base("CallStatus", "no-answer"), VoiceUpdate{Ended: true, Answer: dialer.AnswerNoAnswer}, ""},
		{"failed", VoiceStatus, base("CallStatus", "failed"), VoiceUpdate{Ended: true, Answer: dialer.AnswerFailed}, ""},
		{"canceled", VoiceStatus, base("CallStatus", "canceled"), VoiceUpdate{Ended: true, Answer: dialer.AnswerFailed}, ""},
		{"completed after talk", VoiceStatus, base("CallStatus", "completed", "CallDuration", "95"), VoiceUpdate{Ended: true, Answer: dialer.AnswerHuman, Duration: 95 * time.Second}, ""},
		{"human", VoiceAMD, base("AnsweredBy", "human"), VoiceUpdate{Answered: true, Answer: dialer.AnswerHuman}, ""},
		{"unknown is a person", VoiceAMD, base("AnsweredBy", "unknown"), VoiceUpdate{Answered: true, Answer: dialer.AnswerHuman}, ""},
		{"machine", VoiceAMD, base("AnsweredBy", "machine_start"), VoiceUpdate{Answered: true, Answer: dialer.AnswerMachine}, ""},
		{"fax", VoiceAMD, base("AnsweredBy", "fax"), VoiceUpdate{Answered: true, Answer: dialer.AnswerMachine}, ""},
		{"no verdict", VoiceAMD, base(), VoiceUpdate{}, "AnsweredBy"},
		{"no status", VoiceStatus, base(), VoiceUpdate{}, "CallStatus"},
		{"no call", VoiceAnswer, url.Values{}, VoiceUpdate{}, "CallSid"},
		{"bad duration", VoiceStatus, base("CallStatus", "completed", "CallDuration", "-1"), VoiceUpdate{}, "CallDuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVoiceWebhook(tc.event, tc.form)
			if tc.field != "" {
				if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(err.Error(), tc.field) {
					t.Fatalf("err %v, want EINVALID naming %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.event != VoiceAnswer || tc.form.Get("CallSid") != "" {
				tc.want.CallSID = tc.form.Get("CallSid")
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ParseVoiceWebhook("hangup", base()); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("unknown event: %v", err)
	}
}

// FuzzParseVoiceWebhook feeds arbitrary forms to each voice webhook's
// parser: it reports a call it names and a known answer, or fails with
// EINVALID.
func FuzzParseVoiceWebhook(f *testing.F) {
	f.Add("answer", "CallSid=CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC1&CallStatus=in-progress")
	f.Add("status", "CallSid=CA1&AccountSid=AC1&CallStatus=completed&CallDuration=12&SequenceNumber=3")
	f.Add("status", "CallSid=CA1&AccountSid=AC1&CallStatus=no-answer")
	f.Add("amd", "CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_end_beep&MachineDetectionDuration=4100")
	f.Add("amd", "CallSid=CA1&AnsweredBy=human&AnsweredBy=fax")
	f.Fuzz(func(t *testing.T, event, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		u, err := ParseVoiceWebhook(event, form)
		if err != nil {
			if c := parley.ErrorCode(err); c != parley.EINVALID && c != parley.ENOTFOUND {
				t.Fatalf("error %v is neither EINVALID nor ENOTFOUND", err)
			}
			return
		}
		known := map[dialer.Answer]bool{"": !u.Answered && !u.Ended, dialer.AnswerHuman: true, dialer.AnswerMachine: u.Answered,
			dialer.AnswerBusy: u.Ended, dialer.AnswerNoAnswer: u.Ended, dialer.AnswerFailed: u.Ended}
		if u.CallSID == "" || !known[u.Answer] || (u.Answered && u.Ended) || u.Duration < 0 {
			t.Fatalf("%s %q: accepted %+v", event, body, u)
		}
	})
}
