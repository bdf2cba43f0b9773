package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"testing"
)

// statusURL and statusForm are a status callback as Twilio posts it.
const statusURL = "https://hooks.example.com/twilio/status?account=acme"

func statusForm() url.Values {
	return url.Values{
		"MessageSid":    {"SM0123456789abcdef0123456789abcdef"},
		"SmsSid":        {"SM0123456789abcdef0123456789abcdef"},
		"AccountSid":    {testAccount},
		"MessageStatus": {"undelivered"},
		"ErrorCode":     {"30003"},
		"To":            {"+447700900123"},
		"From":          {"+15005550006"},
		"ApiVersion":    {"2010-04-01"},
	}
}

func TestSignatureByHand(t *testing.T) {
	// Twilio's recipe, step by step: the URL exactly as requested, then each
	// POST parameter as name followed by value, names in sorted order
	// (byte order: upper case before lower case), no separators; HMAC-SHA1
	// keyed by the auth token; standard base64.
	data := statusURL +
		"AccountSid" + testAccount +
		"ApiVersion" + "2010-04-01" +
		"ErrorCode" + "30003" +
		"From" + "+15005550006" +
		"MessageSid" + "SM0123456789abcdef0123456789abcdef" +
		"MessageStatus" + "undelivered" +
		"SmsSid" + "SM0123456789abcdef0123456789abcdef" +
		"To" + "+447700900123"
	mac := hmac.New(sha1.New, []byte(testToken))
	mac.Write([]byte(data))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	if got := Signature(testToken, statusURL, statusForm()); got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	if !ValidSignature(testToken, statusURL, statusForm(), want) {
		t.Error("ValidSignature rejects the hand-made signature")
	}
}

func TestSignatureRepeatedParameter(t *testing.T) {
	// A parameter sent twice contributes both values, sorted, each after
	// its name — however the form happens to hold them.
	mac := hmac.New(sha1.New, []byte(testToken))
	mac.Write([]byte("https://h.example.com/in" + "Body" + "hi" + "MediaUrl" + "https://m/a" + "MediaUrl" + "https://m/b"))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, order := range [][]string{{"https://m/a", "https://m/b"}, {"https://m/b", "https://m/a"}} {
		form := url.Values{"MediaUrl": order, "Body": {"hi"}}
		if got := Signature(testToken, "https://h.example.com/in", form); got != want {
			t.Errorf("Signature with values %v = %q, want %q", order, got, want)
		}
	}
}

func TestSignatureDocumentedExamples(t *testing.T) {
	// The worked example of Twilio's request-validation guide (auth token
	// 12345), in both versions the guide has shipped.
	const docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	tests := []struct{ caller, want string }{
		{"+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{"+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
	}
	for _, tt := range tests {
		params := url.Values{
			"CallSid": {"CA1234567890ABCDE"}, "Caller": {tt.caller}, "Digits": {"1234"},
			"From": {tt.caller}, "To": {"+18005551212"},
		}
		if got := Signature("12345", docURL, params); got != tt.want {
			t.Errorf("Signature(caller %s) = %q, want %q", tt.caller, got, tt.want)
		}
		if !ValidSignature("12345", docURL, params, tt.want) {
			t.Errorf("ValidSignature rejects the documented signature %q", tt.want)
		}
	}
}

func TestValidSignature(t *testing.T) {
	good := Signature(testToken, statusURL, statusForm())
	with := func(change func(url.Values)) url.Values {
		v := statusForm()
		change(v)
		return v
	}
	tests := []struct {
		name      string
		token     string
		url       string
		params    url.Values
		signature string
		want      bool
	}{
		{"as signed", testToken, statusURL, statusForm(), good, true},
		{"default port added", testToken, "https://hooks.example.com:443/twilio/status?account=acme", statusForm(), good, true},
		{"tampered value", testToken, statusURL, with(func(v url.Values) { v.Set("MessageStatus", "delivered") }), good, false},
		{"parameter added", testToken, statusURL, with(func(v url.Values) { v.Set("Price", "0") }), good, false},
		{"parameter removed", testToken, statusURL, with(func(v url.Values) { v.Del("ErrorCode") }), good, false},
		{"value repeated", testToken, statusURL, with(func(v url.Values) { v.Add("To", "+447700900123") }), good, false},
		{"other path", testToken, "https://hooks.example.com/twilio/inbound?account=acme", statusForm(), good, false},
		{"other host", testToken, "https://hooks.example.net/twilio/status?account=acme", statusForm(), good, false},
		{"other query", testToken, "https://hooks.example.com/twilio/status?account=evil", statusForm(), good, false},
		{"query dropped", testToken, "https://hooks.example.com/twilio/status", statusForm(), good, false},
		{"other scheme", testToken, "http://hooks.example.com/twilio/status?account=acme", statusForm(), good, false},
		{"other port", testToken, "https://hooks.example.com:8443/twilio/status?account=acme", statusForm(), good, false},
		{"http port on https", testToken, "https://hooks.example.com:80/twilio/status?account=acme", statusForm(), good, false},
		{"trailing slash", testToken, "https://hooks.example.com/twilio/status/?account=acme", statusForm(), good, false},
		{"other token", "another-token", statusURL, statusForm(), good, false},
		{"empty token", "", statusURL, statusForm(), good, false},
		{"empty signature", testToken, statusURL, statusForm(), "", false},
		{"truncated signature", testToken, statusURL, statusForm(), good[:len(good)-1], false},
		{"signature in other case", testToken, statusURL, statusForm(), flipCase(good), false},
		{"no parameters", testToken, statusURL, nil, Signature(testToken, statusURL, nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidSignature(tt.token, tt.url, tt.params, tt.signature); got != tt.want {
				t.Errorf("ValidSignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidSignaturePortVariants(t *testing.T) {
	tests := []struct {
		name, signed, requested string
		want                    bool
	}{
		{"https signed without port", "https://h.example.com/s", "https://h.example.com:443/s", true},
		{"https signed with port", "https://h.example.com:443/s", "https://h.example.com/s", true},
		{"http signed with port", "http://h.example.com:80/s?a=1", "http://h.example.com/s?a=1", true},
		{"http signed without port", "http://h.example.com/s", "http://h.example.com:80/s", true},
		{"ipv6 with port", "https://[2001:db8::1]:443/s", "https://[2001:db8::1]/s", true},
		{"ipv6 without port", "https://[2001:db8::1]/s", "https://[2001:db8::1]:443/s", true},
		{"non-default port kept", "https://h.example.com:8443/s", "https://h.example.com/s", false},
		{"non-default port added", "https://h.example.com/s", "https://h.example.com:8443/s", false},
		{"443 is not http's port", "http://h.example.com:443/s", "http://h.example.com/s", false},
		{"unparsable URL", "https://h.example.com/%zz", "https://h.example.com/%zz", true},
		{"relative URL", "/twilio/status", "/twilio/status", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := Signature(testToken, tt.signed, statusForm())
			if got := ValidSignature(testToken, tt.requested, statusForm(), sig); got != tt.want {
				t.Errorf("signed %s, requested %s: valid = %v, want %v", tt.signed, tt.requested, got, tt.want)
			}
		})
	}
}

// flipCase swaps the case of ASCII letters.
func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func FuzzValidSignature(f *testing.F) {
	f.Add(testToken, statusURL, "MessageSid=SM1&To=%2B1&Body=hi", 0)
	f.Add("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", "Digits=1234&Digits=9", 5)
	f.Add("", "http://[::1]:80/x", "", 1)
	f.Add("t", "://bad", "a=%zz", 3)
	f.Fuzz(func(t *testing.T, token, rawURL, rawForm string, flip int) {
		params, _ := url.ParseQuery(rawForm)
		sig := Signature(token, rawURL, params)
		if !ValidSignature(token, rawURL, params, sig) {
			t.Fatalf("own signature rejected for %q %v", rawURL, params)
		}
		b := []byte(sig)
		i := int(uint(flip) % uint(len(b)))
		b[i] ^= 0x01
		if ValidSignature(token, rawURL, params, string(b)) {
			t.Fatalf("signature with byte %d changed accepted for %q", i, rawURL)
		}
	})
}

func BenchmarkSignature(b *testing.B) {
	form := statusForm()
	for b.Loop() {
		Signature(testToken, statusURL, form)
	}
}
