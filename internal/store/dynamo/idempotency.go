package dynamo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

var _ store.Idempotency = (*Table)(nil)

// Idempotency records.
//
// A record is pk IDEM#<account>#<key> (an account id holds no '#'), sk
// IDEM: its fingerprint, state, owner, lease and expiry (milliseconds, for
// the conditions and the check on read; the TTL attribute, in seconds,
// rounded up, lets DynamoDB delete it some time after). Its answer,
// compressed and sealed (secret.EncodeAnswer), is kept in the item when it
// fits in answerInline bytes; a larger one is split into parts of
// answerPart bytes, items pk IDEM#<account>#<key>, sk PART#<owner>#<n>,
// written before the record names how many there are. Parts are named by
// the owner, so the parts of a reservation taken over never mix with the
// next one's; parts left behind expire with their TTL.
const (
	idemPKPrefix   = "IDEM#"
	idemSK         = "IDEM"
	idemPartPrefix = "PART#"
	// answerInline and answerPart keep every item under DynamoDB's 400 KB.
	answerInline = 300_000
	answerPart   = 350_000
	// beginAttempts bounds BeginIdempotent's retries when the record it
	// found gone by the time it read it.
	beginAttempts = 3
)

// Attributes of an idempotency record; none is a DynamoDB reserved word.
const (
	attrIdemState   = "idemState"
	attrIdemOwner   = "idemOwner"
	attrLeaseMs     = "leaseMs"
	attrExpiresMs   = "expiresMs"
	attrAnswerCode  = "answerStatus"
	attrAnswerType  = "contentType"
	attrAnswer      = "answer"
	attrAnswerParts = "answerParts"
)

// idempotencyItem is a record (sk IDEM).
type idempotencyItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Fingerprint string `dynamodbav:"fingerprint"`
	State       string `dynamodbav:"idemState"`
	Owner       string `dynamodbav:"idemOwner"`
	LeaseMs     int64  `dynamodbav:"leaseMs"`
	ExpiresMs   int64  `dynamodbav:"expiresMs"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
	Status      int    `dynamodbav:"answerStatus,omitempty"`
	ContentType string `dynamodbav:"contentType,omitempty"`
	Answer      []byte `dynamodbav:"answer,omitempty"`
	Parts       int    `dynamodbav:"answerParts,omitempty"`
}

// answerPartItem is one part of a large answer.
type answerPartItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Part      []byte `dynamodbav:"part"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

func idemPK(accountID, key string) string { return idemPKPrefix + accountID + "#" + key }

func idemPartsPrefix(owner string) string { return idemPartPrefix + owner + "#" }

func idemPartSK(owner string, n int) string { return fmt.Sprintf("%s%05d", idemPartsPrefix(owner), n) }

// ttlSeconds is at rounded up to whole seconds, for the TTL attribute.
func ttlSeconds(at time.Time) int64 {
	return (at.UnixMilli() + 999) / 1000
}

func millis(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func (it idempotencyItem) domain(accountID, key string) parley.IdempotencyRecord {
	return parley.IdempotencyRecord{AccountID: accountID, Key: key, Fingerprint: it.Fingerprint,
		State: parley.IdempotencyState(it.State), Owner: it.Owner,
		LeaseUntil: time.UnixMilli(it.LeaseMs).UTC(), ExpiresAt: time.UnixMilli(it.ExpiresMs).UTC(),
		Status: it.Status, ContentType: it.ContentType}
}

// BeginIdempotent implements store.Idempotency: one conditional PutItem,
// and when its condition fails, a consistent read of the record it found.
func (t *Table) BeginIdempotent(ctx context.Context, rec parley.IdempotencyRecord, now time.Time) (parley.IdempotencyRecord, bool, error) {
	pk := idemPK(rec.AccountID, rec.Key)
	av, err := encode(idempotencyItem{PK: pk, SK: idemSK, Fingerprint: rec.Fingerprint, State: string(parley.IdempotencyPending),
		Owner: rec.Owner, LeaseMs: rec.LeaseUntil.UnixMilli(), ExpiresMs: rec.ExpiresAt.UnixMilli(), ExpiresAt: ttlSeconds(rec.ExpiresAt)})
	if err != nil {
		return parley.IdempotencyRecord{}, false, err
	}
	for range beginAttempts {
		_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &t.name, Item: av,
			ConditionExpression: aws.String(condNotExists + " OR " + attrExpiresMs + " <= :now OR (" +
				attrIdemState + " = :pending AND " + attrLeaseMs + " <= :now)"),
			ExpressionAttributeValues: item{":now": millis(now.UnixMilli()), ":pending": str(string(parley.IdempotencyPending))},
		})
		var failed *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return parley.IdempotencyRecord{}, true, nil
		case !errors.As(err, &failed):
			return parley.IdempotencyRecord{}, false, t.unavailable(err, "PutItem")
		}
		old, err := t.get(ctx, itemKey(pk, idemSK))
		if err != nil {
			return parley.IdempotencyRecord{}, false, err
		}
		if old == nil {
			continue // released or deleted since the condition was checked
		}
		existing, err := t.openRecord(ctx, rec.AccountID, rec.Key, old)
		if err != nil || existing.Live(now) {
			return existing, false, err
		}
	}
	return parley.IdempotencyRecord{}, false, parley.Errorf(parley.EUNAVAILABLE, "idempotency key %q changed while it was being reserved; retry", rec.Key)
}

// decodeInto unmarshals av into the item struct v.
func decodeInto(av item, v any) error {
	if err := attributevalue.UnmarshalMap(av, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
	}
	return nil
}

// openRecord decodes a record and opens its answer, reading its parts.
func (t *Table) openRecord(ctx context.Context, accountID, key string, av item) (parley.IdempotencyRecord, error) {
	var it idempotencyItem
	if err := decodeInto(av, &it); err != nil {
		return parley.IdempotencyRecord{}, err
	}
	rec := it.domain(accountID, key)
	if rec.State != parley.IdempotencyDone {
		return rec, nil
	}
	sealed := it.Answer
	if it.Parts > 0 {
		parts, err := t.query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String(recipientsQuery),
			ExpressionAttributeValues: item{":pk": str(it.PK), ":prefix": str(idemPartsPrefix(it.Owner))},
			ConsistentRead:            aws.Bool(true),
		}, 0)
		if err != nil {
			return parley.IdempotencyRecord{}, err
		}
		if len(parts) != it.Parts {
			return parley.IdempotencyRecord{}, fmt.Errorf("idempotency key %q of account %s: %d answer parts of %d", key, accountID, len(parts), it.Parts)
		}
		var b bytes.Buffer
		for _, p := range parts {
			var part answerPartItem
			if err := decodeInto(p, &part); err != nil {
				return parley.IdempotencyRecord{}, err
			}
			b.Write(part.Part)
		}
		sealed = b.Bytes()
	}
	body, err := secret.DecodeAnswer(ctx, t.sealer, accountID, key, sealed)
	if err != nil {
		return parley.IdempotencyRecord{}, err
	}
	rec.Body = body
	return rec, nil
}

// FinishIdempotent implements store.Idempotency: the parts of a large
// answer first, then the record, conditional on its owner.
func (t *Table) FinishIdempotent(ctx context.Context, rec parley.IdempotencyRecord) error {
	sealed, err := secret.EncodeAnswer(ctx, t.sealer, rec.AccountID, rec.Key, rec.Body)
	if err != nil {
		return err
	}
	pk := idemPK(rec.AccountID, rec.Key)
	set := "SET " + attrIdemState + " = :done, " + attrAnswerCode + " = :status, " + attrAnswerType + " = :type"
	values := item{
		":done": str(string(parley.IdempotencyDone)), ":status": num(rec.Status), ":type": str(rec.ContentType),
		":owner": str(rec.Owner), ":pending": str(string(parley.IdempotencyPending)),
	}
	if len(sealed) <= answerInline {
		set += ", " + attrAnswer + " = :answer"
		values[":answer"] = &types.AttributeValueMemberB{Value: sealed}
	} else {
		n, err := t.putAnswerParts(ctx, pk, rec, sealed)
		if err != nil {
			return err
		}
		set += ", " + attrAnswerParts + " = :parts"
		values[":parts"] = num(n)
	}
	_, err = t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: itemKey(pk, idemSK), UpdateExpression: aws.String(set),
		ConditionExpression:       aws.String(condExists + " AND " + attrIdemOwner + " = :owner AND " + attrIdemState + " = :pending"),
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return parley.Errorf(parley.ECONFLICT, "the reservation of idempotency key %q is no longer held", rec.Key)
	case err != nil:
		return t.unavailable(err, "UpdateItem")
	}
	return nil
}

// putAnswerParts writes sealed in parts of answerPart bytes under the
// reservation's owner and returns how many.
func (t *Table) putAnswerParts(ctx context.Context, pk string, rec parley.IdempotencyRecord, sealed []byte) (int, error) {
	var reqs []types.WriteRequest
	for part := range slices.Chunk(sealed, answerPart) {
		av, err := encode(answerPartItem{PK: pk, SK: idemPartSK(rec.Owner, len(reqs)), Part: part, ExpiresAt: ttlSeconds(rec.ExpiresAt)})
		if err != nil {
			return 0, err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := t.batchWriteAll(ctx, slices.Collect(slices.Chunk(reqs, batchSize))); err != nil {
		return 0, err
	}
	return len(reqs), nil
}

// ReleaseIdempotent implements store.Idempotency.
func (t *Table) ReleaseIdempotent(ctx context.Context, accountID, key, owner string) error {
	_, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &t.name, Key: itemKey(idemPK(accountID, key), idemSK),
		ConditionExpression:       aws.String(attrIdemOwner + " = :owner AND " + attrIdemState + " = :pending"),
		ExpressionAttributeValues: item{":owner": str(owner), ":pending": str(string(parley.IdempotencyPending))},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return t.unavailable(err, "DeleteItem")
	}
	return nil
}
