package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
)

// setValue sets a form control's value in the page and fires its change
// event, as picking an option does.
func (w *webtool) setValue(id, value string) {
	w.T.Helper()
	var ok bool
	w.Eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("change")); return true; })()`, id, value), &ok)
}

// click clicks the element with the id (a button that may have just
// appeared).
func (w *webtool) click(id string) {
	w.T.Helper()
	w.WaitJS(fmt.Sprintf(`(() => { const e = document.getElementById(%q); return !!e && !e.hidden && !e.disabled; })()`, id))
	var ok bool
	w.Eval(fmt.Sprintf(`(() => { document.getElementById(%q).click(); return true; })()`, id), &ok)
}

// scheduledCampaign creates an SMS campaign of numbers whose first send is
// an hour after the server's now, and returns its id.
func scheduledCampaign(t *testing.T, s *server, numbers ...string) string {
	t.Helper()
	var created httpapi.CreateCampaignResponse
	s.post(t, "/api/v2/account/demo/campaign", `{"campaignName":"later","skill":"renewals","templateId":"1234567890",
	  "outboundNumber":"+12025550100","consent":true,"message":"Your plan renews soon.",
	  "startTime":"`+s.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`",
	  "consumers":`+smsConsumers(numbers)+`}`, http.StatusAccepted, &created)
	return *created.ProactiveCampaignID
}

// numbers returns n distinct US numbers.
func numbers(n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		out = append(out, fmt.Sprintf("+1%d555%04d", 202+i/99*10, 101+i%99))
	}
	return out
}

// TestWebtoolCampaignDetail: a campaign manager watches a campaign of 90
// reach SENT, pages its recipients, pauses, resumes and cancels a scheduled
// one, and reads the analytics of the campaign and of the account.
func TestWebtoolCampaignDetail(t *testing.T) {
	w := newWebtool(t)
	w.signIn("campaign_manager")
	nums := numbers(90)
	id := createCampaign(t, w.srv, "renewals", nums...)
	w.visit("campaign/"+id, "campaign")
	// The counters follow the campaign until every recipient is sent.
	w.WaitJS(`document.querySelector('#counters dd[data-status="SENT"]')?.textContent === "90"`)
	w.WaitJS(`document.getElementById("c-status").textContent === "FINISHED"`)
	if got := w.Text(`#counters dd[data-status="TOTAL"]`); got != "90" {
		t.Errorf("the total says %q", got)
	}
	// The recipients, 50 a page: 50 and 40.
	rows := func() int {
		var n int
		w.Eval(`document.querySelectorAll("table.recipients tbody tr").length`, &n)
		return n
	}
	w.WaitJS(`document.querySelectorAll("table.recipients tbody tr").length === 50`)
	firstID := func() string { // read at once: a refresh may replace the rows
		var id string
		w.Eval(`document.querySelector("table.recipients tbody td")?.textContent || ""`, &id)
		return id
	}
	first := firstID()
	w.click("r-next")
	w.WaitJS(`document.getElementById("r-page").textContent === "Page 2"`)
	if second := firstID(); second == first {
		t.Errorf("page 2 starts with %q, as page 1 does", second)
	}
	var nextDisabled bool
	w.Eval(`document.getElementById("r-next").disabled`, &nextDisabled)
	if rows() != 40 || !nextDisabled {
		t.Errorf("the last page has %d rows, Next disabled %v", rows(), nextDisabled)
	}
	w.click("r-prev")
	w.WaitJS(`document.getElementById("r-page").textContent === "Page 1"`)
	if got := firstID(); got != first {
		t.Errorf("back on page 1 the first row is %q, was %q", got, first)
	}
	w.setValue("r-status", "FAILED")
	w.WaitJS(`document.getElementById("r-note").textContent === "No recipients."`)
	w.setValue("r-status", "SENT")
	w.WaitJS(`document.getElementById("r-page").textContent === "Page 1" && document.querySelectorAll("table.recipients tbody tr").length === 50`)
	var hidden bool
	w.Eval(`document.getElementById("pause").hidden && document.getElementById("cancel").hidden`, &hidden)
	if !hidden {
		t.Error("a finished campaign offers pause or cancel")
	}

	// Its analytics tab: 90 sent, nothing reported delivered yet.
	w.click("tab-analytics")
	w.WaitJS(`!!document.querySelector("#panel-analytics #chart-delivery svg")`)
	if got := w.Text("#panel-analytics #a-status"); !strings.Contains(got, "90 messages sent") {
		t.Errorf("the campaign's analytics say %q", got)
	}
	w.Check("campaign-analytics")

	// A campaign that starts in an hour: pause, resume, then cancel.
	later := scheduledCampaign(t, w.srv, "+12025550181", "+12025550182")
	w.visit("campaign/"+later, "campaign-scheduled")
	w.WaitJS(`document.getElementById("c-status").textContent === "SCHEDULED"`)
	w.click("pause")
	w.WaitJS(`document.getElementById("c-status").textContent === "PAUSED" && !document.getElementById("resume").hidden`)
	w.click("resume")
	w.WaitJS(`document.getElementById("c-status").textContent === "SCHEDULED"`)
	w.click("cancel")
	w.WaitJS(`document.getElementById("confirm-cancel").open`)
	w.Screenshot("campaign-cancel-confirm")
	w.click("keep")
	if got := w.Text("#c-status"); got != "SCHEDULED" {
		t.Fatalf("after Keep sending the campaign is %q", got)
	}
	w.click("cancel")
	w.click("yes-cancel")
	w.WaitJS(`document.getElementById("c-status").textContent === "CANCELLED" && document.getElementById("cancel").hidden`)

	// The account's analytics: three of the 90 delivered.
	got := w.srv.settled(t, id)
	for _, n := range nums[:3] {
		w.srv.post(t, "/sandbox/statuses", `{"accountId":"demo","providerMessageId":"`+got[n].ProviderMessageID+`","status":"delivered"}`, http.StatusOK, nil)
	}
	w.visit("analytics", "analytics")
	w.WaitJS(`!!document.querySelector("#chart-messages svg")`)
	if got := w.Text("#rate-success strong"); got != "3.33%" {
		t.Errorf("the success rate says %q, want 3.33%% (3 delivered of 90 sent)", got)
	}
	if got := w.Text("#chart-messages figcaption"); got != "Messages per day" {
		t.Errorf("the default range's chart is %q", got)
	}
	w.setValue("a-range", "today")
	w.WaitJS(`document.querySelector("#chart-messages figcaption")?.textContent === "Messages per hour"`)
	var bars int
	w.Eval(`document.querySelectorAll("#chart-messages svg rect").length`, &bars)
	if bars != 24*4 {
		t.Errorf("the hourly chart draws %d bars, want 24 hours of 4", bars)
	}
	w.Check("analytics-today")
	// Only WhatsApp: nothing was sent there, so no rate.
	w.click("a-apply") // the same filters again
	w.Eval(`(() => { document.querySelector('input[name="channel"][value="whatsapp"]').click(); return 1; })()`, new(int))
	w.click("a-apply")
	w.WaitJS(`document.getElementById("rate-success").querySelector("strong").textContent === "—"`)
	if got := w.Text("#a-status"); !strings.Contains(got, " 0 messages sent") {
		t.Errorf("WhatsApp only: %q", got)
	}
	// A range that ends before it starts is refused beside the field.
	w.setValue("a-from", "2030-01-10")
	w.setValue("a-to", "2030-01-01")
	w.click("a-apply")
	w.WaitJS(`document.querySelector(".filters .field-error:not(:empty)") !== null`)
}

// TestWebtoolCampaignSupport: support reads a campaign, with no pause,
// resume or cancel.
func TestWebtoolCampaignSupport(t *testing.T) {
	w := newWebtool(t)
	id := scheduledCampaign(t, w.srv, "+12025550181")
	w.signIn("support")
	w.visit("campaign/"+id, "campaign-support")
	w.WaitJS(`document.getElementById("c-status").textContent === "SCHEDULED"`)
	var controls bool
	w.Eval(`["pause", "resume", "cancel"].some((id) => document.getElementById(id))`, &controls)
	if controls {
		t.Fatal("support is offered pause, resume or cancel")
	}
	if got := w.Text("#read-only"); !strings.Contains(got, "support") {
		t.Errorf("support's notice says %q", got)
	}
	// The number is masked for support.
	w.WaitJS(`document.querySelectorAll("table.recipients tbody tr").length === 1`)
	if got := w.Text("table.recipients tbody tr"); strings.Contains(got, "+12025550181") {
		t.Errorf("support sees the full number: %q", got)
	}
}
