package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strings"
)

// SignatureHeader is the header carrying the signature of a webhook POST.
const SignatureHeader = "X-Hub-Signature-256"

// signaturePrefix starts every X-Hub-Signature-256 value.
const signaturePrefix = "sha256="

// VerifySignature reports whether header, an X-Hub-Signature-256 value, is
// "sha256=" followed by the hex HMAC-SHA256 of the raw body keyed with the
// app secret. The comparison takes constant time; an empty secret, a
// missing or malformed header all fail.
func VerifySignature(appSecret string, body []byte, header string) bool {
	if appSecret == "" {
		return false
	}
	hexSum, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(hexSum) != hex.EncodedLen(sha256.Size) {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// maxChallenge bounds the hub.challenge this package echoes.
const maxChallenge = 64

// Handshake answers Meta's GET verification of a webhook URL: when
// hub.mode is "subscribe" and hub.verify_token equals verifyToken, the
// caller answers 200 with the returned challenge as a text/plain body.
// Meta sends the challenge as an integer; anything else is refused, so no
// markup is ever reflected. An empty verifyToken verifies nothing.
func Handshake(q url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	c := q.Get("hub.challenge")
	if c == "" || len(c) > maxChallenge || strings.Trim(c, "0123456789") != "" {
		return "", false
	}
	return c, true
}
