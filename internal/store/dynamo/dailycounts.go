package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Daily recipient counts: one item per account, channel and day, pk
// DAILY#<account>#<channel>#<day>, sk DAILY, whose count attribute is
// changed by conditional ADDs, with the TTL attribute.

var _ store.DailyCounts = (*Table)(nil)

const (
	dailySK   = "DAILY"
	dailyAttr = "recipients"
	// dailyAttempts bounds the retries of a count that other processes
	// change meanwhile.
	dailyAttempts = 16
)

func dailyItemKey(k store.DailyKey) item {
	return itemKey("DAILY#"+k.AccountID+"#"+string(k.Channel)+"#"+k.Day, dailySK)
}

// dailyCountOf reads the count of a daily item (0 when absent).
func dailyCountOf(av item) int {
	n, ok := av[dailyAttr].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	c, _ := strconv.Atoi(n.Value)
	return c
}

// TakeDaily implements store.DailyCounts: an ADD conditioned on the count
// leaving room for it; when another process took the room meanwhile, the
// count the failed condition returns sizes the next attempt. Each write
// moves the TTL to expires.
func (t *Table) TakeDaily(ctx context.Context, key store.DailyKey, n, limit int, expires time.Time) (int, error) {
	current := 0
	for range dailyAttempts {
		take := min(n, limit-current)
		if take <= 0 {
			return 0, nil
		}
		old, err := t.update(ctx, &dynamodb.UpdateItemInput{
			Key:                      dailyItemKey(key),
			UpdateExpression:         aws.String("ADD #n :take SET " + AttrExpiresAt + " = :exp"),
			ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n <= :room"),
			ExpressionAttributeNames: map[string]string{"#n": dailyAttr},
			ExpressionAttributeValues: item{":take": num(take), ":room": num(limit - take),
				":exp": epoch(expires)},
		})
		switch {
		case err == nil:
			return take, nil
		case errors.Is(err, errCondition): // old is the item as stored
			current = dailyCountOf(old)
		default:
			return 0, err
		}
	}
	return 0, parley.Errorf(parley.EUNAVAILABLE, "the daily count of account %s on %s changed %d times in a row; retry", key.AccountID, key.Channel, dailyAttempts)
}

// ReturnDaily implements store.DailyCounts: an ADD of -n conditioned on
// the count being at least n, else of what the count holds.
func (t *Table) ReturnDaily(ctx context.Context, key store.DailyKey, n int) error {
	for range dailyAttempts {
		if n <= 0 {
			return nil
		}
		old, err := t.update(ctx, &dynamodb.UpdateItemInput{
			Key:                       dailyItemKey(key),
			UpdateExpression:          aws.String("ADD #n :back"),
			ConditionExpression:       aws.String("#n >= :n"),
			ExpressionAttributeNames:  map[string]string{"#n": dailyAttr},
			ExpressionAttributeValues: item{":back": num(-n), ":n": num(n)},
		})
		if !errors.Is(err, errCondition) {
			return err
		}
		n = min(n, dailyCountOf(old))
	}
	return parley.Errorf(parley.EUNAVAILABLE, "the daily count of account %s on %s changed %d times in a row; retry", key.AccountID, key.Channel, dailyAttempts)
}

// DailyCount implements store.DailyCounts.
func (t *Table) DailyCount(ctx context.Context, key store.DailyKey) (int, error) {
	av, err := t.get(ctx, dailyItemKey(key))
	return dailyCountOf(av), err
}
