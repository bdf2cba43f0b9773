package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

// Item keys. A campaign and its recipients share a partition; recipient sort
// keys hold the zero-padded recipient id, so their order is Seq order.
const (
	campaignSK         = "CAMPAIGN"
	recipientSKPrefix  = "R#"
	sandboxPK          = "SANDBOX"
	sandboxSKTimestamp = "2006-01-02T15:04:05.000000000Z07:00" // fixed width in UTC
)

// item is one stored item as the SDK carries it.
type item = map[string]types.AttributeValue

func campaignPK(accountID, campaignID string) string {
	return "ACCOUNT#" + accountID + "#CAMPAIGN#" + campaignID
}

func recipientSK(recipientID string) string { return recipientSKPrefix + recipientID }

func sandboxSK(m parley.SentMessage) string {
	return m.SentAt.UTC().Format(sandboxSKTimestamp) + "#" + m.ID
}

func itemKey(pk, sk string) item {
	return item{AttrPK: str(pk), AttrSK: str(sk)}
}

func campaignKey(accountID, campaignID string) item {
	return itemKey(campaignPK(accountID, campaignID), campaignSK)
}

func recipientKey(ref parley.Ref) item {
	return itemKey(campaignPK(ref.AccountID, ref.CampaignID), recipientSK(ref.RecipientID))
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }

// timeValue encodes t as attributevalue encodes the items' time.Time fields.
func timeValue(t time.Time) types.AttributeValue { return str(t.Format(time.RFC3339Nano)) }

type campaignItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	FanoutPending  string    `dynamodbav:"fanoutPending,omitempty"`
	AccountID      string    `dynamodbav:"accountId"`
	ID             string    `dynamodbav:"id"`
	Name           string    `dynamodbav:"name,omitempty"`
	Skill          string    `dynamodbav:"skill,omitempty"`
	TemplateID     string    `dynamodbav:"templateId,omitempty"`
	OutboundNumber string    `dynamodbav:"outboundNumber,omitempty"`
	Channel        string    `dynamodbav:"channel,omitempty"`
	Message        string    `dynamodbav:"message,omitempty"`
	Consent        bool      `dynamodbav:"consent"`
	Recipients     int       `dynamodbav:"recipients"`
	FannedOut      int       `dynamodbav:"fannedOut"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
}

func newCampaignItem(c parley.Campaign) campaignItem {
	it := campaignItem{
		PK: campaignPK(c.AccountID, c.ID), SK: campaignSK,
		AccountID: c.AccountID, ID: c.ID, Name: c.Name, Skill: c.Skill, TemplateID: c.TemplateID,
		OutboundNumber: c.OutboundNumber, Channel: string(c.Channel), Message: c.Message,
		Consent: c.Consent, Recipients: c.Recipients, FannedOut: c.FannedOut, CreatedAt: c.CreatedAt,
	}
	if !c.FanoutDone() {
		it.FanoutPending = FanoutPendingValue
	}
	return it
}

func (it campaignItem) domain() parley.Campaign {
	return parley.Campaign{
		AccountID: it.AccountID, ID: it.ID, Name: it.Name, Skill: it.Skill, TemplateID: it.TemplateID,
		OutboundNumber: it.OutboundNumber, Channel: parley.Channel(it.Channel), Message: it.Message,
		Consent: it.Consent, Recipients: it.Recipients, FannedOut: it.FannedOut, CreatedAt: it.CreatedAt,
	}
}

type recipientItem struct {
	PK                string            `dynamodbav:"pk"`
	SK                string            `dynamodbav:"sk"`
	AccountID         string            `dynamodbav:"accountId"`
	CampaignID        string            `dynamodbav:"campaignId"`
	ID                string            `dynamodbav:"id"`
	Seq               int               `dynamodbav:"seq"`
	Channel           string            `dynamodbav:"channel,omitempty"`
	Phone             string            `dynamodbav:"phone,omitempty"`
	Variables         map[string]string `dynamodbav:"variables,omitempty"`
	Body              string            `dynamodbav:"body,omitempty"`
	Status            string            `dynamodbav:"status"`
	ErrorMessage      string            `dynamodbav:"errorMessage,omitempty"`
	ProviderMessageID string            `dynamodbav:"providerMessageId,omitempty"`
	Attempts          int               `dynamodbav:"attempts"`
	DueAt             time.Time         `dynamodbav:"dueAt"`
	UpdatedAt         time.Time         `dynamodbav:"updatedAt"`
}

func newRecipientItem(r parley.Recipient) recipientItem {
	return recipientItem{
		PK: campaignPK(r.AccountID, r.CampaignID), SK: recipientSK(r.ID),
		AccountID: r.AccountID, CampaignID: r.CampaignID, ID: r.ID, Seq: r.Seq,
		Channel: string(r.Channel), Phone: r.Phone, Variables: r.Variables, Body: r.Body,
		Status: string(r.Status), ErrorMessage: r.ErrorMessage, ProviderMessageID: r.ProviderMessageID,
		Attempts: r.Attempts, DueAt: r.DueAt, UpdatedAt: r.UpdatedAt,
	}
}

func (it recipientItem) domain() parley.Recipient {
	return parley.Recipient{
		AccountID: it.AccountID, CampaignID: it.CampaignID, ID: it.ID, Seq: it.Seq,
		Channel: parley.Channel(it.Channel), Phone: it.Phone, Variables: it.Variables, Body: it.Body,
		Status: parley.RecipientStatus(it.Status), ErrorMessage: it.ErrorMessage, ProviderMessageID: it.ProviderMessageID,
		Attempts: it.Attempts, DueAt: it.DueAt, UpdatedAt: it.UpdatedAt,
	}
}

type sandboxItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	ID          string    `dynamodbav:"id"`
	Channel     string    `dynamodbav:"channel,omitempty"`
	To          string    `dynamodbav:"to,omitempty"`
	From        string    `dynamodbav:"from,omitempty"`
	Body        string    `dynamodbav:"body,omitempty"`
	CampaignID  string    `dynamodbav:"campaignId,omitempty"`
	AccountID   string    `dynamodbav:"accountId,omitempty"`
	RecipientID string    `dynamodbav:"recipientId,omitempty"`
	SentAt      time.Time `dynamodbav:"sentAt"`
}

func newSandboxItem(m parley.SentMessage) sandboxItem {
	return sandboxItem{
		PK: sandboxPK, SK: sandboxSK(m),
		ID: m.ID, Channel: string(m.Channel), To: m.To, From: m.From, Body: m.Body,
		CampaignID: m.CampaignID, AccountID: m.AccountID, RecipientID: m.RecipientID, SentAt: m.SentAt,
	}
}

func (it sandboxItem) domain() parley.SentMessage {
	return parley.SentMessage{
		ID: it.ID, Channel: parley.Channel(it.Channel), To: it.To, From: it.From, Body: it.Body,
		CampaignID: it.CampaignID, AccountID: it.AccountID, RecipientID: it.RecipientID, SentAt: it.SentAt,
	}
}

// storedItem is an item struct that converts to its domain type D.
type storedItem[D any] interface {
	domain() D
}

// encode marshals an item struct.
func encode(v any) (item, error) {
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return av, nil
}

// decode unmarshals av into the item struct I and returns its domain value.
func decode[I storedItem[D], D any](av item) (D, error) {
	var it I
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		var zero D
		return zero, fmt.Errorf("decode %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
	}
	return it.domain(), nil
}

// decodeAll decodes a list of items.
func decodeAll[I storedItem[D], D any](avs []item) ([]D, error) {
	out := make([]D, 0, len(avs))
	for _, av := range avs {
		v, err := decode[I](av)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func itemString(av item, name string) string {
	if s, ok := av[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
