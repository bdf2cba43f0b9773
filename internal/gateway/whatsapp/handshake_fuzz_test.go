package whatsapp

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzHandshake feeds arbitrary verification queries to Handshake: it
// answers only the account's token, and only with a number it echoes.
func FuzzHandshake(f *testing.F) {
	f.Add("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", "verify-me")
	f.Add("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=%3Cscript%3E", "verify-me")
	f.Add("hub.mode=subscribe&hub.challenge=1", "")
	f.Fuzz(func(t *testing.T, rawQuery, token string) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		challenge, ok := Handshake(q, token)
		if !ok {
			return
		}
		if token == "" || q.Get("hub.verify_token") != token || q.Get("hub.mode") != "subscribe" {
			t.Fatalf("Handshake(%q, %q) verified", rawQuery, token)
		}
		if challenge == "" || len(challenge) > maxChallenge || strings.Trim(challenge, "0123456789") != "" || challenge != q.Get("hub.challenge") {
			t.Fatalf("Handshake(%q) echoes %q", rawQuery, challenge)
		}
	})
}
