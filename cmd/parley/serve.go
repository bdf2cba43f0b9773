package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/obs"
)

// fanoutCheckEvery is how often serve looks for interrupted fan-outs.
const fanoutCheckEvery = 30 * time.Second

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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return runServer(ctx, cfg, ln, obs.NewLogger(stderr, cfg.LogLevel))
}

// runServer serves on ln until ctx is done, then drains and closes.
func runServer(ctx context.Context, cfg config.Config, ln net.Listener, log *slog.Logger) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Handler: a.API.Handler(), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { a.Dispatcher.Run(ctx, a.Queue, cfg.Workers) })
	wg.Go(func() { checkFanout(ctx, a, log) })
	where := cfg.DataDir
	if cfg.Backend == config.BackendAWS {
		where = cfg.Table
	}
	log.Info("parley serving", "addr", ln.Addr().String(), "backend", cfg.Backend, "store", where, "gateway", cfg.Gateway)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil && err == nil {
		err = serr
	}
	wg.Wait()
	log.Info("parley stopped")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// checkFanout finishes interrupted fan-outs at start-up and then
// periodically, like the scheduled window-check function does on AWS.
func checkFanout(ctx context.Context, a *app.App, log *slog.Logger) {
	if err := a.ResumeFanout(ctx, true); err != nil {
		log.Error("fan-out check failed", "err", err)
	}
	t := time.NewTicker(fanoutCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.ResumeFanout(ctx, false); err != nil {
				log.Error("fan-out check failed", "err", fmt.Sprint(err))
			}
		}
	}
}
