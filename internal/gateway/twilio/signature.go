package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net"
	"net/url"
	"slices"
)

// Signature computes the X-Twilio-Signature of a webhook request the way
// Twilio makes it: requestURL, the full URL Twilio requested (scheme, host,
// any port, path and query), followed by the name and value of every POST
// parameter in order of name, is signed with HMAC-SHA1 keyed by the
// account's auth token and encoded as standard base64. A parameter sent several times
// contributes each of its values, in sorted order.
func Signature(authToken, requestURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(requestURL))
	for _, name := range slices.Sorted(maps.Keys(params)) {
		for _, value := range slices.Sorted(slices.Values(params[name])) {
			mac.Write([]byte(name))
			mac.Write([]byte(value))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether signature is the X-Twilio-Signature of a
// request to requestURL with the given POST parameters, comparing in constant
// time. Because Twilio does not sign the port consistently, a URL that
// carries its scheme's default port (443 or 80) is also tried without it,
// and one without a port is also tried with it; any other difference in
// the URL (host, another port, path, query) makes the signature invalid.
func ValidSignature(authToken, requestURL string, params url.Values, signature string) bool {
	if signature == "" {
		return false
	}
	valid := false
	for _, candidate := range portVariants(requestURL) {
		// Every candidate is checked, so timing does not tell which matched.
		if hmac.Equal([]byte(Signature(authToken, candidate, params)), []byte(signature)) {
			valid = true
		}
	}
	return valid
}

// defaultPorts are the ports a URL may carry or omit without changing the
// address.
var defaultPorts = map[string]string{"https": "443", "http": "80"}

// portVariants returns rawURL followed by the same URL with its default
// port toggled, when it has a scheme with a default port.
func portVariants(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return []string{rawURL}
	}
	port, ok := defaultPorts[u.Scheme]
	switch {
	case !ok:
		return []string{rawURL}
	case u.Port() == "":
		u.Host = net.JoinHostPort(u.Hostname(), port)
	case u.Port() == port:
		u.Host = hostOnly(u.Hostname())
	default:
		return []string{rawURL}
	}
	return []string{rawURL, u.String()}
}

// hostOnly writes a host name for a URL, bracketing IPv6 literals.
func hostOnly(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[" + host + "]"
	}
	return host
}
