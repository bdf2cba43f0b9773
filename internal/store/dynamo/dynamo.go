// Package dynamo is the store.Store adapter on one DynamoDB table.
//
// Single-table design: a campaign item (sk CAMPAIGN) and its recipient items
// (sk R#<recipient id>), written at intake in chunks (sk RC#<n>, see
// chunks.go) whose first changes go to a ledger per chunk (sk RL#<n>, see
// ledger.go), share the partition ACCOUNT#<account>#CAMPAIGN#<id>;
// sandbox messages live in the partition SANDBOX sorted by time. The sparse
// index IndexFanout lists the campaigns whose fan-out is incomplete; the
// sparse index IndexDue lists the SCHEDULED recipients by due time, spread
// over DueShards partitions. The schema constants and CreateTableInput
// describe the table.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

// API is the part of *dynamodb.Client that Table uses, so that a wrapper (a
// request counter, a fault injector) can stand in for the client.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Table is a store.Store on one DynamoDB table with the schema EnsureTable
// creates.
type Table struct {
	db     API
	name   string
	sealer parley.Sealer
	// chunks keeps the recipient chunks read (see chunks.go).
	chunks *chunkCache
	// ledgers keeps the ledger changes seen (see ledger.go).
	ledgers *ledgerCache
	// noLedgerWrites puts every first change as the recipient's item, as
	// releases before ledgers did (see WithoutLedgerWrites).
	noLedgerWrites bool
}

var (
	_ store.Store      = (*Table)(nil)
	_ store.Campaigns  = (*Table)(nil)
	_ store.Recipients = (*Table)(nil)
	_ store.Accounts   = (*Table)(nil)
	_ store.Templates  = (*Table)(nil)
)

// Option configures a Table.
type Option func(*Table)

// WithSealer has the table seal the provider credentials and connector
// secrets it keeps with s. A table without a Sealer refuses to store or
// read them, and serves everything else.
func WithSealer(s parley.Sealer) Option {
	return func(t *Table) { t.sealer = s }
}

// WithoutLedgerWrites has the table put a recipient's first change as its
// item, as releases before ledgers did, rather than write the chunk's
// ledger (ledger.go); it still reads ledgers. A process of such a release
// reads no ledger, so while one may run beside this one (during an
// upgrade from it), first changes must not go to ledgers: it would take a
// recipient a ledger claimed for QUEUED, and claim it again.
func WithoutLedgerWrites() Option {
	return func(t *Table) { t.noLedgerWrites = true }
}

// New returns the store on the named table, reached through client (usually
// a *dynamodb.Client).
func New(client API, table string, opts ...Option) *Table {
	t := &Table{db: client, name: table, chunks: &chunkCache{}, ledgers: &ledgerCache{}}
	for _, opt := range opts {
		opt(t)
	}
	return t
}

// Batch writes: DynamoDB takes at most 25 items per BatchWriteItem, and
// items it leaves unprocessed are retried with backoff. A campaign's
// recipients are written by batchWriters requests at once.
const (
	batchWriters   = 16
	batchSize      = 25
	batchAttempts  = 8
	batchBaseDelay = 25 * time.Millisecond
	batchMaxDelay  = time.Second
)

// Expressions used by more than one operation.
const (
	condExists      = "attribute_exists(" + AttrPK + ")"
	condNotExists   = "attribute_not_exists(" + AttrPK + ")"
	keyIsPartition  = AttrPK + " = :pk"
	recipientsQuery = keyIsPartition + " AND begins_with(" + AttrSK + ", :prefix)"
)

// errCondition marks a failed ConditionExpression inside this package.
var errCondition = errors.New("condition failed")

func (t *Table) unavailable(err error, op string) error {
	return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb %s %s", op, t.name)
}

func notFound(what, id string) error {
	return parley.Errorf(parley.ENOTFOUND, "%s %s not found", what, id)
}

// get reads one item with a consistent read; it is nil when absent.
func (t *Table) get(ctx context.Context, key item) (item, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, t.unavailable(err, "GetItem")
	}
	return out.Item, nil
}

// peek is get with an eventually consistent read, at half the capacity:
// for checks that a read a second stale cannot make unsafe.
func (t *Table) peek(ctx context.Context, key item) (item, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key})
	if err != nil {
		return nil, t.unavailable(err, "GetItem")
	}
	return out.Item, nil
}

// mustGet is get with ENOTFOUND for an absent item.
func (t *Table) mustGet(ctx context.Context, key item, what, id string) (item, error) {
	av, err := t.get(ctx, key)
	if err == nil && av == nil {
		err = notFound(what, id)
	}
	return av, err
}

// put writes one item; a failed condition is errCondition.
func (t *Table) put(ctx context.Context, v any, condition *string) error {
	av, err := encode(v)
	if err != nil {
		return err
	}
	_, err = t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: av, ConditionExpression: condition})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return errCondition
	case err != nil:
		return t.unavailable(err, "PutItem")
	}
	return nil
}

// update runs a conditional UpdateItem and returns the item after it. When the
// condition fails it returns the item as stored (nil if absent) and
// errCondition.
func (t *Table) update(ctx context.Context, in *dynamodb.UpdateItemInput) (item, error) {
	in.TableName = &t.name
	in.ReturnValues = types.ReturnValueAllNew
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := t.db.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed) && failed.Item != nil:
		return failed.Item, errCondition
	case errors.As(err, &failed):
		// Absent, or a backend that does not return the old item.
		old, err := t.get(ctx, in.Key)
		if err != nil {
			return nil, err
		}
		return old, errCondition
	case err != nil:
		return nil, t.unavailable(err, "UpdateItem")
	}
	return out.Attributes, nil
}

// query runs in to the end, or until it has limit items when limit > 0.
func (t *Table) query(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]item, error) {
	in.TableName = &t.name
	var out []item
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(out)))
		}
		page, err := t.db.Query(ctx, in)
		if err != nil {
			return nil, t.unavailable(err, "Query")
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// CreateCampaign implements store.Campaigns. It writes the recipients first,
// batchWriters BatchWriteItem requests at once, and the campaign last,
// conditional on its absence, so a campaign is never visible without its
// recipients. A concurrent create of the same campaign may still overwrite
// the winner's recipients; a sequential one may not.
func (t *Table) CreateCampaign(ctx context.Context, c parley.Campaign, rs []parley.Recipient) error {
	existing, err := t.get(ctx, campaignKey(c.AccountID, c.ID))
	if err != nil {
		return err
	}
	if existing != nil {
		return campaignExists(c.ID)
	}
	rs = slices.Clone(rs)
	for i := range rs {
		c.TakeIn(&rs[i])
	}
	if err := t.putRecipients(ctx, rs); err != nil {
		return err
	}
	err = t.put(ctx, newCampaignItem(c), aws.String(condNotExists))
	if errors.Is(err, errCondition) {
		return campaignExists(c.ID)
	}
	return err
}

func campaignExists(id string) error {
	return parley.Errorf(parley.ECONFLICT, "campaign %s exists", id)
}

// putRecipients writes rs, in chunks where it can (see recipientWrites),
// in batches of batchSize items, batchWriters at once. It stops at the
// first failure and returns it; other batches may have been written. Every
// item is encoded before any is written.
func (t *Table) putRecipients(ctx context.Context, rs []parley.Recipient) error {
	reqs, err := recipientWrites(rs)
	if err != nil {
		return err
	}
	return t.batchWriteAll(ctx, slices.Collect(slices.Chunk(reqs, batchSize)))
}

// batchWriteAll writes batches, batchWriters at a time, and returns the
// first failure; after one, no further batch is started.
func (t *Table) batchWriteAll(ctx context.Context, batches [][]types.WriteRequest) error {
	err := run.Each(ctx, batchWriters, batches, t.batchWrite)
	if err != nil && err == ctx.Err() { // ctx ended, not a batch write (those are wrapped)
		return t.unavailable(err, "BatchWriteItem")
	}
	return err
}

// batchWrite writes at most batchSize items, retrying unprocessed ones.
func (t *Table) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := range batchAttempts {
		if attempt > 0 {
			if err := run.Sleep(ctx, backoff(attempt)); err != nil {
				return t.unavailable(err, "BatchWriteItem")
			}
		}
		out, err := t.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{t.name: reqs},
		})
		if err != nil {
			return t.unavailable(err, "BatchWriteItem")
		}
		if reqs = out.UnprocessedItems[t.name]; len(reqs) == 0 {
			return nil
		}
	}
	err := fmt.Errorf("%d items unprocessed after %d attempts", len(reqs), batchAttempts)
	return t.unavailable(err, "BatchWriteItem")
}

// backoff is the jittered, capped exponential delay before retry attempt.
func backoff(attempt int) time.Duration {
	d := min(batchBaseDelay<<(attempt-1), batchMaxDelay)
	return d/2 + rand.N(d/2+1)
}

// Campaign implements store.Campaigns.
func (t *Table) Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	av, err := t.mustGet(ctx, campaignKey(accountID, campaignID), "campaign", campaignID)
	if err != nil {
		return parley.Campaign{}, err
	}
	return decode[campaignItem](av)
}

// SetFannedOut implements store.Campaigns. Most calls leave fan-out incomplete,
// so it first tries the update that keeps the campaign in the fanout index,
// and only when that fails the one that completes fan-out.
func (t *Table) SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error {
	key := campaignKey(accountID, campaignID)
	_, err := t.update(ctx, fannedOutUpdate(key, n, false))
	if !errors.Is(err, errCondition) {
		return err
	}
	old, err := t.update(ctx, fannedOutUpdate(key, n, true))
	switch {
	case errors.Is(err, errCondition) && old == nil:
		return notFound("campaign", campaignID)
	case errors.Is(err, errCondition):
		return nil // fannedOut is at n or beyond already
	}
	return err
}

// fannedOutUpdate raises fannedOut to n, only while n is below the campaign's
// recipients or, if completes, only when n reaches them; then it also takes
// the campaign out of the fanout index.
func fannedOutUpdate(key item, n int, completes bool) *dynamodb.UpdateItemInput {
	expr, cmp := "SET fannedOut = :n", ">"
	if completes {
		expr, cmp = "SET fannedOut = :n REMOVE "+AttrFanoutPending, "<="
	}
	return &dynamodb.UpdateItemInput{
		Key:                       key,
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(condExists + " AND fannedOut < :n AND recipients " + cmp + " :n"),
		ExpressionAttributeValues: item{":n": num(n)},
	}
}

// SetCampaignState implements store.Campaigns. A campaign stored before it had
// a state is active.
func (t *Table) SetCampaignState(ctx context.Context, accountID, campaignID string, from []parley.CampaignState, to parley.CampaignState, at time.Time) (parley.Campaign, error) {
	values := item{":to": str(stateValue(to)), ":at": timeValue(at.UTC())}
	var in []string
	for i, f := range from {
		name := ":f" + strconv.Itoa(i)
		values[name] = str(stateValue(f))
		in = append(in, name)
	}
	cond := "attribute_exists(pk) AND (#state IN (" + strings.Join(in, ", ") + ")"
	if slices.Contains(from, parley.StateActive) {
		cond += " OR attribute_not_exists(#state)"
	}
	if len(in) == 0 {
		cond = "attribute_exists(pk) AND attribute_not_exists(pk)" // nothing may change
	} else {
		cond += ")"
	}
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key: campaignKey(accountID, campaignID), UpdateExpression: aws.String("SET #state = :to, stateChangedAt = :at"),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: values,
	})
	conflict := errors.Is(err, errCondition)
	switch {
	case conflict && av == nil:
		return parley.Campaign{}, notFound("campaign", campaignID)
	case err != nil && !conflict:
		return parley.Campaign{}, err
	}
	c, err := decode[campaignItem](av)
	if err != nil || !conflict {
		return c, err
	}
	return c, parley.Errorf(parley.ECONFLICT, "campaign %s is %s", campaignID, stateValue(c.State))
}

// PendingFanout implements store.Campaigns.
func (t *Table) PendingFanout(ctx context.Context) ([]parley.Campaign, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexFanout),
		KeyConditionExpression:    aws.String(AttrFanoutPending + " = :pending"),
		ExpressionAttributeValues: item{":pending": str(FanoutPendingValue)},
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[campaignItem](avs)
}

// Recipients implements store.Recipients.
func (t *Table) Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error) {
	pk := campaignPK(accountID, campaignID)
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(pk), ":prefix": str(recipientSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}
	if afterSeq > 0 {
		in.ExclusiveStartKey = itemKey(pk, recipientSK(parley.RecipientID(afterSeq)))
	}
	limit = min(max(limit, 1), store.MaxPage)
	avs, err := t.query(ctx, in, limit)
	if err != nil {
		return nil, err
	}
	items, err := decodeAll[recipientItem](avs)
	if err != nil {
		return nil, err
	}
	entries, err := t.chunkEntries(ctx, accountID, campaignID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	if entries, err = t.withLedgers(ctx, pk, entries); err != nil {
		return nil, err
	}
	return mergeRecipients(items, entries, limit), nil
}

// Recipient implements store.Recipients: the recipient's item, or its
// chunk's entry with its ledger change while it has none.
func (t *Table) Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error) {
	av, err := t.get(ctx, recipientKey(ref))
	if err != nil {
		return parley.Recipient{}, err
	}
	if av != nil {
		return decode[recipientItem](av)
	}
	r, ok, err := t.chunked(ctx, ref)
	if err == nil && !ok {
		err = notFound("recipient", ref.RecipientID)
	}
	return r, err
}

// UpdateRecipient implements store.Recipients. A change whose DueAt lies outside
// the years 0000 to 9999 is EINVALID. The first change of a recipient that
// is still only its chunk's entry goes to the chunk's ledger or puts the
// recipient's item (see firstChange); the others update the item.
func (t *Table) UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error) {
	if r, done, err := t.firstChange(ctx, ref, change); done {
		return r, err
	}
	return t.updateItem(ctx, ref, change)
}

// updateItem applies change to the recipient's item. When it has none, the
// recipient is its chunk's entry with its ledger change, if any: a change
// that these allow puts the item (or, when the entry is as intake wrote
// it, goes to the ledger).
func (t *Table) updateItem(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error) {
	in, err := recipientUpdate(ref, change)
	if err != nil {
		return parley.Recipient{}, err
	}
	if r, done, err := t.afterLedger(ctx, ref, change); done {
		return r, err
	}
	for range 3 {
		av, err := t.update(ctx, in)
		conflict := errors.Is(err, errCondition)
		switch {
		case conflict && av == nil:
			// No item: the recipient is its chunk's entry, if it has one.
			r, ok, err := t.chunked(ctx, ref)
			switch {
			case err != nil:
				return parley.Recipient{}, err
			case !ok:
				return parley.Recipient{}, notFound("recipient", ref.RecipientID)
			case !change.Allows(r):
				return r, parley.Errorf(parley.ECONFLICT, "recipient %s is %s", ref.RecipientID, r.Status)
			case t.ledgerable(change) && fromIntake(r.Status):
				if r, done, err := t.ledgerChange(ctx, ref, change); done {
					return r, err
				}
				continue
			}
			if r, done, err := t.putFirst(ctx, r, change); done {
				return r, err
			}
			continue // put meanwhile: its item takes the change
		case err != nil && !conflict:
			return parley.Recipient{}, err
		}
		r, err := decode[recipientItem](av)
		if err != nil || !conflict {
			return r, err
		}
		return r, parley.Errorf(parley.ECONFLICT, "recipient %s is %s", ref.RecipientID, r.Status)
	}
	return parley.Recipient{}, parley.Errorf(parley.EUNAVAILABLE, "recipient %s changed concurrently; try again", ref.RecipientID)
}

// ClaimRange implements store.Recipients: with a claim that the ledger
// can hold, the recipients of each chunk that are still its entries in
// one write of the chunk's ledger (see claimChunk); those with items, and
// all of them for another change, with the conditional write of
// UpdateRecipient each, all at once.
func (t *Table) ClaimRange(ctx context.Context, refs []parley.Ref, claim parley.RecipientChange) []store.RangeClaim {
	out := make([]store.RangeClaim, len(refs))
	each := make([]func(context.Context, parley.Ref, parley.RecipientChange) (parley.Recipient, error), len(refs))
	type chunkKey struct {
		accountID, campaignID string
		n                     int
	}
	chunks := map[chunkKey][]int{}
	var order []chunkKey
	for i, ref := range refs {
		n, ok := chunkOf(ref.RecipientID)
		if !ok || !t.ledgerable(claim) {
			each[i] = t.UpdateRecipient
			continue
		}
		k := chunkKey{ref.AccountID, ref.CampaignID, n}
		if chunks[k] == nil {
			order = append(order, k)
		}
		chunks[k] = append(chunks[k], i)
	}
	for _, k := range order {
		is := chunks[k]
		rs := make([]parley.Ref, len(is))
		for j, i := range is {
			rs[j] = refs[i]
		}
		claims, viaItem := t.claimChunk(ctx, k.accountID, k.campaignID, k.n, rs, claim)
		for j, i := range is {
			out[i] = claims[j]
			if viaItem[j] {
				each[i] = t.updateItem
			}
		}
	}
	var wg sync.WaitGroup
	for i, ref := range refs {
		if each[i] == nil {
			continue
		}
		wg.Go(func() { out[i] = rangeResult(each[i](ctx, ref, claim)) })
	}
	wg.Wait()
	return out
}

// rangeResult is the RangeClaim of an UpdateRecipient that answered r and
// err.
func rangeResult(r parley.Recipient, err error) store.RangeClaim {
	switch parley.ErrorCode(err) {
	case "":
		return store.RangeClaim{Recipient: r, Claimed: true}
	case parley.ECONFLICT:
		return store.RangeClaim{Recipient: r}
	case parley.ENOTFOUND:
		return store.RangeClaim{}
	}
	return store.RangeClaim{Err: err}
}

// RecordRange implements store.Recipients: the outcomes of claims that
// this Table made on chunks' ledgers, of messages sent (see
// outcomeLedgerable), go to those ledgers, with one Query and one write
// per chunk (see recordChunk); any other record, and any that recordChunk
// leaves, with UpdateRecipient, all at once.
func (t *Table) RecordRange(ctx context.Context, records []store.RangeRecord) []store.RangeClaim {
	out := make([]store.RangeClaim, len(records))
	type chunkKey struct {
		pk string
		n  int
	}
	chunks := map[chunkKey][]int{}
	var order []chunkKey
	var each []int
	for i, rec := range records {
		pk, n, ok := t.outcomeLedgerable(rec)
		if !ok {
			each = append(each, i)
			continue
		}
		k := chunkKey{pk, n}
		if chunks[k] == nil {
			order = append(order, k)
		}
		chunks[k] = append(chunks[k], i)
	}
	for _, k := range order {
		each = append(each, t.recordChunk(ctx, k.pk, k.n, records, chunks[k], out)...)
	}
	var wg sync.WaitGroup
	for _, i := range each {
		wg.Go(func() { out[i] = rangeResult(t.UpdateRecipient(ctx, records[i].Ref, records[i].Change)) })
	}
	wg.Wait()
	return out
}

// recipientUpdate is the UpdateItem that does what change.Apply does, on
// condition that the stored status is one of change.From.
func recipientUpdate(ref parley.Ref, change parley.RecipientChange) (*dynamodb.UpdateItemInput, error) {
	pk, sk := campaignPK(ref.AccountID, ref.CampaignID), recipientSK(ref.RecipientID)
	u := updateExpr{values: item{}}
	u.set("#status", ":status", str(string(change.Status)))
	u.set("updatedAt", ":at", timeValue(change.At))
	if change.ErrorMessage != "" {
		u.set("errorMessage", ":err", str(change.ErrorMessage))
	} else {
		u.removes = append(u.removes, "errorMessage")
	}
	if change.ProviderMessageID != "" {
		u.set("providerMessageId", ":pmid", str(change.ProviderMessageID))
	}
	if change.Claimant != "" {
		u.set("claimant", ":claimant", str(change.Claimant))
	} else {
		u.removes = append(u.removes, "claimant")
	}
	if change.Channel != "" {
		u.set("channel", ":channel", str(string(change.Channel)))
	}
	for _, st := range parley.StatusSteps(change.Status) {
		a := stampAttrs[st]
		u.sets = append(u.sets, a+" = if_not_exists("+a+", :stamp)")
		u.values[":stamp"] = str(stampString(change.At))
	}
	if change.CountAttempt {
		u.sets = append(u.sets, "attempts = if_not_exists(attempts, :zero) + :one")
		u.values[":zero"], u.values[":one"] = num(0), num(1)
	}
	cond := condExists + " AND " + statusIn(change.From, u.values)
	if change.Attempt != 0 {
		cond += " AND attempts = :attempt"
		u.values[":attempt"] = num(change.Attempt)
	}
	if change.Carries != "" {
		cond += " AND providerMessageId = :carries"
		u.values[":carries"] = str(change.Carries)
	}
	if err := u.moveDue(pk, sk, change); err != nil {
		return nil, err
	}
	return &dynamodb.UpdateItemInput{
		Key:                       itemKey(pk, sk),
		UpdateExpression:          aws.String(u.String()),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: u.values,
	}, nil
}

// updateExpr collects the actions of an UpdateExpression and the values of
// their placeholders.
type updateExpr struct {
	sets, removes []string
	values        item
}

// set adds "path = placeholder" with the placeholder's value.
func (u *updateExpr) set(path, placeholder string, v types.AttributeValue) {
	u.sets = append(u.sets, path+" = "+placeholder)
	u.values[placeholder] = v
}

// moveDue keeps the due index in step with a change of the recipient with
// key pk, sk: the item carries AttrDueShard exactly while SCHEDULED, and
// AttrDueAt, which it always carries, moves only when change sets a DueAt.
// A recipient that becomes SCHEDULED without a new DueAt is thus indexed at
// its stored one, within the same request.
func (u *updateExpr) moveDue(pk, sk string, change parley.RecipientChange) error {
	if !change.DueAt.IsZero() {
		due, err := dueString(change.DueAt)
		if err != nil {
			return err
		}
		u.set(AttrDueAt, ":due", str(due))
	}
	if change.Status.Indexed() {
		u.set(AttrDueShard, ":shard", str(dueShard(change.Status, pk, sk)))
	} else if change.Unindexes() {
		u.removes = append(u.removes, AttrDueShard)
	}
	return nil
}

// String is the UpdateExpression.
func (u *updateExpr) String() string {
	expr := "SET " + strings.Join(u.sets, ", ")
	if len(u.removes) > 0 {
		expr += " REMOVE " + strings.Join(u.removes, ", ")
	}
	return expr
}

// statusIn is the condition that #status is one of from, adding the
// placeholders' values to values. An empty from allows nothing.
func statusIn(from []parley.RecipientStatus, values item) string {
	if len(from) == 0 {
		return condNotExists // with condExists, always false
	}
	names := make([]string, len(from))
	for i, s := range from {
		names[i] = fmt.Sprintf(":f%d", i)
		values[names[i]] = str(string(s))
	}
	return "#status IN (" + strings.Join(names, ", ") + ")"
}

// Account implements store.Accounts. It seals in place the connector secret
// of an item written before secrets were sealed.
func (t *Table) Account(ctx context.Context, accountID string) (parley.Account, error) {
	av, err := t.get(ctx, accountKey(accountID))
	if err != nil || av == nil {
		return parley.Account{ID: accountID}, err
	}
	var it accountItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return parley.Account{ID: accountID}, fmt.Errorf("decode account %s: %w", accountID, err)
	}
	a := it.domain()
	connector, inClear, err := secret.DecodeConnector(ctx, t.sealer, accountID, it.ConnectorSecretSealed, it.ConnectorSecret)
	if err != nil {
		return parley.Account{ID: accountID}, err
	}
	a.ConnectorSecret = connector
	if inClear {
		sealed, err := secret.EncodeConnector(ctx, t.sealer, a)
		if err != nil {
			return parley.Account{ID: accountID}, err
		}
		err = t.sealInPlace(ctx, &dynamodb.UpdateItemInput{
			Key:                       accountKey(accountID),
			UpdateExpression:          aws.String("SET connectorSecretSealed = :sealed REMOVE connectorSecret"),
			ConditionExpression:       aws.String("connectorSecret = :clear"),
			ExpressionAttributeValues: item{":sealed": &types.AttributeValueMemberB{Value: sealed}, ":clear": str(it.ConnectorSecret)},
		})
		if err != nil {
			return parley.Account{ID: accountID}, err
		}
	}
	return a, nil
}

// PutAccount implements store.Accounts.
func (t *Table) PutAccount(ctx context.Context, a parley.Account) error {
	it := newAccountItem(a)
	var err error
	if it.ConnectorSecretSealed, err = secret.EncodeConnector(ctx, t.sealer, a); err != nil {
		return err
	}
	return t.put(ctx, it, nil)
}

// sealInPlace runs in, which writes again sealed the secrets of an item
// read with them in clear, under a condition that the item still holds
// what was read. A failed condition means the item was written meanwhile,
// sealed: that is no error.
func (t *Table) sealInPlace(ctx context.Context, in *dynamodb.UpdateItemInput) error {
	if _, err := t.update(ctx, in); err != nil && !errors.Is(err, errCondition) {
		return err
	}
	return nil
}
