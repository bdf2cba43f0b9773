// Package dynamo is the ratelimit adapter on Parley's DynamoDB table, shared
// by every dispatcher in every process: each key's TAT and scale live in one
// item (pk RATE#<account>#<channel>#<sender>, sk RATE, TTL expiresAt) of the
// single table that store/dynamo's EnsureTable describes.
//
// A reservation is one conditional UpdateItem whose condition compares the
// stored TAT with now, never with a value this process read before:
//
//   - when the key is idle (no TAT, or a TAT not after now) it sets the TAT
//     to now + n·T;
//   - when the key is backlogged (a TAT after now) it adds n·T to the stored
//     TAT on the server and reads the sum back.
//
// Exactly one of the two conditions holds for any stored state, so the
// guess, taken from the TAT this process saw last, only picks which request
// to try first. A wrong guess fails with the stored item in the error
// (ReturnValuesOnConditionCheckFailure ALL_OLD), which settles the choice
// without another read. Concurrent dispatchers therefore cost each other
// no retries once a key is backlogged, and usually at most one while it is
// idle; the usual Reserve is one request. Within a process, reservations for
// one key take turns, so they never compete with each other at all.
//
// A bounded reservation (ReserveScaledWithin) works out how many slots fit
// from the TAT this process saw last, and its backlogged write also holds
// the stored TAT to the latest from which that many still go within the
// bound (Schedule.Latest; always true when unbounded). TATs only grow, so
// the stored one is the one seen or later: when another process has booked
// past that latest TAT, the stored item in the error gives fewer slots,
// down to none, which is answered without a write. Only such a reservation,
// one that finds its bound partly taken, costs a retry on a backlogged key.
package dynamo

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	schema "github.com/parleyhq/parley/internal/store/dynamo"
)

// API is the part of *dynamodb.Client that Limiter uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// maxAttempts bounds the conditional writes of one call. Every failed
// condition reports a change another process made, and a reservation needs
// at most three even when the key turns from idle to backlogged meanwhile.
const maxAttempts = 16

// Update and condition expressions.
const (
	condIdle = "attribute_not_exists(" + attrTAT + ") OR " + attrTAT + " <= :now"
	// condBacklog leaves out a retry of the write that last took effect
	// (its token is the stored one); writes of other reservations add
	// their cost whatever the TAT up to :latest, from which the
	// reservation's slots still go within its bound, so processes
	// contend for a backlogged key only at a bound.
	condBacklog   = attrTAT + " > :now AND " + attrTAT + " <= :latest AND (attribute_not_exists(" + attrWrite + ") OR " + attrWrite + " <> :w)"
	condSameTAT   = attrTAT + " = :old"
	setIdle       = "SET " + attrTAT + " = :tat, " + attrWrite + " = :w, " + schema.AttrExpiresAt + " = :exp"
	setBacklog    = "SET " + attrTAT + " = " + attrTAT + " + :cost, " + attrWrite + " = :w, " + schema.AttrExpiresAt + " = :exp"
	condNoScale   = "attribute_not_exists(" + attrScale + ")"
	condSameScale = attrScale + " = :oldScale AND " + attrCut + " = :oldCut"
	setScale      = "SET " + attrScale + " = :scale, " + attrCut + " = :cut, " +
		schema.AttrExpiresAt + " = if_not_exists(" + schema.AttrExpiresAt + ", :exp)"
)

// errCondition marks a failed condition inside this package.
var errCondition = errors.New("condition failed")

// Limiter is a ratelimit.Scaler on one DynamoDB table.
type Limiter struct {
	db    API
	table string
	clock parley.Clock
	mu    sync.Mutex
	keys  map[ratelimit.Key]*entry
}

var _ ratelimit.Backend = (*Limiter)(nil)

// entry is this process's view of one key. Its lock is held, as a
// one-slot channel so that waiting honours ctx, across each request for the
// key; the fields below it are read and written only under it.
type entry struct {
	lock  chan struct{}
	known bool   // the item has been read or written by this process
	last  stored // the item as last seen
}

// New returns the limiter on the named table, reached through client
// (usually a *dynamodb.Client), timed by clock.
func New(client API, table string, clock parley.Clock) *Limiter {
	return &Limiter{db: client, table: table, clock: clock, keys: map[ratelimit.Key]*entry{}}
}

// Reserve implements ratelimit.Limiter.
func (l *Limiter) Reserve(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, error) {
	if err := ratelimit.Check(key, limit, n); err != nil {
		return time.Time{}, err
	}
	at, _, err := l.ReserveScaled(ctx, key, limit, n)
	return at, err
}

// ReserveScaled implements ratelimit.Scaler: it is ReserveScaledWithin
// with no bound.
func (l *Limiter) ReserveScaled(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, ratelimit.Scale, error) {
	at, _, scale, err := l.ReserveScaledWithin(ctx, key, limit, n, ratelimit.Unbounded)
	return at, scale, err
}

// ReserveScaledWithin implements ratelimit.Scaler in one conditional
// write. The slots that fit, and the scale applied, are worked out on the
// item as this process saw it last; the write holds the stored TAT to what
// they were worked out for, and the item it returns refreshes that view.
// A refusal is answered from that view without a request (after a first
// read when this process has none): the stored TAT may only be later, so
// the instant it names is, if anything, early.
func (l *Limiter) ReserveScaledWithin(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int, until time.Time) (time.Time, int, ratelimit.Scale, error) {
	if err := ratelimit.CheckSlots(key, limit, n); err != nil {
		return time.Time{}, 0, ratelimit.Scale{}, err
	}
	e, err := l.acquire(ctx, key)
	if err != nil {
		return time.Time{}, 0, ratelimit.Scale{}, err
	}
	defer e.release()
	for range maxAttempts {
		scale := e.last.scale
		sch := ratelimit.NewSchedule(limit, scale)
		now := l.clock.Now()
		_, at, k := sch.BookWithin(time.Unix(0, e.last.tat), now, until, n)
		switch {
		case k == 0 && !e.known:
			if e.last, err = l.get(ctx, key); err != nil {
				return time.Time{}, 0, ratelimit.Scale{}, err
			}
			e.known = true
			continue
		case k == 0:
			return at.UTC(), 0, scale, nil
		}
		token := writeToken()
		st, err := l.update(ctx, reserveUpdate(key, e.last.tat, now.UnixNano(), int64(sch.Cost(k)), sch.Latest(until, k).UnixNano(), token))
		if err != nil && !errors.Is(err, errCondition) {
			return time.Time{}, 0, ratelimit.Scale{}, err
		}
		e.known, e.last = true, st
		if err == nil || st.write == token {
			return sch.At(time.Unix(0, st.tat).UTC(), now), k, scale, nil
		}
	}
	return time.Time{}, 0, ratelimit.Scale{}, l.contended(key)
}

// reserveUpdate is the write that books cost nanoseconds of key's time at
// now, for a stored TAT guessed to be guess, on condition, when backlogged,
// that the stored TAT is no later than latest.
func reserveUpdate(key ratelimit.Key, guess, now, cost, latest int64, token string) *dynamodb.UpdateItemInput {
	values := item{":now": intNum(now), ":exp": expiry(max(guess, now) + cost), ":w": &types.AttributeValueMemberS{Value: token}}
	cond, set := condIdle, setIdle
	if guess > now {
		cond, set = condBacklog, setBacklog
		values[":cost"] = intNum(cost)
		values[":latest"] = intNum(latest)
	} else {
		values[":tat"] = intNum(now + cost)
	}
	return &dynamodb.UpdateItemInput{
		Key:                       itemKey(key),
		ConditionExpression:       aws.String(cond),
		UpdateExpression:          aws.String(set),
		ExpressionAttributeValues: values,
	}
}

// Admit implements ratelimit.Admitter. A refusal is decided on the TAT
// this process saw last (read first when it has seen none): TATs only grow,
// so one that refuses then refuses now, and costs no write. An admission
// is written on condition that the TAT is still the one it was decided on.
func (l *Limiter) Admit(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (bool, time.Time, error) {
	if err := ratelimit.Check(key, limit, n); err != nil {
		return false, time.Time{}, err
	}
	e, err := l.acquire(ctx, key)
	if err != nil {
		return false, time.Time{}, err
	}
	defer e.release()
	if !e.known {
		if e.last, err = l.get(ctx, key); err != nil {
			return false, time.Time{}, err
		}
		e.known = true
	}
	for range maxAttempts {
		now := l.clock.Now()
		tat, at, ok := ratelimit.NewSchedule(limit, e.last.scale).Admit(time.Unix(0, e.last.tat), now, n)
		if !ok {
			return false, at.UTC(), nil
		}
		token := writeToken()
		st, err := l.update(ctx, admitUpdate(key, e.last.tat, now.UnixNano(), tat.UnixNano(), token))
		if err != nil && !errors.Is(err, errCondition) {
			return false, time.Time{}, err
		}
		e.last = st
		if err == nil || st.write == token {
			return true, now, nil
		}
	}
	return false, time.Time{}, l.contended(key)
}

// admitUpdate is the write that moves key's TAT from old (as this process
// saw it) to tat, admitting a call at now.
func admitUpdate(key ratelimit.Key, old, now, tat int64, token string) *dynamodb.UpdateItemInput {
	values := item{":tat": intNum(tat), ":exp": expiry(tat), ":w": &types.AttributeValueMemberS{Value: token}}
	cond := condIdle
	if old > now {
		cond = condSameTAT
		values[":old"] = intNum(old)
	} else {
		values[":now"] = intNum(now)
	}
	return &dynamodb.UpdateItemInput{
		Key:                       itemKey(key),
		ConditionExpression:       aws.String(cond),
		UpdateExpression:          aws.String(setIdle),
		ExpressionAttributeValues: values,
	}
}

// Rescale implements ratelimit.Scaler. It writes on condition that the
// scale is still the one it changed, retrying from the stored one when not.
func (l *Limiter) Rescale(ctx context.Context, key ratelimit.Key, change func(ratelimit.Scale) ratelimit.Scale) (ratelimit.Scale, error) {
	if err := key.Validate(); err != nil {
		return ratelimit.Scale{}, err
	}
	e, err := l.acquire(ctx, key)
	if err != nil {
		return ratelimit.Scale{}, err
	}
	defer e.release()
	if !e.known {
		if e.last, err = l.get(ctx, key); err != nil {
			return ratelimit.Scale{}, err
		}
		e.known = true
	}
	for range maxAttempts {
		next := change(e.last.scale).Clamped()
		if next.Equal(e.last.scale) {
			return e.last.scale, nil
		}
		st, err := l.update(ctx, scaleUpdate(key, e.last, next, l.clock.Now()))
		if err != nil && !errors.Is(err, errCondition) {
			return ratelimit.Scale{}, err
		}
		e.last = st
		if err == nil {
			return st.scale, nil
		}
	}
	return ratelimit.Scale{}, l.contended(key)
}

// scaleUpdate is the write that replaces the scale of old with next.
func scaleUpdate(key ratelimit.Key, old stored, next ratelimit.Scale, now time.Time) *dynamodb.UpdateItemInput {
	values := item{
		":scale": floatNum(next.Factor),
		":cut":   intNum(unixNano(next.CutAt)),
		":exp":   expiry(max(old.tat, now.UnixNano())),
	}
	cond := condNoScale
	if old.scale.Factor != 0 {
		cond = condSameScale
		values[":oldScale"] = floatNum(old.scale.Factor)
		values[":oldCut"] = intNum(unixNano(old.scale.CutAt))
	}
	return &dynamodb.UpdateItemInput{
		Key:                       itemKey(key),
		ConditionExpression:       aws.String(cond),
		UpdateExpression:          aws.String(setScale),
		ExpressionAttributeValues: values,
	}
}

// writeToken returns a token that tells one reservation's write from every
// other's.
func writeToken() string {
	var b [8]byte
	_, _ = cryptorand.Read(b[:]) // crypto/rand never fails
	return hex.EncodeToString(b[:])
}

// acquire returns key's entry with its lock held.
func (l *Limiter) acquire(ctx context.Context, key ratelimit.Key) (*entry, error) {
	l.mu.Lock()
	e, ok := l.keys[key]
	if !ok {
		e = &entry{lock: make(chan struct{}, 1)}
		l.keys[key] = e
	}
	l.mu.Unlock()
	select {
	case e.lock <- struct{}{}:
		return e, nil
	case <-ctx.Done():
		return nil, parley.Wrap(parley.EUNAVAILABLE, ctx.Err(), "rate limit %s: waiting for this process's turn", key)
	}
}

func (e *entry) release() { <-e.lock }

// update runs a conditional UpdateItem and returns the item after it. When
// the condition fails it returns the item as stored and errCondition.
func (l *Limiter) update(ctx context.Context, in *dynamodb.UpdateItemInput) (stored, error) {
	in.TableName = &l.table
	in.ReturnValues = types.ReturnValueAllNew
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := l.db.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed) && failed.Item != nil:
		return l.decoded(failed.Item, errCondition)
	case errors.As(err, &failed):
		// Absent, or a backend that does not return the old item.
		old, err := l.getItem(ctx, in.Key)
		if err != nil {
			return stored{}, err
		}
		return l.decoded(old, errCondition)
	case err != nil:
		return stored{}, l.unavailable(err, "UpdateItem")
	}
	return l.decoded(out.Attributes, nil)
}

// decoded is decode(av), with err when av decodes.
func (l *Limiter) decoded(av item, err error) (stored, error) {
	st, derr := decode(av)
	if derr != nil {
		return stored{}, derr
	}
	return st, err
}

// get reads key's item with a consistent read.
func (l *Limiter) get(ctx context.Context, key ratelimit.Key) (stored, error) {
	av, err := l.getItem(ctx, itemKey(key))
	if err != nil {
		return stored{}, err
	}
	return decode(av)
}

func (l *Limiter) getItem(ctx context.Context, key item) (item, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &l.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, l.unavailable(err, "GetItem")
	}
	return out.Item, nil
}

func (l *Limiter) unavailable(err error, op string) error {
	return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb %s %s", op, l.table)
}

func (l *Limiter) contended(key ratelimit.Key) error {
	err := fmt.Errorf("%d conditional writes failed", maxAttempts)
	return parley.Wrap(parley.EUNAVAILABLE, err, "rate limit %s on %s", key, l.table)
}
