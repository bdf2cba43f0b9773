// Package config reads Parley's configuration from environment variables,
// the only source of configuration for the functions and for parley serve.
package config

import (
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
)

// Backends.
const (
	BackendEmbedded = "embedded"
	BackendAWS      = "aws"
)

// Values of PARLEY_GATEWAY: what a channel an account has not configured
// sends through.
const (
	// GatewaySandbox records such messages (and serves the sandbox routes).
	GatewaySandbox = "sandbox"
	// GatewayProviders refuses them: only configured providers send.
	GatewayProviders = "providers"
)

// Token issuer and audience unless configured.
const (
	DefaultIssuer   = "parley"
	DefaultAudience = "parley-api"
)

// Longest token lifetimes (exp - iat) accepted unless PARLEY_MAX_TOKEN_TTL
// says otherwise: on AWS that of the tokens the client credentials grant
// issues; on the embedded backend that of the longest development token
// parley token mints.
const (
	DefaultMaxTokenTTLAWS      = time.Hour
	DefaultMaxTokenTTLEmbedded = 30 * 24 * time.Hour
)

// Bounds of PARLEY_MAX_TOKEN_TTL: parley client's operator tokens live
// five minutes.
const (
	MinMaxTokenTTL = 5 * time.Minute
	MaxMaxTokenTTL = DefaultMaxTokenTTLEmbedded
)

// DefaultMaxTokenTTL is the longest token lifetime on backend unless
// configured.
func DefaultMaxTokenTTL(backend string) time.Duration {
	if backend == BackendEmbedded {
		return DefaultMaxTokenTTLEmbedded
	}
	return DefaultMaxTokenTTLAWS
}

// Config is the process configuration. Every field comes from one
// environment variable, named in its comment; README lists them all.
type Config struct {
	Backend      string  // PARLEY_BACKEND: embedded (default) or aws
	DataDir      string  // PARLEY_DATA_DIR: embedded backend's directory (./.parley)
	Addr         string  // PARLEY_ADDR: parley serve's listen address (127.0.0.1:8080)
	Table        string  // PARLEY_TABLE: DynamoDB table (aws backend)
	JobsQueueURL string  // PARLEY_JOBS_QUEUE_URL: SQS jobs queue URL (aws backend)
	JobsDLQURL   string  // PARLEY_JOBS_DLQ_URL: its dead-letter queue, for redrive (aws backend)
	Gateway      string  // PARLEY_GATEWAY: GatewaySandbox (default) or GatewayProviders
	LogLevel     string  // PARLEY_LOG_LEVEL: DEBUG, INFO (default), WARN, ERROR
	Workers      int     // PARLEY_WORKERS: parley serve's dispatcher pollers (4)
	MPS          float64 // PARLEY_MPS: messages per second per account, channel and sender (10)
	Burst        int     // PARLEY_BURST: sends allowed at once above that pace (1)
	AWSEndpoint  string  // AWS_ENDPOINT_URL: an emulator; missing table and queues are created
	// SigningKey is PARLEY_SIGNING_KEY: the PEM (PKCS#8) private key access
	// tokens are signed with, Ed25519 or RSA; further PEM blocks are
	// previous keys still accepted. Empty on the embedded backend: a key is
	// generated under DataDir. Refused in a Lambda function: on AWS the
	// signing key is in KMS (SigningKMSKeyID).
	SigningKey string
	// VerifyKeys is PARLEY_VERIFY_KEYS: PEM public keys of previous signing
	// keys whose tokens are still accepted.
	VerifyKeys string
	CreateRate float64 // PARLEY_CREATE_RATE: campaign creations per second per account (10)
	// RequestRate is PARLEY_REQUEST_RATE: authenticated /api/ requests per
	// second per account (10), with a burst of as many; Connect to
	// Messaging's routes have their own (app.C2MRate).
	RequestRate float64
	Issuer      string // PARLEY_ISSUER: the tokens' iss (parley)
	Audience    string // PARLEY_AUDIENCE: the tokens' aud (parley-api)
	// TrustForwarded: PARLEY_TRUST_FORWARDED, whether X-Forwarded-Proto
	// and X-Forwarded-Host name the URL webhooks were sent to.
	TrustForwarded bool
	// SigningKMSKeyID is PARLEY_SIGNING_KMS_KEY_ID: the AWS KMS key (key
	// id, ARN, alias name or alias ARN) access tokens are signed with,
	// whose private key never leaves KMS: how tokens are signed on AWS.
	// Processes that only verify read its public key.
	SigningKMSKeyID string
	// MaxTokenTTL is PARLEY_MAX_TOKEN_TTL: the longest lifetime (exp - iat)
	// of a token that is issued or accepted. Zero means
	// DefaultMaxTokenTTL(Backend).
	MaxTokenTTL time.Duration
	// PublicURL is PARLEY_PUBLIC_URL: the base URL providers reach the
	// API's routes at (scheme, host and any path prefix a proxy or API
	// mapping strips), such as https://api.example.com. Twilio's webhook
	// signatures are checked against it, and Twilio messages ask for
	// status callbacks under it. Empty: webhooks rebuild their public URL
	// from the request (X-Forwarded-Proto and Host), and Twilio messages
	// ask for no status callbacks.
	PublicURL string
	// WebhookURL is PARLEY_WEBHOOK_URL: the base URL providers are told to
	// post their webhooks under (Twilio's status callbacks and call
	// events), when it is not PublicURL: on AWS, the webhooks function's
	// own URL, which costs no API Gateway request per delivery receipt.
	// Empty: PublicURL (see WebhookBase).
	WebhookURL string
	// RangeJobs is PARLEY_RANGE_JOBS (default true): whether fan-outs and
	// the window check queue runs of consecutive recipients as range jobs
	// (queue.RangeJob), one message each, rather than a job per recipient.
	// A dispatcher of an older release drops range jobs as malformed, so a
	// deployment upgraded from one runs with it false until every
	// dispatcher is of this release.
	RangeJobs bool
	// OIDC is the identity provider webtool users sign in with
	// (PARLEY_OIDC_ISSUER, PARLEY_OIDC_CLIENT_ID, PARLEY_OIDC_CLIENT_SECRET,
	// PARLEY_OIDC_ACCOUNT_CLAIM, PARLEY_OIDC_ROLE_CLAIM); no issuer, none.
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCAccountClaim, OIDCRoleClaim string
	// SecretsKMSKeyID is PARLEY_SECRETS_KMS_KEY_ID: the KMS key (id, ARN
	// or alias) stored provider credentials and connector secrets are
	// sealed under on the aws backend. Without it a process can neither
	// store nor read them (it serves everything else), except on an
	// emulator, where a key is created.
	SecretsKMSKeyID string
	// AllowLoopbackEgress is PARLEY_ALLOW_LOOPBACK_EGRESS: true lets the
	// URLs accounts configure (provider baseUrl, connectorUrl, a service
	// account's token_uri) reach loopback addresses, for parley serve
	// against local providers and for tests. Off by default, and refused in
	// Lambda, where 127.0.0.1:9001 is the runtime API. Every other
	// non-public address stays refused (package egress).
	AllowLoopbackEgress bool
	// EventsQueueURL is PARLEY_EVENTS_QUEUE_URL: the SQS queue lifecycle
	// event deliveries to subscribed webhooks wait in (aws backend;
	// created on an emulator when empty). Without it, on AWS, no event is
	// pushed; subscriptions can still be managed and tested.
	EventsQueueURL string
	// EventsDLQURL is PARLEY_EVENTS_DLQ_URL: its dead-letter queue.
	EventsDLQURL string
	// EventBus is PARLEY_EVENT_BUS: the EventBridge event bus (name or
	// ARN) lifecycle events are also put on (aws backend); empty puts
	// them on none.
	EventBus string
	// ExportsBucket is PARLEY_EXPORTS_BUCKET: the S3 bucket the CSV
	// downloads are written to on the aws backend, each answered with a
	// redirect to a presigned link (API Gateway takes at most 6 MB from a
	// function). Empty streams them in the answer, as the embedded backend
	// does; on an emulator a bucket is created.
	ExportsBucket string
}

// Egress is the policy of outbound connections to what accounts configure.
func (c Config) Egress() egress.Policy { return egress.Policy{AllowLoopback: c.AllowLoopbackEgress} }

// Names lists every environment variable Config reads.
var Names = []string{
	"PARLEY_BACKEND", "PARLEY_DATA_DIR", "PARLEY_ADDR", "PARLEY_TABLE", "PARLEY_JOBS_QUEUE_URL", "PARLEY_JOBS_DLQ_URL",
	"PARLEY_GATEWAY", "PARLEY_LOG_LEVEL", "PARLEY_WORKERS", "PARLEY_MPS", "PARLEY_BURST", "AWS_ENDPOINT_URL",
	"PARLEY_SIGNING_KEY", "PARLEY_VERIFY_KEYS", "PARLEY_ISSUER", "PARLEY_AUDIENCE", "PARLEY_CREATE_RATE", "PARLEY_REQUEST_RATE",
	"PARLEY_PUBLIC_URL", "PARLEY_MAX_TOKEN_TTL", "PARLEY_SIGNING_KMS_KEY_ID", "PARLEY_SECRETS_KMS_KEY_ID", "PARLEY_ALLOW_LOOPBACK_EGRESS",
	"PARLEY_EVENTS_QUEUE_URL", "PARLEY_EVENTS_DLQ_URL", "PARLEY_EVENT_BUS", "PARLEY_EXPORTS_BUCKET", "PARLEY_WEBHOOK_URL",
	"PARLEY_RANGE_JOBS",
}

// FromEnv reads the configuration through getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	or := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Backend: or("PARLEY_BACKEND", BackendEmbedded), DataDir: or("PARLEY_DATA_DIR", ".parley"),
		Addr: or("PARLEY_ADDR", "127.0.0.1:8080"), Table: or("PARLEY_TABLE", ""),
		JobsQueueURL: or("PARLEY_JOBS_QUEUE_URL", ""), JobsDLQURL: or("PARLEY_JOBS_DLQ_URL", ""),
		Gateway:  or("PARLEY_GATEWAY", "sandbox"),
		LogLevel: or("PARLEY_LOG_LEVEL", "INFO"), AWSEndpoint: or("AWS_ENDPOINT_URL", ""),
		SigningKey: or("PARLEY_SIGNING_KEY", ""), VerifyKeys: or("PARLEY_VERIFY_KEYS", ""), SigningKMSKeyID: or("PARLEY_SIGNING_KMS_KEY_ID", ""),
		Issuer: or("PARLEY_ISSUER", DefaultIssuer), Audience: or("PARLEY_AUDIENCE", DefaultAudience),
		PublicURL:       strings.TrimRight(or("PARLEY_PUBLIC_URL", ""), "/"),
		WebhookURL:      strings.TrimRight(or("PARLEY_WEBHOOK_URL", ""), "/"),
		SecretsKMSKeyID: or("PARLEY_SECRETS_KMS_KEY_ID", ""),
		EventsQueueURL:  or("PARLEY_EVENTS_QUEUE_URL", ""), EventsDLQURL: or("PARLEY_EVENTS_DLQ_URL", ""),
		EventBus: or("PARLEY_EVENT_BUS", ""), ExportsBucket: or("PARLEY_EXPORTS_BUCKET", ""),
		OIDCIssuer: or("PARLEY_OIDC_ISSUER", ""), OIDCClientID: or("PARLEY_OIDC_CLIENT_ID", ""),
		OIDCClientSecret: or("PARLEY_OIDC_CLIENT_SECRET", ""),
		OIDCAccountClaim: or("PARLEY_OIDC_ACCOUNT_CLAIM", ""), OIDCRoleClaim: or("PARLEY_OIDC_ROLE_CLAIM", ""),
	}
	switch v := or("PARLEY_TRUST_FORWARDED", "false"); v {
	case "true", "false":
		c.TrustForwarded = v == "true"
	default:
		return Config{}, fmt.Errorf("PARLEY_TRUST_FORWARDED=%q: want true or false", v)
	}
	workers, err := strconv.Atoi(or("PARLEY_WORKERS", "4"))
	if err != nil || workers < 1 || workers > 256 {
		return Config{}, fmt.Errorf("PARLEY_WORKERS=%q: want a whole number from 1 to 256", getenv("PARLEY_WORKERS"))
	}
	c.Workers = workers
	if c.CreateRate, err = strconv.ParseFloat(or("PARLEY_CREATE_RATE", "10"), 64); err != nil || c.CreateRate < 1 || c.CreateRate > 1e4 {
		return Config{}, fmt.Errorf("PARLEY_CREATE_RATE=%q: want campaign creations per second per account from 1 to 10000", getenv("PARLEY_CREATE_RATE"))
	}
	if c.RequestRate, err = strconv.ParseFloat(or("PARLEY_REQUEST_RATE", "10"), 64); err != nil || c.RequestRate < 1 || c.RequestRate > 1e4 {
		return Config{}, fmt.Errorf("PARLEY_REQUEST_RATE=%q: want API requests per second per account from 1 to 10000", getenv("PARLEY_REQUEST_RATE"))
	}
	if c.MPS, err = strconv.ParseFloat(or("PARLEY_MPS", "10"), 64); err != nil || c.MPS <= 0 || c.MPS > 1e6 {
		return Config{}, fmt.Errorf("PARLEY_MPS=%q: want messages per second above 0 and at most 1000000", getenv("PARLEY_MPS"))
	}
	if c.Burst, err = strconv.Atoi(or("PARLEY_BURST", "1")); err != nil || c.Burst < 1 || c.Burst > 10000 {
		return Config{}, fmt.Errorf("PARLEY_BURST=%q: want a whole number from 1 to 10000", getenv("PARLEY_BURST"))
	}
	if c.OIDCClientSecret != "" && getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return Config{}, fmt.Errorf("PARLEY_OIDC_CLIENT_SECRET is refused in a Lambda function: secrets are never in its environment; register the webtool as a public client (PKCE)")
	}
	if c.SigningKey != "" && getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return Config{}, fmt.Errorf("PARLEY_SIGNING_KEY is refused in a Lambda function: on AWS tokens are signed by KMS (PARLEY_SIGNING_KMS_KEY_ID), and no private key sits in the environment")
	}
	c.MaxTokenTTL = DefaultMaxTokenTTL(c.Backend)
	if v := or("PARLEY_MAX_TOKEN_TTL", ""); v != "" {
		if c.MaxTokenTTL, err = time.ParseDuration(v); err != nil || c.MaxTokenTTL < MinMaxTokenTTL || c.MaxTokenTTL > MaxMaxTokenTTL {
			return Config{}, fmt.Errorf("PARLEY_MAX_TOKEN_TTL=%q: want a duration from %s to %s, such as 1h", getenv("PARLEY_MAX_TOKEN_TTL"), MinMaxTokenTTL, MaxMaxTokenTTL)
		}
	}
	if c.RangeJobs, err = strconv.ParseBool(or("PARLEY_RANGE_JOBS", "true")); err != nil {
		return Config{}, fmt.Errorf("PARLEY_RANGE_JOBS=%q: want true or false", getenv("PARLEY_RANGE_JOBS"))
	}
	if c.AllowLoopbackEgress, err = strconv.ParseBool(or("PARLEY_ALLOW_LOOPBACK_EGRESS", "false")); err != nil {
		return Config{}, fmt.Errorf("PARLEY_ALLOW_LOOPBACK_EGRESS=%q: want true or false", getenv("PARLEY_ALLOW_LOOPBACK_EGRESS"))
	}
	if c.AllowLoopbackEgress && getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return Config{}, fmt.Errorf("PARLEY_ALLOW_LOOPBACK_EGRESS=true is refused in Lambda, where loopback is the runtime API")
	}
	return c, c.Validate()
}

// Validate checks that the settings fit together.
func (c Config) Validate() error {
	switch c.Backend {
	case BackendEmbedded:
	case BackendAWS:
		if c.Table == "" {
			return fmt.Errorf("PARLEY_BACKEND=aws needs PARLEY_TABLE")
		}
		if c.JobsQueueURL == "" && c.AWSEndpoint == "" {
			return fmt.Errorf("PARLEY_BACKEND=aws needs PARLEY_JOBS_QUEUE_URL (or AWS_ENDPOINT_URL to create the queue on an emulator)")
		}
	default:
		return fmt.Errorf("PARLEY_BACKEND=%q: want embedded or aws", c.Backend)
	}
	if c.SigningKey != "" && c.SigningKMSKeyID != "" {
		return fmt.Errorf("PARLEY_SIGNING_KEY and PARLEY_SIGNING_KMS_KEY_ID both name the signing key: set one")
	}
	if c.Gateway != GatewaySandbox && c.Gateway != GatewayProviders {
		return fmt.Errorf("PARLEY_GATEWAY=%q: want %s or %s", c.Gateway, GatewaySandbox, GatewayProviders)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("PARLEY_PUBLIC_URL=%q: want an http(s) URL with a host and no credentials, query or fragment", c.PublicURL)
		}
	}
	return nil
}

// WebhookBase is the base URL providers are told to post their webhooks
// under: WebhookURL, else PublicURL.
func (c Config) WebhookBase() string { return cmp.Or(c.WebhookURL, c.PublicURL) }
