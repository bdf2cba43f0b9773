package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebtoolCampaignFromCSV walks the New campaign wizard as a campaign
// manager: compose an SMS, upload a CSV whose third line is a bad number
// (its line shows the error), schedule, consent and send; the sandbox gets
// the two good recipients' messages.
func TestWebtoolCampaignFromCSV(t *testing.T) {
	w := newWebtool(t)
	w.signIn("campaign_manager")
	w.Run(chromedp.Click("#new-campaign", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-name")`)
	w.Check("wizard-compose")

	// Next with nothing filled in: each missing field says so beside it.
	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	if got := w.Text("#c-name-error"); !strings.Contains(got, "name") {
		t.Fatalf("the empty name's error says %q", got)
	}
	w.Run(
		chromedp.SendKeys("#c-name", "Renewal reminder", chromedp.ByQuery),
		chromedp.SendKeys("#c-number", "+12025550100", chromedp.ByQuery),
		chromedp.SendKeys("#c-skill", "billing", chromedp.ByQuery),
		chromedp.SendKeys("#c-message", "Hi {{1}}, your plan renews soon", chromedp.ByQuery),
	)
	// The counter counts the opt-out text the SMS carries.
	want := len("Hi {{1}}, your plan renews soon\nReply STOP to opt out")
	if got := w.Text("#c-counter"); !strings.HasPrefix(got, strconv.Itoa(want)+" / 140") || !strings.Contains(got, "GSM-7") || !strings.Contains(got, "1 segment") {
		t.Fatalf("the counter says %q, want %d / 140 characters, 1 segment, GSM-7", got, want)
	}
	w.Run(chromedp.SendKeys("#c-message", " ✓", chromedp.ByQuery))
	if got := w.Text("#c-counter"); !strings.Contains(got, "UCS-2") {
		t.Fatalf("with a check mark the counter says %q, want UCS-2", got)
	}
	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-file")`)

	csv := filepath.Join(t.TempDir(), "recipients.csv")
	if err := os.WriteFile(csv, []byte("Phone,B1\n+12025550181,Jane\n12345,Bob\n1(202)5550182,Ann\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Run(chromedp.SetUploadFiles("#c-file", []string{csv}, chromedp.ByQuery),
		chromedp.Click("#parse", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-parse-summary")`)
	if got := w.Text("#c-parse-summary"); got != "2 recipients accepted, 1 with errors." {
		t.Fatalf("the parse says %q", got)
	}
	if got := w.Text(`tr.bad[data-line="3"]`); !strings.Contains(got, "INVALID_NUMBER") {
		t.Fatalf("line 3 shows %q, want INVALID_NUMBER", got)
	}
	if got := w.Text(`tr[data-line="2"] td.msg`); got != "Hi Jane, your plan renews soon ✓\nReply STOP to opt out" {
		t.Fatalf("line 2's message is %q", got)
	}
	w.Check("wizard-recipients")

	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-window-start")`)
	w.Run(chromedp.Click("#preview-times", chromedp.ByQuery))
	w.WaitJS(`!!document.querySelector("#c-times table")`)
	w.Check("wizard-schedule")

	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-consent")`)
	var disabled bool
	w.Eval(`document.getElementById("publish").disabled`, &disabled)
	if !disabled {
		t.Fatal("Publish is enabled before the consent is ticked")
	}
	w.Check("wizard-launch")
	w.Run(chromedp.Click("#c-consent", chromedp.ByQuery), chromedp.Click("#publish", chromedp.ByQuery))
	w.WaitJS(`document.getElementById("confirm").open`)
	w.Screenshot("wizard-confirm")
	w.Run(chromedp.Click("#yes-send", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("created")`)
	if got := w.Text("#created"); !strings.Contains(got, "sending to 2 recipients; 1 were refused") {
		t.Fatalf("after sending the page says %q", got)
	}
	w.Check("wizard-created")
	sent := w.srv.waitSent(t, 2)
	var texts []string
	for _, m := range sent {
		texts = append(texts, m.To+": "+m.Body)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"+12025550181: Hi Jane, your plan renews soon ✓", "+12025550182: Hi Ann"} {
		if !strings.Contains(all, want) {
			t.Errorf("the sandbox got %q, want %q", all, want)
		}
	}
	// Its page follows it to the sent state.
	w.Run(chromedp.Click("#open-campaign", chromedp.ByQuery))
	w.WaitJS(`document.querySelector('#counters dd[data-status="SENT"]')?.textContent === "2"`)
	// The landing page lists it.
	w.Visit("/")
	if got := w.Text("table.campaigns"); !strings.Contains(got, "Renewal reminder") {
		t.Errorf("the landing page lists %q", got)
	}
}

// TestWebtoolSupportCannotLaunch: support reads the wizard's page as a
// notice, without the form, and the API refuses its campaign.
func TestWebtoolSupportCannotLaunch(t *testing.T) {
	w := newWebtool(t)
	w.signIn("support")
	w.visit("new-campaign", "wizard-support")
	var form bool
	w.Eval(`!!document.getElementById("c-name")`, &form)
	if form {
		t.Fatal("support is shown the campaign form")
	}
	if got := w.Text(".notice"); !strings.Contains(got, "cannot") && !strings.Contains(got, "not create") {
		t.Fatalf("support's notice says %q", got)
	}
	var status int
	w.Eval(`fetch("/auth/session").then((r) => r.json()).then((s) => fetch("/api/v2/account/demo/campaign", {
	  method: "POST", headers: { "Content-Type": "application/json", "X-Parley-CSRF": s.csrfToken },
	  body: JSON.stringify({ campaignName: "x", skill: "s", templateId: "1234567890", outboundNumber: "+12025550100",
	    consent: true, message: "Hi", consumers: [{ consumerContent: { sms: "+12025550181" } }] }) })).then((r) => r.status)`, &status)
	if status != 403 {
		t.Fatalf("support's POST of a campaign: HTTP %d, want 403", status)
	}
}

// TestWebtoolWizardAPIErrorsBesideFields: the wizard shows each error the
// Parse API answers beside the field it names, on its own step: a bad
// sending number, found at the recipients' parse, is said at the top with
// its step's name and beside the number back on Compose; a delivery window
// SMS may not use is shown in the window's box, and no day ticked beside
// the days.
func TestWebtoolWizardAPIErrorsBesideFields(t *testing.T) {
	w := newWebtool(t)
	w.signIn("campaign_manager")
	w.Visit("/#new-campaign")
	w.Run(
		chromedp.SendKeys("#c-name", "Window check", chromedp.ByQuery),
		chromedp.SendKeys("#c-number", "+1555", chromedp.ByQuery),
		chromedp.SendKeys("#c-skill", "billing", chromedp.ByQuery),
		chromedp.SendKeys("#c-message", "Hi {{1}}", chromedp.ByQuery),
		chromedp.Click("#next", chromedp.ByQuery),
	)
	w.WaitJS(`!!document.getElementById("c-mode-manual")`)
	w.Run(chromedp.Click("#c-mode-manual", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-manual")`)
	w.Run(chromedp.SendKeys("#c-manual", "12025550181, Jane", chromedp.ByQuery), chromedp.Click("#parse", chromedp.ByQuery))
	w.WaitJS(`document.getElementById("wizard-error").textContent !== ""`)
	if got := w.Text("#wizard-error"); !strings.HasPrefix(got, "Compose: ") || !strings.Contains(got, "outboundNumber") {
		t.Fatalf("the wizard's alert says %q, want the Compose step's outboundNumber", got)
	}
	w.Run(chromedp.Click("#back", chromedp.ByQuery))
	w.WaitJS(`document.getElementById("c-number").getAttribute("aria-invalid") === "true"`)
	if got := w.Text("#c-number-error"); !strings.Contains(got, "outboundNumber") {
		t.Fatalf("beside the number: %q", got)
	}
	w.Check("wizard-compose-error")

	var typed bool
	w.Eval(`(() => { const n = document.getElementById("c-number"); n.value = "+12025550100"; n.dispatchEvent(new Event("input")); return true; })()`, &typed)
	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-manual")`)
	w.Run(chromedp.Click("#parse", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-parse-summary")`)
	var alert string
	w.Eval(`document.getElementById("wizard-error").textContent`, &alert)
	if alert != "" {
		t.Fatalf("after a good parse the alert still says %q", alert)
	}
	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("c-window-start")`)
	w.setValue("c-window-start", "06:00")
	w.Run(chromedp.Click("#preview-times", chromedp.ByQuery))
	w.WaitJS(`document.querySelector('fieldset[data-field="deliveryWindow"] > .field-error').textContent !== ""`)
	if got := w.Text(`fieldset[data-field="deliveryWindow"] > .field-error`); !strings.Contains(got, "08:00") {
		t.Fatalf("the window's error says %q", got)
	}
	var days int
	w.Eval(`(() => { let n = 0; for (const b of document.querySelectorAll("#c-days input")) { if (b.checked) { b.click(); n++; } } return n; })()`, &days)
	w.Run(chromedp.Click("#next", chromedp.ByQuery))
	if got := w.Text(`#c-days > .field-error`); !strings.Contains(got, "day") {
		t.Fatalf("with no day ticked (of %d) the days say %q", days, got)
	}
	w.Check("wizard-schedule-errors")
}
