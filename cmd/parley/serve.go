package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/obs"
)

// windowCheckEvery is how often serve runs the window check (the deployed
// function runs every minute).
const windowCheckEvery = 20 * time.Second

// eventWorkers is how many pollers of the events queue serve runs; each
// delivers up to eventpush.DefaultConcurrency events at once.
const eventWorkers = 2

func serve(args []string, stderr io.Writer) error {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (PARLEY_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory of the embedded backend (PARLEY_DATA_DIR)")
	fs.StringVar(&cfg.Backend, "backend", cfg.Backend, "embedded or aws (PARLEY_BACKEND)")
	voice := fs.String("voice", "", "the simulated calls of the sandbox voice gateway: name=value pairs over the default profile, e.g. live=0.3,machine=0.15,busy=0.05,ring=12s,ringout=30s,talk=90s,wrap=15s")
	clockAt := fs.String("clock", "", "start the server's clock at this RFC 3339 instant and let it run, to see what campaigns would do then (embedded backend only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	offset, err := clockOffset(*clockAt, cfg.Backend, time.Now())
	if err != nil {
		return err
	}
	profile, err := sandboxvoice.ParseProfile(*voice)
	if err != nil {
		return err
	}
	opts := []app.Option{app.WithVoiceProfile(profile)}
	if offset != 0 {
		opts = append(opts, app.WithClock(offsetClock(offset)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return runServer(ctx, cfg, ln, obs.NewLogger(stderr, cfg.LogLevel), opts...)
}

// runServer serves on ln until ctx is done, then stops: no new recipient
// is claimed, sends and requests in flight get dispatch.StopGrace to
// finish, and it returns.
func runServer(ctx context.Context, cfg config.Config, ln net.Listener, log *slog.Logger, opts ...app.Option) error {
	a, err := app.New(ctx, cfg, log, opts...)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := httpServer(a.API.Handler())
	var wg sync.WaitGroup
	wg.Go(func() { a.Dispatcher.Run(ctx, a.Queue, cfg.Workers) })
	wg.Go(func() { windowCheck(ctx, a, log) })
	if a.Voice != nil {
		wg.Go(func() { simulateCalls(ctx, a, log) })
	}
	if a.FoldsLifecycle() {
		wg.Go(func() {
			every(ctx, time.Second, func() {
				if err := a.FoldLifecycle(ctx); err != nil {
					log.Warn("lifecycle events were not published (or the stream not folded into the analytics counters); they are handed again", "err", err)
				}
			})
		})
	}
	if a.EventDelivery != nil {
		// Deliveries to brands' webhooks poll a queue of their own, so a
		// slow or dead endpoint never holds up a send.
		wg.Go(func() { a.EventDelivery.Run(ctx, a.EventQueue, eventWorkers) })
	}
	where := cfg.DataDir
	if cfg.Backend == config.BackendAWS {
		where = cfg.Table
	}
	log.Info("parley serving", "addr", ln.Addr().String(), "backend", cfg.Backend, "store", where, "gateway", cfg.Gateway)
	// A clock of its own (serve --clock, or a test's) is recorded to the
	// second, for the tokens the other commands mint.
	now := a.Campaigns.Clock.Now()
	offset := now.Sub(time.Now()).Round(time.Second)
	if offset != 0 {
		log.Warn("the server's clock is not the wall clock", "now", now.Format(time.RFC3339))
	}
	data, _ := filepath.Abs(cfg.DataDir)
	unrecord, err := writeRecord(servingRecord{Addr: ln.Addr().String(), DataDir: data, Backend: cfg.Backend, PID: os.Getpid(), ClockOffset: offset})
	if err != nil {
		log.Warn("the other parley commands will not find this server by themselves", "err", err)
		unrecord = func() {}
	}
	defer unrecord()
	if cfg.AllowLoopbackEgress {
		log.Warn("loopback egress allowed (PARLEY_ALLOW_LOOPBACK_EGRESS): accounts' URLs may reach this machine")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	// Requests in flight get as long as sends in flight (dispatch.StopGrace),
	// so the process is gone within 2 s of the signal.
	shutdown, cancel := context.WithTimeout(context.Background(), dispatch.StopGrace)
	defer cancel()
	if serr := srv.Shutdown(shutdown); errors.Is(serr, context.DeadlineExceeded) {
		log.Warn("requests still in flight at the stop were cut off")
		_ = srv.Close()
	} else if serr != nil && err == nil {
		err = serr
	}
	wg.Wait()
	log.Info("parley stopped")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// windowCheck runs the window check at start-up and then on a ticker, as
// the scheduled function does on AWS.
func windowCheck(ctx context.Context, a *app.App, log *slog.Logger) {
	if err := a.WindowCheck(ctx, true); err != nil {
		log.Error("window check failed", "err", err)
	}
	every(ctx, windowCheckEvery, func() {
		if err := a.WindowCheck(ctx, false); err != nil {
			log.Error("window check failed", "err", err)
		}
	})
}

// simulateCalls delivers the simulated voice gateway's events as they
// fall due, as Twilio's status webhooks would arrive.
func simulateCalls(ctx context.Context, a *app.App, log *slog.Logger) {
	every(ctx, 250*time.Millisecond, func() {
		if _, err := a.Voice.Fire(ctx); err != nil {
			log.Warn("a simulated call event failed; it is delivered again", "err", err)
		}
	})
}

// every runs f every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// httpServer serves h with every timeout set, so that no client can hold a
// connection open by trickling its headers or body, or by never reading
// the answer. A 32 MiB upload must arrive within ReadTimeout.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
