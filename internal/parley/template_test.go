package parley

import (
	"strings"
	"testing"
	"time"
)

func TestTemplateValidate(t *testing.T) {
	base := WhatsAppTemplate{Name: "renewal", Language: "en_US", Category: CategoryMarketing, BusinessAccountID: "102290129340398",
		OutboundNumber: "+12025550100", Body: "Hi {{1}}, renew soon.", BodyExamples: []string{"Ann"}}
	qr := func(n int) []TemplateButton {
		var bs []TemplateButton
		for range n {
			bs = append(bs, TemplateButton{Kind: ButtonQuickReply, Text: "Yes"})
		}
		return bs
	}
	url := TemplateButton{Kind: ButtonURL, Text: "Open", URL: "https://example.com/t/{{1}}", Example: "https://example.com/t/abc"}
	phone := TemplateButton{Kind: ButtonPhone, Text: "Call", Phone: "+12025550100"}
	code := TemplateButton{Kind: ButtonCopyCode, Example: "SAVE10"}
	auth := func(edit func(*WhatsAppTemplate)) func(*WhatsAppTemplate) {
		return func(t *WhatsAppTemplate) {
			t.Category, t.Body, t.BodyExamples = CategoryAuthentication, "", nil
			t.SecurityRecommendation, t.CodeExpirationMinutes = true, 10
			t.Buttons = []TemplateButton{{Kind: ButtonCopyCode, Text: "Copy code"}}
			if edit != nil {
				edit(t)
			}
		}
	}
	tests := []struct {
		name  string
		edit  func(*WhatsAppTemplate)
		field string
	}{
		{"plain", func(*WhatsAppTemplate) {}, ""},
		{"no variables, no examples", func(t *WhatsAppTemplate) { t.Body, t.BodyExamples = "Your renewal is due.", nil }, ""},
		{"image header, footer, three quick replies", func(t *WhatsAppTemplate) {
			t.Header, t.HeaderExample, t.Footer, t.Buttons = MediaImage, "4::aW1hZ2U=:ARb", "Thanks", qr(3)
		}, ""},
		{"text header with its variable", func(t *WhatsAppTemplate) { t.Header, t.HeaderText, t.HeaderExample = "text", "Hi {{1}}", "Ann" }, ""},
		{"location header", func(t *WhatsAppTemplate) { t.Header = HeaderLocation }, ""},
		{"URL and phone", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, phone} }, ""},
		{"copy code and URL", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{code, url} }, ""},
		{"static URL", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "Site", URL: "https://example.com/help"}}
		}, ""},
		{"utility", func(t *WhatsAppTemplate) { t.Category = CategoryUtility }, ""},
		{"language only", func(t *WhatsAppTemplate) { t.Language = "de" }, ""},
		{"no name", func(t *WhatsAppTemplate) { t.Name = "" }, "name"},
		{"capital letters", func(t *WhatsAppTemplate) { t.Name = "Renewal" }, "name"},
		{"space in name", func(t *WhatsAppTemplate) { t.Name = "renewal notice" }, "name"},
		{"dash in name", func(t *WhatsAppTemplate) { t.Name = "renewal-notice" }, "name"},
		{"name too long", func(t *WhatsAppTemplate) { t.Name = strings.Repeat("a", MaxTemplateName+1) }, "name"},
		{"no language", func(t *WhatsAppTemplate) { t.Language = "" }, "language"},
		{"bad language", func(t *WhatsAppTemplate) { t.Language = "english" }, "language"},
		{"no category", func(t *WhatsAppTemplate) { t.Category = "" }, "category"},
		{"unknown category", func(t *WhatsAppTemplate) { t.Category = "TRANSACTIONAL" }, "category"},
		{"lower-case category", func(t *WhatsAppTemplate) { t.Category = "marketing" }, "category"},
		{"no WABA", func(t *WhatsAppTemplate) { t.BusinessAccountID = "" }, "wabaId"},
		{"WABA not digits", func(t *WhatsAppTemplate) { t.BusinessAccountID = "waba-1" }, "wabaId"},
		{"no sending number", func(t *WhatsAppTemplate) { t.OutboundNumber = "" }, "outboundNumber"},
		{"national sending number", func(t *WhatsAppTemplate) { t.OutboundNumber = "2025550100" }, "outboundNumber"},
		{"no body", func(t *WhatsAppTemplate) { t.Body = " " }, "body"},
		{"body too long", func(t *WhatsAppTemplate) { t.Body, t.BodyExamples = "a"+strings.Repeat("é", MaxTemplateBody), nil }, "body"},
		{"body at the limit", func(t *WhatsAppTemplate) { t.Body, t.BodyExamples = strings.Repeat("é", MaxTemplateBody), nil }, ""},
		{"gap in variables", func(t *WhatsAppTemplate) { t.Body, t.BodyExamples = "Hi {{1}} and {{3}}.", []string{"a", "b"} }, "body"},
		{"starts with a variable", func(t *WhatsAppTemplate) { t.Body = "{{1}}, renew soon." }, "body"},
		{"ends with a variable", func(t *WhatsAppTemplate) { t.Body = "Renew soon, {{1}}" }, "body"},
		{"missing example", func(t *WhatsAppTemplate) { t.BodyExamples = nil }, "bodyExamples"},
		{"too many examples", func(t *WhatsAppTemplate) { t.BodyExamples = []string{"a", "b"} }, "bodyExamples"},
		{"blank example", func(t *WhatsAppTemplate) { t.BodyExamples = []string{" "} }, "bodyExamples[0]"},
		{"audio header", func(t *WhatsAppTemplate) { t.Header = "audio" }, "header"},
		{"text header without text", func(t *WhatsAppTemplate) { t.Header = "text" }, "headerText"},
		{"text header too long", func(t *WhatsAppTemplate) { t.Header, t.HeaderText = "text", strings.Repeat("h", MaxTemplateHeader+1) }, "headerText"},
		{"text header with two variables", func(t *WhatsAppTemplate) { t.Header, t.HeaderText, t.HeaderExample = "text", "{{1}} {{2}}", "a" }, "headerText"},
		{"text header variable without example", func(t *WhatsAppTemplate) { t.Header, t.HeaderText = "text", "Hi {{1}}" }, "headerExample"},
		{"media header without sample", func(t *WhatsAppTemplate) { t.Header = MediaVideo }, "headerExample"},
		{"media header with text", func(t *WhatsAppTemplate) { t.Header, t.HeaderText, t.HeaderExample = MediaDocument, "x", "h" }, "headerText"},
		{"footer too long", func(t *WhatsAppTemplate) { t.Footer = strings.Repeat("f", MaxTemplateFooter+1) }, "footer"},
		{"footer with a variable", func(t *WhatsAppTemplate) { t.Footer = "Bye {{1}}" }, "footer"},
		{"four quick replies", func(t *WhatsAppTemplate) { t.Buttons = qr(4) }, "buttons"},
		{"quick reply and URL", func(t *WhatsAppTemplate) { t.Buttons = append(qr(1), url) }, "buttons"},
		{"two URLs", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, url} }, "buttons"},
		{"three call-to-action", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, phone, code} }, "buttons"},
		{"button text too long", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonQuickReply, Text: strings.Repeat("b", MaxButtonText+1)}}
		}, "buttons[0].text"},
		{"dynamic URL with two variables", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "https://e.com/{{1}}/{{2}}"}}
		}, "buttons[0].url"},
		{"dynamic URL without example", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "https://e.com/{{1}}"}}
		}, "buttons[0].example"},
		{"dynamic URL with another URL as example", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "https://e.com/{{1}}", Example: "https://other.com/a"}}
		}, "buttons[0].example"},
		{"URL too long", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "https://e.com/" + strings.Repeat("p", MaxButtonURL)}}
		}, "buttons[0].url"},
		{"http URL", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "http://e.com"}}
		}, "buttons[0].url"},
		{"phone without number", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: ButtonPhone, Text: "Call"}} }, "buttons[0].phone"},
		{"phone not E.164", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonPhone, Text: "Call", Phone: "call us"}}
		}, "buttons[0].phone"},
		{"copy code without code", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: ButtonCopyCode}} }, "buttons[0].example"},
		{"copy code too long", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonCopyCode, Example: strings.Repeat("C", MaxCopyCode+1)}}
		}, "buttons[0].example"},
		{"unknown kind", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: "flow", Text: "x"}} }, "buttons[0].kind"},
		{"button without text", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: ButtonQuickReply}} }, "buttons[0].text"},
		{"authentication", auth(nil), ""},
		{"authentication without button text", auth(func(t *WhatsAppTemplate) { t.Buttons[0].Text = "" }), ""},
		{"authentication with a body", auth(func(t *WhatsAppTemplate) { t.Body = "Your code is {{1}}." }), "body"},
		{"authentication with a header", auth(func(t *WhatsAppTemplate) { t.Header = "text"; t.HeaderText = "Code" }), "header"},
		{"authentication with a footer", auth(func(t *WhatsAppTemplate) { t.Footer = "Bye" }), "footer"},
		{"authentication code for too long", auth(func(t *WhatsAppTemplate) { t.CodeExpirationMinutes = 91 }), "codeExpirationMinutes"},
		{"authentication with a URL button", auth(func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url} }), "buttons"},
		{"authentication code button with a URL", auth(func(t *WhatsAppTemplate) { t.Buttons[0].URL = "https://e.com" }), "buttons[0]"},
		{"code expiration on a marketing template", func(t *WhatsAppTemplate) { t.CodeExpirationMinutes = 5 }, "codeExpirationMinutes"},
	}
	for _, tt := range tests {
		tpl := base
		tt.edit(&tpl)
		err := tpl.Validate()
		if ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: Validate = %v, want field %q", tt.name, err, tt.field)
		}
	}
}

func TestTemplateReviewed(t *testing.T) {
	t0 := time.Unix(1795453200, 0).UTC()
	pending := WhatsAppTemplate{ID: "T1", Name: "renewal", Status: TemplatePending,
		History: []TemplateStatusChange{{Status: TemplatePending, At: t0}}}
	approved, changed := pending.Reviewed(TemplateReview{Status: TemplateApproved, At: t0})
	if !changed || approved.Status != TemplateApproved || !approved.ReviewedAt.Equal(t0) || len(approved.History) != 2 {
		t.Fatalf("approval: %+v, %v", approved, changed)
	}
	tests := []struct {
		name   string
		from   WhatsAppTemplate
		review TemplateReview
		want   TemplateStatus
	}{
		{"a repeat", approved, TemplateReview{Status: TemplateApproved, At: t0.Add(time.Minute)}, ""},
		{"a late PENDING", approved, TemplateReview{Status: TemplatePending, At: t0.Add(time.Hour)}, ""},
		{"an older rejection", approved, TemplateReview{Status: TemplateRejected, At: t0.Add(-time.Second)}, ""},
		{"a later pause", approved, TemplateReview{Status: TemplatePaused, Reason: "low quality", At: t0.Add(time.Hour)}, TemplatePaused},
		{"a rejection in the same second", approved, TemplateReview{Status: TemplateRejected, At: t0}, TemplateRejected},
		{"a rejection while pending", pending, TemplateReview{Status: TemplateRejected, Reason: "INVALID_FORMAT", At: t0}, TemplateRejected},
		{"PENDING while pending", pending, TemplateReview{Status: TemplatePending, At: t0}, ""},
	}
	for _, tt := range tests {
		got, changed := tt.from.Reviewed(tt.review)
		switch {
		case tt.want == "" && (changed || got.Status != tt.from.Status || len(got.History) != len(tt.from.History)):
			t.Errorf("%s: changed to %s (%v); want no change", tt.name, got.Status, changed)
		case tt.want != "" && (!changed || got.Status != tt.want || got.Reason != tt.review.Reason || !got.ReviewedAt.Equal(tt.review.At)):
			t.Errorf("%s: %s, %q at %v (%v); want %s", tt.name, got.Status, got.Reason, got.ReviewedAt, changed, tt.want)
		}
	}
	// The history keeps the newest changes.
	tpl := pending
	for i := range 2 * MaxTemplateHistory {
		st := TemplatePaused
		if i%2 == 0 {
			st = TemplateApproved
		}
		tpl, _ = tpl.Reviewed(TemplateReview{Status: st, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	if len(tpl.History) != MaxTemplateHistory || !tpl.History[MaxTemplateHistory-1].At.Equal(t0.Add(time.Duration(2*MaxTemplateHistory-1)*time.Minute)) {
		t.Errorf("history of %d changes, the last at %v", len(tpl.History), tpl.History[len(tpl.History)-1].At)
	}
}

func TestTemplateUsable(t *testing.T) {
	for _, tt := range []struct {
		tpl  WhatsAppTemplate
		says string // "" when usable
	}{
		{WhatsAppTemplate{ID: "T1", Status: TemplateApproved}, ""},
		{WhatsAppTemplate{ID: "T1", Status: TemplatePending}, "PENDING: Meta has not approved it yet"},
		{WhatsAppTemplate{ID: "T1", Status: TemplateRejected, Reason: "INVALID_FORMAT"}, "REJECTED: Meta rejected it (INVALID_FORMAT)"},
		{WhatsAppTemplate{ID: "T1", Status: TemplatePaused}, "PAUSED"},
		{WhatsAppTemplate{ID: "T1", Status: TemplateDisabled}, "DISABLED"},
		{WhatsAppTemplate{ID: "T1"}, "not submitted"},
		{WhatsAppTemplate{ID: "T1", Status: TemplateApproved, Header: HeaderLocation}, "location header"},
		{WhatsAppTemplate{ID: "T1", Status: TemplateApproved, Header: "text", HeaderText: "Hi {{1}}"}, "text header"},
		{WhatsAppTemplate{ID: "T1", Status: TemplateApproved, Category: CategoryAuthentication}, "one-time codes"},
	} {
		err := tt.tpl.Usable("templateId")
		if (tt.says == "") != (err == nil) || (err != nil && (ErrorField(err) != "templateId" || !strings.Contains(err.Error(), tt.says))) {
			t.Errorf("Usable(%+v) = %v; want %q", tt.tpl, err, tt.says)
		}
	}
}
