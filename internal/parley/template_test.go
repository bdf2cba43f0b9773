package parley

import "testing"

func TestTemplateValidate(t *testing.T) {
	base := WhatsAppTemplate{Name: "renewal", Language: "en_US", Body: "Hi {{1}}"}
	qr := func(n int) []TemplateButton {
		var bs []TemplateButton
		for range n {
			bs = append(bs, TemplateButton{Kind: ButtonQuickReply, Text: "Yes"})
		}
		return bs
	}
	url := TemplateButton{Kind: ButtonURL, Text: "Open", URL: "https://example.com/t/{{1}}"}
	phone := TemplateButton{Kind: ButtonPhone, Text: "Call", Phone: "+12025550100"}
	tests := []struct {
		name  string
		edit  func(*WhatsAppTemplate)
		field string
	}{
		{"plain", func(*WhatsAppTemplate) {}, ""},
		{"image header, footer, three quick replies", func(t *WhatsAppTemplate) { t.Header, t.Footer, t.Buttons = MediaImage, "Thanks", qr(3) }, ""},
		{"URL and phone", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, phone} }, ""},
		{"static URL", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "Site", URL: "https://example.com/help"}}
		}, ""},
		{"no name", func(t *WhatsAppTemplate) { t.Name = "" }, "name"},
		{"no language", func(t *WhatsAppTemplate) { t.Language = "" }, "language"},
		{"no body", func(t *WhatsAppTemplate) { t.Body = " " }, "body"},
		{"audio header", func(t *WhatsAppTemplate) { t.Header = "audio" }, "header"},
		{"text header without text", func(t *WhatsAppTemplate) { t.Header = "text" }, "headerText"},
		{"four quick replies", func(t *WhatsAppTemplate) { t.Buttons = qr(4) }, "buttons"},
		{"quick reply and URL", func(t *WhatsAppTemplate) { t.Buttons = append(qr(1), url) }, "buttons"},
		{"two URLs", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, url} }, "buttons"},
		{"three call-to-action", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{url, phone, phone} }, "buttons"},
		{"dynamic URL with two variables", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "https://e.com/{{1}}/{{2}}"}}
		}, "buttons[0].url"},
		{"http URL", func(t *WhatsAppTemplate) {
			t.Buttons = []TemplateButton{{Kind: ButtonURL, Text: "x", URL: "http://e.com"}}
		}, "buttons[0].url"},
		{"phone without number", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: ButtonPhone, Text: "Call"}} }, "buttons[0].phone"},
		{"unknown kind", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: "copy_code", Text: "x"}} }, "buttons[0].kind"},
		{"button without text", func(t *WhatsAppTemplate) { t.Buttons = []TemplateButton{{Kind: ButtonQuickReply}} }, "buttons[0].text"},
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
