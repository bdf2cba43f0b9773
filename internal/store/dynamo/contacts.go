package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Contact directory.
//
// An account's directory is one item collection, pk
// ACCOUNT#<account>#CONTACTS: a contact at sk C#<id> (its version and its
// JSON), the claim of a number at sk P#<phone> (the id holding it), a saved
// filter at sk F#<id>. A contact and the claim of its number are written in
// one transaction, so a number belongs to one contact; listing the
// directory is a Query on the C# prefix, in id order.

var _ store.Contacts = (*Table)(nil)

const (
	contactSKPrefix      = "C#"
	contactPhoneSKPrefix = "P#"
	filterSKPrefix       = "F#"
)

func contactsPK(accountID string) string { return "ACCOUNT#" + accountID + "#CONTACTS" }

// contactItem is a contact; its JSON is the domain value.
type contactItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
	Data    string `dynamodbav:"data"`
}

func (it contactItem) domain() directory.Contact {
	var c directory.Contact
	_ = json.Unmarshal([]byte(it.Data), &c) // written by PutContact
	return c
}

// contactPhoneItem claims a number for a contact.
type contactPhoneItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ContactID string `dynamodbav:"contactId"`
}

// filterItem is a saved filter.
type filterItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Data string `dynamodbav:"data"`
}

func (it filterItem) domain() directory.Filter {
	var f directory.Filter
	_ = json.Unmarshal([]byte(it.Data), &f) // written by PutFilter
	return f
}

// PutContact implements store.Contacts.
func (t *Table) PutContact(ctx context.Context, c directory.Contact) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode contact %s: %w", c.ID, err)
	}
	pk := contactsPK(c.AccountID)
	var old directory.Contact
	if c.Version > 1 {
		if old, err = t.Contact(ctx, c.AccountID, c.ID); err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
	}
	current, err := encode(contactItem{PK: pk, SK: contactSKPrefix + c.ID, Version: c.Version, Data: string(data)})
	if err != nil {
		return err
	}
	put := &types.Put{Item: current, ConditionExpression: aws.String(condNotExists)}
	if c.Version > 1 {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = item{":prev": num(c.Version - 1)}
	}
	items := []types.TransactWriteItem{{Put: put}}
	if c.Phone != "" {
		claim, err := encode(contactPhoneItem{PK: pk, SK: contactPhoneSKPrefix + c.Phone, ContactID: c.ID})
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: claim,
			ConditionExpression:       aws.String(condNotExists + " OR contactId = :id"),
			ExpressionAttributeValues: item{":id": str(c.ID)}}})
	}
	if old.Phone != "" && old.Phone != c.Phone {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &t.name,
			Key: itemKey(pk, contactPhoneSKPrefix+old.Phone)}})
	}
	err = t.routingTransact(ctx, items)
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "contact %s changed meanwhile, or another contact has the number %s", c.ID, c.Phone)
	}
	return err
}

// Contact implements store.Contacts.
func (t *Table) Contact(ctx context.Context, accountID, id string) (directory.Contact, error) {
	av, err := t.mustGet(ctx, itemKey(contactsPK(accountID), contactSKPrefix+id), "contact", id)
	if err != nil {
		return directory.Contact{}, err
	}
	return decode[contactItem](av)
}

// ContactByPhone implements store.Contacts.
func (t *Table) ContactByPhone(ctx context.Context, accountID, phone string) (directory.Contact, error) {
	av, err := t.get(ctx, itemKey(contactsPK(accountID), contactPhoneSKPrefix+phone))
	if err != nil {
		return directory.Contact{}, err
	}
	if av == nil {
		return directory.Contact{}, parley.Errorf(parley.ENOTFOUND, "no contact has the number %s", phone)
	}
	claim, ok := av["contactId"].(*types.AttributeValueMemberS)
	if !ok {
		return directory.Contact{}, fmt.Errorf("the claim of %s names no contact", phone)
	}
	return t.Contact(ctx, accountID, claim.Value)
}

// DeleteContact implements store.Contacts.
func (t *Table) DeleteContact(ctx context.Context, accountID, id string) (bool, error) {
	c, err := t.Contact(ctx, accountID, id)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	pk := contactsPK(accountID)
	items := []types.TransactWriteItem{{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, contactSKPrefix+id),
		ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: item{":v": num(c.Version)}}}}
	if c.Phone != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, contactPhoneSKPrefix+c.Phone),
			ConditionExpression: aws.String(condNotExists + " OR contactId = :id"), ExpressionAttributeValues: item{":id": str(id)}}})
	}
	err = t.routingTransact(ctx, items)
	if errors.Is(err, errCondition) {
		return false, parley.Errorf(parley.ECONFLICT, "contact %s changed while it was being deleted; try again", id)
	}
	return err == nil, err
}

// Contacts implements store.Contacts.
func (t *Table) Contacts(ctx context.Context, accountID, afterID string, limit int) ([]directory.Contact, error) {
	pk := contactsPK(accountID)
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(pk), ":prefix": str(contactSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}
	if afterID != "" {
		in.ExclusiveStartKey = itemKey(pk, contactSKPrefix+afterID)
	}
	avs, err := t.query(ctx, in, min(max(limit, 1), store.MaxPage))
	if err != nil {
		return nil, err
	}
	return decodeAll[contactItem](avs)
}

// PutFilter implements store.Contacts.
func (t *Table) PutFilter(ctx context.Context, f directory.Filter) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode filter %s: %w", f.ID, err)
	}
	return t.put(ctx, filterItem{PK: contactsPK(f.AccountID), SK: filterSKPrefix + f.ID, Data: string(data)}, nil)
}

// Filter implements store.Contacts.
func (t *Table) Filter(ctx context.Context, accountID, id string) (directory.Filter, error) {
	av, err := t.mustGet(ctx, itemKey(contactsPK(accountID), filterSKPrefix+id), "filter", id)
	if err != nil {
		return directory.Filter{}, err
	}
	return decode[filterItem](av)
}

// Filters implements store.Contacts.
func (t *Table) Filters(ctx context.Context, accountID string) ([]directory.Filter, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(contactsPK(accountID)), ":prefix": str(filterSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[filterItem](avs)
}

// DeleteFilter implements store.Contacts.
func (t *Table) DeleteFilter(ctx context.Context, accountID, id string) (bool, error) {
	out, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &t.name, Key: itemKey(contactsPK(accountID), filterSKPrefix+id),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, t.unavailable(err, "DeleteItem")
	}
	return len(out.Attributes) > 0, nil
}
