package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Telephone campaigns.
//
// An account's telephone campaigns are one item collection, pk
// ACCOUNT#<account>#PHONECAMPAIGNS, sk <id>, each holding its state and its
// JSON. A campaign's entries are another, pk
// ACCOUNT#<account>#PHONECAMPAIGN#<id>, sk E#<contact id>: each is added
// with a conditional PutItem (one request per entry), so adding the same
// contacts again adds nothing. The campaign's pacer state is the item sk
// PACER of that collection, written on the condition of its version.

var _ store.PhoneCampaigns = (*Table)(nil)

const (
	entrySKPrefix = "E#"
	pacerSK       = "PACER"
)

func phoneCampaignsPK(accountID string) string { return "ACCOUNT#" + accountID + "#PHONECAMPAIGNS" }

func entriesPK(accountID, campaignID string) string {
	return "ACCOUNT#" + accountID + "#PHONECAMPAIGN#" + campaignID
}

// phoneCampaignItem is a telephone campaign; state is kept beside the JSON
// so that transitions are conditional on it.
type phoneCampaignItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	State string `dynamodbav:"state"`
	Data  string `dynamodbav:"data"`
	// Active puts an active campaign on the fanout index under
	// phoneActiveValue (see ActivePhoneCampaigns); absent otherwise.
	Active string `dynamodbav:"fanoutPending,omitempty"`
}

// phoneActiveValue is the fanout index partition of the active telephone
// campaigns: the index is sparse and keyed by value, so they never mix
// with the campaigns whose fan-out is pending (FanoutPendingValue).
const phoneActiveValue = "phone-active"

// phoneActive is the index value of a campaign in state s.
func phoneActive(s dialer.CampaignState) string {
	if s == dialer.CampaignActive {
		return phoneActiveValue
	}
	return ""
}

func (it phoneCampaignItem) domain() dialer.Campaign {
	var c dialer.Campaign
	_ = json.Unmarshal([]byte(it.Data), &c) // written by this file
	c.State = dialer.CampaignState(it.State)
	return c
}

func newPhoneCampaignItem(c dialer.Campaign) (phoneCampaignItem, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return phoneCampaignItem{}, fmt.Errorf("encode telephone campaign %s: %w", c.ID, err)
	}
	return phoneCampaignItem{PK: phoneCampaignsPK(c.AccountID), SK: c.ID, State: string(c.State), Data: string(data), Active: phoneActive(c.State)}, nil
}

// entryItem is one entry of a campaign as AddEntries writes it: waiting,
// so on the due index (see queuePartition).
type entryItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Data     string `dynamodbav:"data"`
	DueShard string `dynamodbav:"dueShard,omitempty"`
	DueAt    string `dynamodbav:"dueAt,omitempty"`
}

func (it entryItem) domain() dialer.Entry {
	var e dialer.Entry
	_ = json.Unmarshal([]byte(it.Data), &e) // written by AddEntries
	return e
}

// CreatePhoneCampaign implements store.PhoneCampaigns.
func (t *Table) CreatePhoneCampaign(ctx context.Context, c dialer.Campaign) error {
	it, err := newPhoneCampaignItem(c)
	if err != nil {
		return err
	}
	err = t.put(ctx, it, aws.String(condNotExists))
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "telephone campaign %s exists", c.ID)
	}
	return err
}

// PhoneCampaign implements store.PhoneCampaigns.
func (t *Table) PhoneCampaign(ctx context.Context, accountID, id string) (dialer.Campaign, error) {
	av, err := t.mustGet(ctx, itemKey(phoneCampaignsPK(accountID), id), "telephone campaign", id)
	if err != nil {
		return dialer.Campaign{}, err
	}
	return decode[phoneCampaignItem](av)
}

// PhoneCampaigns implements store.PhoneCampaigns.
func (t *Table) PhoneCampaigns(ctx context.Context, accountID string) ([]dialer.Campaign, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(phoneCampaignsPK(accountID))},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[phoneCampaignItem](avs)
}

// ActivePhoneCampaigns implements store.PhoneCampaigns: a query of the
// fanout index's phoneActiveValue partition (eventually consistent).
func (t *Table) ActivePhoneCampaigns(ctx context.Context) ([]dialer.Campaign, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexFanout),
		KeyConditionExpression:    aws.String(AttrFanoutPending + " = :active"),
		ExpressionAttributeValues: item{":active": str(phoneActiveValue)},
	}, 0)
	if err != nil {
		return nil, err
	}
	out, err := decodeAll[phoneCampaignItem](avs)
	if out == nil && err == nil {
		out = []dialer.Campaign{}
	}
	return out, err
}

// SetPhoneCampaignState implements store.PhoneCampaigns.
func (t *Table) SetPhoneCampaignState(ctx context.Context, accountID, id string, from, to dialer.CampaignState) (dialer.Campaign, error) {
	expr, values := "SET #state = :to REMOVE "+AttrFanoutPending, item{":to": str(string(to)), ":from": str(string(from))}
	if v := phoneActive(to); v != "" {
		expr = "SET #state = :to, " + AttrFanoutPending + " = :active"
		values[":active"] = str(v)
	}
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       itemKey(phoneCampaignsPK(accountID), id),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(condExists + " AND #state = :from"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: values,
	})
	switch {
	case errors.Is(err, errCondition) && av == nil:
		return dialer.Campaign{}, notFound("telephone campaign", id)
	case errors.Is(err, errCondition):
		c, derr := decode[phoneCampaignItem](av)
		if derr != nil {
			return dialer.Campaign{}, derr
		}
		return c, parley.Errorf(parley.ECONFLICT, "telephone campaign %s is %s, not %s", id, c.State, from)
	case err != nil:
		return dialer.Campaign{}, err
	}
	return decode[phoneCampaignItem](av)
}

// AddEntries implements store.PhoneCampaigns.
func (t *Table) AddEntries(ctx context.Context, accountID, campaignID string, es []dialer.Entry) (int, error) {
	added := 0
	pk := entriesPK(accountID, campaignID)
	for _, e := range es {
		data, err := json.Marshal(e)
		if err != nil {
			return added, fmt.Errorf("encode entry %s: %w", e.ContactID, err)
		}
		q := entryQueued(accountID, campaignID, e)
		err = t.put(ctx, entryItem{PK: pk, SK: entrySKPrefix + e.ContactID, Data: string(data), DueShard: q.shard, DueAt: q.at}, aws.String(condNotExists))
		switch {
		case errors.Is(err, errCondition):
		case err != nil:
			return added, err
		default:
			added++
		}
	}
	return added, nil
}

// Entries implements store.PhoneCampaigns.
func (t *Table) Entries(ctx context.Context, accountID, campaignID, afterContactID string, limit int) ([]dialer.Entry, error) {
	pk := entriesPK(accountID, campaignID)
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(pk), ":prefix": str(entrySKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}
	if afterContactID != "" {
		in.ExclusiveStartKey = itemKey(pk, entrySKPrefix+afterContactID)
	}
	avs, err := t.query(ctx, in, min(max(limit, 1), store.MaxPage))
	if err != nil {
		return nil, err
	}
	return decodeAll[entryItem](avs)
}

// pacerItem is a campaign's pacer state with its version.
type pacerItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
	Data    string `dynamodbav:"data"`
}

// PacerState implements store.PhoneCampaigns.
func (t *Table) PacerState(ctx context.Context, accountID, campaignID string) (dialer.State, int, error) {
	av, err := t.get(ctx, itemKey(entriesPK(accountID, campaignID), pacerSK))
	if err != nil || av == nil {
		return dialer.State{}, 0, err
	}
	var it pacerItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return dialer.State{}, 0, fmt.Errorf("decode the pacer state of %s: %w", campaignID, err)
	}
	var st dialer.State
	if err := json.Unmarshal([]byte(it.Data), &st); err != nil {
		return dialer.State{}, 0, fmt.Errorf("decode the pacer state of %s: %w", campaignID, err)
	}
	return st, it.Version, nil
}

// PutPacerState implements store.PhoneCampaigns.
func (t *Table) PutPacerState(ctx context.Context, accountID, campaignID string, state dialer.State, version int) error {
	data, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode the pacer state of %s: %w", campaignID, err)
	}
	av, err := encode(pacerItem{PK: entriesPK(accountID, campaignID), SK: pacerSK, Version: version, Data: string(data)})
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &t.name, Item: av, ConditionExpression: aws.String(condNotExists)}
	if version > 1 {
		in.ConditionExpression = aws.String("version = :prev")
		in.ExpressionAttributeValues = item{":prev": num(version - 1)}
	}
	_, err = t.db.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return parley.Errorf(parley.ECONFLICT, "the pacer state of %s is not at version %d", campaignID, version-1)
	case err != nil:
		return t.unavailable(err, "PutItem")
	}
	return nil
}

// A campaign's calls are items sk L#<provider id> of its entries'
// collection; an account's operators are the collection pk
// ACCOUNT#<account>#PHONEAGENTS, sk <id>. Entries, calls and operators
// carry their revision in the attribute rev beside their JSON, and every
// change is a PutItem on the condition of the revision read.

const phoneCallSKPrefix = "L#"

func phoneAgentsPK(accountID string) string { return "ACCOUNT#" + accountID + "#PHONEAGENTS" }

// revItem is an entry, call or operator with its revision. An open entry
// or call is also on the due index (see queueIndex).
type revItem[D any] struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Rev      int    `dynamodbav:"rev"`
	Data     string `dynamodbav:"data"`
	DueShard string `dynamodbav:"dueShard,omitempty"`
	DueAt    string `dynamodbav:"dueAt,omitempty"`
	// SessionsOf and SessionKey put a call with an operator (a session)
	// on the campaigns index (see sessionsPartition).
	SessionsOf string `dynamodbav:"campaignsOf,omitempty"`
	SessionKey string `dynamodbav:"createdKey,omitempty"`
}

// queued is where an item is on the due index: the partition (AttrDueShard)
// and sort key (AttrDueAt), and for a session on the campaigns index; the
// zero value is on neither.
type queued struct{ shard, at, sessionsOf, sessionKey string }

// An account's sessions are on the campaigns index (IndexCampaigns, which
// projects every attribute) in a partition of their own beside its
// campaigns' ACCOUNT#<account>: PHONESESSIONS#<account>, sort key
// <placedAt>#<campaign>#<call id>. A call carries them from when it has an
// operator, so each of its later writes also writes the index.
func sessionsPartition(accountID string) string { return "PHONESESSIONS#" + accountID }

// The pacer's reads of a campaign are on the due index (IndexDue, which
// projects every attribute), in partitions of their own beside the
// recipients' DUE#<n>:
//
//	PHONEQ#<account>#<campaign>#W   sk <nextAttemptAt>#<contact>   a waiting entry
//	PHONEQ#<account>#<campaign>#P   sk <contact>                   an entry in progress
//	PHONEQ#<account>#<campaign>#C   sk <call id>                   a call that has not ended
//
// An entry or call carries these attributes while it is open, so each of
// its writes then also writes the index (one more write unit); processed
// entries and ended calls leave it. A pacing round reads only what is
// open, eventually consistent, and claims an entry on its revision.
func queuePartition(accountID, campaignID, kind string) string {
	return "PHONEQ#" + accountID + "#" + campaignID + "#" + kind
}

func entryQueued(accountID, campaignID string, e dialer.Entry) queued {
	switch e.Status {
	case dialer.EntryWaiting:
		return queued{shard: queuePartition(accountID, campaignID, "W"), at: sortable(e.NextAttemptAt) + "#" + e.ContactID}
	case dialer.EntryInProgress:
		return queued{shard: queuePartition(accountID, campaignID, "P"), at: e.ContactID}
	}
	return queued{}
}

func callQueued(c dialer.Call) queued {
	var q queued
	if c.Status != dialer.CallEnded {
		q.shard, q.at = queuePartition(c.AccountID, c.CampaignID, "C"), c.ProviderID
	}
	if c.Operator != "" {
		q.sessionsOf, q.sessionKey = sessionsPartition(c.AccountID), contactCallSK(c.PlacedAt, c.CampaignID, c.ProviderID)
	}
	return q
}

// PhoneSessions implements store.PhoneCampaigns: it queries the sessions'
// partition of the campaigns index a page of limit at a time, newest
// first, until limit match or store.MaxPage were examined.
func (t *Table) PhoneSessions(ctx context.Context, accountID string, f dialer.SessionFilter, cursor string, limit int) ([]dialer.Call, string, error) {
	limit = min(max(limit, 1), store.MaxPage)
	before := ""
	if cursor != "" {
		at, parts, err := parley.DecodeCursor(cursor, 2)
		if err != nil {
			return nil, "", err
		}
		before = contactCallSK(at, parts[0], parts[1])
	}
	out := []dialer.Call{}
	examined := 0
	var last dialer.Call
	for len(out) < limit && examined < store.MaxPage {
		in := &dynamodb.QueryInput{
			IndexName:                 aws.String(IndexCampaigns),
			KeyConditionExpression:    aws.String(AttrCampaignsOf + " = :p"),
			ExpressionAttributeValues: item{":p": str(sessionsPartition(accountID))},
			ScanIndexForward:          aws.Bool(false),
		}
		if before != "" {
			in.KeyConditionExpression = aws.String(AttrCampaignsOf + " = :p AND " + AttrCreatedKey + " < :before")
			in.ExpressionAttributeValues[":before"] = str(before)
		}
		want := min(limit-len(out), store.MaxPage-examined)
		avs, err := t.query(ctx, in, want)
		if err != nil {
			return nil, "", err
		}
		calls, err := decodeAll[revItem[dialer.Call]](avs)
		if err != nil {
			return nil, "", err
		}
		for _, c := range calls {
			examined++
			last = c
			if f.Matches(c) {
				out = append(out, c)
			}
		}
		if len(calls) < want {
			return out, "", nil
		}
		before = contactCallSK(last.PlacedAt, last.CampaignID, last.ProviderID)
	}
	return out, parley.EncodeCursor(last.PlacedAt, last.CampaignID, last.ProviderID), nil
}

// listQueued reads a partition of the due index whose sort key is below
// before ("" for all), at most limit items (0 for all).
func (t *Table) listQueued(ctx context.Context, shard, before string, limit int) ([]item, error) {
	in := &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexDue),
		KeyConditionExpression:    aws.String(AttrDueShard + " = :shard"),
		ExpressionAttributeValues: item{":shard": str(shard)},
	}
	if before != "" {
		in.KeyConditionExpression = aws.String(AttrDueShard + " = :shard AND " + AttrDueAt + " < :before")
		in.ExpressionAttributeValues[":before"] = str(before)
	}
	return t.query(ctx, in, limit)
}

// InProgressEntries implements store.PhoneCampaigns.
func (t *Table) InProgressEntries(ctx context.Context, accountID, campaignID string) ([]dialer.Entry, error) {
	avs, err := t.listQueued(ctx, queuePartition(accountID, campaignID, "P"), "", 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[revItem[dialer.Entry]](avs)
}

// DueEntries implements store.PhoneCampaigns.
func (t *Table) DueEntries(ctx context.Context, accountID, campaignID string, by time.Time, limit int) ([]dialer.Entry, error) {
	avs, err := t.listQueued(ctx, queuePartition(accountID, campaignID, "W"), sortable(by.Add(time.Nanosecond)), min(max(limit, 1), store.MaxPage))
	if err != nil {
		return nil, err
	}
	return decodeAll[revItem[dialer.Entry]](avs)
}

// OpenPhoneCalls implements store.PhoneCampaigns.
func (t *Table) OpenPhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error) {
	avs, err := t.listQueued(ctx, queuePartition(accountID, campaignID, "C"), "", 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[revItem[dialer.Call]](avs)
}

func (it revItem[D]) domain() D {
	var d D
	_ = json.Unmarshal([]byte(it.Data), &d) // written by this file
	return d
}

// putRev writes v at key with revision next when the stored item's
// revision is next-1: the item must exist unless mayCreate, and an item
// written without a revision (an entry AddEntries put) counts as 0.
func (t *Table) putRev(ctx context.Context, pk, sk, what string, v any, next int, mayCreate bool, q queued) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	av, err := encode(revItem[struct{}]{PK: pk, SK: sk, Rev: next, Data: string(data), DueShard: q.shard, DueAt: q.at,
		SessionsOf: q.sessionsOf, SessionKey: q.sessionKey})
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &t.name, Item: av}
	switch {
	case next == 1 && mayCreate:
		in.ConditionExpression = aws.String("attribute_not_exists(rev)")
	case next == 1:
		in.ConditionExpression = aws.String(condExists + " AND attribute_not_exists(rev)")
	default:
		in.ConditionExpression = aws.String("rev = :prev")
		in.ExpressionAttributeValues = item{":prev": num(next - 1)}
	}
	_, err = t.db.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return parley.Errorf(parley.ECONFLICT, "%s changed: not at revision %d", what, next-1)
	case err != nil:
		return t.unavailable(err, "PutItem")
	}
	return nil
}

// Entry implements store.PhoneCampaigns.
func (t *Table) Entry(ctx context.Context, accountID, campaignID, contactID string) (dialer.Entry, error) {
	av, err := t.mustGet(ctx, itemKey(entriesPK(accountID, campaignID), entrySKPrefix+contactID), "entry", contactID)
	if err != nil {
		return dialer.Entry{}, err
	}
	return decode[entryItem](av)
}

// ReplaceEntry implements store.PhoneCampaigns.
func (t *Table) ReplaceEntry(ctx context.Context, accountID, campaignID string, e dialer.Entry) (dialer.Entry, error) {
	e.Rev++
	err := t.putRev(ctx, entriesPK(accountID, campaignID), entrySKPrefix+e.ContactID, "entry "+e.ContactID, e, e.Rev, false, entryQueued(accountID, campaignID, e))
	if parley.ErrorCode(err) == parley.ECONFLICT {
		if _, gerr := t.Entry(ctx, accountID, campaignID, e.ContactID); gerr != nil {
			return dialer.Entry{}, gerr
		}
	}
	return e, err
}

// contactCallItem puts a call on its contact's list of calls (pk
// ACCOUNT#<account>#CONTACTCALLS#<contact>, sk <placedAt>#<campaign>#<call>):
// one small item written once per call, never updated; a listing reads the
// calls it names.
type contactCallItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	CampaignID string `dynamodbav:"c"`
	ProviderID string `dynamodbav:"p"`
}

func contactCallsPK(accountID, contactID string) string {
	return "ACCOUNT#" + accountID + "#CONTACTCALLS#" + contactID
}

func contactCallSK(placed time.Time, campaignID, providerID string) string {
	return sortable(placed) + "#" + campaignID + "#" + providerID
}

// CreatePhoneCall implements store.PhoneCampaigns. The call's item comes
// first, then its place on the contact's list; a create that finds the call
// stored writes that place again (for the stored call), so a retry after a
// failure in between completes it.
func (t *Table) CreatePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error) {
	c.Rev = 1
	err := t.putRev(ctx, entriesPK(c.AccountID, c.CampaignID), phoneCallSKPrefix+c.ProviderID, "call "+c.ProviderID, c, 1, true, callQueued(c))
	listed := c
	if parley.ErrorCode(err) == parley.ECONFLICT {
		if listed, err = t.PhoneCall(ctx, c.AccountID, c.CampaignID, c.ProviderID); err != nil {
			return c, err
		}
		err = parley.Errorf(parley.ECONFLICT, "call %s exists", c.ProviderID)
	} else if err != nil {
		return c, err
	}
	if perr := t.put(ctx, contactCallItem{PK: contactCallsPK(listed.AccountID, listed.ContactID),
		SK: contactCallSK(listed.PlacedAt, listed.CampaignID, listed.ProviderID), CampaignID: listed.CampaignID, ProviderID: listed.ProviderID}, nil); perr != nil {
		return c, perr
	}
	return c, err
}

// ContactPhoneCalls implements store.PhoneCampaigns: one query of the
// contact's list and one read per call listed.
func (t *Table) ContactPhoneCalls(ctx context.Context, accountID, contactID, cursor string, limit int) ([]dialer.Call, string, error) {
	limit = min(max(limit, 1), store.MaxPage)
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(contactCallsPK(accountID, contactID))},
		ScanIndexForward:          aws.Bool(false),
	}
	if cursor != "" {
		at, parts, err := parley.DecodeCursor(cursor, 2)
		if err != nil {
			return nil, "", err
		}
		in.KeyConditionExpression = aws.String(keyIsPartition + " AND " + AttrSK + " < :before")
		in.ExpressionAttributeValues[":before"] = str(contactCallSK(at, parts[0], parts[1]))
	}
	avs, err := t.query(ctx, in, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]dialer.Call, 0, len(avs))
	for _, av := range avs {
		var it contactCallItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, "", fmt.Errorf("decode a contact's call: %w", err)
		}
		c, err := t.PhoneCall(ctx, accountID, it.CampaignID, it.ProviderID)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, store.NextCallCursor(out, limit), nil
}

// PhoneCall implements store.PhoneCampaigns.
func (t *Table) PhoneCall(ctx context.Context, accountID, campaignID, providerID string) (dialer.Call, error) {
	av, err := t.mustGet(ctx, itemKey(entriesPK(accountID, campaignID), phoneCallSKPrefix+providerID), "call", providerID)
	if err != nil {
		return dialer.Call{}, err
	}
	return decode[revItem[dialer.Call]](av)
}

// ReplacePhoneCall implements store.PhoneCampaigns.
func (t *Table) ReplacePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error) {
	c.Rev++
	err := t.putRev(ctx, entriesPK(c.AccountID, c.CampaignID), phoneCallSKPrefix+c.ProviderID, "call "+c.ProviderID, c, c.Rev, false, callQueued(c))
	return c, err
}

// PhoneCalls implements store.PhoneCampaigns.
func (t *Table) PhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(entriesPK(accountID, campaignID)), ":prefix": str(phoneCallSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[revItem[dialer.Call]](avs)
}

// PhoneAgents implements store.PhoneCampaigns.
func (t *Table) PhoneAgents(ctx context.Context, accountID string) ([]dialer.Agent, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(phoneAgentsPK(accountID))},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[revItem[dialer.Agent]](avs)
}

// PutPhoneAgent implements store.PhoneCampaigns.
func (t *Table) PutPhoneAgent(ctx context.Context, a dialer.Agent) (dialer.Agent, error) {
	a.Rev++
	err := t.putRev(ctx, phoneAgentsPK(a.AccountID), a.ID, "operator "+a.ID, a, a.Rev, true, queued{})
	return a, err
}

// Operator groups are one item collection, pk ACCOUNT#<account>#PHONEGROUPS,
// sk <name>, each holding the group's JSON.

func phoneGroupsPK(accountID string) string { return "ACCOUNT#" + accountID + "#PHONEGROUPS" }

// phoneGroupItem is an operator group.
type phoneGroupItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Data string `dynamodbav:"data"`
}

// CreatePhoneGroup implements store.PhoneCampaigns.
func (t *Table) CreatePhoneGroup(ctx context.Context, g dialer.OperatorGroup) (bool, error) {
	data, err := json.Marshal(g)
	if err != nil {
		return false, fmt.Errorf("encode operator group: %w", err)
	}
	err = t.put(ctx, phoneGroupItem{PK: phoneGroupsPK(g.AccountID), SK: g.Name, Data: string(data)}, aws.String(condNotExists))
	if errors.Is(err, errCondition) {
		return false, nil
	}
	return err == nil, err
}

// PhoneGroups implements store.PhoneCampaigns.
func (t *Table) PhoneGroups(ctx context.Context, accountID string) ([]dialer.OperatorGroup, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(phoneGroupsPK(accountID))},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.OperatorGroup, 0, len(avs))
	for _, av := range avs {
		var it phoneGroupItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode operator group: %w", err)
		}
		var g dialer.OperatorGroup
		if err := json.Unmarshal([]byte(it.Data), &g); err != nil {
			return nil, fmt.Errorf("decode operator group %s: %w", it.SK, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// DeletePhoneGroup implements store.PhoneCampaigns.
func (t *Table) DeletePhoneGroup(ctx context.Context, accountID, name string) (bool, error) {
	out, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &t.name, Key: itemKey(phoneGroupsPK(accountID), name), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, t.unavailable(err, "DeleteItem")
	}
	return len(out.Attributes) > 0, nil
}
