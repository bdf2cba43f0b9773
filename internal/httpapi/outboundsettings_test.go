package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// TestOutboundSettings: channels in priority order with their enablement,
// the device check (off by default) and the outbound skills are settings
// a PATCH sets and clears (null), a PUT that leaves them out keeps, and
// whose bad values are refused naming the field.
func TestOutboundSettings(t *testing.T) {
	w := newWorld(t)
	settings := func(t *testing.T, method, body string, want int) (parley.Account, string) {
		t.Helper()
		resp, data := w.do(t, method, "/api/v2/account/acct1/settings", body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, body, resp.StatusCode, data, want)
		}
		var a parley.Account
		_ = json.Unmarshal(data, &a)
		return a, string(data)
	}
	if a, _ := settings(t, "GET", "", http.StatusOK); a.DeviceCheck || len(a.Channels) != 0 || len(a.OutboundSkills) != 0 {
		t.Fatalf("defaults: %+v, want no channels, no skills and the device check off", a)
	}
	a, _ := settings(t, "PATCH", `{"channels":[{"channel":"whatsapp","enabled":true},{"channel":"sms","enabled":true},{"channel":"inapp","enabled":false}],
	  "deviceCheck":true,"outboundSkills":["sales","billing"],"defaultSkill":"sales"}`, http.StatusOK)
	if len(a.Channels) != 3 || a.Channels[0].Channel != parley.ChannelWhatsApp || !a.ChannelEnabled(parley.ChannelSMS) || a.ChannelEnabled(parley.ChannelInApp) ||
		!a.DeviceCheck || !a.SkillEnabled("billing") {
		t.Fatalf("after PATCH: %+v", a)
	}
	whole := `{"optOutText":"","helpText":"","defaultSkill":"billing","optOutConfirmText":"","optInConfirmText":"","defaultCountry":"","connectorUrl":"","dailyRecipientLimit":0}`
	if a, _ := settings(t, "PUT", whole, http.StatusOK); len(a.Channels) != 3 || !a.DeviceCheck || len(a.OutboundSkills) != 2 || a.DefaultSkill != "billing" {
		t.Fatalf("a PUT without the outbound settings changed them: %+v", a)
	}
	if a, _ := settings(t, "PATCH", `{"deviceCheck":null,"channels":null}`, http.StatusOK); a.DeviceCheck || len(a.Channels) != 0 || len(a.OutboundSkills) != 2 {
		t.Fatalf("after null: %+v, want the device check off, no channels, the skills kept", a)
	}
	for _, tt := range []struct{ body, field string }{
		{`{"channels":[{"channel":"fax","enabled":true}]}`, "channels[0].channel"},
		{`{"channels":[{"channel":"sms","enabled":true},{"channel":"sms","enabled":false}]}`, "channels[1].channel"},
		{`{"channels":"sms"}`, "channels"},
		{`{"deviceCheck":"yes"}`, "deviceCheck"},
		{`{"outboundSkills":["sales","Sales"]}`, "outboundSkills[1]"},
		{`{"outboundSkills":[""]}`, "outboundSkills[0]"},
		{`{"outboundSkills":["` + strings.Repeat("s", 256) + `"]}`, "outboundSkills[0]"},
		{`{"outboundSkills":["sales"],"defaultSkill":"billing"}`, "defaultSkill"},
	} {
		if _, data := settings(t, "PATCH", tt.body, http.StatusBadRequest); !strings.Contains(data, `"field":"`+tt.field+`"`) {
			t.Errorf("PATCH %s: %s, want field %s", tt.body, data, tt.field)
		}
	}
}
