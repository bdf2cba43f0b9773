package twilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Access tokens of Twilio's client SDKs: a JWT signed HS256 with an API
// key's secret, whose header says cty twilio-fpa;v=1, issued by the API
// key SID for the account SID, naming the user's identity and the grants
// it carries (https://www.twilio.com/docs/iam/access-tokens).
const (
	// accessTokenType is the content type of Twilio's access tokens.
	accessTokenType = "twilio-fpa;v=1"
	// MaxAccessTokenTTL is the longest lifetime Twilio accepts.
	MaxAccessTokenTTL = 24 * time.Hour
	// VoiceTokenTTL is the lifetime of an operator's Voice SDK token.
	VoiceTokenTTL = time.Hour
	// maxIdentity bounds a Voice SDK identity (Twilio's client name).
	maxIdentity = 121
)

// VoiceGrant lets a Voice SDK client receive calls (IncomingAllow: a
// <Dial><Client> to its identity reaches it) and place calls through a
// TwiML App (OutgoingApplicationSID, none when empty).
type VoiceGrant struct {
	IncomingAllow          bool
	OutgoingApplicationSID string
}

type accessTokenHeader struct {
	Typ string `json:"typ"`
	Alg string `json:"alg"`
	Cty string `json:"cty"`
}

type voiceGrantClaims struct {
	Incoming *struct {
		Allow bool `json:"allow"`
	} `json:"incoming,omitempty"`
	Outgoing *struct {
		ApplicationSID string `json:"application_sid"`
	} `json:"outgoing,omitempty"`
}

type accessTokenClaims struct {
	JTI    string `json:"jti"`
	Issuer string `json:"iss"`
	Sub    string `json:"sub"`
	IAT    int64  `json:"iat"`
	NBF    int64  `json:"nbf"`
	Exp    int64  `json:"exp"`
	Grants struct {
		Identity string           `json:"identity"`
		Voice    voiceGrantClaims `json:"voice"`
	} `json:"grants"`
}

// AccessToken signs a Voice SDK access token for identity with the API key
// of c, valid from now for ttl (at most MaxAccessTokenTTL). It is EINVALID
// without an API key, or for an empty or overlong identity.
func AccessToken(c Credentials, identity string, g VoiceGrant, now time.Time, ttl time.Duration) (string, error) {
	switch {
	case c.APIKeySID == "" || c.APIKeySecret == "":
		return "", parley.FieldErrorf("twilio.apiKeySid", "Voice SDK access tokens are signed with an API key: set apiKeySid and apiKeySecret on the account's Twilio channel")
	case identity == "" || len(identity) > maxIdentity:
		return "", parley.FieldErrorf("identity", "a Voice SDK identity is 1 to %d bytes", maxIdentity)
	case ttl <= 0 || ttl > MaxAccessTokenTTL:
		return "", parley.FieldErrorf("ttl", "an access token lives up to %s", MaxAccessTokenTTL)
	}
	header, _ := json.Marshal(accessTokenHeader{Typ: "JWT", Alg: "HS256", Cty: accessTokenType}) // strings only
	claims := accessTokenClaims{JTI: c.APIKeySID + "-" + strconv.FormatInt(now.Unix(), 10), Issuer: c.APIKeySID, Sub: c.AccountSID,
		IAT: now.Unix(), NBF: now.Unix(), Exp: now.Add(ttl).Unix()}
	claims.Grants.Identity = identity
	if g.IncomingAllow {
		claims.Grants.Voice.Incoming = &struct {
			Allow bool `json:"allow"`
		}{true}
	}
	if g.OutgoingApplicationSID != "" {
		claims.Grants.Voice.Outgoing = &struct {
			ApplicationSID string `json:"application_sid"`
		}{g.OutgoingApplicationSID}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode access token claims: %w", err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(c.APIKeySecret.Reveal()))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// VoiceToken is an operator's Voice SDK access token. Token is a
// credential: it is answered to the operator and never logged.
type VoiceToken struct {
	Token     parley.Secret
	Identity  string
	ExpiresAt time.Time
}

// VoiceToken signs the Voice SDK access token of operator identity of an
// account whose calls go through Twilio: it receives the calls bridged to
// the operator, and places calls through the channel's voiceAppSid when
// one is set. It is ECONFLICT for an account that does not call through
// Twilio, EINVALID (naming the field) without an API key.
func (v *Voice) VoiceToken(ctx context.Context, accountID, identity string) (VoiceToken, error) {
	g, err := v.gateway(ctx, accountID)
	switch {
	case err != nil:
		return VoiceToken{}, parley.Wrap(parley.EUNAVAILABLE, err, "the Twilio configuration of account %s could not be read", accountID)
	case g == nil:
		return VoiceToken{}, parley.Errorf(parley.ECONFLICT, "account %s places no calls through Twilio (its sms channel does not send through Twilio), so there is no Voice SDK token to give", accountID)
	}
	now := v.Clock.Now()
	tok, err := AccessToken(g.Credentials, identity, VoiceGrant{IncomingAllow: true, OutgoingApplicationSID: g.Credentials.VoiceAppSID}, now, VoiceTokenTTL)
	if err != nil {
		return VoiceToken{}, err
	}
	return VoiceToken{Token: parley.Secret(tok), Identity: identity, ExpiresAt: now.Add(VoiceTokenTTL)}, nil
}
