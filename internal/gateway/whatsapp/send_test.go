package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(t *testing.T, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	return reflect.DeepEqual(g, w)
}

// sendError returns err's *parley.SendError or fails the test.
func sendError(t *testing.T, err error) *parley.SendError {
	t.Helper()
	se, ok := errors.AsType[*parley.SendError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *parley.SendError", err, err)
	}
	if se.Provider != "whatsapp" {
		t.Errorf("Provider = %q, want whatsapp", se.Provider)
	}
	return se
}

func TestSendBuildsTheCloudAPIMessage(t *testing.T) {
	tests := []struct {
		name string
		msg  parley.Message
		want string
	}{
		{
			name: "free-form text inside the service window",
			msg:  parley.Message{To: "+14155550123", Body: "Your table for 4 is ready"},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+14155550123",
				"type":"text","text":{"body":"Your table for 4 is ready"}}`,
		},
		{
			name: "template with image header, body variables, url and quick-reply buttons",
			msg: parley.Message{To: "+14155550199", Body: "ignored for templates", Template: &parley.Template{
				Name: "order_update", Language: "en_US",
				Header: &parley.Media{Type: parley.MediaImage, URL: "https://cdn.example.com/parcel.png"},
				Body:   []string{"Ana", "#A-1029"},
				Buttons: []parley.Button{
					{Index: 0, Kind: parley.ButtonURL, Value: "A-1029"},
					{Index: 1, Kind: parley.ButtonQuickReply, Value: "STOP_UPDATES"},
				},
			}},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+14155550199","type":"template",
				"template":{"name":"order_update","language":{"code":"en_US"},"components":[
				{"type":"header","parameters":[{"type":"image","image":{"link":"https://cdn.example.com/parcel.png"}}]},
				{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"#A-1029"}]},
				{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"A-1029"}]},
				{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"STOP_UPDATES"}]}]}}`,
		},
		{
			name: "template without variables has no components",
			msg:  parley.Message{To: "+4915123456789", Template: &parley.Template{Name: "welcome", Language: "en"}},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915123456789","type":"template",
				"template":{"name":"welcome","language":{"code":"en"}}}`,
		},
		{
			name: "a recipient's message carries its reference for the statuses",
			msg:  parley.Message{To: "+14155550123", Body: "Your table is ready", AccountID: "acct1", CampaignID: "camp-7", RecipientID: "000042"},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+14155550123",
				"type":"text","text":{"body":"Your table is ready"},"biz_opaque_callback_data":"camp-7/000042"}`,
		},
		{
			name: "a reference longer than Meta takes is left out",
			msg:  parley.Message{To: "+14155550123", Body: "Hi", CampaignID: strings.Repeat("c", MaxCallbackData), RecipientID: "1"},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+14155550123","type":"text","text":{"body":"Hi"}}`,
		},
		{
			name: "video header",
			msg: parley.Message{To: "+4915123456789", Template: &parley.Template{
				Name: "webinar", Language: "de", Header: &parley.Media{Type: parley.MediaVideo, URL: "https://cdn.example.com/teaser.mp4"},
				Body: []string{"Donnerstag"},
			}},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915123456789","type":"template",
				"template":{"name":"webinar","language":{"code":"de"},"components":[
				{"type":"header","parameters":[{"type":"video","video":{"link":"https://cdn.example.com/teaser.mp4"}}]},
				{"type":"body","parameters":[{"type":"text","text":"Donnerstag"}]}]}}`,
		},
		{
			name: "document header and a quick reply after a static phone button",
			msg: parley.Message{To: "+5511987654321", Template: &parley.Template{
				Name: "invoice", Language: "pt_BR", Header: &parley.Media{Type: parley.MediaDocument, URL: "https://cdn.example.com/nf-77.pdf"},
				Body:    []string{"R$ 120,00"},
				Buttons: []parley.Button{{Index: 1, Kind: parley.ButtonQuickReply, Value: "PAID"}},
			}},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+5511987654321","type":"template",
				"template":{"name":"invoice","language":{"code":"pt_BR"},"components":[
				{"type":"header","parameters":[{"type":"document","document":{"link":"https://cdn.example.com/nf-77.pdf"}}]},
				{"type":"body","parameters":[{"type":"text","text":"R$ 120,00"}]},
				{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"PAID"}]}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newCloudAPI(t)
			tt.msg.From, tt.msg.Channel = testPhoneID, parley.ChannelWhatsApp
			id, err := api.gateway().Send(t.Context(), tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if !strings.HasPrefix(id, "wamid.") {
				t.Errorf("id = %q, want the wamid Meta returned", id)
			}
			if got := api.last(t); !sameJSON(t, got, []byte(tt.want)) {
				t.Errorf("request body\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestSendRefusedByCloudAPI sends messages the Cloud API refuses and checks
// the failure kind each refusal becomes.
func TestSendRefusedByCloudAPI(t *testing.T) {
	order := &parley.Template{Name: "order_update", Language: "en_US",
		Header:  &parley.Media{Type: parley.MediaImage, URL: "https://cdn.example.com/p.png"},
		Body:    []string{"Ana", "#1"},
		Buttons: []parley.Button{{Index: 0, Kind: parley.ButtonURL, Value: "1"}}}
	with := func(f func(*parley.Template)) *parley.Template {
		c := *order
		f(&c)
		return &c
	}
	tests := []struct {
		name     string
		gw       func(*Gateway)
		msg      parley.Message
		wantKind parley.FailKind
		wantCode string
	}{
		{"wrong token", func(g *Gateway) { g.Token = "EAAJexpired" },
			parley.Message{To: "+14155550123", Body: "hi"}, parley.FailConfig, "190"},
		{"phone-number id unknown to the token", nil,
			parley.Message{From: "999000111", To: "+14155550123", Body: "hi"}, parley.FailConfig, "100/33"},
		{"retired API version", func(g *Gateway) { g.Version = "v12.0" },
			parley.Message{To: "+14155550123", Body: "hi"}, parley.FailConfig, "2500"},
		{"number without WhatsApp", nil,
			parley.Message{To: "+442079460000", Template: order}, parley.FailIneligible, "131026"},
		{"free-form text outside the service window", nil,
			parley.Message{To: "+14155550199", Body: "hi"}, parley.FailIneligible, "131047"},
		{"template not approved in this language", nil,
			parley.Message{To: "+14155550199", Template: with(func(t *parley.Template) { t.Language = "fr" })}, parley.FailConfig, "132001"},
		{"too few body variables", nil,
			parley.Message{To: "+14155550199", Template: with(func(t *parley.Template) { t.Body = []string{"Ana"} })}, parley.FailPermanent, "132000"},
		{"header media of the wrong type", nil,
			parley.Message{To: "+14155550199", Template: with(func(t *parley.Template) {
				t.Header = &parley.Media{Type: parley.MediaVideo, URL: "https://cdn.example.com/v.mp4"}
			})}, parley.FailPermanent, "132012"},
		{"dynamic url button left empty", nil,
			parley.Message{To: "+14155550199", Template: with(func(t *parley.Template) { t.Buttons = nil })}, parley.FailPermanent, "131008"},
		{"button kind not the template's", nil,
			parley.Message{To: "+14155550199", Template: with(func(t *parley.Template) {
				t.Buttons = []parley.Button{{Index: 0, Kind: parley.ButtonQuickReply, Value: "x"}}
			})}, parley.FailPermanent, "131009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newCloudAPI(t)
			gw := api.gateway()
			if tt.gw != nil {
				tt.gw(gw)
			}
			if tt.msg.From == "" {
				tt.msg.From = testPhoneID
			}
			_, err := gw.Send(t.Context(), tt.msg)
			se := sendError(t, err)
			if se.Kind != tt.wantKind || se.Code != tt.wantCode {
				t.Errorf("got %s %s (%s), want %s %s", se.Kind, se.Code, se.Reason, tt.wantKind, tt.wantCode)
			}
			if !strings.Contains(se.Reason, "fbtrace_id AbCdEfGhIjK") {
				t.Errorf("Reason %q lacks the trace id", se.Reason)
			}
		})
	}
}

// TestSendRefusedLocally checks messages that cannot succeed never reach Meta.
func TestSendRefusedLocally(t *testing.T) {
	tmpl := func(f func(*parley.Template)) *parley.Template {
		t := &parley.Template{Name: "order_update", Language: "en_US", Body: []string{"a", "b"}}
		f(t)
		return t
	}
	tests := []struct {
		name     string
		gw       func(*Gateway)
		msg      parley.Message
		wantKind parley.FailKind
		wantCode string
	}{
		{"no token", func(g *Gateway) { g.Token = "" }, parley.Message{From: testPhoneID, To: "+14155550123", Body: "hi"},
			parley.FailConfig, "NO_TOKEN"},
		{"no phone-number id", nil, parley.Message{To: "+14155550123", Body: "hi"}, parley.FailConfig, "NO_SENDER"},
		{"not a phone number", nil, parley.Message{From: testPhoneID, To: "+1 nope", Body: "hi"},
			parley.FailPermanent, "INVALID_NUMBER"},
		{"empty text", nil, parley.Message{From: testPhoneID, To: "+14155550123"}, parley.FailPermanent, "INVALID_MESSAGE"},
		{"text over 4096 characters", nil, parley.Message{From: testPhoneID, To: "+14155550123", Body: strings.Repeat("é", 4097)},
			parley.FailPermanent, "INVALID_MESSAGE"},
		{"template without language", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Language = "" })}, parley.FailPermanent, "INVALID_MESSAGE"},
		{"empty body variable", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Body[1] = "" })}, parley.FailPermanent, "INVALID_MESSAGE"},
		{"audio header", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Header = &parley.Media{Type: "audio", URL: "https://x.example/a.ogg"} })},
			parley.FailPermanent, "INVALID_MESSAGE"},
		{"header without link", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Header = &parley.Media{Type: parley.MediaImage} })},
			parley.FailPermanent, "INVALID_MESSAGE"},
		{"phone button takes no value", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) {
				t.Buttons = []parley.Button{{Index: 0, Kind: parley.ButtonPhone, Value: "+14155550100"}}
			})}, parley.FailPermanent, "INVALID_MESSAGE"},
		{"button index past the tenth", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Buttons = []parley.Button{{Index: 10, Kind: parley.ButtonURL, Value: "x"}} })},
			parley.FailPermanent, "INVALID_MESSAGE"},
		{"button without value", nil, parley.Message{From: testPhoneID, To: "+14155550123",
			Template: tmpl(func(t *parley.Template) { t.Buttons = []parley.Button{{Index: 0, Kind: parley.ButtonQuickReply}} })},
			parley.FailPermanent, "INVALID_MESSAGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newCloudAPI(t)
			gw := api.gateway()
			if tt.gw != nil {
				tt.gw(gw)
			}
			_, err := gw.Send(t.Context(), tt.msg)
			se := sendError(t, err)
			if se.Kind != tt.wantKind || se.Code != tt.wantCode {
				t.Errorf("got %s %s (%s), want %s %s", se.Kind, se.Code, se.Reason, tt.wantKind, tt.wantCode)
			}
			if n := api.requests(); n != 0 {
				t.Errorf("%d requests reached the Cloud API", n)
			}
		})
	}
}

func TestSendTransportFailures(t *testing.T) {
	msg := parley.Message{From: testPhoneID, To: "+14155550123", Body: "hi"}
	t.Run("server gone", func(t *testing.T) {
		api := newCloudAPI(t)
		gw := api.gateway()
		api.Close()
		_, err := gw.Send(t.Context(), msg)
		if se := sendError(t, err); se.Kind != parley.FailTransient || se.Code != "NETWORK" {
			t.Errorf("got %s %s, want transient NETWORK", se.Kind, se.Code)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		api := newCloudAPI(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := api.gateway().Send(ctx, msg)
		if se := sendError(t, err); se.Kind != parley.FailTransient {
			t.Errorf("kind = %s, want transient", se.Kind)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v does not wrap context.Canceled", err)
		}
	})
	t.Run("accepted without a message id", func(t *testing.T) {
		gw := answering(t, http.StatusOK, nil, `{"messaging_product":"whatsapp","contacts":[],"messages":[]}`)
		_, err := gw.Send(t.Context(), msg)
		if se := sendError(t, err); se.Kind != parley.FailTransient || se.Code != "BAD_RESPONSE" {
			t.Errorf("got %s %s, want transient BAD_RESPONSE", se.Kind, se.Code)
		}
	})
}

func TestGatewayDefaults(t *testing.T) {
	var g Gateway
	if got, want := g.endpoint("106540352242922"), "https://graph.facebook.com/v26.0/106540352242922/messages"; got != want {
		t.Errorf("endpoint = %q, want %q", got, want)
	}
	g = Gateway{BaseURL: "http://localhost:9/", Version: "v25.0"}
	if got, want := g.endpoint("1/2"), "http://localhost:9/v25.0/1%2F2/messages"; got != want {
		t.Errorf("endpoint = %q, want %q", got, want)
	}
}

// TestGatewayHidesToken prints and logs a Gateway every common way.
func TestGatewayHidesToken(t *testing.T) {
	g := Gateway{BaseURL: "https://graph.example", Token: testToken}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, g), fmt.Sprintf(verb, &g))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("gateway", "value", g, "pointer", &g)
		outs = append(outs, b.String())
	}
	for _, out := range outs {
		if strings.Contains(out, testToken) || strings.Contains(out, fmt.Sprintf("%x", testToken)) {
			t.Errorf("token leaked: %s", out)
		}
	}
	if s := g.String(); !strings.Contains(s, "https://graph.example/v26.0") || !strings.Contains(s, redacted) {
		t.Errorf("String() = %q, want the endpoint and a redaction mark", s)
	}
}
