package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

func TestPhoneCampaignRoutes(t *testing.T) {
	w := contactsWorld(t)
	w.srv.PhoneCampaigns = &phonecampaign.Service{Store: w.store, Clock: parley.ClockFunc(time.Now)}
	w.srv.AgentContext = &conversation.Service{Store: w.store, Clock: parley.ClockFunc(time.Now)}
	w.h = w.srv.Handler()
	for _, body := range []string{`{"name":"Ann","phone":"+12025550142"}`, `{"name":"Bob","phone":"+12025550143"}`, `{"name":"Cy"}`} {
		if resp, data := w.do(t, "POST", "/api/v2/account/acct1/contacts", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("contact: %d %s", resp.StatusCode, data)
		}
	}
	const base = "/api/v2/account/acct1/phone-campaigns"
	resp, data := w.do(t, "POST", base, `{"name":"Renewals","mode":"predictive","pickupRate":40,"operatorGroup":"sales",
	  "callerIds":["+12025550100"],"dropLockout":{"enabled":true},"callingHours":{"start":"09:00","end":"20:00","days":["MON","TUE"]},
	  "rules":[{"when":{"connected":false},"action":"call_again","delayMinutes":60}]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	var c httpapi.PhoneCampaignResponse
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Created == nil || c.Created.Entries != 2 || c.Created.Skipped != 1 || *c.PickupRate != 40 || c.BCWSeconds != nil ||
		*c.DropLockout.Hours != 72 || c.CallingHours.Start != "09:00" || strings.Join(c.CallingHours.Days, ",") != "MON,TUE" || c.State != "active" {
		t.Errorf("created %s", data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Bad","mode":"predictive","pickupRate":0,"operatorGroup":"sales","callerIds":["+12025550100"]}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"pickupRate"`) {
		t.Errorf("bad pickup rate: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Bad","mode":"preview","operatorGroup":"sales","callerIds":["+12025550100"],
	  "script":{"items":[{"kind":"radio","name":"a","label":"A"}]}}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"script.items[0].kind"`) {
		t.Errorf("bad script: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Scripted","mode":"preview","operatorGroup":"sales","callerIds":["+12025550100"],
	  "script":{"items":[{"kind":"choice","name":"plan","label":"Which plan?","options":["basic","plus"]}]}}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(data), `"script":{"items":[{"kind":"choice","name":"plan"`) {
		t.Errorf("scripted: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Bad","mode":"preview","operatorGroup":"sales","callerIds":["+12025550100"],"bcw":3}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"bcw"`) {
		t.Errorf("unknown field: %d %s", resp.StatusCode, data)
	}
	if resp, data = w.do(t, "POST", base+"/"+c.ID+"/suspend", ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"state":"suspended"`) {
		t.Errorf("suspend: %d %s", resp.StatusCode, data)
	}
	if resp, data = w.do(t, "POST", base+"/nope/resume", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("resume nothing: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base+"/"+c.ID+"/clone", `{"name":"Renewals 2"}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(data), `"clonedFrom":"`+c.ID+`"`) || !strings.Contains(string(data), `"entries":2`) {
		t.Errorf("clone: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base+"/"+c.ID+"/contacts", `{"contactIds":["nope"]}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"outcome":"failed"`) {
		t.Errorf("add contacts: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", base+"/"+c.ID+"/contacts?limit=1", "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(data), `"contactId"`) != 1 || !strings.Contains(string(data), `"next"`) {
		t.Errorf("entries: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", base+"/"+c.ID+"/stats", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"waiting":2`) ||
		!strings.Contains(string(data), `"calls":{"placed":0,`) || !strings.Contains(string(data), `"operators":{"online":0,`) {
		t.Errorf("stats: %d %s", resp.StatusCode, data)
	}
	var entries struct {
		Contacts []httpapi.PhoneCampaignEntry `json:"contacts"`
	}
	if err := json.Unmarshal(getOK(t, w, base+"/"+c.ID+"/contacts"), &entries); err != nil || len(entries.Contacts) == 0 {
		t.Fatalf("entries: %v", err)
	}
	kid := entries.Contacts[0].ContactID
	if _, err := w.store.CreatePhoneCall(context.Background(), dialer.Call{ProviderID: "CA1", AccountID: "acct1", CampaignID: c.ID, ContactID: kid,
		Attempt: 1, Status: dialer.CallEnded, Answer: dialer.AnswerHuman, Abandoned: true, PlacedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	contact, err := w.store.Contact(context.Background(), "acct1", kid)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutOutboundContext(context.Background(), parley.OutboundContext{AccountID: "acct1", Consumer: contact.Phone, CampaignID: "sms1",
		CampaignName: "Renewal texts", Skill: "renewals", Channel: parley.ChannelSMS, Body: "Your plan renews soon", SentAt: time.Now().Add(-time.Hour), Lookback: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutReceivedMessage(context.Background(), parley.ReceivedMessage{AccountID: "acct1", Consumer: contact.Phone,
		Channel: parley.ChannelSMS, Body: "call me tomorrow", ProviderMessageID: "SMin", At: time.Now().Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var timeline struct {
		Items []httpapi.TimelineItem
		Next  string
	}
	if err := json.Unmarshal(getOK(t, w, "/api/v2/account/acct1/contacts/"+kid+"/timeline"), &timeline); err != nil || len(timeline.Items) != 3 || timeline.Next != "" {
		t.Fatalf("timeline: %+v, %v", timeline, err)
	}
	// Newest first: the call, the reply half an hour ago, the text an hour ago.
	if c, in, out := timeline.Items[0], timeline.Items[1], timeline.Items[2]; c.Kind != "call" || c.PhoneSessionResponse == nil || c.CallID != "CA1" || !c.Abandoned ||
		in.Kind != "message" || in.Message == nil || in.Message.Direction != parley.Inbound || in.Message.Body != "call me tomorrow" ||
		out.Kind != "message" || out.Message == nil || out.Message.Direction != parley.Outbound || out.Message.Body != "Your plan renews soon" || out.Message.Skill != "renewals" {
		t.Errorf("timeline %+v %+v %+v", c, in, out)
	}
	// A page at a time.
	if err := json.Unmarshal(getOK(t, w, "/api/v2/account/acct1/contacts/"+kid+"/timeline?limit=2"), &timeline); err != nil || len(timeline.Items) != 2 || timeline.Next == "" {
		t.Fatalf("timeline page of 2: %+v, %v", timeline, err)
	}
	if err := json.Unmarshal(getOK(t, w, "/api/v2/account/acct1/contacts/"+kid+"/timeline?limit=2&cursor="+timeline.Next), &timeline); err != nil ||
		len(timeline.Items) != 1 || timeline.Items[0].Message == nil || timeline.Items[0].Message.Direction != parley.Outbound {
		t.Fatalf("timeline's second page: %+v, %v", timeline, err)
	}
	resp, data = w.do(t, "GET", "/api/v2/account/acct1/contacts/"+kid+"/timeline?cursor=x", "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "cursor") {
		t.Errorf("timeline with a bad cursor: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", "/api/v2/account/acct1/contacts/nope/timeline", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("timeline of no contact: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", base, "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(data), `"operatorGroup"`) != 3 {
		t.Errorf("list: %d %s", resp.StatusCode, data)
	}
}

// getOK answers the body of a GET that must succeed.
func getOK(t *testing.T, w *world, path string) []byte {
	t.Helper()
	resp, data := w.do(t, "GET", path, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	return data
}
