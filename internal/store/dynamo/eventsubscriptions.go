package dynamo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

var _ store.EventSubscriptions = (*Table)(nil)

// An account's event subscriptions sit in its partition under
// EVSUB#<id>; a subscription's delivery attempts in a partition of their
// own, ACCOUNT#<account>#EVSUB#<id>, under DELIVERY#<sortable time>#<random>,
// so the newest are one Query read backwards. Attempts expire with the
// table's TTL after store.DeliveryRetention.
const (
	eventSubscriptionSKPrefix = "EVSUB#"
	eventDeliverySKPrefix     = "DELIVERY#"
)

func eventSubscriptionKey(accountID, id string) item {
	return itemKey("ACCOUNT#"+accountID, eventSubscriptionSKPrefix+id)
}

func eventDeliveriesPK(accountID, subscriptionID string) string {
	return "ACCOUNT#" + accountID + "#" + eventSubscriptionSKPrefix + subscriptionID
}

// eventSubscriptionItem is a subscription, its secret sealed.
type eventSubscriptionItem struct {
	PK           string             `dynamodbav:"pk"`
	SK           string             `dynamodbav:"sk"`
	ID           string             `dynamodbav:"subscriptionId"`
	AccountID    string             `dynamodbav:"accountId"`
	URL          string             `dynamodbav:"url"`
	Types        []parley.EventType `dynamodbav:"eventTypes"`
	SecretSealed []byte             `dynamodbav:"secretSealed"`
	Description  string             `dynamodbav:"description,omitempty"`
	Disabled     bool               `dynamodbav:"disabled,omitempty"`
	CreatedAt    time.Time          `dynamodbav:"createdAt"`
	UpdatedAt    time.Time          `dynamodbav:"updatedAt"`
}

func (it eventSubscriptionItem) domain() parley.EventSubscription {
	return parley.EventSubscription{ID: it.ID, AccountID: it.AccountID, URL: it.URL, Types: it.Types,
		Description: it.Description, Disabled: it.Disabled, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

// eventDeliveryItem is one delivery attempt.
type eventDeliveryItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	parley.EventDelivery
}

func (it eventDeliveryItem) domain() parley.EventDelivery { return it.EventDelivery }

// CreateEventSubscription implements store.EventSubscriptions.
func (t *Table) CreateEventSubscription(ctx context.Context, s parley.EventSubscription) error {
	err := t.putEventSubscription(ctx, s, condNotExists)
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "event subscription %s exists", s.ID)
	}
	return err
}

// UpdateEventSubscription implements store.EventSubscriptions.
func (t *Table) UpdateEventSubscription(ctx context.Context, s parley.EventSubscription) error {
	err := t.putEventSubscription(ctx, s, condExists)
	if errors.Is(err, errCondition) {
		return notFound("event subscription", s.ID)
	}
	return err
}

func (t *Table) putEventSubscription(ctx context.Context, s parley.EventSubscription, condition string) error {
	sealed, err := secret.EncodeEventSecret(ctx, t.sealer, s)
	if err != nil {
		return err
	}
	key := eventSubscriptionKey(s.AccountID, s.ID)
	return t.put(ctx, eventSubscriptionItem{
		PK: itemString(key, AttrPK), SK: itemString(key, AttrSK), ID: s.ID, AccountID: s.AccountID, URL: s.URL, Types: s.Types,
		SecretSealed: sealed, Description: s.Description, Disabled: s.Disabled, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}, aws.String(condition))
}

// EventSubscription implements store.EventSubscriptions.
func (t *Table) EventSubscription(ctx context.Context, accountID, id string) (parley.EventSubscription, error) {
	av, err := t.mustGet(ctx, eventSubscriptionKey(accountID, id), "event subscription", id)
	if err != nil {
		return parley.EventSubscription{}, err
	}
	var it eventSubscriptionItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return parley.EventSubscription{}, fmt.Errorf("decode event subscription %s: %w", id, err)
	}
	s := it.domain()
	if s.Secret, err = secret.DecodeEventSecret(ctx, t.sealer, accountID, id, it.SecretSealed); err != nil {
		return parley.EventSubscription{}, err
	}
	return s, nil
}

// EventSubscriptions implements store.EventSubscriptions: one Query that
// leaves the sealed secrets out.
func (t *Table) EventSubscriptions(ctx context.Context, accountID string) ([]parley.EventSubscription, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str("ACCOUNT#" + accountID), ":prefix": str(eventSubscriptionSKPrefix)},
		ProjectionExpression:      aws.String("pk, sk, subscriptionId, accountId, #url, eventTypes, description, disabled, createdAt, updatedAt"),
		ExpressionAttributeNames:  map[string]string{"#url": "url"},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[eventSubscriptionItem](avs)
}

// DeleteEventSubscription implements store.EventSubscriptions. Its
// delivery attempts expire by themselves.
func (t *Table) DeleteEventSubscription(ctx context.Context, accountID, id string) error {
	_, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.name, Key: eventSubscriptionKey(accountID, id),
		ConditionExpression: aws.String(condExists)})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return notFound("event subscription", id)
	case err != nil:
		return t.unavailable(err, "DeleteItem")
	}
	return nil
}

// RecordEventDelivery implements store.EventSubscriptions: one PutItem.
func (t *Table) RecordEventDelivery(ctx context.Context, d parley.EventDelivery) error {
	return t.put(ctx, eventDeliveryItem{
		PK: eventDeliveriesPK(d.AccountID, d.SubscriptionID),
		// The random tail keeps attempts at the same instant apart.
		SK:            eventDeliverySKPrefix + sortable(d.At) + "#" + rand.Text(),
		ExpiresAt:     d.At.Add(store.DeliveryRetention).Unix(),
		EventDelivery: d,
	}, nil)
}

// EventDeliveries implements store.EventSubscriptions: one Query read
// backwards, of at most limit items.
func (t *Table) EventDeliveries(ctx context.Context, accountID, subscriptionID string, limit int) ([]parley.EventDelivery, error) {
	limit = min(max(limit, 1), store.MaxEventDeliveries)
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(eventDeliveriesPK(accountID, subscriptionID)), ":prefix": str(eventDeliverySKPrefix)},
		ScanIndexForward:          aws.Bool(false),
	}, limit)
	if err != nil {
		return nil, err
	}
	return decodeAll[eventDeliveryItem](avs)
}
