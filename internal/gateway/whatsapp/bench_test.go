package whatsapp

import (
	"encoding/json"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func BenchmarkVerifySignature(b *testing.B) {
	body := []byte(sigBody)
	for b.Loop() {
		if !VerifySignature(sigSecret, body, "sha256="+sigHex) {
			b.Fatal("signature refused")
		}
	}
}

func BenchmarkParseNotification(b *testing.B) {
	body := []byte(envelope(`{` + metadata + `,
		"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"US.13491208655302741918"}],
		"messages":[{"context":{"from":"15550783881","id":"wamid.OUT"},"from":"16505551234","id":"wamid.IN",
		"timestamp":"1749416383","type":"button","button":{"payload":"STOP","text":"Stop"}}],
		"statuses":[{"id":"wamid.OUT","status":"read","timestamp":"1749416390","recipient_id":"16505551234"}]}`))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseNotification(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeTemplateMessage(b *testing.B) {
	m := parley.Message{From: testPhoneID, To: "+14155550199", Template: &parley.Template{
		Name: "order_update", Language: "en_US",
		Header: &parley.Media{Type: parley.MediaImage, URL: "https://cdn.example.com/parcel.png"},
		Body:   []string{"Ana", "#A-1029"},
		Buttons: []parley.Button{
			{Index: 0, Kind: parley.ButtonURL, Value: "A-1029"},
			{Index: 1, Kind: parley.ButtonQuickReply, Value: "STOP_UPDATES"},
		},
	}}
	for b.Loop() {
		msg, err := newMessage(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(msg); err != nil {
			b.Fatal(err)
		}
	}
}
