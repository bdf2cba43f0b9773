// Package app wires Parley's services to a backend (embedded files, or
// DynamoDB and SQS) from a config.Config. The functions' main packages and
// parley serve all build their dependencies here, once per process.
package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/c2m"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/contacts"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/exportbucket"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/router"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/obs/xray"
	"github.com/parleyhq/parley/internal/oidc"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	"github.com/parleyhq/parley/internal/queue"
	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/settings/channels"
	"github.com/parleyhq/parley/internal/settings/eventsubs"
	"github.com/parleyhq/parley/internal/settings/handoffs"
	"github.com/parleyhq/parley/internal/settings/pushtoken"
	"github.com/parleyhq/parley/internal/settings/templates"
	"github.com/parleyhq/parley/internal/store"
	storeembedded "github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/web"
)

// dispatchVisibility is the jobs queue's visibility timeout: six times the
// dispatcher function's 30 s timeout, as AWS advises for SQS event sources.
const dispatchVisibility = 180 * time.Second

// eventsVisibility is the events queue's visibility timeout: six times the
// event push function's 60 s timeout.
const eventsVisibility = 360 * time.Second

// embeddedFanoutChunk is the fan-out chunk on the embedded backend.
const embeddedFanoutChunk = 10_000

// MaxReceiveCount is how many times a job is received before it is
// dead-lettered (the jobs queue's redrive policy says the same).
const MaxReceiveCount = 5

// App is Parley wired for one backend.
type App struct {
	Config config.Config
	Store  store.Store
	// Outbox records what the sandbox gateway sends, on the same backend
	// as Store.
	Outbox store.Outbox
	Queue  queue.Queue
	// pacer makes the backend's rate limiter (shared across processes on
	// AWS, in-process on the embedded backend).
	pacer     func(parley.Clock) ratelimit.Backend
	Campaigns *campaign.Service
	Accounts  *account.Service
	Templates *templates.Service
	Handoffs  *handoffs.Service
	// C2M is Connect to Messaging.
	C2M        *c2m.Service
	Dispatcher *dispatch.Dispatcher
	OptOuts    *optout.Service
	// Replies routes consumers' answers into conversations.
	Replies  *conversation.Service
	Delivery *receipts.Service
	// Gateways routes each message to its account's provider for the
	// channel.
	Gateways *router.Router
	Sandbox  *sandbox.Gateway
	// TwilioVoice places the calls of accounts whose SMS channel is Twilio,
	// and signs their operators' Voice SDK tokens.
	TwilioVoice *twilio.Voice
	// Voice is the simulated voice gateway when PARLEY_GATEWAY is sandbox
	// (nil otherwise): FireVoice delivers its due events.
	Voice  *sandboxvoice.Voice
	Dialer *phonecampaign.Dialer
	// PhoneCampaigns keeps telephone campaigns; it arms the pacing of
	// those created, cloned or resumed.
	PhoneCampaigns *phonecampaign.Service
	API            *httpapi.Server

	// EventQueue holds the deliveries of lifecycle events to subscribed
	// webhooks: its own queue, never the jobs queue. Nil on an AWS
	// deployment without PARLEY_EVENTS_QUEUE_URL, which pushes no events.
	EventQueue queue.Queue
	// EventSink is what the lifecycle feed publishes events to: it queues
	// their deliveries and puts them on the event bus. Nil without an
	// EventQueue.
	EventSink *eventpush.Sink
	// EventDelivery delivers EventQueue's jobs (the event push function,
	// and pollers in parley serve). Nil without an EventQueue.
	EventDelivery *eventpush.Deliverer
	// EventSubscriptions manages the webhooks events are pushed to.
	EventSubscriptions *eventsubs.Service
	// eventBus is the EventBridge bus of PARLEY_EVENT_BUS; nil without.
	eventBus eventpush.Bus
	// exports keeps the CSV downloads on AWS (PARLEY_EXPORTS_BUCKET); nil
	// streams them in the answer.
	exports *exportbucket.Bucket

	log     *slog.Logger
	closers []func() error
	// lifecycle runs the lifecycle feed where no lifecycle function does:
	// on the embedded store it publishes the events its outbox holds; on
	// an emulator's DynamoDB it folds the table's stream (see FoldStream).
	// Nil on AWS.
	lifecycle func(ctx context.Context) error
}

// C2MRate is how many requests a second each Connect to Messaging route
// takes per account, as LivePerson's API does.
const C2MRate = 30

// Option changes how New builds the app.
type Option func(*options)

type options struct {
	clock parley.Clock
	voice *sandboxvoice.Profile
}

// WithVoiceProfile makes the simulated voice gateway behave as p (who
// answers, after how long, how long they talk) instead of
// sandboxvoice.DefaultProfile.
func WithVoiceProfile(p sandboxvoice.Profile) Option { return func(o *options) { o.voice = &p } }

// WithClock makes every service read time from c instead of the system
// clock (for tests and benchmarks that must not depend on the hour).
func WithClock(c parley.Clock) Option { return func(o *options) { o.clock = c } }

// New builds the app for cfg.Backend.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{clock: parley.SystemClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	a := &App{Config: cfg}
	var err error
	switch cfg.Backend {
	case config.BackendAWS:
		err = a.openAWS(ctx, cfg)
	default:
		err = a.openEmbedded(ctx, cfg, log)
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := a.wire(ctx, o, log); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) wire(ctx context.Context, o options, log *slog.Logger) error {
	clock := o.clock
	a.log = log
	a.Accounts = &account.Service{Store: a.Store, Clock: clock, Egress: a.Config.Egress()}
	a.OptOuts = &optout.Service{Store: a.Store, Accounts: a.Accounts, Clock: clock}
	a.Campaigns = &campaign.Service{Store: a.Store, Queue: a.Queue, Clock: clock, Log: log, OptOuts: a.OptOuts, Devices: a.Store, Handoffs: a.Store, Daily: a.Store,
		Counters: a.Store, SingleJobs: !a.Config.RangeJobs}
	a.Handoffs = &handoffs.Service{Store: a.Store, Clock: clock}
	if a.Config.Backend == config.BackendEmbedded {
		// One fsynced transaction per chunk: large chunks keep a 100,000-row
		// upload within seconds.
		a.Campaigns.Chunk = embeddedFanoutChunk
	}
	// On AWS an upload is answered once persisted; dispatchers fan it out
	// in chunks (API Gateway gives a request 29 s).
	a.Campaigns.Async = a.Config.Backend == config.BackendAWS
	a.Sandbox = &sandbox.Gateway{Recorder: a.Outbox, Clock: clock, Devices: a.Store}
	a.Gateways = a.gateways(clock, log)
	a.Templates = &templates.Service{Store: a.Store, Submitters: a.Gateways, Campaigns: a.Campaigns, Clock: clock}
	a.Replies = &conversation.Service{Store: a.Store, Recipients: a.Store, Events: a.Store, Calls: a.Store, Stamps: a.Store, Connector: agentpush.New(a.Store, xray.HTTPClient(a.Config.Egress().Client(agentpush.DefaultTimeout)), clock, log), Clock: clock, Log: log}
	a.Dispatcher = &dispatch.Dispatcher{
		Store: a.Store, Queue: a.Queue, Clock: clock, Log: log, Sender: a.Gateways,
		Consent: a.OptOuts, Conversations: a.Replies, Requeue: a.Queue,
		Limiter: ratelimit.NewAdaptive(a.pacer(clock), clock),
		Limit:   ratelimit.Limit{Rate: cmp.Or(a.Config.MPS, ratelimit.DefaultRate), Burst: cmp.Or(a.Config.Burst, ratelimit.DefaultBurst)},
		Fanout:  a.Campaigns,
		// Every process claims under an epoch of its own. On the embedded
		// backend it is the data directory's only dispatcher, so the
		// claims of earlier epochs are orphaned and settled at once; on
		// AWS, dispatchers run side by side and wait for a claim's lease.
		Epoch: rand.Text(), Sole: a.Config.Backend == config.BackendEmbedded,
		StateTTL: dispatch.DefaultStateTTL,
	}
	a.PhoneCampaigns = a.wireDialing(clock, o.voice, log)
	tokens, err := Tokens(ctx, a.Config, clock, a.Store)
	if err != nil {
		return err
	}
	a.API = &httpapi.Server{
		Campaigns: a.Campaigns, Accounts: a.Accounts, Templates: a.Templates, Handoffs: a.Handoffs, DeadLetters: a.Queue, Log: log,
		Auth: tokens, Operators: tokens.Operators(), Clients: &auth.Clients{Store: a.Store, Tokens: tokens, Clock: clock},
		TokenLimits:    httpapi.NewTokenLimits(clock),
		PushTokens:     &pushtoken.Service{Store: a.Store, Clock: clock},
		Channels:       &channels.Service{Store: a.Store, Clock: clock, Egress: a.Config.Egress()},
		OptOuts:        a.OptOuts,
		Contacts:       &contacts.Service{Store: a.Store, Clock: clock},
		PhoneCampaigns: a.PhoneCampaigns,
		Conversations:  a.Replies, Broadcasts: a.Replies, VoiceCalls: a.Dialer,
		Idempotency: a.Store, Clock: clock,
		Analytics: &analytics.Service{Counters: a.Store, Accounts: a.Store, Campaigns: a.Store, Clock: clock},
		Counters:  a.Store,
	}
	if a.Dialer != nil {
		a.API.PhoneOperators = a.Dialer
	}
	if a.TwilioVoice != nil {
		a.API.VoiceTokens = a.TwilioVoice
	}
	if a.exports != nil {
		a.API.Exports = a.exports
	}
	a.wireEvents(clock, log)
	a.Delivery = &receipts.Service{Store: a.Store, Clock: clock, Settle: receipts.DefaultSettle}
	a.API.Inbox = &inbound.Service{Seen: a.Store, History: a.Store, Keywords: a.OptOuts, Replies: a.Replies, Attribution: a.Replies, Statuses: a.Delivery,
		Sender: a.Gateways, Clock: clock, Log: log}
	a.API.ChannelConfigs, a.API.PublicURL, a.API.TrustForwarded = a.Store, a.Config.PublicURL, a.Config.TrustForwarded
	createRate := cmp.Or(a.Config.CreateRate, 10)
	a.Campaigns.Gate = &ratelimit.Gate{Limiter: a.pacer(clock), Clock: clock, Name: "campaign-create",
		Limit: ratelimit.Limit{Rate: createRate, Burst: max(int(createRate), 1)}}
	a.API.ParseGate = &ratelimit.Gate{Limiter: a.pacer(clock), Clock: clock, Name: "campaign-parse",
		Limit: ratelimit.Limit{Rate: createRate, Burst: max(int(createRate), 1)}}
	requestRate := cmp.Or(a.Config.RequestRate, 10)
	a.API.RequestGate = &ratelimit.Gate{Limiter: a.pacer(clock), Clock: clock, Name: "api-request",
		Limit: ratelimit.Limit{Rate: requestRate, Burst: max(int(requestRate), 1)}}
	a.C2M = &c2m.Service{Accounts: a.Store, Handoffs: a.Store, OptOuts: a.OptOuts, Devices: a.Store, Calls: a.Store,
		Campaigns: a.Campaigns, Conversations: a.Replies, Clock: clock, Log: log}
	a.API.Deflections = a.C2M
	a.API.Web = web.MustNew()
	if err := a.wireSignIn(tokens, clock); err != nil {
		return err
	}
	a.API.AgentContext = a.Replies
	a.API.RouteGates = map[string]httpapi.Gate{}
	for route, name := range httpapi.C2MRoutes {
		a.API.RouteGates[route] = &ratelimit.Gate{Limiter: a.pacer(clock), Clock: clock, Name: name,
			Limit: ratelimit.Limit{Rate: C2MRate, Burst: C2MRate}}
	}
	if a.Config.Gateway == config.GatewaySandbox {
		a.API.Sandbox = a.Sandbox
		if !obs.InLambda() {
			// Faults live in this process: only where it also dispatches.
			a.API.Faults = a.Sandbox
		}
	}
	if a.Voice != nil {
		// Simulated operators take the simulated calls of this process,
		// and accept the contacts offered to them.
		a.API.SandboxOperators = a.Voice
	}
	return nil
}

// wireDialing builds the dialing runtime of telephone campaigns: calls go
// through the Twilio account of each account's SMS channel; with the
// sandbox gateway, outside Lambda, the calls of other accounts go to the
// simulated voice gateway (profile, or sandboxvoice.DefaultProfile), whose
// events this process delivers (FireVoice). In Lambda no process outlives
// a request to simulate calls, so such accounts' calls are refused there.
func (a *App) wireDialing(clock parley.Clock, profile *sandboxvoice.Profile, log *slog.Logger) *phonecampaign.Service {
	voice := &twilio.Voice{Configs: a.Store, PublicURL: a.Config.WebhookBase(), Clock: clock,
		HTTP: xray.HTTPClient(a.Config.Egress().Client(router.DefaultTimeout))}
	a.TwilioVoice = voice
	a.Dialer = &phonecampaign.Dialer{Store: a.Store, Clock: clock, Voice: voice, Log: log, DetectorHumanLoss: 0.02}
	if a.Config.Gateway == config.GatewaySandbox && !obs.InLambda() {
		a.Voice = sandboxvoice.New(clock, 1, *cmp.Or(profile, &sandboxvoice.DefaultProfile))
		a.Voice.SetSink(a.Dialer)
		a.Dialer.Offers = a.Voice
		voice.Fallback = a.Voice
	}
	jobs := &phonecampaign.QueueJobs{Queue: a.Queue, Dialer: a.Dialer}
	a.Dialer.Jobs = jobs
	a.Dispatcher.Phone = jobs
	return &phonecampaign.Service{Store: a.Store, Clock: clock, Dialing: a.Dialer}
}

// wireEvents builds event push: subscriptions and their test pings always;
// the sink and the deliverer where there is an events queue. Deliveries
// reach what brands configure, so they go through an egress client of
// their own, bounded by eventpush.DefaultTimeout.
func (a *App) wireEvents(clock parley.Clock, log *slog.Logger) {
	hc := xray.HTTPClient(a.Config.Egress().Client(eventpush.DefaultTimeout))
	deliverer := eventpush.NewDeliverer(a.Store, nil, hc, clock, log)
	a.EventSubscriptions = &eventsubs.Service{Store: a.Store, Clock: clock, Egress: a.Config.Egress(), Pinger: deliverer}
	a.API.EventSubscriptions = a.EventSubscriptions
	if a.EventQueue == nil {
		return
	}
	deliverer.Queue = a.EventQueue
	a.EventDelivery = deliverer
	a.EventSink = eventpush.NewSink(a.Store, a.EventQueue, a.eventBus, clock, log)
}

// Tokens returns the access token issuer and verifier cfg configures,
// checking the tokens of API clients against clients through a cache of
// auth.ClientCacheTTL: a revoked or rotated client's tokens stop verifying
// within that.
func Tokens(ctx context.Context, cfg config.Config, clock parley.Clock, clients auth.ClientReader) (*auth.Tokens, error) {
	tokens, err := signingkey.Tokens(ctx, cfg, clock)
	if err != nil {
		return nil, err
	}
	tokens.Clients = auth.NewClientCache(clients, auth.ClientCacheTTL, clock)
	return tokens, nil
}

// gateways is the channel router: each account's configured providers, and
// for channels an account has not configured, the sandbox when
// PARLEY_GATEWAY is sandbox (otherwise such a send fails as not
// configured).
func (a *App) gateways(clock parley.Clock, log *slog.Logger) *router.Router {
	var fallback gateway.Sender
	if a.Config.Gateway == config.GatewaySandbox {
		fallback = a.Sandbox
	}
	rt := router.New(a.Store, fallback)
	rt.Sandbox, rt.Devices, rt.Clock, rt.Log = a.Sandbox, a.Store, clock, log
	// Providers are reached at the hosts accounts configure: public
	// addresses only (loopback too with PARLEY_ALLOW_LOOPBACK_EGRESS).
	rt.HTTP = xray.HTTPClient(a.Config.Egress().Client(router.DefaultTimeout))
	rt.PublicURL = a.Config.WebhookBase()
	return rt
}

func (a *App) openEmbedded(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	sealer, err := keyfile.Load(cfg.DataDir)
	if err != nil {
		return err
	}
	s, err := storeembedded.Open(filepath.Join(cfg.DataDir, "store.db"), storeembedded.WithSealer(sealer))
	if err != nil {
		return err
	}
	a.Store, a.Outbox = s, s
	a.closers = append(a.closers, s.Close)
	a.lifecycle = func(ctx context.Context) error {
		for {
			n, err := s.PublishEvents(ctx, eventBatch, a.publishEvents)
			if err != nil || n < eventBatch {
				return err
			}
		}
	}
	q, err := queueembedded.Open(filepath.Join(cfg.DataDir, "queue.db"), queueembedded.Options{MaxReceiveCount: MaxReceiveCount})
	if err != nil {
		return err
	}
	a.Queue = q
	a.closers = append(a.closers, q.Close)
	// The data directory is this process's alone (its files are locked):
	// jobs a process that is gone had received come back at once, rather
	// than when their visibility timeout runs out.
	n, err := q.ReleaseHeld(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		log.InfoContext(ctx, "jobs an earlier process had received are back on the queue", "count", n)
	}
	events, err := queueembedded.Open(filepath.Join(cfg.DataDir, "events.db"), queueembedded.Options{MaxReceiveCount: MaxReceiveCount})
	if err != nil {
		return err
	}
	a.EventQueue = events
	a.closers = append(a.closers, events.Close)
	if _, err := events.ReleaseHeld(ctx); err != nil {
		return err
	}
	a.pacer = func(c parley.Clock) ratelimit.Backend { return local.New(c) }
	return nil
}

// WindowCheck is the periodic check (the scheduled function on AWS, a ticker
// in parley serve): it queues the scheduled recipients that fall due within
// the queue horizon, with the exact delay left, finishes interrupted
// fan-outs, and re-arms the pace chain of every active telephone campaign
// (a chain lost with a dead-lettered job resumes within a minute; one
// still running absorbs the extra round). On the embedded backend this process is the only writer, so at
// start-up fan-outs need no grace period.
func (a *App) WindowCheck(ctx context.Context, startup bool) error {
	grace := time.Minute
	if startup && a.Config.Backend == config.BackendEmbedded {
		grace = 0
	}
	n, err := a.Campaigns.EnqueueDue(ctx)
	if n > 0 {
		a.log.InfoContext(ctx, "window check", "queued", n)
	}
	return errors.Join(err, a.Campaigns.ResumeFanout(ctx, grace), a.Dialer.StartActive(ctx))
}

// Close releases the backend.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// Load builds the app from the environment, logging JSON to stdout: what
// every function's main does at cold start.
func Load(ctx context.Context) (*App, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, obs.NewLogger(os.Stdout, cfg.LogLevel))
}

// wireSignIn offers the webtool's sign-ins: the operator's identity
// provider when PARLEY_OIDC_ISSUER is set, and the local sign-in on the
// embedded backend alone. Sessions last the longest token lifetime, at
// most httpapi.DefaultSessionTTL.
func (a *App) wireSignIn(tokens *auth.Tokens, clock parley.Clock) error {
	in := &httpapi.SignIn{Local: a.Config.Backend == config.BackendEmbedded, Sessions: tokens,
		TTL: min(httpapi.DefaultSessionTTL, cmp.Or(a.Config.MaxTokenTTL, config.DefaultMaxTokenTTL(a.Config.Backend)))}
	if a.Config.OIDCIssuer != "" {
		p, err := oidc.New(oidc.Config{Issuer: a.Config.OIDCIssuer, ClientID: a.Config.OIDCClientID,
			ClientSecret: a.Config.OIDCClientSecret, AccountClaim: a.Config.OIDCAccountClaim,
			RoleClaim: a.Config.OIDCRoleClaim}, xray.HTTPClient(&http.Client{Timeout: 10 * time.Second}), clock)
		if err != nil {
			return err
		}
		in.OIDC = p
	}
	a.API.SignIn = in
	return nil
}
