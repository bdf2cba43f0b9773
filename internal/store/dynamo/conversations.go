package dynamo

// Reply routing on the single table:
//
//	outbound context      pk CTX#<account>#<consumer>      sk <sentAt>#<campaign>   TTL at the lookback's end (+1 day)
//	conversation          pk CONV#<account>                sk <id>                  (ids are UUIDv7: time order)
//	consumer's latest     pk CONVTO#<account>#<consumer>   sk HEAD                  id, status
//	consumer's list       pk CONVTO#<account>#<consumer>   sk C#<id>
//	broadcast campaign    pk ACCOUNT#<account>             sk BROADCAST#<id>
//	entry point           pk BEP#<account>#<entry point>   sk <id>                  the campaign with that engagement only
//	notification          pk BCN#<account>#<consumer>      sk <at>                  TTL after NotificationTTL
//	report event          pk EVENTS#<account>              sk <at>#<id>
//
// The dispatcher writes one outbound context per message sent, so its item
// is kept under 1 KB: short attribute names, the account, consumer and send
// time only in the key, and parley.OutboundContext.Fit's budgets.
//
// Creating and closing a conversation moves the consumer's HEAD in the same
// TransactWriteItems, so at most one conversation of a consumer is open.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.OutboundContexts = (*Table)(nil)
	_ store.Conversations    = (*Table)(nil)
	_ store.Broadcasts       = (*Table)(nil)
	_ store.ReportEvents     = (*Table)(nil)
)

// Key prefixes of reply routing.
const (
	contextPKPrefix      = "CTX#"
	conversationPKPrefix = "CONV#"
	convConsumerPKPrefix = "CONVTO#"
	headSK               = "HEAD"
	consumerConvSKPrefix = "C#"
	broadcastSKPrefix    = "BROADCAST#"
	entryPointPKPrefix   = "BEP#"
	notificationPKPrefix = "BCN#"
	eventsPKPrefix       = "EVENTS#"
)

// Retention of items that only routing reads.
const (
	// routingContextGrace keeps a context a day past its retention (its
	// lookback, and at least the agent context's 30 days): TTL deletion is
	// late, and free.
	routingContextGrace = 24 * time.Hour
	// NotificationTTL is how long a broadcast notification is kept.
	NotificationTTL = 90 * 24 * time.Hour
)

// maxListScan bounds the items one ListConversations call reads to fill a
// filtered page; past it, the page ends early with a cursor.
const maxListScan = 1000

// routingTransactor is the transactional write of *dynamodb.Client, which
// conversations need and API leaves out.
type routingTransactor interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// routingTransact writes items atomically; a cancelled transaction (a failed
// condition or a concurrent transaction on an item) is errCondition.
func (t *Table) routingTransact(ctx context.Context, items []types.TransactWriteItem) error {
	tx, ok := t.db.(routingTransactor)
	if !ok {
		return parley.Errorf(parley.EUNAVAILABLE, "the DynamoDB client of %s cannot run transactions", t.name)
	}
	for i := range items {
		switch {
		case items[i].Put != nil:
			items[i].Put.TableName = &t.name
		case items[i].Update != nil:
			items[i].Update.TableName = &t.name
		case items[i].ConditionCheck != nil:
			items[i].ConditionCheck.TableName = &t.name
		}
	}
	_, err := tx.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	switch {
	case errors.As(err, &cancelled):
		return errCondition
	case err != nil:
		return t.unavailable(err, "TransactWriteItems")
	}
	return nil
}

// routingContextItem is an outbound context; the account, consumer and send time
// are in its key.
type routingContextItem struct {
	PK                string            `dynamodbav:"pk"`
	SK                string            `dynamodbav:"sk"`
	CampaignID        string            `dynamodbav:"c,omitempty"`
	CampaignName      string            `dynamodbav:"n,omitempty"`
	RecipientID       string            `dynamodbav:"r,omitempty"`
	Skill             string            `dynamodbav:"s,omitempty"`
	Channel           string            `dynamodbav:"ch,omitempty"`
	Sender            string            `dynamodbav:"f,omitempty"`
	Body              string            `dynamodbav:"b,omitempty"`
	Info              map[string]string `dynamodbav:"i,omitempty"`
	ProviderMessageID string            `dynamodbav:"m,omitempty"`
	CallID            string            `dynamodbav:"k,omitempty"`
	LookbackSeconds   int64             `dynamodbav:"lb"`
	ExpiresAt         int64             `dynamodbav:"expiresAt"`
}

func routingContextPK(accountID, consumer string) string {
	return contextPKPrefix + accountID + "#" + consumer
}

func newRoutingContextItem(c parley.OutboundContext) (routingContextItem, error) {
	c = c.Fit()
	sent, err := dueString(c.SentAt)
	if err != nil {
		return routingContextItem{}, err
	}
	return routingContextItem{
		PK: routingContextPK(c.AccountID, c.Consumer), SK: sent + "#" + c.CampaignID,
		CampaignID: c.CampaignID, CampaignName: c.CampaignName, RecipientID: c.RecipientID, Skill: c.Skill,
		Channel: string(c.Channel), Sender: c.Sender, Body: c.Body, Info: c.CustomerInfo, ProviderMessageID: c.ProviderMessageID,
		CallID: c.CallID, LookbackSeconds: int64(c.Lookback / time.Second), ExpiresAt: c.Retained().Add(routingContextGrace).Unix(),
	}, nil
}

func (it routingContextItem) domain(accountID, consumer string) (parley.OutboundContext, error) {
	stamp, _, _ := strings.Cut(it.SK, "#")
	sent, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return parley.OutboundContext{}, fmt.Errorf("decode outbound context %s %s: %w", it.PK, it.SK, err)
	}
	return parley.OutboundContext{
		AccountID: accountID, Consumer: consumer, CampaignID: it.CampaignID, CampaignName: it.CampaignName,
		RecipientID: it.RecipientID, Skill: it.Skill, Channel: parley.Channel(it.Channel), Sender: it.Sender, Body: it.Body,
		CustomerInfo: it.Info, ProviderMessageID: it.ProviderMessageID, CallID: it.CallID, SentAt: sent,
		Lookback: time.Duration(it.LookbackSeconds) * time.Second,
	}, nil
}

// PutOutboundContext implements store.OutboundContexts.
func (t *Table) PutOutboundContext(ctx context.Context, c parley.OutboundContext) error {
	it, err := newRoutingContextItem(c)
	if err != nil {
		return err
	}
	return t.put(ctx, it, nil)
}

// OutboundContexts implements store.OutboundContexts.
func (t *Table) OutboundContexts(ctx context.Context, accountID, consumer string, since time.Time, limit int) ([]parley.OutboundContext, error) {
	from := sortable(since)
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition + " AND " + AttrSK + " >= :from"),
		ExpressionAttributeValues: item{":pk": str(routingContextPK(accountID, consumer)), ":from": str(from)},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}, min(max(limit, 1), store.MaxContexts))
	if err != nil {
		return nil, err
	}
	out := make([]parley.OutboundContext, 0, len(avs))
	for _, av := range avs {
		var it routingContextItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode outbound context: %w", err)
		}
		c, err := it.domain(accountID, consumer)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// conversationItem is a conversation, whole as JSON, with the attributes
// that conditions and filters read.
type conversationItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Consumer string `dynamodbav:"consumer"`
	Skill    string `dynamodbav:"skill"`
	Status   string `dynamodbav:"status"`
	Version  int    `dynamodbav:"version"`
	Data     string `dynamodbav:"data"`
}

func conversationKey(accountID, id string) item {
	return itemKey(conversationPKPrefix+accountID, id)
}

func convConsumerPK(accountID, consumer string) string {
	return convConsumerPKPrefix + accountID + "#" + consumer
}

func encodeConversation(c parley.Conversation) (item, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode conversation %s: %w", c.ID, err)
	}
	return encode(conversationItem{
		PK: conversationPKPrefix + c.AccountID, SK: c.ID, Consumer: c.Consumer, Skill: c.Skill,
		Status: string(c.Status), Version: c.Version, Data: string(data),
	})
}

func decodeConversation(av item) (parley.Conversation, error) {
	var it conversationItem
	var c parley.Conversation
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return c, fmt.Errorf("decode conversation: %w", err)
	}
	if err := json.Unmarshal([]byte(it.Data), &c); err != nil {
		return c, fmt.Errorf("decode conversation %s: %w", it.SK, err)
	}
	c.Version = it.Version
	return c, nil
}

// convHeadItem is a consumer's latest conversation.
type convHeadItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	ID     string `dynamodbav:"id"`
	Status string `dynamodbav:"status"`
}

var convStatusName = map[string]string{"#status": "status"}

// CreateConversation implements store.Conversations.
func (t *Table) CreateConversation(ctx context.Context, c parley.Conversation, prevID string) error {
	conv, err := encodeConversation(c)
	if err != nil {
		return err
	}
	head, err := encode(convHeadItem{PK: convConsumerPK(c.AccountID, c.Consumer), SK: headSK, ID: c.ID, Status: string(c.Status)})
	if err != nil {
		return err
	}
	headPut := &types.Put{Item: head, ConditionExpression: aws.String(condNotExists)}
	if prevID != "" {
		headPut.ConditionExpression = aws.String("id = :prev AND #status = :closed")
		headPut.ExpressionAttributeNames = convStatusName
		headPut.ExpressionAttributeValues = item{":prev": str(prevID), ":closed": str(string(parley.ConversationClosed))}
	}
	err = t.routingTransact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{Item: conv, ConditionExpression: aws.String(condNotExists)}},
		{Put: headPut},
		{Put: &types.Put{Item: itemKey(convConsumerPK(c.AccountID, c.Consumer), consumerConvSKPrefix+c.ID)}},
	})
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "the consumer's latest conversation is no longer %q", prevID)
	}
	return err
}

// SaveConversation implements store.Conversations.
func (t *Table) SaveConversation(ctx context.Context, c parley.Conversation) (parley.Conversation, error) {
	next := c
	next.Version++
	av, err := encodeConversation(next)
	if err != nil {
		return parley.Conversation{}, err
	}
	put := &types.Put{
		Item:                      av,
		ConditionExpression:       aws.String("version = :v AND #status = :open"),
		ExpressionAttributeNames:  convStatusName,
		ExpressionAttributeValues: item{":v": num(c.Version), ":open": str(string(parley.ConversationOpen))},
	}
	if next.Open() {
		_, err = t.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &t.name, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		var failed *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &failed):
			err = errCondition
		case err != nil:
			return parley.Conversation{}, t.unavailable(err, "PutItem")
		}
	} else {
		err = t.routingTransact(ctx, []types.TransactWriteItem{{Put: put}, {Update: &types.Update{
			Key:                       itemKey(convConsumerPK(c.AccountID, c.Consumer), headSK),
			UpdateExpression:          aws.String("SET #status = :status"),
			ConditionExpression:       aws.String("id = :id"),
			ExpressionAttributeNames:  convStatusName,
			ExpressionAttributeValues: item{":status": str(string(next.Status)), ":id": str(c.ID)},
		}}})
	}
	if !errors.Is(err, errCondition) {
		return next, err
	}
	stored, err := t.Conversation(ctx, c.AccountID, c.ID)
	if err != nil {
		return parley.Conversation{}, err
	}
	if !stored.Open() {
		return parley.Conversation{}, parley.Errorf(parley.ECONFLICT, "conversation %s is closed", c.ID)
	}
	return parley.Conversation{}, parley.Errorf(parley.ECONFLICT, "conversation %s changed (version %d, not %d)", c.ID, stored.Version, c.Version)
}

// Conversation implements store.Conversations.
func (t *Table) Conversation(ctx context.Context, accountID, id string) (parley.Conversation, error) {
	av, err := t.mustGet(ctx, conversationKey(accountID, id), "conversation", id)
	if err != nil {
		return parley.Conversation{}, err
	}
	return decodeConversation(av)
}

func (t *Table) convHead(ctx context.Context, get func(context.Context, item) (item, error), accountID, consumer string) (convHeadItem, bool, error) {
	av, err := get(ctx, itemKey(convConsumerPK(accountID, consumer), headSK))
	if err != nil || av == nil {
		return convHeadItem{}, false, err
	}
	var h convHeadItem
	if err := attributevalue.UnmarshalMap(av, &h); err != nil {
		return h, false, fmt.Errorf("decode conversation head: %w", err)
	}
	return h, true, nil
}

// LatestConversation implements store.Conversations.
func (t *Table) LatestConversation(ctx context.Context, accountID, consumer string) (parley.Conversation, bool, error) {
	h, ok, err := t.convHead(ctx, t.get, accountID, consumer)
	if err != nil || !ok {
		return parley.Conversation{}, false, err
	}
	c, err := t.Conversation(ctx, accountID, h.ID)
	return c, err == nil, err
}

// HasOpenConversation implements store.Conversations: one read of the
// consumer's HEAD.
//
// The read is eventually consistent: the dispatcher asks before every send,
// and a conversation opened or closed within the last second may be seen a
// send late either way, which blocks or lets through one proactive message
// at most, never an opted-out one.
func (t *Table) HasOpenConversation(ctx context.Context, accountID, consumer string) (bool, error) {
	h, ok, err := t.convHead(ctx, t.peek, accountID, consumer)
	return ok && h.Status == string(parley.ConversationOpen), err
}

// ListConversations implements store.Conversations. Without a consumer it
// queries the account's conversations newest first, filtered by skill and
// status; with one, the consumer's list, reading each conversation.
func (t *Table) ListConversations(ctx context.Context, accountID string, f parley.ConversationFilter) (parley.ConversationPage, error) {
	limit := f.PageLimit()
	page := parley.ConversationPage{Conversations: []parley.Conversation{}}
	in := &dynamodb.QueryInput{
		TableName:        &t.name,
		ScanIndexForward: aws.Bool(false),
		ConsistentRead:   aws.Bool(true),
		Limit:            aws.Int32(int32(min(2*limit, maxListScan))),
	}
	if f.Consumer == "" {
		pk := conversationPKPrefix + accountID
		in.KeyConditionExpression = aws.String(keyIsPartition)
		in.ExpressionAttributeValues = item{":pk": str(pk)}
		var conds []string
		if f.Skill != "" {
			conds, in.ExpressionAttributeValues[":skill"] = append(conds, "skill = :skill"), str(f.Skill)
		}
		if f.Status != "" {
			conds, in.ExpressionAttributeValues[":status"] = append(conds, "#status = :status"), str(string(f.Status))
			in.ExpressionAttributeNames = convStatusName
		}
		if len(conds) > 0 {
			in.FilterExpression = aws.String(strings.Join(conds, " AND "))
		}
		if f.Cursor != "" {
			in.ExclusiveStartKey = itemKey(pk, f.Cursor)
		}
	} else {
		pk := convConsumerPK(accountID, f.Consumer)
		in.KeyConditionExpression = aws.String(recipientsQuery)
		in.ExpressionAttributeValues = item{":pk": str(pk), ":prefix": str(consumerConvSKPrefix)}
		if f.Cursor != "" {
			in.ExclusiveStartKey = itemKey(pk, consumerConvSKPrefix+f.Cursor)
		}
	}
	scanned := 0
	for {
		out, err := t.db.Query(ctx, in)
		if err != nil {
			return page, t.unavailable(err, "Query")
		}
		scanned += int(out.ScannedCount)
		for _, av := range out.Items {
			c, err := t.listed(ctx, accountID, f, av)
			if err != nil {
				return page, err
			}
			if c == nil {
				continue
			}
			if len(page.Conversations) == limit {
				page.NextCursor = page.Conversations[limit-1].ID
				return page, nil
			}
			page.Conversations = append(page.Conversations, *c)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return page, nil
		}
		if scanned >= maxListScan {
			page.NextCursor = strings.TrimPrefix(itemString(out.LastEvaluatedKey, AttrSK), consumerConvSKPrefix)
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// listed is the conversation a listed item stands for, nil when it does not
// match f.
func (t *Table) listed(ctx context.Context, accountID string, f parley.ConversationFilter, av item) (*parley.Conversation, error) {
	var c parley.Conversation
	var err error
	if f.Consumer == "" {
		c, err = decodeConversation(av)
	} else {
		c, err = t.Conversation(ctx, accountID, strings.TrimPrefix(itemString(av, AttrSK), consumerConvSKPrefix))
	}
	if err != nil || !f.Matches(c) {
		return nil, err
	}
	return &c, nil
}

// routingDataItem is an item kept whole as JSON.
type routingDataItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Data string `dynamodbav:"data"`
	// ExpiresAt is the TTL, epoch seconds; 0 keeps the item.
	ExpiresAt int64 `dynamodbav:"expiresAt,omitempty"`
}

func newRoutingDataItem(pk, sk string, v any) (item, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", pk, sk, err)
	}
	return encode(routingDataItem{PK: pk, SK: sk, Data: string(data)})
}

// decodeRoutingData decodes the JSON of each data item into a T.
func decodeRoutingData[T any](avs []item) ([]T, error) {
	out := make([]T, 0, len(avs))
	for _, av := range avs {
		var v T
		if err := json.Unmarshal([]byte(itemString(av, "data")), &v); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
		}
		out = append(out, v)
	}
	return out, nil
}

func broadcastKey(accountID, id string) item {
	return itemKey("ACCOUNT#"+accountID, broadcastSKPrefix+id)
}

// CreateBroadcast implements store.Broadcasts: the campaign and one item
// per entry point, in one transaction.
func (t *Table) CreateBroadcast(ctx context.Context, b parley.BroadcastCampaign) error {
	key := broadcastKey(b.AccountID, b.ID)
	av, err := newRoutingDataItem(itemString(key, AttrPK), itemString(key, AttrSK), b)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{Item: av, ConditionExpression: aws.String(condNotExists)}}}
	for _, e := range b.Engagements {
		ep := b
		ep.Engagements = []parley.Engagement{e}
		av, err := newRoutingDataItem(entryPointPKPrefix+b.AccountID+"#"+e.EntryPoint, b.ID, ep)
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: av}})
	}
	if err := t.routingTransact(ctx, items); errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "broadcast %s exists", b.ID)
	} else if err != nil {
		return err
	}
	return nil
}

// Broadcast implements store.Broadcasts.
func (t *Table) Broadcast(ctx context.Context, accountID, id string) (parley.BroadcastCampaign, error) {
	av, err := t.mustGet(ctx, broadcastKey(accountID, id), "broadcast", id)
	if err != nil {
		return parley.BroadcastCampaign{}, err
	}
	bs, err := decodeRoutingData[parley.BroadcastCampaign]([]item{av})
	if err != nil {
		return parley.BroadcastCampaign{}, err
	}
	return bs[0], nil
}

// Broadcasts implements store.Broadcasts.
func (t *Table) Broadcasts(ctx context.Context, accountID string) ([]parley.BroadcastCampaign, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str("ACCOUNT#" + accountID), ":prefix": str(broadcastSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeRoutingData[parley.BroadcastCampaign](avs)
}

// BroadcastsByEntryPoint implements store.Broadcasts.
func (t *Table) BroadcastsByEntryPoint(ctx context.Context, accountID, entryPoint string) ([]parley.BroadcastCampaign, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(entryPointPKPrefix + accountID + "#" + entryPoint)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeRoutingData[parley.BroadcastCampaign](avs)
}

// PutBroadcastNotification implements store.Broadcasts.
func (t *Table) PutBroadcastNotification(ctx context.Context, n parley.BroadcastNotification) error {
	at, err := dueString(n.At)
	if err != nil {
		return err
	}
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode broadcast notification: %w", err)
	}
	return t.put(ctx, routingDataItem{
		PK: notificationPKPrefix + n.AccountID + "#" + n.Consumer, SK: at, Data: string(data),
		ExpiresAt: n.At.Add(NotificationTTL).Unix(),
	}, nil)
}

// LatestBroadcastNotification implements store.Broadcasts.
func (t *Table) LatestBroadcastNotification(ctx context.Context, accountID, consumer string) (parley.BroadcastNotification, bool, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(notificationPKPrefix + accountID + "#" + consumer)},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}, 1)
	if err != nil || len(avs) == 0 {
		return parley.BroadcastNotification{}, false, err
	}
	ns, err := decodeRoutingData[parley.BroadcastNotification](avs)
	if err != nil {
		return parley.BroadcastNotification{}, false, err
	}
	return ns[0], true, nil
}

// PutReportEvent implements store.ReportEvents.
func (t *Table) PutReportEvent(ctx context.Context, e parley.ReportEvent) error {
	at, err := dueString(e.At)
	if err != nil {
		return err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode report event: %w", err)
	}
	return t.put(ctx, routingDataItem{PK: eventsPKPrefix + e.AccountID, SK: at + "#" + e.ID, Data: string(data)}, nil)
}

// ReportEvents implements store.ReportEvents.
func (t *Table) ReportEvents(ctx context.Context, accountID string, since time.Time, limit int) ([]parley.ReportEvent, error) {
	from := sortable(since)
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition + " AND " + AttrSK + " >= :from"),
		ExpressionAttributeValues: item{":pk": str(eventsPKPrefix + accountID), ":from": str(from)},
		ConsistentRead:            aws.Bool(true),
	}, min(max(limit, 1), store.MaxPage))
	if err != nil {
		return nil, err
	}
	out, err := decodeRoutingData[parley.ReportEvent](avs)
	if out == nil {
		out = []parley.ReportEvent{}
	}
	return out, err
}
