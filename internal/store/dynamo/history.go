package dynamo

// The consumers' message history on the single table:
//
//	sent message        the outbound context (pk CTX#<account>#<consumer>, sk <sentAt>#<campaign>)
//	received message    pk RCV#<account>#<consumer>   sk <at>#<providerMessageId>   TTL after parley.HistoryRetention (+1 day)
//
// A sent message costs no write of its own: its outbound context, which
// the dispatcher writes anyway, is its entry, kept as long as the history.
// A received message costs one PutItem of under 1 KB (one write unit). A
// page of n messages reads at most n items of each partition.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.MessageHistory = (*Table)(nil)

const receivedPKPrefix = "RCV#"

// receivedItem is a received message; the account, consumer and time are
// in its key.
type receivedItem struct {
	PK                string `dynamodbav:"pk"`
	SK                string `dynamodbav:"sk"`
	Channel           string `dynamodbav:"ch,omitempty"`
	To                string `dynamodbav:"f,omitempty"`
	Body              string `dynamodbav:"b,omitempty"`
	ProviderMessageID string `dynamodbav:"m,omitempty"`
	Keyword           string `dynamodbav:"kw,omitempty"`
	Answer            string `dynamodbav:"a,omitempty"`
	ExpiresAt         int64  `dynamodbav:"expiresAt"`
}

func receivedPK(accountID, consumer string) string {
	return receivedPKPrefix + accountID + "#" + consumer
}

// PutReceivedMessage implements store.MessageHistory.
func (t *Table) PutReceivedMessage(ctx context.Context, m parley.ReceivedMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	m = m.Fit()
	at, err := dueString(m.At)
	if err != nil {
		return err
	}
	return t.put(ctx, receivedItem{
		PK: receivedPK(m.AccountID, m.Consumer), SK: at + "#" + m.ProviderMessageID, Channel: string(m.Channel), To: m.To,
		Body: m.Body, ProviderMessageID: m.ProviderMessageID, Keyword: m.Keyword, Answer: m.Answer,
		ExpiresAt: m.At.Add(parley.HistoryRetention + routingContextGrace).Unix(),
	}, nil)
}

// MessageHistory implements store.MessageHistory: it queries at most limit
// items of each partition below the cursor and merges them.
func (t *Table) MessageHistory(ctx context.Context, accountID, consumer, cursor string, limit int) (parley.HistoryPage, error) {
	limit = min(max(limit, 1), store.MaxPage)
	var sentBefore, receivedBefore string
	if cursor != "" {
		c, err := parley.ParseHistoryCursor(cursor)
		if err != nil {
			return parley.HistoryPage{}, err
		}
		at := sortable(c.At)
		if c.Direction == parley.Outbound {
			// Every received message of the cursor's instant comes after it.
			sentBefore, receivedBefore = at+"#"+c.Key, at+"$"
		} else {
			// Every sent message of the cursor's instant came before it.
			sentBefore, receivedBefore = at+"#", at+"#"+c.Key
		}
	}
	sentItems, err := t.historyQuery(ctx, routingContextPK(accountID, consumer), sentBefore, limit)
	if err != nil {
		return parley.HistoryPage{}, err
	}
	sent := make([]parley.HistoryMessage, 0, len(sentItems))
	for _, av := range sentItems {
		var it routingContextItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return parley.HistoryPage{}, fmt.Errorf("decode outbound context: %w", err)
		}
		c, err := it.domain(accountID, consumer)
		if err != nil {
			return parley.HistoryPage{}, err
		}
		sent = append(sent, c.History())
	}
	receivedItems, err := t.historyQuery(ctx, receivedPK(accountID, consumer), receivedBefore, limit)
	if err != nil {
		return parley.HistoryPage{}, err
	}
	received := make([]parley.HistoryMessage, 0, len(receivedItems))
	for _, av := range receivedItems {
		var it receivedItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return parley.HistoryPage{}, fmt.Errorf("decode received message: %w", err)
		}
		stamp, _, _ := strings.Cut(it.SK, "#")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return parley.HistoryPage{}, fmt.Errorf("decode received message %s %s: %w", it.PK, it.SK, err)
		}
		received = append(received, parley.HistoryMessage{Direction: parley.Inbound, At: at, Channel: parley.Channel(it.Channel),
			Body: it.Body, Number: it.To, ProviderMessageID: it.ProviderMessageID, Keyword: it.Keyword, Answer: it.Answer})
	}
	return parley.MergeHistory(sent, received, limit), nil
}

// historyQuery reads at most limit items of partition pk, newest first,
// whose sort key is below before ("" for no bound).
func (t *Table) historyQuery(ctx context.Context, pk, before string, limit int) ([]item, error) {
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(pk)},
		ScanIndexForward:          aws.Bool(false),
	}
	if before != "" {
		in.KeyConditionExpression = aws.String(keyIsPartition + " AND " + AttrSK + " < :before")
		in.ExpressionAttributeValues[":before"] = str(before)
	}
	return t.query(ctx, in, limit)
}
