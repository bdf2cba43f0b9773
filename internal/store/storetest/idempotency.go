package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Idempotency is the contract of store.Idempotency. Every call of a case
// shares the fixed instant t0 and offsets from it.
func Idempotency(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	ctx := context.Background()
	reservation := func(account, key, fingerprint, owner string, now time.Time) parley.IdempotencyRecord {
		return parley.IdempotencyRecord{AccountID: account, Key: key, Fingerprint: fingerprint, Owner: owner,
			LeaseUntil: now.Add(parley.IdempotencyLease), ExpiresAt: now.Add(parley.IdempotencyTTL)}
	}
	begin := func(t *testing.T, s store.Store, rec parley.IdempotencyRecord, now time.Time, wantReserved bool) parley.IdempotencyRecord {
		t.Helper()
		existing, reserved, err := s.BeginIdempotent(ctx, rec, now)
		if err != nil || reserved != wantReserved {
			t.Fatalf("BeginIdempotent(%s %q, owner %s) = reserved %t, %v; want %t", rec.AccountID, rec.Key, rec.Owner, reserved, err, wantReserved)
		}
		return existing
	}
	finish := func(t *testing.T, s store.Store, rec parley.IdempotencyRecord, status int, body []byte) {
		t.Helper()
		rec.Status, rec.ContentType, rec.Body = status, "application/json", body
		if err := s.FinishIdempotent(ctx, rec); err != nil {
			t.Fatalf("FinishIdempotent(%q, owner %s): %v", rec.Key, rec.Owner, err)
		}
	}

	t.Run("BeginFinishReplay", func(t *testing.T) {
		s := newStore(t)
		rec := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, rec, t0, true)
		pending := begin(t, s, reservation("acct1", "key-1", "fp1", "owner-b", t0), t0.Add(time.Second), false)
		if pending.State != parley.IdempotencyPending || pending.Fingerprint != "fp1" || pending.Owner != "owner-a" {
			t.Errorf("while running = %+v, want owner-a's reservation", pending)
		}
		body := []byte(`{"proactiveCampaignId":"c1","acceptedConsumers":[{"consumerContent":{"sms":"+12025550101"}}]}`)
		finish(t, s, rec, 202, body)
		done := begin(t, s, reservation("acct1", "key-1", "fp1", "owner-c", t0), t0.Add(time.Hour), false)
		if done.State != parley.IdempotencyDone || done.Status != 202 || done.ContentType != "application/json" || !bytes.Equal(done.Body, body) || done.Fingerprint != "fp1" {
			t.Errorf("replay = %+v (%s), want the answer", done, done.Body)
		}
		if !done.Live(t0.Add(parley.IdempotencyTTL-time.Second)) || done.Live(t0.Add(parley.IdempotencyTTL)) {
			t.Errorf("replay expires at %v, want %v", done.ExpiresAt, t0.Add(parley.IdempotencyTTL))
		}
	})

	t.Run("FingerprintKept", func(t *testing.T) {
		s := newStore(t)
		rec := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, rec, t0, true)
		finish(t, s, rec, 201, []byte(`{}`))
		other := begin(t, s, reservation("acct1", "key-1", "fp2", "owner-b", t0), t0, false)
		if other.Fingerprint != "fp1" {
			t.Errorf("fingerprint = %q, want the first request's fp1", other.Fingerprint)
		}
	})

	t.Run("AccountsIndependent", func(t *testing.T) {
		s := newStore(t)
		begin(t, s, reservation("acct1", "key-1", "fp1", "owner-a", t0), t0, true)
		begin(t, s, reservation("acct2", "key-1", "fp1", "owner-b", t0), t0, true)
	})

	t.Run("LeaseTakeover", func(t *testing.T) {
		s := newStore(t)
		first := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, first, t0, true)
		later := t0.Add(parley.IdempotencyLease - time.Millisecond)
		begin(t, s, reservation("acct1", "key-1", "fp1", "owner-b", later), later, false)
		expired := t0.Add(parley.IdempotencyLease)
		second := reservation("acct1", "key-1", "fp1", "owner-b", expired)
		begin(t, s, second, expired, true)
		first.Status, first.Body = 202, []byte(`{"late":true}`)
		if err := s.FinishIdempotent(ctx, first); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("the overtaken owner's FinishIdempotent = %v, want ECONFLICT", err)
		}
		if err := s.ReleaseIdempotent(ctx, "acct1", "key-1", "owner-a"); err != nil {
			t.Fatalf("the overtaken owner's ReleaseIdempotent: %v", err)
		}
		finish(t, s, second, 202, []byte(`{"second":true}`))
		got := begin(t, s, reservation("acct1", "key-1", "fp1", "owner-c", expired), expired, false)
		if string(got.Body) != `{"second":true}` {
			t.Errorf("answer = %s, want the second owner's", got.Body)
		}
	})

	t.Run("Release", func(t *testing.T) {
		s := newStore(t)
		rec := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, rec, t0, true)
		if err := s.ReleaseIdempotent(ctx, "acct1", "key-1", "owner-x"); err != nil {
			t.Fatal(err)
		}
		begin(t, s, reservation("acct1", "key-1", "fp1", "owner-b", t0), t0, false)
		if err := s.ReleaseIdempotent(ctx, "acct1", "key-1", "owner-a"); err != nil {
			t.Fatal(err)
		}
		rec.Status, rec.Body = 202, []byte(`{}`)
		if err := s.FinishIdempotent(ctx, rec); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("FinishIdempotent after release = %v, want ECONFLICT", err)
		}
		begin(t, s, reservation("acct1", "key-1", "fp2", "owner-b", t0), t0, true)
		if err := s.ReleaseIdempotent(ctx, "acct1", "absent", "owner-a"); err != nil {
			t.Errorf("ReleaseIdempotent of an absent key: %v", err)
		}
	})

	t.Run("ExpiresAfterTTL", func(t *testing.T) {
		s := newStore(t)
		rec := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, rec, t0, true)
		finish(t, s, rec, 202, []byte(`{"first":true}`))
		almost := t0.Add(parley.IdempotencyTTL - time.Second)
		begin(t, s, reservation("acct1", "key-1", "fp1", "owner-b", almost), almost, false)
		day := t0.Add(parley.IdempotencyTTL)
		next := reservation("acct1", "key-1", "fp2", "owner-b", day)
		begin(t, s, next, day, true)
		finish(t, s, next, 201, []byte(`{"next":true}`))
		got := begin(t, s, reservation("acct1", "key-1", "fp2", "owner-c", day), day.Add(time.Minute), false)
		if got.Fingerprint != "fp2" || string(got.Body) != `{"next":true}` {
			t.Errorf("after a day = %+v (%s), want the new request's record", got, got.Body)
		}
	})

	t.Run("ConcurrentBegin", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		var reserved atomic.Int32
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := s.BeginIdempotent(ctx, reservation("acct1", "key-1", "fp1", fmt.Sprint("owner-", i), t0), t0)
				if err != nil {
					t.Errorf("BeginIdempotent: %v", err)
				}
				if ok {
					reserved.Add(1)
				}
			}()
		}
		wg.Wait()
		if got := reserved.Load(); got != 1 && !(opt.Racy && got > 1) {
			t.Errorf("%d of %d concurrent begins reserved the key, want 1", got, n)
		}
	})

	t.Run("LargeAnswer", func(t *testing.T) {
		s := newStore(t)
		// Incompressible: the sealed answer spans several items on DynamoDB.
		body := make([]byte, 1<<20)
		r := rand.New(rand.NewChaCha8([32]byte{1}))
		for i := range body {
			body[i] = byte(r.Uint32())
		}
		rec := reservation("acct1", "key-1", "fp1", "owner-a", t0)
		begin(t, s, rec, t0, true)
		finish(t, s, rec, 202, body)
		got := begin(t, s, reservation("acct1", "key-1", "fp1", "owner-b", t0), t0, false)
		if !bytes.Equal(got.Body, body) {
			t.Errorf("answer = %d bytes, want the %d stored", len(got.Body), len(body))
		}
	})
}
