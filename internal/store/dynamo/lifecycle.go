package dynamo

// Lifecycle counters, folded from the table's stream:
//
//	counters   pk ACCOUNT#<account>#COUNTS   sk H#<UTC hour, 2006-01-02T15>   rows: JSON {campaign␟skill␟channel: [one count per step]}, v
//	batch mark pk STREAMBATCH#<id>           sk STREAMBATCH                  expiresAt
//
// The send path writes no counter: a recipient's item (and, at intake, its
// chunk) carries its timeline, and the lifecycle function reads the
// table's stream (NEW_AND_OLD_IMAGES), compares each record's old and new
// timeline and adds the steps newly stamped to one counter item per
// account and UTC hour. A batch is folded in transactions that also put a
// mark of the batch on condition that there is none, so a batch the
// stream delivers again counts once. An account's 90 days are 2,160
// counter items whatever its traffic.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.Counters = (*Table)(nil)
	_ store.Stamps   = (*Table)(nil)
)

const (
	counterSKPrefix = "H#"
	hourLayout      = "2006-01-02T15"
	rowSep          = "\x1f"
	// batchMarkTTL keeps a batch's mark past the stream's 24 h retention.
	batchMarkTTL = 48 * time.Hour
	// maxFoldItems bounds the counter items of one transaction; with the
	// batch's mark it stays within TransactWriteItems' 100.
	maxFoldItems = 99
	// foldAttempts bounds how often a transaction is retried when a
	// concurrent fold changed one of its counters.
	foldAttempts = 8
)

func countersPK(accountID string) string { return accountPK(accountID) + "#COUNTS" }

func counterSK(hour time.Time) string { return counterSKPrefix + hour.UTC().Format(hourLayout) }

// counterItem is one account's counters of one UTC hour.
type counterItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Rows    string `dynamodbav:"rows"`
	Version int64  `dynamodbav:"v"`
}

// rowKey is the key of a row within its counter item.
func rowKey(k parley.CountKey) string {
	return k.CampaignID + rowSep + k.Skill + rowSep + string(k.Channel)
}

// counterRows decodes a counter item's rows.
func counterRows(it counterItem) (map[string][parley.NumSteps]int64, time.Time, string, error) {
	rows := map[string][parley.NumSteps]int64{}
	if it.Rows != "" {
		if err := json.Unmarshal([]byte(it.Rows), &rows); err != nil {
			return nil, time.Time{}, "", fmt.Errorf("decode counters %s %s: %w", it.PK, it.SK, err)
		}
	}
	hour, err := time.Parse(hourLayout, strings.TrimPrefix(it.SK, counterSKPrefix))
	if err != nil {
		return nil, time.Time{}, "", fmt.Errorf("counter item %s: %w", it.SK, err)
	}
	return rows, hour, strings.TrimPrefix(it.PK, "ACCOUNT#"), nil
}

// CountRows implements store.Counters with one Query: at most one item per
// hour of q's range.
func (t *Table) CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: item{
			":pk": str(countersPK(q.AccountID)), ":from": str(counterSK(parley.HourOf(q.From))),
			":to": str(counterSK(q.To.Add(-time.Nanosecond))),
		},
	}, 0)
	if err != nil {
		return nil, err
	}
	its, err := decodeAll[counterItem](avs)
	if err != nil {
		return nil, err
	}
	out := []parley.CountRow{}
	for _, it := range its {
		rows, hour, _, err := counterRows(it)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(rows))
		for k := range rows {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts := strings.SplitN(k, rowSep, 3)
			if len(parts) != 3 {
				continue
			}
			row := parley.CountRow{CountKey: parley.CountKey{AccountID: q.AccountID, Hour: hour, CampaignID: parts[0], Skill: parts[1], Channel: parley.Channel(parts[2])}, Counts: rows[k]}
			if q.Matches(row.CountKey) && !row.IsZero() {
				out = append(out, row)
			}
		}
	}
	return out, nil
}

// decodeAll[counterItem] needs counterItem to be a storedItem.
func (it counterItem) domain() counterItem { return it }

// StampRecipient implements store.Stamps: one conditional UpdateItem; the
// stream counts the step.
func (t *Table) StampRecipient(ctx context.Context, ref parley.Ref, step parley.Step, at time.Time) (parley.Recipient, bool, error) {
	if step < 0 || step >= parley.NumSteps {
		return parley.Recipient{}, false, parley.Errorf(parley.EINVALID, "no lifecycle step %d", step)
	}
	a := stampAttrs[step]
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       recipientKey(ref),
		UpdateExpression:          aws.String("SET " + a + " = :at"),
		ConditionExpression:       aws.String(condExists + " AND attribute_not_exists(" + a + ")"),
		ExpressionAttributeValues: item{":at": str(stampString(at))},
	})
	switch {
	case errors.Is(err, errCondition) && av == nil:
		// Only its chunk's entry: never sent, so nothing a reply stamps.
		r, ok, err := t.fromChunk(ctx, ref)
		if err != nil {
			return parley.Recipient{}, false, err
		}
		if !ok {
			return parley.Recipient{}, false, notFound("recipient", ref.RecipientID)
		}
		return r, false, nil
	case errors.Is(err, errCondition):
		r, err := decode[recipientItem](av)
		return r, false, err
	case err != nil:
		return parley.Recipient{}, false, err
	}
	r, err := decode[recipientItem](av)
	return r, err == nil, err
}

// FoldStream adds the steps the stream records newly stamp on recipients
// to the counters, once per batch: records are a batch of the table's
// stream (NEW_AND_OLD_IMAGES), as the lifecycle function receives it. A
// batch delivered again, whole, counts nothing more.
// now dates the batch's mark, which expires batchMarkTTL later.
func (t *Table) FoldStream(ctx context.Context, records []events.DynamoDBEventRecord, now time.Time) error {
	var rows []parley.CountRow
	h := sha256.New()
	for _, rec := range records {
		h.Write([]byte(rec.EventID + "\x00" + rec.Change.SequenceNumber + "\x00"))
		rs, err := recordCounts(rec)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	return t.foldRows(ctx, hex.EncodeToString(h.Sum(nil))[:32], rows, now)
}

// foldRows adds rows to the counters, once for batch.
func (t *Table) foldRows(ctx context.Context, batch string, rows []parley.CountRow, now time.Time) error {
	byItem := map[[2]string][]parley.CountRow{}
	var order [][2]string
	for _, r := range parley.MergeRows(rows) {
		k := [2]string{countersPK(r.AccountID), counterSK(r.Hour)}
		if byItem[k] == nil {
			order = append(order, k)
		}
		byItem[k] = append(byItem[k], r)
	}
	for part, keys := range slices.Collect(slices.Chunk(order, maxFoldItems)) {
		if err := t.foldPart(ctx, fmt.Sprintf("%s.%d", batch, part), keys, byItem, now); err != nil {
			return err
		}
	}
	return nil
}

// foldPart adds the rows of the counter items keys in one transaction with
// the mark of part, unless part is marked already.
func (t *Table) foldPart(ctx context.Context, part string, keys [][2]string, rows map[[2]string][]parley.CountRow, now time.Time) error {
	markKey := itemKey("STREAMBATCH#"+part, "STREAMBATCH")
	for range foldAttempts {
		mark, err := t.get(ctx, markKey)
		if err != nil {
			return err
		}
		if mark != nil {
			return nil // folded before
		}
		markItem := item{"pk": markKey["pk"], "sk": markKey["sk"],
			"expiresAt": num(int(now.Add(batchMarkTTL).Unix()))}
		items := []types.TransactWriteItem{{Put: &types.Put{Item: markItem, ConditionExpression: aws.String(condNotExists)}}}
		for _, k := range keys {
			put, err := t.foldedCounter(ctx, k, rows[k])
			if err != nil {
				return err
			}
			items = append(items, types.TransactWriteItem{Put: put})
		}
		err = t.routingTransact(ctx, items)
		if !errors.Is(err, errCondition) {
			return err
		}
	}
	return parley.Errorf(parley.EUNAVAILABLE, "counters of stream batch %s changed concurrently; try again", part)
}

// foldedCounter is the conditional put of the counter item k with rows
// added, on condition that it is still at the version read.
func (t *Table) foldedCounter(ctx context.Context, k [2]string, add []parley.CountRow) (*types.Put, error) {
	av, err := t.get(ctx, itemKey(k[0], k[1]))
	if err != nil {
		return nil, err
	}
	it := counterItem{PK: k[0], SK: k[1]}
	cond := condNotExists
	if av != nil {
		if it, err = decode[counterItem](av); err != nil {
			return nil, err
		}
		cond = "v = :v"
	}
	rows, _, _, err := counterRows(it)
	if err != nil {
		return nil, err
	}
	for _, r := range add {
		c := rows[rowKey(r.CountKey)]
		for s := range c {
			c[s] += r.Counts[s]
		}
		rows[rowKey(r.CountKey)] = c
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encode counters %s: %w", k[1], err)
	}
	values := item{}
	if av != nil {
		values[":v"] = num(int(it.Version))
	}
	it.Rows, it.Version = string(data), it.Version+1
	enc, err := encode(it)
	if err != nil {
		return nil, err
	}
	put := &types.Put{Item: enc, ConditionExpression: aws.String(cond)}
	if len(values) > 0 {
		put.ExpressionAttributeValues = values
	}
	return put, nil
}

// recordCounts is what one stream record adds to the counters: the steps
// its new image stamps that its old image did not, for a recipient item;
// the intake steps of every entry, for a chunk that is new (a chunk that
// intake writes again holds the same entries).
func recordCounts(rec events.DynamoDBEventRecord) ([]parley.CountRow, error) {
	ts, err := recordTransitions(rec)
	var rows []parley.CountRow
	for _, tr := range ts {
		rows = append(rows, parley.Counts(tr.before, tr.after)...)
	}
	return rows, err
}

// transition is one recipient's change as a stream record shows it.
type transition struct{ before, after parley.Recipient }

// recordTransitions reads the recipient changes of one stream record: the
// change of a recipient item, or every entry of a chunk that is new (from
// no recipient at all).
func recordTransitions(rec events.DynamoDBEventRecord) ([]transition, error) {
	if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
		return nil, nil
	}
	newImage, err := fromStreamImage(rec.Change.NewImage)
	if err != nil {
		return nil, fmt.Errorf("stream record %s: %w", rec.EventID, err)
	}
	pk, _ := newImage["pk"].(*types.AttributeValueMemberS)
	sk, _ := newImage["sk"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil || !strings.Contains(pk.Value, "#CAMPAIGN#") {
		return nil, nil
	}
	switch {
	case strings.HasPrefix(sk.Value, chunkSKPrefix):
		if len(rec.Change.OldImage) > 0 {
			return nil, nil
		}
		accountID, campaignID, ok := splitCampaignPK(pk.Value)
		if !ok {
			return nil, nil
		}
		es, err := decodeChunk(newImage)
		if err != nil {
			return nil, err
		}
		ts := make([]transition, 0, len(es))
		for _, e := range es {
			ts = append(ts, transition{after: e.domain(accountID, campaignID)})
		}
		return ts, nil
	case strings.HasPrefix(sk.Value, recipientSK("")):
		var it recipientItem
		err := attributevalue.UnmarshalMap(newImage, &it)
		if err != nil {
			return nil, err
		}
		after := it.domain()
		var before parley.Recipient
		switch {
		case len(rec.Change.OldImage) > 0:
			old, err := fromStreamImage(rec.Change.OldImage)
			if err != nil {
				return nil, err
			}
			var oldIt recipientItem
			if err := attributevalue.UnmarshalMap(old, &oldIt); err != nil {
				return nil, err
			}
			before = oldIt.domain()
		case it.Chunked:
			// Its chunk counted what intake stamped.
			for _, s := range []parley.Step{parley.StepAttempted, parley.StepEligible, parley.StepSkipped} {
				before.Timeline.Stamp(s, after.Timeline.At(s))
			}
		}
		return []transition{{before, after}}, nil
	}
	return nil, nil
}

// StreamEvents lists the lifecycle events the records of a stream batch
// show (see parley.Events), in the records' order. A batch the stream
// delivers again yields the same events, ids included.
func StreamEvents(records []events.DynamoDBEventRecord) ([]parley.Event, error) {
	var out []parley.Event
	for _, rec := range records {
		ts, err := recordTransitions(rec)
		if err != nil {
			return nil, err
		}
		for _, tr := range ts {
			out = append(out, parley.Events(tr.before, tr.after)...)
		}
		evs, err := campaignEvents(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// campaignEvents reads the campaign.state_changed events of one stream
// record: none unless it changes a campaign's item (see
// parley.CampaignEvents).
func campaignEvents(rec events.DynamoDBEventRecord) ([]parley.Event, error) {
	if rec.EventName == string(events.DynamoDBOperationTypeRemove) || len(rec.Change.OldImage) == 0 {
		return nil, nil
	}
	if sk, ok := rec.Change.Keys["sk"]; !ok || sk.DataType() != events.DataTypeString || sk.String() != campaignSK {
		return nil, nil
	}
	var cs [2]parley.Campaign
	for i, img := range []map[string]events.DynamoDBAttributeValue{rec.Change.OldImage, rec.Change.NewImage} {
		av, err := fromStreamImage(img)
		if err != nil {
			return nil, fmt.Errorf("stream record %s: %w", rec.EventID, err)
		}
		var it campaignItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("stream record %s: %w", rec.EventID, err)
		}
		cs[i] = it.domain()
	}
	return parley.CampaignEvents(cs[0], cs[1]), nil
}

// splitCampaignPK reads the account and campaign ids of a campaign's pk.
func splitCampaignPK(pk string) (accountID, campaignID string, ok bool) {
	rest, ok := strings.CutPrefix(pk, "ACCOUNT#")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "#CAMPAIGN#")
}

// fromStreamImage converts a stream record's image to the SDK's attribute
// values.
func fromStreamImage(img map[string]events.DynamoDBAttributeValue) (item, error) {
	out := make(item, len(img))
	for k, v := range img {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			av, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := fromStreamImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, errors.New("unknown attribute type " + strconv.Itoa(int(v.DataType())))
}
