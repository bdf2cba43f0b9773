package dynamo

// Lifecycle counters, folded from the table's stream:
//
//	counters   pk ACCOUNT#<account>#COUNTS   sk H#<UTC hour, 2006-01-02T15>[#b<bucket>][#<nnn>]   rows, errs, stats: JSON by row key, v
//	batch mark pk STREAMBATCH#<id>           sk STREAMBATCH                          expiresAt
//
// The send path writes no counter: a recipient's item (and, at intake, its
// chunk) carries its timeline, and the lifecycle function reads the
// table's stream (NEW_AND_OLD_IMAGES), compares each record's old and new
// timeline and adds the steps newly stamped to the counter items of the
// account and UTC hour. An hour's rows (one per campaign, skill, channel,
// handoff and source; rows holds their step counts, errs their error
// counts, stats the status counts of campaigns' status rows) live in
// counterBuckets items by campaign, H#<hour>#b00 … #b63 (rows of no
// campaign in the hour's own item, H#<hour>), each until it holds
// maxCounterBytes; the rows that do not fit go to its overflow items
// (#001, #002…). They all sort between that hour's item and the next
// hour's, so one Query reads them with it.
// A row may then appear in more than one of its hour's items; a read sums
// them. A batch is folded one hour at a time, in a transaction that also
// puts a mark of the batch and hour on condition that there is none, so a
// batch the stream delivers again counts once. An account's 90 days are
// 2,160 counter items, and one more per hour that overflows.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
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
	// overflowLayout numbers an hour's overflow items; the width keeps
	// their order that of their numbers.
	overflowLayout = "#%03d"
	// maxOverflow bounds an hour's overflow items.
	maxOverflow = 999
	// counterBuckets is how many items an hour's campaign rows are spread
	// over (see campaignCounterSK): enough that the 60 campaigns of an
	// hour share few, so that folding them costs as folding 6 does. Items
	// written with fewer buckets keep their rows (a read sums them all).
	counterBuckets = 64
	// maxCounterBytes is the most rows and errs of one counter item hold,
	// well inside DynamoDB's 400 KB an item (about 3,000 rows).
	maxCounterBytes = 300_000
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

// overflowSK is the sk of the hour's n-th counter item: the hour's own
// for 0, an overflow item after it.
func overflowSK(hour time.Time, n int) string {
	if n == 0 {
		return counterSK(hour)
	}
	return counterSK(hour) + fmt.Sprintf(overflowLayout, n)
}

// campaignCounterSK is the sk of the hour's counter item for the rows of
// campaign: one of counterBuckets items H#<hour>#b<nn>, by a hash of the
// campaign's id, after the hour's own item and its overflow items and
// before the next hour's; the hour's own for rows of no campaign. A fold
// rewrites each item it adds to, whole: with the hour's rows spread over
// buckets, a batch pays for the rows of its campaigns' buckets, a
// sixty-fourth of the hour's each, and writes at most counterBuckets items
// however many campaigns it folds (items folded before buckets still hold
// their rows, and a read sums every item of the hour).
func campaignCounterSK(hour time.Time, campaignID string) string {
	if campaignID == "" {
		return counterSK(hour)
	}
	h := fnv.New32a()
	h.Write([]byte(campaignID))
	return counterSK(hour) + fmt.Sprintf("#b%02d", h.Sum32()%counterBuckets)
}

// inFamily reports whether sk is the counter item home or one of its
// overflow items (home followed by overflowLayout's three digits): an
// hour's own item's family leaves out the campaigns' items.
func inFamily(sk, home string) bool {
	if sk == home {
		return true
	}
	n, ok := strings.CutPrefix(sk, home+"#")
	if !ok || len(n) != 3 {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// hourItemsTo is the sk bound after every counter item of hour.
func hourItemsTo(hour time.Time) string { return counterSK(hour) + "#~" }

// counterItem is one account's counters of one UTC hour, or some of them.
type counterItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Rows    string `dynamodbav:"rows"`
	Errs    string `dynamodbav:"errs,omitempty"`
	Stats   string `dynamodbav:"stats,omitempty"`
	Version int64  `dynamodbav:"v"`
}

// rowKey is the key of a row within its counter item: campaign, skill and
// channel, then handoff, source and app when one is set (a row counted
// before they were has none).
func rowKey(k parley.CountKey) string {
	key := k.CampaignID + rowSep + k.Skill + rowSep + string(k.Channel)
	if k.HandoffID != "" || k.Source != "" || k.App != "" {
		key += rowSep + k.HandoffID + rowSep + k.Source + rowSep + k.App
	}
	return key
}

// parseRowKey reads a row key back into k's campaign, skill, channel,
// handoff, source and app.
func parseRowKey(key string, k *parley.CountKey) bool {
	parts := strings.Split(key, rowSep)
	switch len(parts) {
	case 3:
		parts = append(parts, "", "", "")
	case 6:
	default:
		return false
	}
	k.CampaignID, k.Skill, k.Channel, k.HandoffID, k.Source, k.App = parts[0], parts[1], parley.Channel(parts[2]), parts[3], parts[4], parts[5]
	return true
}

// counterCells are a counter item's rows as it holds them.
type counterCells struct {
	rows  map[string][parley.NumSteps]int64
	errs  map[string]map[string]int64
	stats map[string]map[parley.RecipientStatus]int64
}

func newCounterCells() counterCells {
	return counterCells{rows: map[string][parley.NumSteps]int64{}, errs: map[string]map[string]int64{}, stats: map[string]map[parley.RecipientStatus]int64{}}
}

// decodeCounter reads a counter item: its cells, hour and account.
func decodeCounter(it counterItem) (counterCells, time.Time, error) {
	c := newCounterCells()
	if it.Stats != "" {
		if err := json.Unmarshal([]byte(it.Stats), &c.stats); err != nil {
			return c, time.Time{}, fmt.Errorf("decode status counters %s %s: %w", it.PK, it.SK, err)
		}
	}
	if it.Rows != "" {
		if err := json.Unmarshal([]byte(it.Rows), &c.rows); err != nil {
			return c, time.Time{}, fmt.Errorf("decode counters %s %s: %w", it.PK, it.SK, err)
		}
	}
	if it.Errs != "" {
		if err := json.Unmarshal([]byte(it.Errs), &c.errs); err != nil {
			return c, time.Time{}, fmt.Errorf("decode error counters %s %s: %w", it.PK, it.SK, err)
		}
	}
	h, _, _ := strings.Cut(strings.TrimPrefix(it.SK, counterSKPrefix), "#")
	hour, err := time.Parse(hourLayout, h)
	if err != nil {
		return c, time.Time{}, fmt.Errorf("counter item %s: %w", it.SK, err)
	}
	return c, hour, nil
}

// rowBytes is what the row key takes of an item's rows and errs, as JSON
// writes them (its separators escaped).
func (c counterCells) rowBytes(key string) int {
	counts, ok := c.rows[key]
	if !ok {
		return 0
	}
	k, _ := json.Marshal(key)
	data, _ := json.Marshal(counts)
	n := len(k) + len(data) + 2
	if e := c.errs[key]; len(e) > 0 {
		data, _ := json.Marshal(e)
		n += len(k) + len(data) + 2
	}
	if st := c.stats[key]; len(st) > 0 {
		data, _ := json.Marshal(st)
		n += len(k) + len(data) + 2
	}
	return n
}

// add adds r's counts to the row key.
func (c counterCells) add(key string, r parley.CountRow) {
	n := c.rows[key]
	for s := range n {
		n[s] += r.Counts[s]
	}
	c.rows[key] = n
	for e, v := range r.Errors {
		if c.errs[key] == nil {
			c.errs[key] = map[string]int64{}
		}
		c.errs[key][e] += v
	}
	for st, v := range r.Statuses {
		if c.stats[key] == nil {
			c.stats[key] = map[parley.RecipientStatus]int64{}
		}
		c.stats[key][st] += v
	}
}

// counterItems returns an account's counter items of the hours from first
// to last, each hour's own then its overflow items, in sk order: one
// Query, strongly consistent when consistent is set.
func (t *Table) counterItems(ctx context.Context, accountID string, first, last time.Time, consistent bool) ([]counterItem, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: item{
			":pk": str(countersPK(accountID)), ":from": str(counterSK(first)), ":to": str(hourItemsTo(last)),
		},
		ConsistentRead: aws.Bool(consistent),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[counterItem](avs)
}

// CountRows implements store.Counters with one Query: one item per hour of
// q's range, and the overflow items of hours that have them.
func (t *Table) CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error) {
	its, err := t.counterItems(ctx, q.AccountID, parley.HourOf(q.From), parley.HourOf(q.To.Add(-time.Nanosecond)), false)
	if err != nil {
		return nil, err
	}
	out := []parley.CountRow{}
	// Items come in sk order: an hour's own, then its overflow items,
	// whose rows sum with its own.
	var hour time.Time
	hourRows := map[string]*parley.CountRow{}
	flush := func() {
		for _, key := range slices.Sorted(maps.Keys(hourRows)) {
			if r := hourRows[key]; q.Keeps(*r) {
				out = append(out, *r)
			}
		}
		clear(hourRows)
	}
	for _, it := range its {
		cells, h, err := decodeCounter(it)
		if err != nil {
			return nil, err
		}
		if !h.Equal(hour) {
			flush()
			hour = h
		}
		for key, counts := range cells.rows {
			row := parley.CountRow{CountKey: parley.CountKey{AccountID: q.AccountID, Hour: hour}, Counts: counts}
			if !parseRowKey(key, &row.CountKey) || !q.Matches(row.CountKey) {
				continue
			}
			for e, n := range cells.errs[key] {
				row.AddError(e, n)
			}
			for st, n := range cells.stats[key] {
				row.AddStatus(st, n)
			}
			if sum, ok := hourRows[key]; ok {
				sum.Merge(row)
			} else {
				hourRows[key] = &row
			}
		}
	}
	flush()
	return out, nil
}

// decodeAll[counterItem] needs counterItem to be a storedItem.
func (it counterItem) domain() counterItem { return it }

// StampRecipient implements store.Stamps: one conditional UpdateItem; the
// stream counts the step. A recipient that is its chunk's entry with a
// change its chunk's ledger holds (a message recorded there, see
// RecordRange) has its item put, stamped, on condition that there is none.
func (t *Table) StampRecipient(ctx context.Context, ref parley.Ref, step parley.Step, at time.Time) (parley.Recipient, bool, error) {
	if step < 0 || step >= parley.NumSteps {
		return parley.Recipient{}, false, parley.Errorf(parley.EINVALID, "no lifecycle step %d", step)
	}
	for range 2 {
		r, stamped, put, err := t.stamp(ctx, ref, step, at)
		if !put {
			return r, stamped, err
		}
	}
	return parley.Recipient{}, false, parley.Errorf(parley.EUNAVAILABLE, "recipient %s changed concurrently; try again", ref.RecipientID)
}

// stamp is StampRecipient once; again is true when the recipient's item
// was put meanwhile, for the stamp to go to it.
func (t *Table) stamp(ctx context.Context, ref parley.Ref, step parley.Step, at time.Time) (_ parley.Recipient, stamped, again bool, _ error) {
	a := stampAttrs[step]
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       recipientKey(ref),
		UpdateExpression:          aws.String("SET " + a + " = :at"),
		ConditionExpression:       aws.String(condExists + " AND attribute_not_exists(" + a + ")"),
		ExpressionAttributeValues: item{":at": str(stampString(at))},
	})
	switch {
	case errors.Is(err, errCondition) && av == nil:
		r, ok, err := t.chunked(ctx, ref)
		switch {
		case err != nil:
			return parley.Recipient{}, false, false, err
		case !ok:
			return parley.Recipient{}, false, false, notFound("recipient", ref.RecipientID)
		case fromIntake(r.Status) || !r.Timeline.At(step).IsZero():
			// Only its chunk's entry, never sent: nothing a reply stamps.
			return r, false, false, nil
		}
		left := r.Status
		r.Timeline.Stamp(step, at)
		it := newRecipientItem(r)
		it.Chunked, it.ChunkStatus = true, string(left)
		switch err := t.put(ctx, it, aws.String(condNotExists)); {
		case errors.Is(err, errCondition):
			return parley.Recipient{}, false, true, nil
		case err != nil:
			return parley.Recipient{}, false, false, err
		}
		return r, true, false, nil
	case errors.Is(err, errCondition):
		r, err := decode[recipientItem](av)
		return r, false, false, err
	case err != nil:
		return parley.Recipient{}, false, false, err
	}
	r, err := decode[recipientItem](av)
	return r, err == nil, false, err
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
		rs, err := t.recordCounts(ctx, rec)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	return t.foldRows(ctx, hex.EncodeToString(h.Sum(nil))[:32], rows, now)
}

// counterHour names one account's counters of one hour.
type counterHour struct {
	accountID string
	hour      time.Time
}

// foldRows adds rows to the counters, once for batch and hour: each
// account and hour of the batch is folded with a mark of the batch and
// hour, on condition that there is none. The hours are packed, in the
// order they first appear, into as few transactions as
// TransactWriteItems' 100 items allow; an hour whose transaction fails
// on a condition (a concurrent fold changed one of its items) is folded
// again alone.
func (t *Table) foldRows(ctx context.Context, batch string, rows []parley.CountRow, now time.Time) error {
	byHour, order := rowsByHour(rows)
	var pack []counterHour
	var items []types.TransactWriteItem
	flush := func() error {
		if len(pack) == 0 {
			return nil
		}
		err := t.routingTransact(ctx, items)
		if errors.Is(err, errCondition) {
			for _, k := range pack {
				if err := t.foldHour(ctx, foldPart(batch, k), k, byHour[k], now); err != nil {
					return err
				}
			}
			err = nil
		}
		pack, items = pack[:0], items[:0]
		return err
	}
	for _, k := range order {
		hourItems, err := t.hourWrites(ctx, foldPart(batch, k), k, byHour[k], now)
		if err != nil {
			return err
		}
		if len(hourItems) == 0 {
			continue // folded before
		}
		if len(items)+len(hourItems) > maxFoldItems+1 {
			if err := flush(); err != nil {
				return err
			}
		}
		pack, items = append(pack, k), append(items, hourItems...)
	}
	return flush()
}

// rowsByHour merges rows and groups them by account and hour, listing the
// hours in the order they first appear.
func rowsByHour(rows []parley.CountRow) (map[counterHour][]parley.CountRow, []counterHour) {
	byHour := map[counterHour][]parley.CountRow{}
	var order []counterHour
	for _, r := range parley.MergeRows(rows) {
		k := counterHour{r.AccountID, r.Hour}
		if byHour[k] == nil {
			order = append(order, k)
		}
		byHour[k] = append(byHour[k], r)
	}
	return byHour, order
}

// foldPart names the fold of hour k of batch.
func foldPart(batch string, k counterHour) string {
	return batch + "." + k.accountID + "." + k.hour.UTC().Format(hourLayout)
}

// hourWrites are the writes that fold rows, all of the account and hour k,
// into its counter items with the mark of part; none when part is marked
// already.
func (t *Table) hourWrites(ctx context.Context, part string, k counterHour, rows []parley.CountRow, now time.Time) ([]types.TransactWriteItem, error) {
	markKey := itemKey("STREAMBATCH#"+sha(part), "STREAMBATCH")
	mark, err := t.get(ctx, markKey)
	if err != nil || mark != nil {
		return nil, err
	}
	puts, err := t.foldedCounters(ctx, k, rows)
	if err != nil {
		return nil, err
	}
	markItem := item{"pk": markKey["pk"], "sk": markKey["sk"], "expiresAt": num(int(now.Add(batchMarkTTL).Unix()))}
	items := []types.TransactWriteItem{{Put: &types.Put{Item: markItem, ConditionExpression: aws.String(condNotExists)}}}
	for _, put := range puts {
		items = append(items, types.TransactWriteItem{Put: put})
	}
	return items, nil
}

// foldHour folds hour k of a batch alone (see hourWrites), retrying while
// a concurrent fold changes one of its items.
func (t *Table) foldHour(ctx context.Context, part string, k counterHour, rows []parley.CountRow, now time.Time) error {
	for range foldAttempts {
		items, err := t.hourWrites(ctx, part, k, rows, now)
		if err != nil || len(items) == 0 {
			return err
		}
		if err := t.routingTransact(ctx, items); !errors.Is(err, errCondition) {
			return err
		}
	}
	return parley.Errorf(parley.EUNAVAILABLE, "counters of stream batch %s changed concurrently; try again", part)
}

// sha is s hashed short, for a key that must stay small.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// foldedCounters are the conditional puts of k's counter items with rows
// added, each on condition that it is still at the version read (or still
// absent). A row is added where its hour already holds it, unless that
// item would outgrow maxCounterBytes; the others go to the hour's last
// item while it has room, then to new overflow items.
func (t *Table) foldedCounters(ctx context.Context, k counterHour, rows []parley.CountRow) ([]*types.Put, error) {
	pk := countersPK(k.accountID)
	its, err := t.counterItems(ctx, k.accountID, k.hour, k.hour, true)
	if err != nil {
		return nil, err
	}
	var slots []*counterSlot
	holder := map[string]int{} // row key → the first slot holding it
	for _, it := range its {
		cells, _, err := decodeCounter(it)
		if err != nil {
			return nil, err
		}
		s := &counterSlot{it: it, cells: cells, size: len(it.Rows) + len(it.Errs)}
		for key := range cells.rows {
			if _, ok := holder[key]; !ok {
				holder[key] = len(slots)
			}
		}
		slots = append(slots, s)
	}
	addTo := func(s *counterSlot, key string, r parley.CountRow) {
		before := s.cells.rowBytes(key)
		s.cells.add(key, r)
		s.size += s.cells.rowBytes(key) - before
		s.dirty = true
	}
	var spill []parley.CountRow
	for _, r := range rows {
		key := rowKey(r.CountKey)
		if i, ok := holder[key]; ok {
			s := slots[i]
			grown := newCounterCells()
			grown.rows[key], grown.errs[key], grown.stats[key] = s.cells.rows[key], maps.Clone(s.cells.errs[key]), maps.Clone(s.cells.stats[key])
			grown.add(key, r)
			if s.size-s.cells.rowBytes(key)+grown.rowBytes(key) <= maxCounterBytes {
				addTo(s, key, r)
				continue
			}
		}
		spill = append(spill, r)
	}
	for _, r := range spill {
		key := rowKey(r.CountKey)
		one := newCounterCells()
		one.add(key, r)
		home := campaignCounterSK(k.hour, r.CampaignID)
		var family []*counterSlot // the home item and its overflow items
		for _, s := range slots {
			if inFamily(s.it.SK, home) {
				family = append(family, s)
			}
		}
		if len(family) == 0 || family[len(family)-1].size+one.rowBytes(key) > maxCounterBytes {
			n := len(family)
			if n > maxOverflow {
				return nil, fmt.Errorf("counters of %s at %s: more than %d overflow items", k.accountID, home, maxOverflow)
			}
			sk := home
			if n > 0 {
				sk += fmt.Sprintf(overflowLayout, n)
			}
			family = append(family, &counterSlot{it: counterItem{PK: pk, SK: sk}, cells: newCounterCells(), fresh: true})
			slots = append(slots, family[len(family)-1])
		}
		addTo(family[len(family)-1], key, r)
	}
	var puts []*types.Put
	for _, s := range slots {
		if !s.dirty {
			continue
		}
		put, err := s.put()
		if err != nil {
			return nil, err
		}
		puts = append(puts, put)
	}
	if len(puts) > maxFoldItems {
		return nil, fmt.Errorf("counters of %s at %s: %d items to write at once, more than %d", k.accountID, k.hour.Format(hourLayout), len(puts), maxFoldItems)
	}
	return puts, nil
}

// recordCounts is what one stream record adds to the counters: the steps
// its new image stamps that its old image did not, for a recipient item;
// the intake steps of every entry, for a chunk that is new (a chunk that
// intake writes again holds the same entries); the changes a ledger
// newly holds.
func (t *Table) recordCounts(ctx context.Context, rec events.DynamoDBEventRecord) ([]parley.CountRow, error) {
	ts, err := t.recordTransitions(ctx, rec)
	var rows []parley.CountRow
	for _, tr := range ts {
		rows = append(rows, parley.Counts(tr.before, tr.after)...)
	}
	return rows, err
}

// transition is one recipient's change as a stream record shows it.
type transition struct{ before, after parley.Recipient }

// recordTransitions reads the recipient changes of one stream record: the
// change of a recipient item, every entry of a chunk that is new (from
// no recipient at all), or the changes a chunk's ledger newly holds (from
// their entries, see ledgerTransitions).
func (t *Table) recordTransitions(ctx context.Context, rec events.DynamoDBEventRecord) ([]transition, error) {
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
	case strings.HasPrefix(sk.Value, ledgerSKPrefix):
		old, err := fromStreamImage(rec.Change.OldImage)
		if err != nil {
			return nil, fmt.Errorf("stream record %s: %w", rec.EventID, err)
		}
		return t.ledgerTransitions(ctx, pk.Value, sk.Value, newImage, old)
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
			// Its chunk counted what intake stamped, and the status its
			// entry held; its ledger, the change it holds (whose status
			// is the ChunkStatus).
			before.Status = parley.RecipientStatus(cmp.Or(it.ChunkStatus, string(parley.StatusQueued)))
			steps := append([]parley.Step{parley.StepAttempted, parley.StepEligible, parley.StepSkipped}, parley.StatusSteps(before.Status)...)
			for _, s := range steps {
				before.Timeline.Stamp(s, after.Timeline.At(s))
			}
		}
		return []transition{{before, after}}, nil
	}
	return nil, nil
}

// StreamEvents lists the lifecycle events the records of a stream batch
// of the table show (see parley.Events), in the records' order. A batch
// the stream delivers again yields the same events, ids included.
func (t *Table) StreamEvents(ctx context.Context, records []events.DynamoDBEventRecord) ([]parley.Event, error) {
	var out []parley.Event
	for _, rec := range records {
		ts, err := t.recordTransitions(ctx, rec)
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

// counterSlot is one counter item of an hour as a fold changes it.
type counterSlot struct {
	it    counterItem
	cells counterCells
	size  int  // bytes of its rows and errs
	fresh bool // not stored yet
	dirty bool
}

// put is the slot's conditional put: on the version read, or on its
// absence for a fresh one.
func (s *counterSlot) put() (*types.Put, error) {
	rows, err := json.Marshal(s.cells.rows)
	if err != nil {
		return nil, fmt.Errorf("encode counters %s: %w", s.it.SK, err)
	}
	it := s.it
	it.Rows = string(rows)
	if it.Errs, err = encodeCells(s.cells.errs); err != nil {
		return nil, fmt.Errorf("encode error counters %s: %w", s.it.SK, err)
	}
	if it.Stats, err = encodeCells(s.cells.stats); err != nil {
		return nil, fmt.Errorf("encode status counters %s: %w", s.it.SK, err)
	}
	it.Version++
	enc, err := encode(it)
	if err != nil {
		return nil, err
	}
	if s.fresh {
		return &types.Put{Item: enc, ConditionExpression: aws.String(condNotExists)}, nil
	}
	return &types.Put{Item: enc, ConditionExpression: aws.String("v = :v"), ExpressionAttributeValues: item{":v": num(int(s.it.Version))}}, nil
}

// encodeCells is the JSON of the row keys' counts that are not all zero;
// "" when none is.
func encodeCells[K comparable](cells map[string]map[K]int64) (string, error) {
	for key, c := range cells {
		maps.DeleteFunc(c, func(_ K, n int64) bool { return n == 0 })
		if len(c) == 0 {
			delete(cells, key)
		}
	}
	if len(cells) == 0 {
		return "", nil
	}
	data, err := json.Marshal(cells)
	return string(data), err
}
