package parley

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// In-app messaging reaches a consumer of the brand's mobile app by the id the
// brand knows them by (LivePerson's consumerId), through push notifications
// to the devices they registered, instead of by phone number.

// Per-recipient error codes of the in-app channel.
const (
	// CodeInvalidConsumerID: the consumer id is missing or not a usable id
	// (control characters, longer than MaxConsumerID).
	CodeInvalidConsumerID = "INVALID_CONSUMER_ID"
	// CodeDuplicateConsumerID: the consumer id repeats an earlier one.
	CodeDuplicateConsumerID = "DUPLICATE_CONSUMER_ID"
	// CodeInvalidTimezone: the given time zone is not an IANA zone name, or
	// was given where the zone comes from the phone number.
	CodeInvalidTimezone = "INVALID_TIMEZONE"
	// CodeNoDevice: the account has no device (push token) registered for
	// the consumer, so the in-app channel cannot reach them. A campaign
	// call refuses such a consumer; a recipient without one when its
	// message is sent (its tokens removed meanwhile, or too many consumers
	// to check at intake) is FAILED.
	CodeNoDevice = "NO_DEVICE"
)

// RegisterPushToken says how a brand registers a device for a consumer of
// an account, for messages that report CodeNoDevice.
func RegisterPushToken(accountID, consumerID string) string {
	return fmt.Sprintf("register the consumer's device with POST /api/v2/account/%s/consumers/%s/push-tokens",
		url.PathEscape(accountID), url.PathEscape(consumerID))
}

// MaxConsumerID bounds a brand consumer id, in characters.
const MaxConsumerID = 256

// ConsumerIDProblem returns why id cannot be a brand consumer id, or "" when
// it can: it must be non-empty, at most MaxConsumerID characters of UTF-8
// text, without control characters or leading or trailing spaces.
func ConsumerIDProblem(id string) string {
	switch {
	case id == "":
		return "the consumer id is missing"
	case !utf8.ValidString(id):
		return "the consumer id is not UTF-8 text"
	case utf8.RuneCountInString(id) > MaxConsumerID:
		return fmt.Sprintf("the consumer id is longer than %d characters", MaxConsumerID)
	case strings.ContainsFunc(id, unicode.IsControl):
		return "the consumer id contains control characters"
	case strings.TrimSpace(id) != id:
		return "the consumer id starts or ends with spaces"
	}
	return ""
}

// Device platforms a push token may be registered for.
const (
	PlatformAndroid = "android"
	PlatformIOS     = "ios"
	PlatformWeb     = "web"
)

// MaxPushToken bounds a device token, in bytes. FCM registration tokens are
// about 160 characters; the bound leaves room for longer ones and keeps a
// token within a DynamoDB sort key.
const MaxPushToken = 1000

// PushToken is one device a brand's app registered for a consumer: the
// Firebase Cloud Messaging registration token the in-app channel pushes to.
type PushToken struct {
	AccountID  string `json:"accountId"`
	ConsumerID string `json:"consumerId"`
	Token      string `json:"token"`
	Platform   string `json:"platform"` // PlatformAndroid, PlatformIOS or PlatformWeb
	// App is the brand's app the device registered from (com.brand.app),
	// as in-app handoffs name their apps; "" when the brand names none.
	App          string    `json:"app,omitempty"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// MaxAppName bounds an app's name, in bytes.
const MaxAppName = 256

// TokensFor returns the tokens of ts a message for apps goes to: those
// registered from one of apps, every one when apps is empty.
func TokensFor(ts []PushToken, apps []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if len(apps) == 0 || slices.Contains(apps, t.App) {
			out = append(out, t.Token)
		}
	}
	return out
}

// Validate checks a registration: a usable consumer id, a token of the
// characters FCM and APNs tokens are made of (letters, digits and
// "-_:.~"; at most MaxPushToken), and a known platform. Errors are EINVALID
// naming the field.
func (p PushToken) Validate() error {
	if why := ConsumerIDProblem(p.ConsumerID); why != "" {
		return FieldErrorf("consumerId", "%s", why)
	}
	if err := CheckPushToken(p.Token); err != nil {
		return err
	}
	if len(p.App) > MaxAppName || strings.ContainsFunc(p.App, unicode.IsControl) || strings.TrimSpace(p.App) != p.App {
		return FieldErrorf("app", "app is the name of the brand's app (at most %d bytes, no control characters or outer spaces)", MaxAppName)
	}
	switch p.Platform {
	case PlatformAndroid, PlatformIOS, PlatformWeb:
		return nil
	case "":
		return FieldErrorf("platform", "platform is required: %s, %s or %s", PlatformAndroid, PlatformIOS, PlatformWeb)
	}
	return FieldErrorf("platform", "platform %q is not %s, %s or %s", p.Platform, PlatformAndroid, PlatformIOS, PlatformWeb)
}

// CheckPushToken returns an EINVALID error naming the field "token" when t
// is not a device token Parley accepts.
func CheckPushToken(t string) error {
	switch {
	case t == "":
		return FieldErrorf("token", "token is required")
	case len(t) > MaxPushToken:
		return FieldErrorf("token", "token is %d bytes; at most %d", len(t), MaxPushToken)
	}
	if i := strings.IndexFunc(t, func(r rune) bool { return !tokenRune(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(t[i:])
		return FieldErrorf("token", "token has %q at byte %d; a device token is letters, digits and -_:.~", r, i)
	}
	return nil
}

func tokenRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_:.~", r))
}
