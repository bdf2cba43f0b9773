package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
)

func TestWait(t *testing.T) {
	hourly := ratelimit.Limit{Rate: ratelimit.MinRate, Burst: 1}
	fast := ratelimit.Limit{Rate: 500, Burst: 1}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	// Each case waits twice on a fresh key: the first takes the burst, the
	// second needs the next slot. A case whose first wait fails stops there.
	cases := []struct {
		name          string
		limit         ratelimit.Limit
		ctx           func() (context.Context, context.CancelFunc)
		first, second error
	}{
		{"sleeps until the slot", fast, background, nil, nil},
		{"deadline before the slot", hourly, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}, nil, context.DeadlineExceeded},
		{"cancelled while sleeping", hourly, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(10*time.Millisecond, cancel)
			return ctx, cancel
		}, nil, context.Canceled},
		{"cancelled before", fast, func() (context.Context, context.CancelFunc) {
			return cancelled, func() {}
		}, context.Canceled, nil},
		{"invalid", ratelimit.Limit{Rate: 10}, background, errInvalid, nil},
	}
	l := local.New(parley.SystemClock{})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			key := ratelimit.Key{AccountID: "acct1", Channel: parley.ChannelSMS, Sender: string(rune('a' + i))}
			err := ratelimit.Wait(ctx, l, key, tc.limit, 1)
			if !matches(err, tc.first) {
				t.Fatalf("first Wait = %v, want %v", err, tc.first)
			}
			if tc.first != nil {
				return
			}
			if err := ratelimit.Wait(ctx, l, key, tc.limit, 1); !matches(err, tc.second) {
				t.Errorf("second Wait = %v, want %v", err, tc.second)
			}
		})
	}
}

// errInvalid stands for any EINVALID error in a want.
var errInvalid = errors.New("an EINVALID error")

func matches(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errInvalid:
		return parley.ErrorCode(err) == parley.EINVALID
	}
	return errors.Is(err, want)
}

func background() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
