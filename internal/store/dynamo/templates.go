package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

// Beside each template (sk TEMPLATE#<id>) under pk ACCOUNT#<account>:
// sk TEMPLATENAME#<name>#<language> holds the id that has the name, and
// sk TEMPLATEUSE#<template>#<campaign> records a campaign that sends it.
const (
	templateNameSKPrefix = "TEMPLATENAME#"
	templateUseSKPrefix  = "TEMPLATEUSE#"
)

// templateNameItem reserves a template's name in its language.
type templateNameItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	TemplateID string `dynamodbav:"templateId"`
}

// templateUseItem records that a campaign sends a template.
type templateUseItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
}

func templateUsePrefix(templateID string) string { return templateUseSKPrefix + templateID + "#" }

// PutTemplate implements store.Templates.
func (t *Table) PutTemplate(ctx context.Context, tpl parley.WhatsAppTemplate) error {
	data, err := json.Marshal(tpl)
	if err != nil {
		return fmt.Errorf("encode template %s: %w", tpl.ID, err)
	}
	pk := accountPK(tpl.AccountID)
	var old parley.WhatsAppTemplate
	if tpl.Version > 1 {
		if old, err = t.Template(ctx, tpl.AccountID, tpl.ID); err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
	}
	current, err := encode(templateItem{PK: pk, SK: templateSKPrefix + tpl.ID, Version: tpl.Version, Data: string(data)})
	if err != nil {
		return err
	}
	name, err := encode(templateNameItem{PK: pk, SK: templateNameSKPrefix + tpl.NameKey(), TemplateID: tpl.ID})
	if err != nil {
		return err
	}
	items := versionedClaim(current, tpl.Version, name, "templateId", tpl.ID)
	if old.Version > 0 && old.NameKey() != tpl.NameKey() {
		items = append(items, t.release(pk, templateNameSKPrefix+old.NameKey()))
	}
	err = t.routingTransact(ctx, items)
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "template %s changed meanwhile, or another template has the name %q in %s", tpl.ID, tpl.Name, tpl.Language)
	}
	return err
}

// Template implements store.Templates.
func (t *Table) Template(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error) {
	av, err := t.mustGet(ctx, templateKey(accountID, id), "template", id)
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	return decode[templateItem](av)
}

// Templates implements store.Templates.
func (t *Table) Templates(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(accountPK(accountID)), ":prefix": str(templateSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	out, err := decodeAll[templateItem](avs)
	if out == nil {
		out = []parley.WhatsAppTemplate{}
	}
	return out, err
}

// DeleteTemplate implements store.Templates.
func (t *Table) DeleteTemplate(ctx context.Context, accountID, id string) error {
	tpl, err := t.Template(ctx, accountID, id)
	if err != nil {
		return err
	}
	pk := accountPK(accountID)
	err = t.routingTransact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, templateSKPrefix+id),
			ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: item{":v": num(tpl.Version)}}},
		{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, templateNameSKPrefix+tpl.NameKey()),
			ConditionExpression: aws.String(condNotExists + " OR templateId = :id"), ExpressionAttributeValues: item{":id": str(id)}}},
	})
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "template %s changed meanwhile; read it again", id)
	}
	if err != nil {
		return err
	}
	uses, err := t.TemplateCampaigns(ctx, accountID, id)
	if err != nil {
		return err
	}
	for _, c := range uses {
		key := itemKey(pk, templateUsePrefix(id)+c)
		if _, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.name, Key: key}); err != nil {
			return t.unavailable(err, "DeleteItem")
		}
	}
	return nil
}

// UseTemplate implements store.Templates.
func (t *Table) UseTemplate(ctx context.Context, accountID, templateID, campaignID string) error {
	return t.put(ctx, templateUseItem{PK: accountPK(accountID), SK: templateUsePrefix(templateID) + campaignID}, nil)
}

// TemplateCampaigns implements store.Templates.
func (t *Table) TemplateCampaigns(ctx context.Context, accountID, templateID string) ([]string, error) {
	prefix := templateUsePrefix(templateID)
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(accountPK(accountID)), ":prefix": str(prefix)},
		ProjectionExpression:      aws.String(AttrSK),
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(avs))
	for _, av := range avs {
		out = append(out, strings.TrimPrefix(itemString(av, AttrSK), prefix))
	}
	return out, nil
}
