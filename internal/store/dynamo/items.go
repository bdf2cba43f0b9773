package dynamo

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/window"
)

// Item keys. A campaign and its recipients share a partition; recipient sort
// keys hold the zero-padded recipient id, so their order is Seq order.
const (
	campaignSK        = "CAMPAIGN"
	recipientSKPrefix = "R#"
	sandboxPKPrefix   = "SANDBOX#"
)

// sortableLayout renders an instant in UTC at fixed width, so that for the
// years 0000 to 9999 the order of the strings is the order of the instants.
const sortableLayout = "2006-01-02T15:04:05.000000000Z"

// Bounds of the years sortableLayout orders correctly.
const (
	minSortableYear = 0
	maxSortableYear = 9999
)

// item is one stored item as the SDK carries it.
type item = map[string]types.AttributeValue

func campaignPK(accountID, campaignID string) string {
	return "ACCOUNT#" + accountID + "#CAMPAIGN#" + campaignID
}

func recipientSK(recipientID string) string { return recipientSKPrefix + recipientID }

// accountItem is an account's settings: pk ACCOUNT#<id>, sk SETTINGS. The
// connector secret is sealed in ConnectorSecretSealed; ConnectorSecret holds
// it in clear only in items written before secrets were sealed, until
// Account reads them.
type accountItem struct {
	PK                string    `dynamodbav:"pk"`
	SK                string    `dynamodbav:"sk"`
	ID                string    `dynamodbav:"id"`
	OptOutText        string    `dynamodbav:"optOutText,omitempty"`
	HelpText          string    `dynamodbav:"helpText,omitempty"`
	DefaultSkill      string    `dynamodbav:"defaultSkill,omitempty"`
	DefaultCountry    string    `dynamodbav:"defaultCountry,omitempty"`
	UpdatedAt         time.Time `dynamodbav:"updatedAt"`
	OptOutConfirmText string    `dynamodbav:"optOutConfirmText,omitempty"`
	OptInConfirmText  string    `dynamodbav:"optInConfirmText,omitempty"`
	ConnectorURL      string    `dynamodbav:"connectorUrl,omitempty"`
	ConnectorSecret   string    `dynamodbav:"connectorSecret,omitempty"`
	// DailyRecipientLimit is 0 for the default.
	DailyRecipientLimit int    `dynamodbav:"dailyRecipientLimit,omitempty"`
	TimeZone            string `dynamodbav:"timeZone,omitempty"`
	// ConnectorSecretSealed is secret.EncodeConnector.
	ConnectorSecretSealed []byte `dynamodbav:"connectorSecretSealed,omitempty"`
	// The outbound settings.
	Channels       []parley.ChannelSetting `dynamodbav:"channels,omitempty"`
	DeviceCheck    bool                    `dynamodbav:"deviceCheck,omitempty"`
	OutboundSkills []string                `dynamodbav:"outboundSkills,omitempty"`
}

const accountSK = "SETTINGS"

func accountKey(id string) item { return itemKey("ACCOUNT#"+id, accountSK) }

func newAccountItem(a parley.Account) accountItem {
	return accountItem{PK: "ACCOUNT#" + a.ID, SK: accountSK, ID: a.ID, OptOutText: a.OptOutText,
		HelpText: a.HelpText, DefaultSkill: a.DefaultSkill, DefaultCountry: a.DefaultCountry, UpdatedAt: a.UpdatedAt,
		OptOutConfirmText: a.OptOutConfirmText, OptInConfirmText: a.OptInConfirmText,
		ConnectorURL: a.ConnectorURL, DailyRecipientLimit: a.DailyRecipientLimit, TimeZone: a.TimeZone,
		Channels: a.Channels, DeviceCheck: a.DeviceCheck, OutboundSkills: a.OutboundSkills}
}

// domain returns the account without its connector secret, which Account
// opens.
func (it accountItem) domain() parley.Account {
	return parley.Account{ID: it.ID, OptOutText: it.OptOutText, HelpText: it.HelpText, DefaultSkill: it.DefaultSkill,
		DefaultCountry: it.DefaultCountry, UpdatedAt: it.UpdatedAt,
		OptOutConfirmText: it.OptOutConfirmText, OptInConfirmText: it.OptInConfirmText,
		ConnectorURL: it.ConnectorURL, DailyRecipientLimit: it.DailyRecipientLimit, TimeZone: it.TimeZone,
		Channels: it.Channels, DeviceCheck: it.DeviceCheck, OutboundSkills: it.OutboundSkills}
}

// templateJSON stores a campaign's template snapshot as one JSON string.
type templateJSON parley.WhatsAppTemplate

// MarshalDynamoDBAttributeValue implements attributevalue.Marshaler.
func (t templateJSON) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	data, err := json.Marshal(parley.WhatsAppTemplate(t))
	return str(string(data)), err
}

// UnmarshalDynamoDBAttributeValue implements attributevalue.Unmarshaler.
func (t *templateJSON) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("template attribute is %T, not a string", av)
	}
	return json.Unmarshal([]byte(s.Value), (*parley.WhatsAppTemplate)(t))
}

// templateItem is a WhatsApp template definition, kept whole as JSON under
// pk ACCOUNT#<account>, sk TEMPLATE#<id>.
type templateItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
	Data    string `dynamodbav:"data"`
}

const templateSKPrefix = "TEMPLATE#"

func templateKey(accountID, id string) item {
	return itemKey("ACCOUNT#"+accountID, templateSKPrefix+id)
}

func (it templateItem) domain() parley.WhatsAppTemplate {
	var t parley.WhatsAppTemplate
	_ = json.Unmarshal([]byte(it.Data), &t) // written by PutTemplate from a valid template
	return t
}

// sandboxRefSK and sandboxRefPK key a sandbox message by its recipient.
const sandboxRefSK = "SANDBOX"

func sandboxRefPK(accountID, campaignID, recipientID string) string {
	return campaignPK(accountID, campaignID) + "#SANDBOX#" + recipientID
}

func sandboxSK(m parley.SentMessage) string {
	return sortable(m.SentAt) + "#" + m.ID
}

func sortable(t time.Time) string { return t.UTC().Format(sortableLayout) }

// dueString is t as the due index sorts it. Outside the years sortableLayout
// orders it is EINVALID, as the index would list such a recipient out of
// order.
func dueString(t time.Time) (string, error) {
	if y := t.UTC().Year(); y < minSortableYear || y > maxSortableYear {
		return "", parley.Errorf(parley.EINVALID, "due time %s is outside the years %04d to %d",
			t.UTC().Format(time.RFC3339), minSortableYear, maxSortableYear)
	}
	return sortable(t), nil
}

// dueTime is a recipient's DueAt as its item stores it: in sortableLayout,
// because the due index sorts by it.
type dueTime time.Time

// MarshalDynamoDBAttributeValue implements attributevalue.Marshaler.
func (t dueTime) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	s, err := dueString(time.Time(t))
	if err != nil {
		return nil, err
	}
	return str(s), nil
}

// UnmarshalDynamoDBAttributeValue implements attributevalue.Unmarshaler. It
// reads any RFC 3339 time, of which sortableLayout is one form.
func (t *dueTime) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("%s is %T, want a string", AttrDueAt, av)
	}
	v, err := time.Parse(time.RFC3339Nano, s.Value)
	if err != nil {
		return fmt.Errorf("%s: %w", AttrDueAt, err)
	}
	*t = dueTime(v)
	return nil
}

// dueShard is the due index partition of the recipient item with key pk,
// sk: a stable hash of the key spreads the SCHEDULED recipients of one
// campaign over all DueShards partitions.
func dueShard(status parley.RecipientStatus, pk, sk string) string {
	h := fnv.New32a()
	h.Write([]byte(pk))
	h.Write([]byte{0})
	h.Write([]byte(sk))
	return dueShardName(status, int(h.Sum32()%DueShards))
}

// dueShardName names shard n of the index entries of recipients in status.
func dueShardName(status parley.RecipientStatus, n int) string {
	return string(status) + "#" + strconv.Itoa(n)
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
	PK             string        `dynamodbav:"pk"`
	SK             string        `dynamodbav:"sk"`
	FanoutPending  string        `dynamodbav:"fanoutPending,omitempty"`
	AccountID      string        `dynamodbav:"accountId"`
	ID             string        `dynamodbav:"id"`
	Name           string        `dynamodbav:"name,omitempty"`
	Skill          string        `dynamodbav:"skill,omitempty"`
	TemplateID     string        `dynamodbav:"templateId,omitempty"`
	OutboundNumber string        `dynamodbav:"outboundNumber,omitempty"`
	Channel        string        `dynamodbav:"channel,omitempty"`
	Message        string        `dynamodbav:"message,omitempty"`
	OptOutText     string        `dynamodbav:"optOutText,omitempty"`
	DefaultCountry string        `dynamodbav:"defaultCountry,omitempty"`
	Consent        bool          `dynamodbav:"consent"`
	Recipients     int           `dynamodbav:"recipients"`
	FannedOut      int           `dynamodbav:"fannedOut"`
	CreatedAt      time.Time     `dynamodbav:"createdAt"`
	Schedule       scheduleItem  `dynamodbav:"schedule"`
	LookbackNanos  time.Duration `dynamodbav:"lookbackNanos"`
	State          string        `dynamodbav:"state,omitempty"` // stateValue; absent on items older than states
	CallID         string        `dynamodbav:"callId,omitempty"`
	HandoffID      string        `dynamodbav:"handoffId,omitempty"`
	IVRNumber      string        `dynamodbav:"ivrNumber,omitempty"`
	Template       *templateJSON `dynamodbav:"template,omitempty"`
	Apps           []string      `dynamodbav:"apps,omitempty"`
	CreatedBy      string        `dynamodbav:"createdBy,omitempty"`
	LaunchAt       time.Time     `dynamodbav:"launchAt"`
	CompletedAt    time.Time     `dynamodbav:"completedAt"`
	StateChangedAt time.Time     `dynamodbav:"stateChangedAt"`
	// CampaignsOf and CreatedKey place the campaign in IndexCampaigns;
	// items written before the index have neither and are not listed.
	CampaignsOf string `dynamodbav:"campaignsOf,omitempty"`
	CreatedKey  string `dynamodbav:"createdKey,omitempty"`
}

// campaignsOf is the IndexCampaigns partition of an account's campaigns.
func campaignsOf(accountID string) string { return "ACCOUNT#" + accountID }

// createdKey is the IndexCampaigns sort key of the campaign at p.
func createdKey(p store.CampaignPosition) string { return sortable(p.CreatedAt) + "#" + p.ID }

// stateActive stores parley.StateActive, whose Go value is empty.
const stateActive = "ACTIVE"

func stateValue(s parley.CampaignState) string {
	if s == parley.StateActive {
		return stateActive
	}
	return string(s)
}

func stateOf(v string) parley.CampaignState {
	if v == stateActive {
		return parley.StateActive
	}
	return parley.CampaignState(v)
}

// scheduleItem is a campaign's window.Schedule: the window's minutes after
// local midnight and its weekdays indexed by time.Weekday, and the optional
// span (zero times when open-ended).
type scheduleItem struct {
	WindowStart int       `dynamodbav:"windowStart"`
	WindowEnd   int       `dynamodbav:"windowEnd"`
	Days        [7]bool   `dynamodbav:"days"`
	StartAt     time.Time `dynamodbav:"startAt"`
	EndAt       time.Time `dynamodbav:"endAt"`
}

func newScheduleItem(s window.Schedule) scheduleItem {
	return scheduleItem{WindowStart: s.Window.Start, WindowEnd: s.Window.End, Days: s.Window.Days, StartAt: s.StartAt, EndAt: s.EndAt}
}

func (it scheduleItem) domain() window.Schedule {
	return window.Schedule{
		Window:  window.Window{Start: it.WindowStart, End: it.WindowEnd, Days: it.Days},
		StartAt: it.StartAt, EndAt: it.EndAt,
	}
}

func newCampaignItem(c parley.Campaign) campaignItem {
	it := campaignItem{
		PK: campaignPK(c.AccountID, c.ID), SK: campaignSK,
		AccountID: c.AccountID, ID: c.ID, Name: c.Name, Skill: c.Skill, TemplateID: c.TemplateID,
		OutboundNumber: c.OutboundNumber, Channel: string(c.Channel), Message: c.Message, OptOutText: c.OptOutText,
		DefaultCountry: c.DefaultCountry, Consent: c.Consent, Recipients: c.Recipients, FannedOut: c.FannedOut, CreatedAt: c.CreatedAt,
		Schedule: newScheduleItem(c.Schedule), LookbackNanos: c.Lookback, State: stateValue(c.State), CallID: c.CallID,
		HandoffID: c.HandoffID, IVRNumber: c.IVRNumber,
		Apps:      c.Apps,
		Template:  (*templateJSON)(c.Template),
		CreatedBy: c.CreatedBy, LaunchAt: c.LaunchAt, CompletedAt: c.CompletedAt, StateChangedAt: c.StateChangedAt,
		CampaignsOf: campaignsOf(c.AccountID), CreatedKey: createdKey(store.PositionOf(c)),
	}
	if !c.FanoutDone() {
		it.FanoutPending = FanoutPendingValue
	}
	return it
}

func (it campaignItem) domain() parley.Campaign {
	return parley.Campaign{
		AccountID: it.AccountID, ID: it.ID, Name: it.Name, Skill: it.Skill, TemplateID: it.TemplateID,
		OutboundNumber: it.OutboundNumber, Channel: parley.Channel(it.Channel), Message: it.Message, OptOutText: it.OptOutText,
		DefaultCountry: it.DefaultCountry, Consent: it.Consent, Recipients: it.Recipients, FannedOut: it.FannedOut, CreatedAt: it.CreatedAt,
		Schedule: it.Schedule.domain(), Lookback: it.LookbackNanos, State: stateOf(it.State), CallID: it.CallID,
		HandoffID: it.HandoffID, IVRNumber: it.IVRNumber,
		Apps:      it.Apps,
		Template:  (*parley.WhatsAppTemplate)(it.Template),
		CreatedBy: it.CreatedBy, LaunchAt: it.LaunchAt, CompletedAt: it.CompletedAt, StateChangedAt: it.StateChangedAt,
	}
}

type recipientItem struct {
	PK                string            `dynamodbav:"pk"`
	SK                string            `dynamodbav:"sk"`
	DueShard          string            `dynamodbav:"dueShard,omitempty"`
	AccountID         string            `dynamodbav:"accountId"`
	CampaignID        string            `dynamodbav:"campaignId"`
	ID                string            `dynamodbav:"id"`
	Seq               int               `dynamodbav:"seq"`
	Channel           string            `dynamodbav:"channel,omitempty"`
	Phone             string            `dynamodbav:"phone,omitempty"`
	ConsumerID        string            `dynamodbav:"consumerId,omitempty"`
	Zones             []string          `dynamodbav:"zones,omitempty"`
	Variables         map[string]string `dynamodbav:"variables,omitempty"`
	SDEs              map[string]string `dynamodbav:"sdes,omitempty"`
	Body              string            `dynamodbav:"body,omitempty"`
	HeaderURL         string            `dynamodbav:"headerUrl,omitempty"`
	ButtonValue       string            `dynamodbav:"buttonValue,omitempty"`
	Status            string            `dynamodbav:"status"`
	ErrorMessage      string            `dynamodbav:"errorMessage,omitempty"`
	ProviderMessageID string            `dynamodbav:"providerMessageId,omitempty"`
	Attempts          int               `dynamodbav:"attempts"`
	Claimant          string            `dynamodbav:"claimant,omitempty"`
	DueAt             dueTime           `dynamodbav:"dueAt"`
	UpdatedAt         time.Time         `dynamodbav:"updatedAt"`
	Skill             string            `dynamodbav:"skill,omitempty"`
	// Chunked says that intake wrote the recipient into a chunk, which
	// counted its intake steps (see lifecycle.go).
	Chunked bool `dynamodbav:"chunked,omitempty"`
	timelineItem
}

// newRecipientItem is r's item; a SCHEDULED recipient is in the due index.
func newRecipientItem(r parley.Recipient) recipientItem {
	it := recipientItem{
		PK: campaignPK(r.AccountID, r.CampaignID), SK: recipientSK(r.ID),
		AccountID: r.AccountID, CampaignID: r.CampaignID, ID: r.ID, Seq: r.Seq,
		Channel: string(r.Channel), Phone: r.Phone, ConsumerID: r.ConsumerID, Zones: r.Zones, Variables: r.Variables, SDEs: r.SDEs, Body: r.Body,
		HeaderURL: r.HeaderURL, ButtonValue: r.ButtonValue, Status: string(r.Status), ErrorMessage: r.ErrorMessage, ProviderMessageID: r.ProviderMessageID,
		Attempts: r.Attempts, Claimant: r.Claimant, DueAt: dueTime(r.DueAt), UpdatedAt: r.UpdatedAt,
		Skill: r.Skill, timelineItem: newTimelineItem(r.Timeline),
	}
	if r.Status.Indexed() {
		it.DueShard = dueShard(r.Status, it.PK, it.SK)
	}
	return it
}

func (it recipientItem) domain() parley.Recipient {
	return parley.Recipient{
		AccountID: it.AccountID, CampaignID: it.CampaignID, ID: it.ID, Seq: it.Seq,
		Channel: parley.Channel(it.Channel), Phone: it.Phone, ConsumerID: it.ConsumerID, Zones: it.Zones, Variables: it.Variables, SDEs: it.SDEs, Body: it.Body,
		HeaderURL: it.HeaderURL, ButtonValue: it.ButtonValue, Status: parley.RecipientStatus(it.Status), ErrorMessage: it.ErrorMessage, ProviderMessageID: it.ProviderMessageID,
		Attempts: it.Attempts, Claimant: it.Claimant, DueAt: time.Time(it.DueAt), UpdatedAt: it.UpdatedAt,
		Skill: it.Skill, Timeline: it.timelineItem.domain(),
	}
}

type sandboxItem struct {
	PK          string           `dynamodbav:"pk"`
	SK          string           `dynamodbav:"sk"`
	ID          string           `dynamodbav:"id"`
	Channel     string           `dynamodbav:"channel,omitempty"`
	To          string           `dynamodbav:"to,omitempty"`
	From        string           `dynamodbav:"from,omitempty"`
	Body        string           `dynamodbav:"body,omitempty"`
	Template    *parley.Template `dynamodbav:"template,omitempty"`
	CampaignID  string           `dynamodbav:"campaignId,omitempty"`
	AccountID   string           `dynamodbav:"accountId,omitempty"`
	RecipientID string           `dynamodbav:"recipientId,omitempty"`
	SentAt      time.Time        `dynamodbav:"sentAt"`
	// ExpiresAt is the TTL, epoch seconds: store.SandboxTTL after SentAt.
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

func newSandboxItem(m parley.SentMessage) sandboxItem {
	return sandboxItem{
		PK: sandboxPKPrefix + m.AccountID, SK: sandboxSK(m), ExpiresAt: m.SentAt.Add(store.SandboxTTL).Unix(),
		ID: m.ID, Channel: string(m.Channel), To: m.To, From: m.From, Body: m.Body, Template: m.Template,
		CampaignID: m.CampaignID, AccountID: m.AccountID, RecipientID: m.RecipientID, SentAt: m.SentAt,
	}
}

func (it sandboxItem) domain() parley.SentMessage {
	return parley.SentMessage{
		ID: it.ID, Channel: parley.Channel(it.Channel), To: it.To, From: it.From, Body: it.Body, Template: it.Template,
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
