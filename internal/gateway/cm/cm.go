// Package cm is the SMS gateway for CM.com's Business Messaging API: it
// posts outbound messages to CM's JSON gateway and reads the inbound messages
// (MO) and status reports (DLR) that CM delivers to our webhooks.
//
// CM authenticates requests with a product token and does not sign its
// webhooks, so webhook authenticity rests on a per-account secret carried in
// the webhook URL (see VerifyToken).
package cm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// DefaultBaseURL is CM's global Business Messaging endpoint.
const DefaultBaseURL = "https://gw.messaging.cm.com"

// messagePath is where the JSON gateway accepts messages.
const messagePath = "/v1.0/message"

// tokenHeader carries the product token, the authentication CM recommends.
const tokenHeader = "X-CM-PRODUCTTOKEN"

// provider names CM in every *parley.SendError.
const provider = string(Name)

// Message-part limits sent with every SMS: a body longer than one SMS is
// split into concatenated parts, up to CM's maximum of eight.
const (
	minParts = 1
	maxParts = 8
)

// maxGrouping is the longest value CM accepts in a custom grouping field.
const maxGrouping = 100

// maxResponse bounds how much of CM's answer is read.
const maxResponse = 1 << 20

// Local error codes for messages rejected before they reach CM.
const (
	CodeEmptyBody      = "EMPTY_BODY"
	CodeNoProductToken = "NO_PRODUCT_TOKEN"
	CodeNoSender       = "NO_SENDER"
	CodeBadBaseURL     = "BAD_BASE_URL"
	CodeBadResponse    = "BAD_RESPONSE"
	CodeNetwork        = "NETWORK"
)

// defaultHTTP is used when Gateway.HTTP is nil: it reaches public addresses
// only and follows no redirects (package egress).
var defaultHTTP = egress.Policy{}.Client(30 * time.Second)

var _ gateway.Sender = (*Gateway)(nil)

// Gateway sends SMS through CM.com. The zero value is not usable: set
// ProductToken.
type Gateway struct {
	// BaseURL is CM's gateway; DefaultBaseURL when empty.
	BaseURL string
	// ProductToken authenticates with CM. It is never printed or logged:
	// String, GoString and LogValue hide it, and JSON encoding skips it.
	ProductToken string `json:"-"`
	// HTTP is the client used; a client with a 30 s timeout when nil.
	HTTP *http.Client
}

// String describes the gateway without its product token.
func (g Gateway) String() string {
	return fmt.Sprintf("cm.Gateway{BaseURL: %q, ProductToken: %s}", g.baseURL(), redact(g.ProductToken))
}

// GoString is String, so %#v hides the token too.
func (g Gateway) GoString() string { return g.String() }

// LogValue is String, so slog hides the token too.
func (g Gateway) LogValue() slog.Value { return slog.StringValue(g.String()) }

func redact(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "[redacted]"
}

func (g *Gateway) baseURL() string {
	if g.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(g.BaseURL, "/")
}

func (g *Gateway) client() *http.Client {
	if g.HTTP == nil {
		return defaultHTTP
	}
	return g.HTTP
}

// Send posts m as one SMS and returns the reference it was sent with, which
// CM echoes in status reports and replies. Failures are *parley.SendError.
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	ref := Reference(m)
	payload, err := g.request(m, ref)
	if err != nil {
		return "", err
	}
	status, body, err := g.post(ctx, payload)
	if err != nil {
		return "", err
	}
	if err := classify(status, body, ref); err != nil {
		return "", err
	}
	return ref, nil
}

// maxReference is the longest reference CM takes: 1–32 letters and digits.
const maxReference = 32

// Prefixes of the reference forms.
const (
	refUUID  = 'U' // a UUID campaign id and a numeric recipient id, in base 36
	refPlain = 'P' // short alphanumeric ids, written out
	refHash  = 'H' // ids that fit neither form: their statuses name no recipient
)

// uuidDigits is how many base-36 digits a 128-bit UUID takes.
const uuidDigits = 25

// Reference derives the CM reference of m: at most 32 letters and digits,
// which CM echoes in the status reports of m. It encodes the recipient's
// reference (parley.Message.CallbackRef), which ParseReference reads back,
// so a status report finds its recipient without a lookup; the same
// recipient always gets the same reference, so a retried send keeps it.
// Parley's ids fit (a UUID campaign id and a numeric recipient id take
// 27 to 32 characters): "U", the campaign UUID's 128 bits in 25 base-36
// digits, then the recipient's number in base 36. Short alphanumeric ids
// are written out: "P", the campaign id's length as one base-36 digit, the
// campaign id, the recipient id. Ids that fit neither get "H" and a hash
// of the account, campaign and recipient ids, whose statuses name no
// recipient; a message without a recipient id (an answer to a keyword)
// gets "H" and a random value.
func Reference(m parley.Message) string {
	if ref, ok := encodeReference(m.CampaignID, m.RecipientID); ok {
		return ref
	}
	h := sha256.New()
	for _, id := range []string{m.AccountID, m.CampaignID, m.RecipientID} {
		fmt.Fprintf(h, "%d:%s;", len(id), id)
	}
	if m.RecipientID == "" {
		nonce := make([]byte, 16)
		_, _ = rand.Read(nonce) // crypto/rand never fails on supported platforms
		h.Write(nonce)
	}
	return string(refHash) + hex.EncodeToString(h.Sum(nil))[:maxReference-1]
}

// encodeReference writes the "U" or "P" form of a recipient's reference.
func encodeReference(campaignID, recipientID string) (string, bool) {
	if campaignID == "" || recipientID == "" {
		return "", false
	}
	if u, err := uuid.Parse(campaignID); err == nil && u.String() == campaignID {
		if seq, err := strconv.Atoi(recipientID); err == nil && seq >= 0 && parley.RecipientID(seq) == recipientID {
			n := new(big.Int).SetBytes(u[:]).Text(36)
			ref := string(refUUID) + strings.Repeat("0", uuidDigits-len(n)) + n + strconv.FormatInt(int64(seq), 36)
			if len(ref) <= maxReference {
				return ref, true
			}
		}
	}
	ref := string(refPlain) + strconv.FormatInt(int64(len(campaignID)), 36) + campaignID + recipientID
	if len(campaignID) < 36 && len(ref) <= maxReference && alphanumeric(campaignID) && alphanumeric(recipientID) {
		return ref, true
	}
	return "", false
}

// ParseReference reads the campaign and recipient ids back from a
// reference Reference made; ok is false for the "H" form and for anything
// Reference does not write. A reference only names a recipient: whether
// the recipient's message is the one reported must still be checked.
func ParseReference(ref string) (campaignID, recipientID string, ok bool) {
	if len(ref) < 2 || len(ref) > maxReference || !alphanumeric(ref) {
		return "", "", false
	}
	body := ref[1:]
	switch ref[0] {
	case refUUID:
		if len(body) <= uuidDigits || strings.ContainsAny(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return "", "", false
		}
		n, good := new(big.Int).SetString(body[:uuidDigits], 36)
		if !good || n.BitLen() > 128 {
			return "", "", false
		}
		var u uuid.UUID
		n.FillBytes(u[:])
		digits := body[uuidDigits:]
		seq, err := strconv.ParseInt(digits, 36, 64)
		if err != nil || seq < 0 || strconv.FormatInt(seq, 36) != digits {
			return "", "", false
		}
		return u.String(), parley.RecipientID(int(seq)), true
	case refPlain:
		n, err := strconv.ParseInt(body[:1], 36, 8)
		if err != nil || n < 1 || int(n)+1 >= len(body) || strconv.FormatInt(n, 36) != body[:1] {
			return "", "", false
		}
		return body[1 : 1+n], body[1+n:], true
	}
	return "", "", false
}

// alphanumeric reports whether s is made of ASCII letters and digits only.
func alphanumeric(s string) bool {
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// sendRequest is the JSON body of CM's message endpoint. The product token
// travels both here, in the authentication object CM's SDKs fill, and in
// the X-CM-PRODUCTTOKEN header CM recommends.
type sendRequest struct {
	Messages envelope `json:"messages"`
}

type envelope struct {
	Authentication authentication `json:"authentication"`
	Msg            []outMessage   `json:"msg"`
}

type authentication struct {
	ProductToken string `json:"producttoken"`
}

type outMessage struct {
	From            string      `json:"from"`
	To              []recipient `json:"to"`
	Body            outBody     `json:"body"`
	Reference       string      `json:"reference"`
	AllowedChannels []string    `json:"allowedChannels"`
	MinParts        int         `json:"minimumNumberOfMessageParts"`
	MaxParts        int         `json:"maximumNumberOfMessageParts"`
	CustomGrouping  string      `json:"customGrouping,omitempty"`
	CustomGrouping2 string      `json:"customGrouping2,omitempty"`
	CustomGrouping3 string      `json:"customGrouping3,omitempty"`
}

type recipient struct {
	Number string `json:"number"`
}

type outBody struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// request validates m and encodes it. Numbers go out in CM's "00" form; a
// sender that is not a number is sent as the alphanumeric name it is. The
// account, campaign and recipient ids go into CM's custom groupings, which
// CM returns with replies.
func (g *Gateway) request(m parley.Message, ref string) ([]byte, error) {
	if g.ProductToken == "" {
		return nil, sendErr(CodeNoProductToken, "no product token configured", parley.FailConfig)
	}
	if m.From == "" {
		return nil, sendErr(CodeNoSender, "no sender number or name", parley.FailConfig)
	}
	to, ok := ToCM(m.To)
	if !ok {
		return nil, sendErr(parley.CodeInvalidNumber, "recipient is not an E.164 number", parley.FailPermanent)
	}
	if m.Body == "" {
		return nil, sendErr(CodeEmptyBody, "message has no body", parley.FailPermanent)
	}
	from, ok := ToCM(m.From)
	if !ok {
		from = m.From // an alphanumeric sender name
	}
	msg := outMessage{
		From: from, To: []recipient{{Number: to}},
		Body:      outBody{Type: "auto", Content: m.Body},
		Reference: ref, AllowedChannels: []string{"SMS"},
		MinParts: minParts, MaxParts: maxParts,
		CustomGrouping: grouping(m.AccountID), CustomGrouping2: grouping(m.CampaignID), CustomGrouping3: grouping(m.RecipientID),
	}
	req := sendRequest{Messages: envelope{Authentication: authentication{ProductToken: g.ProductToken}, Msg: []outMessage{msg}}}
	return json.Marshal(req)
}

func grouping(id string) string {
	if len(id) > maxGrouping {
		return ""
	}
	return id
}

// post sends payload and returns CM's status and (bounded) body.
func (g *Gateway) post(ctx context.Context, payload []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.baseURL()+messagePath, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, causedBy(sendErr(CodeBadBaseURL, err.Error(), parley.FailConfig), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(tokenHeader, g.ProductToken)
	resp, err := g.client().Do(req)
	if err != nil {
		return 0, nil, gateway.TransportError(provider, CodeNetwork, "no answer from CM.com", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, nil, causedBy(sendErr(CodeNetwork, "reading response: "+err.Error(), parley.FailTransient), err)
	}
	return resp.StatusCode, body, nil
}

// sendResponse is CM's answer: a request-level code and one entry per
// message created or rejected.
type sendResponse struct {
	Details   string         `json:"details"`
	ErrorCode int            `json:"errorCode"`
	Messages  []sentResponse `json:"messages"`
}

type sentResponse struct {
	To               string `json:"to"`
	Status           string `json:"status"`
	Reference        string `json:"reference"`
	Parts            int    `json:"parts"`
	MessageDetails   string `json:"messageDetails"`
	MessageErrorCode int    `json:"messageErrorCode"`
}

// errorKinds maps CM's JSON gateway error codes, request- and message-level,
// to what they mean for the recipient.
var errorKinds = map[int]parley.FailKind{
	101: parley.FailConfig,    // authentication failed: no account for the token
	102: parley.FailConfig,    // insufficient balance
	103: parley.FailConfig,    // product token incorrect
	201: parley.FailPermanent, // messages rejected; the message entry says why
	202: parley.FailPermanent, // malformed request
	203: parley.FailPermanent, // msg array incorrect
	301: parley.FailConfig,    // from (our sender) invalid
	302: parley.FailPermanent, // to invalid
	303: parley.FailPermanent, // MSISDN invalid
	304: parley.FailPermanent, // body invalid
	305: parley.FailPermanent, // a field invalid
	401: parley.FailPermanent, // spam filtered
	402: parley.FailPermanent, // blacklisted
	403: parley.FailPermanent, // rejected
	500: parley.FailTransient, // CM internal error
	999: parley.FailTransient, // unknown error
}

// classify turns CM's answer into nil (accepted) or a *parley.SendError.
func classify(status int, body []byte, ref string) error {
	switch {
	case status == http.StatusTooManyRequests:
		return sendErr(strconv.Itoa(status), "rate limited", parley.FailThrottled)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return sendErr(strconv.Itoa(status), "product token refused", parley.FailConfig)
	case status >= 500:
		return sendErr(strconv.Itoa(status), http.StatusText(status), parley.FailTransient)
	}
	var r sendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return causedBy(sendErr(CodeBadResponse, fmt.Sprintf("HTTP %d with unreadable body", status), parley.FailTransient), err)
	}
	if m, ok := r.message(ref); ok {
		if strings.EqualFold(m.Status, "Accepted") {
			return nil
		}
		return codeErr(m.MessageErrorCode, m.MessageDetails, parley.FailPermanent)
	}
	if r.ErrorCode != 0 {
		return codeErr(r.ErrorCode, r.Details, parley.FailTransient)
	}
	if status/100 != 2 {
		return sendErr(strconv.Itoa(status), r.Details, parley.FailTransient)
	}
	return nil
}

// message finds the entry for ref, or the only entry when CM left the
// reference out.
func (r sendResponse) message(ref string) (sentResponse, bool) {
	for _, m := range r.Messages {
		if m.Reference == ref {
			return m, true
		}
	}
	if len(r.Messages) == 1 && r.Messages[0].Reference == "" {
		return r.Messages[0], true
	}
	return sentResponse{}, false
}

// codeErr maps a CM error code; unknown codes get fallback.
func codeErr(code int, details string, fallback parley.FailKind) error {
	kind, ok := errorKinds[code]
	if !ok {
		kind = fallback
	}
	if details == "" {
		details = "rejected by CM"
	}
	return sendErr(strconv.Itoa(code), maskNumbers(details), kind)
}

// digitRun is a run of digits long enough to be a phone number.
var digitRun = regexp.MustCompile(`\+?[0-9]{7,}`)

// maskNumbers masks the phone numbers CM quotes in its error details, so a
// logged error does not carry them whole.
func maskNumbers(s string) string {
	return digitRun.ReplaceAllStringFunc(s, phone.Mask)
}

func sendErr(code, reason string, kind parley.FailKind) *parley.SendError {
	return &parley.SendError{Provider: provider, Code: code, Reason: reason, Kind: kind}
}

// causedBy records err as the cause of se and returns se.
func causedBy(se *parley.SendError, err error) *parley.SendError {
	se.Err = err
	return se
}
