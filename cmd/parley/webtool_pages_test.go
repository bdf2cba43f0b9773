package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// byField selects the control of the API field name.
func byField(name string) string { return fmt.Sprintf(`[data-field=%q]`, name) }

// fieldError is the error shown next to the API field name.
func (w *webtool) fieldError(name string) string {
	w.T.Helper()
	var s string
	w.Eval(fmt.Sprintf(`document.querySelector(%q).closest(".field").querySelector(".field-error").textContent`, byField(name)), &s)
	return s
}

// wantFieldError waits for the control of the API field name to be marked
// invalid, and fails the test unless the error beside it says want.
func (w *webtool) wantFieldError(name, want string) {
	w.T.Helper()
	w.WaitJS(fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-invalid") === "true"`, byField(name)))
	if got := w.fieldError(name); !strings.Contains(got, want) {
		w.T.Fatalf("the error beside %s says %q, want %q", name, got, want)
	}
}

// typeInto types text into the control of the API field name.
func (w *webtool) typeInto(name, text string) {
	w.T.Helper()
	w.Run(chromedp.SendKeys(byField(name), text, chromedp.ByQuery))
}

func (w *webtool) submit(label string) {
	w.T.Helper()
	w.Run(chromedp.Click(fmt.Sprintf(`//form//button[@type="submit"][normalize-space()=%q]`, label), chromedp.BySearch))
}

// TestWebtoolTemplateAndHandoff: a campaign manager submits a WhatsApp
// template (the sandbox approves it, and rejects one named reject_…), sees
// a field's error beside it, and creates a WhatsApp handoff that uses the
// approved template; both are listed.
func TestWebtoolTemplateAndHandoff(t *testing.T) {
	w := newWebtool(t)
	w.signIn("campaign_manager")

	w.visit("templates/new", "template-new")
	w.typeInto("name", "Bad Name")
	w.submit("Submit to Meta")
	w.wantFieldError("name", "lower case")
	create := func(name string) {
		w.Visit("/#templates") // a new form, not the one shown
		w.Visit("/#templates/new")
		w.typeInto("name", name)
		w.typeInto("wabaId", "102290129340398")
		w.typeInto("outboundNumber", "+12025550100")
		w.typeInto("body", "Hi {{1}}, your order ships today.")
		w.typeInto("bodyExamples", "Ann")
		w.typeInto("footer", "Acme")
		w.Run(chromedp.Click(`//button[normalize-space()="Add button"]`, chromedp.BySearch))
		w.typeInto("buttons[0].text", "Track it")
		if got := w.Text(".wa-preview"); !strings.Contains(got, "Hi Ann, your order ships today.") || !strings.Contains(got, "Track it") {
			t.Fatalf("the preview says %q", got)
		}
		w.submit("Submit to Meta")
		w.WaitJS(`location.hash.startsWith("#templates/") && location.hash !== "#templates/new" && !!document.querySelector(".notice.ok")`)
		w.WaitReady()
	}
	create("order_shipped")
	if got := w.Text(".notice.ok"); !strings.Contains(got, "APPROVED") {
		t.Fatalf("after submitting, the page says %q", got)
	}
	w.Check("template-approved")
	create("reject_order")
	if got := w.Text(".notice.ok"); !strings.Contains(got, "REJECTED") {
		t.Fatalf("after submitting reject_order, the page says %q", got)
	}
	w.visit("templates", "templates")
	list := w.Text("table.list")
	if !strings.Contains(list, "order_shipped") || !strings.Contains(list, "APPROVED") || !strings.Contains(list, "REJECTED") {
		t.Fatalf("the templates list says %q", list)
	}

	w.visit("handoffs/new", "handoff-new")
	w.submit("Create handoff")
	w.WaitJS(`document.querySelector(".field-error:not(:empty)") !== null`)
	if got := w.fieldError("title"); !strings.Contains(got, "title is required") {
		t.Fatalf("the title's error says %q", got)
	}
	w.typeInto("title", "Order updates")
	w.Run(chromedp.Click("#mode-whatsapp", chromedp.ByQuery))
	w.typeInto("channels[0].outboundNumber", "+12025550100")
	var tpl string
	w.Eval(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = s.options[1].value;
	  s.dispatchEvent(new Event("change")); return s.options[1].textContent; })()`, byField("channels[0].templateId")), &tpl)
	if !strings.Contains(tpl, "order_shipped") {
		t.Fatalf("the template picker offers %q, want the approved template alone", tpl)
	}
	w.submit("Create handoff")
	w.WaitJS(`!!document.getElementById("handoff-id")`)
	w.WaitReady()
	w.Check("handoff-saved")
	w.visit("handoffs", "handoffs")
	if got := w.Text("table.list"); !strings.Contains(got, "Order updates") || !strings.Contains(got, "WhatsApp") {
		t.Fatalf("the handoffs list says %q", got)
	}
}

// TestWebtoolSettingsPages: an admin saves settings, adds an opt-out and
// creates an API client whose secret is shown once.
func TestWebtoolSettingsPages(t *testing.T) {
	w := newWebtool(t)
	w.signIn("admin")

	w.visit("settings", "settings")
	w.typeInto("defaultCountry", "ZZ")
	w.submit("Save settings")
	w.WaitJS(`document.querySelector(".settings .field-error:not(:empty), .settings .form-error:not(:empty)") !== null`)
	w.Run(chromedp.SetValue(byField("defaultCountry"), "US", chromedp.ByQuery))
	w.Run(chromedp.SetValue(byField("optOutText"), "Reply STOP to end", chromedp.ByQuery))
	w.submit("Save settings")
	w.WaitJS(`!!document.querySelector(".settings .notice.ok")`)

	w.visit("optouts", "optouts")
	w.typeInto("phone", "12025550199")
	w.submit("Add to the list")
	w.WaitJS(`document.querySelector("table.list") && document.querySelector("table.list").textContent.includes("2025550199")`)

	w.visit("clients", "clients")
	w.typeInto("name", "CRM")
	w.submit("Create client")
	w.WaitJS(`!!document.getElementById("client-secret")`)
	if got := w.Text("#client-secret"); len(got) < 16 {
		t.Fatalf("the secret shown is %q", got)
	}
	w.WaitJS(`document.querySelector("table.list") && document.querySelector("table.list").textContent.includes("CRM")`)
	w.Run(chromedp.Reload())
	w.WaitReady()
	var shown bool
	w.Eval(`!!document.getElementById("client-secret")`, &shown)
	if shown {
		t.Error("the secret is shown again after a reload")
	}
}

// TestWebtoolSupportReadsOnly: support sees every page with nothing it can
// change: no create, edit or delete controls, and forms disabled.
func TestWebtoolSupportReadsOnly(t *testing.T) {
	w := newWebtool(t)
	w.signIn("support")
	for _, p := range []string{"handoffs", "handoffs/new", "templates", "templates/new", "settings", "optouts", "events", "clients"} {
		w.visit(p, "support-"+strings.ReplaceAll(p, "/", "-"))
		var offered []string
		w.Eval(`[...document.querySelectorAll("#main a.button, #main button, #main input, #main select, #main textarea")]
		  .filter((n) => !n.disabled && !n.closest(".filters, .pager") && !(n.matches("a") && (n.textContent.startsWith("Back") || n.hasAttribute("download"))))
		  .map((n) => n.outerHTML.slice(0, 80))`, &offered)
		if len(offered) > 0 {
			t.Errorf("support on #%s may use %q", p, offered)
		}
	}
}
