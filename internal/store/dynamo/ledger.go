package dynamo

// First changes of chunked recipients, on a ledger per chunk:
//
//	recipient ledger  pk ACCOUNT#<account>#CAMPAIGN#<campaign>   sk RL#<n>   c<seq>: a recipient's first change
//
// A recipient that is still only its chunk's entry (see chunks.go) takes
// its first change (a dispatcher's claim QUEUED→SENDING, a cancellation),
// when that change sets no message, channel or due index, into its
// chunk's ledger: attribute c<seq> holds the change, and every recipient
// a write changes at once holds the seq of the first of them, whose
// attribute holds the change itself:
//
//	c7 = "SENDING|1|<at>|<dueAt>|<error>|<claimant>"   c8 = "7"   c9 = "7" …
//
// (the times in base 36 Unix milliseconds, with "." and the nanoseconds
// left, base 36, when there are any; the error path-escaped; the
// claimant, last, as it is). The write is one UpdateItem, on condition
// that none of its recipients has an attribute yet: the ledger's
// attribute is where a recipient's first change is decided, so two claims
// never both move it. ClaimRange thus claims up to a chunk's recipients
// with one Query (are any of them items already? keys only, strongly
// consistent: one read unit when none is) and one write of the ledger
// (25 claims of one dispatcher are some 300 bytes: one write unit),
// where claiming them one by one put 25 items. A recipient's change after
// its first (the dispatcher's record, a take-over, a release) puts the
// recipient's item with the ledger's change and its own applied, on
// condition that there is none, as a first change out of the chunk did
// before; the item then wins over the ledger. Reads merge the three: the
// item, else the entry with its ledger change, else the entry. A first
// change the ledger cannot hold (one that names a message or a channel,
// or enters the due index; the product makes none out of QUEUED) still
// puts the item at once, and decides against a concurrent ledger write
// only as far as it reads the ledger first.
//
// The outcome of a claim made there, when it is a message sent, goes to
// the ledger too (RecordRange): attribute o<seq> holds it,
//
//	o7 = "SENT|<at>|<message id>|<channel>|<error>"
//
// written once, on condition that c<seq> is there and o<seq> is not, for
// the recipients of one claim group (up to a second of sending) with one
// write: some 60 bytes each. A keys-only Query first leaves out those
// whose item a take-over put. The recipient's item is then first put by
// its delivery report, which reads the ledger (and peeks at the item
// first). A claim without its outcome is not final: a process keeps it
// only as a sign that the recipient is claimed, unless it made the claim
// itself (see ledgerCache).
//
// The stream folds a ledger's new attributes as the recipients'
// transitions from their entries, or from their claims for outcomes (see
// recordTransitions), and an item put after a ledger change as the
// transition from the status the ledger left (its ChunkStatus), so the
// counters and events come out as they did for a claim that put the item.
// An outcome that a take-over's item overrides (its ChunkStatus is
// SENDING) is not folded: the item's transitions count that recipient.
//
// The cost: a single first change (UpdateRecipient) pays the same Query
// before its write. A chunk's ledger grows by some 60 bytes for each
// write of a recipient alone (a claim by a send job, a cancellation), so
// after some fifteen of them its writes take two units. The change after
// a ledger's (the dispatcher's record) puts the item, where it updated it
// before: a ledger change never changes, so a Table keeps those it wrote
// or read (ledgerCache), and only a process that did neither reads the
// ledger, eventually consistent (half a unit), as does any change fenced
// to a first attempt of a recipient that has its item already. Reading a recipient that is only
// its chunk's entry, QUEUED there, reads the ledger too; listing reads
// the ledgers of the chunks it lists with one Query; the stream's fold
// reads a ledger's chunk (once per chunk and process).

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

const (
	// ledgerSKPrefix starts a ledger's sort key; it sorts after the
	// chunks' RC# and apart from the recipients' R#.
	ledgerSKPrefix = "RL#"
	// ledgerAttrPrefix starts the attribute of a recipient's change.
	ledgerAttrPrefix = "c"
	// ledgerAttempts bounds the writes of one ledger change: each retry
	// follows a write that lost some recipients to a concurrent one.
	ledgerAttempts = 4
	// ledgerFields is how many fields a ledger change holds.
	ledgerFields = 6
	// outcomePrefix starts the attribute of a claim's outcome.
	outcomePrefix = "o"
	// outcomeFields is how many fields an outcome holds.
	outcomeFields = 5
	// maxCachedLedgerChanges bounds the ledger changes a Table keeps; past
	// it, it starts over.
	maxCachedLedgerChanges = 1 << 16
)

// ledgerEntry is what a chunk's ledger holds for one recipient: its first
// change and, when that was a claim whose outcome the claimant recorded
// there too (see RecordRange), the outcome.
type ledgerEntry struct {
	first   parley.RecipientChange
	outcome *parley.RecipientChange
}

// apply writes the entry's changes into r, a chunk's entry.
func (e ledgerEntry) apply(r *parley.Recipient) {
	e.first.Apply(r)
	if e.outcome != nil {
		e.outcome.Apply(r)
	}
}

// final reports whether the ledger holds all it will ever hold of the
// recipient: a first change that is no claim, or a claim with its outcome.
// A claim without one may get its outcome later; only the process that
// made the claim keeps it (see ledgerCache).
func (e ledgerEntry) final() bool {
	return e.outcome != nil || e.first.Status != parley.StatusSending
}

// ledgerCache keeps the ledger entries a Table wrote or read, by partition
// and seq: a first change, once written, never changes, and neither does
// an outcome, so the change after them (the record of a claim, mostly, in
// the process that claimed) needs no read of the ledger. An entry read
// that is another's claim still without its outcome only says that the
// recipient is claimed (see claimed): its outcome may be written
// meanwhile.
type ledgerCache struct {
	mu      sync.Mutex
	changes map[ledgerKey]cachedEntry
}

// cachedEntry is a kept ledger entry; own when this Table wrote it.
type cachedEntry struct {
	ledgerEntry
	own bool
}

// ledgerKey names the ledger change of the recipient with seq in the
// partition pk.
type ledgerKey struct {
	pk  string
	seq int
}

// keep adds entries read of the ledger in the partition pk, by seq.
func (c *ledgerCache) keep(pk string, entries map[int]ledgerEntry) {
	c.add(pk, entries, false)
}

// keepOwn adds entries that this Table wrote to the ledger in the
// partition pk, by seq.
func (c *ledgerCache) keepOwn(pk string, entries map[int]ledgerEntry) {
	c.add(pk, entries, true)
}

func (c *ledgerCache) add(pk string, entries map[int]ledgerEntry, own bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changes == nil || len(c.changes)+len(entries) > maxCachedLedgerChanges {
		c.changes = map[ledgerKey]cachedEntry{}
	}
	for seq, e := range entries {
		c.changes[ledgerKey{pk, seq}] = cachedEntry{e, own}
	}
}

// change returns the ledger entry kept for the recipient with seq in the
// partition pk, and whether one is kept that says all the ledger holds of
// it: one this Table wrote, or a final one.
func (c *ledgerCache) change(pk string, seq int) (ledgerEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.changes[ledgerKey{pk, seq}]
	if !ok || !e.own && !e.final() {
		return ledgerEntry{}, false
	}
	return e.ledgerEntry, true
}

// claimed returns the first change kept for the recipient with seq in the
// partition pk, and whether one is kept.
func (c *ledgerCache) claimed(pk string, seq int) (ledgerEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.changes[ledgerKey{pk, seq}]
	return e.ledgerEntry, ok
}

func ledgerSK(n int) string { return fmt.Sprintf("%s%06d", ledgerSKPrefix, n) }

// ledgerAttr is the attribute of the recipient with seq in its ledger.
func ledgerAttr(seq int) string { return ledgerAttrPrefix + strconv.Itoa(seq) }

// outcomeAttr is the attribute of the outcome of the claim of the
// recipient with seq in its ledger.
func outcomeAttr(seq int) string { return outcomePrefix + strconv.Itoa(seq) }

// ledgerable reports whether change, made to a recipient that is its
// chunk's QUEUED entry, goes to the chunk's ledger: the table writes
// ledgers (see WithoutLedgerWrites), and the change is unfenced, names no
// message and no channel, and leaves the recipient out of the due index.
func (t *Table) ledgerable(change parley.RecipientChange) bool {
	return !t.noLedgerWrites && change.Attempt == 0 && change.Carries == "" && change.ProviderMessageID == "" && change.Channel == "" &&
		!change.Status.Indexed() && slices.ContainsFunc(change.From, fromIntake)
}

// leftByLedger reports whether a ledger change may leave a recipient in
// status s: any status outside the due index.
func leftByLedger(s parley.RecipientStatus) bool { return !s.Indexed() }

// encodeLedgerChange is change as a ledger holds it.
func encodeLedgerChange(change parley.RecipientChange) string {
	counts := "0"
	if change.CountAttempt {
		counts = "1"
	}
	return strings.Join([]string{
		string(change.Status), counts, ledgerTime(change.At), ledgerTime(change.DueAt), url.PathEscape(change.ErrorMessage), change.Claimant,
	}, "|")
}

// decodeLedgerChange reads a change as a ledger holds it.
func decodeLedgerChange(s string) (parley.RecipientChange, error) {
	f, err := splitLedgerRecord(s, "change", ledgerFields)
	if err != nil {
		return parley.RecipientChange{}, err
	}
	change := parley.RecipientChange{
		Status: parley.RecipientStatus(f.field(0)), CountAttempt: f.field(1) == "1", At: f.time(2), DueAt: f.time(3), ErrorMessage: f.text(4), Claimant: f.field(5),
	}
	return change, f.err
}

// ledgerRecord is a change or an outcome as a ledger holds it, split into
// its fields; err is the first field that did not read.
type ledgerRecord struct {
	s, what string
	fields  []string
	err     error
}

// splitLedgerRecord splits s, a ledger's what of n fields.
func splitLedgerRecord(s, what string, n int) (*ledgerRecord, error) {
	f := strings.SplitN(s, "|", n)
	if len(f) != n {
		return nil, fmt.Errorf("ledger %s %q: %d fields", what, s, len(f))
	}
	return &ledgerRecord{s: s, what: what, fields: f}, nil
}

func (r *ledgerRecord) field(i int) string { return r.fields[i] }

// time reads field i as ledgerTime wrote it.
func (r *ledgerRecord) time(i int) time.Time {
	t, err := parseLedgerTime(r.fields[i])
	r.fail(err)
	return t
}

// text reads field i, path-escaped.
func (r *ledgerRecord) text(i int) string {
	v, err := url.PathUnescape(r.fields[i])
	r.fail(err)
	return v
}

func (r *ledgerRecord) fail(err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("ledger %s %q: %w", r.what, r.s, err)
	}
}

// encodeOutcome is the outcome of a claim, a change out of SENDING that
// RecordRange may put in a ledger (see outcomeLedgerable), as the ledger
// holds it: status, time, message id, channel and error, "|"-separated
// (the id and the error path-escaped).
func encodeOutcome(change parley.RecipientChange) string {
	return strings.Join([]string{
		string(change.Status), ledgerTime(change.At), url.PathEscape(change.ProviderMessageID), string(change.Channel), url.PathEscape(change.ErrorMessage),
	}, "|")
}

// decodeOutcome reads an outcome as a ledger holds it.
func decodeOutcome(s string) (parley.RecipientChange, error) {
	f, err := splitLedgerRecord(s, "outcome", outcomeFields)
	if err != nil {
		return parley.RecipientChange{}, err
	}
	outcome := parley.RecipientChange{
		Status: parley.RecipientStatus(f.field(0)), At: f.time(1), ProviderMessageID: f.text(2), Channel: parley.Channel(f.field(3)), ErrorMessage: f.text(4),
	}
	return outcome, f.err
}

// ledgerTime is t in base 36 Unix milliseconds, with "." and the
// nanoseconds left in base 36 when there are any; "" for the zero time.
func ledgerTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	s := strconv.FormatInt(t.UnixMilli(), 36)
	if ns := t.Nanosecond() % int(time.Millisecond); ns != 0 {
		s += "." + strconv.FormatInt(int64(ns), 36)
	}
	return s
}

// parseLedgerTime reads a time that ledgerTime wrote.
func parseLedgerTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, ns, _ := strings.Cut(s, ".")
	m, err := strconv.ParseInt(ms, 36, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("ledger time %q: %w", s, err)
	}
	var n int64
	if ns != "" {
		if n, err = strconv.ParseInt(ns, 36, 64); err != nil {
			return time.Time{}, fmt.Errorf("ledger time %q: %w", s, err)
		}
	}
	return time.UnixMilli(m).Add(time.Duration(n)).UTC(), nil
}

// ledgerChanges reads the entries a ledger item holds, by seq; an absent
// ledger holds none.
func ledgerChanges(av item) (map[int]ledgerEntry, error) {
	out := map[int]ledgerEntry{}
	outcomes := map[int]parley.RecipientChange{}
	for name, v := range av {
		rest, ok := strings.CutPrefix(name, ledgerAttrPrefix)
		isOutcome := false
		if !ok {
			if rest, ok = strings.CutPrefix(name, outcomePrefix); !ok {
				continue
			}
			isOutcome = true
		}
		seq, err := strconv.Atoi(rest)
		if err != nil {
			continue // not a recipient's attribute
		}
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("ledger %s %s: attribute %s is not a string", itemString(av, AttrPK), itemString(av, AttrSK), name)
		}
		if isOutcome {
			o, err := decodeOutcome(s.Value)
			if err != nil {
				return nil, fmt.Errorf("ledger %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
			}
			outcomes[seq] = o
			continue
		}
		rec := s.Value
		if !strings.Contains(rec, "|") {
			// The seq of the recipient whose attribute holds the change.
			first, ok := av[ledgerAttrPrefix+rec].(*types.AttributeValueMemberS)
			if !ok {
				return nil, fmt.Errorf("ledger %s %s: attribute %s names no change", itemString(av, AttrPK), itemString(av, AttrSK), name)
			}
			rec = first.Value
		}
		change, err := decodeLedgerChange(rec)
		if err != nil {
			return nil, fmt.Errorf("ledger %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
		}
		out[seq] = ledgerEntry{first: change}
	}
	for seq, o := range outcomes {
		e, ok := out[seq]
		if !ok {
			return nil, fmt.Errorf("ledger %s %s: outcome of recipient %d, which has no claim there", itemString(av, AttrPK), itemString(av, AttrSK), seq)
		}
		e.outcome = &o
		out[seq] = e
	}
	return out, nil
}

// withLedger is r, a chunk's entry, with its ledger change applied, if
// changes (its chunk's ledger) holds one.
func withLedger(r parley.Recipient, changes map[int]ledgerEntry) parley.Recipient {
	if e, ok := changes[r.Seq]; ok && fromIntake(r.Status) {
		e.apply(&r)
	}
	return r
}

// ledger reads the changes of chunk n's ledger in the partition pk,
// strongly consistent.
func (t *Table) ledger(ctx context.Context, pk string, n int) (map[int]ledgerEntry, error) {
	av, err := t.get(ctx, itemKey(pk, ledgerSK(n)))
	if err != nil || av == nil {
		return nil, err
	}
	changes, err := ledgerChanges(av)
	if err == nil {
		t.ledgers.keep(pk, changes)
	}
	return changes, err
}

// chunked returns the recipient ref names as its chunk's entry and its
// ledger make it (it has no item, or the item wins), and whether its
// chunk holds it. The ledger is read only for an entry it can change.
func (t *Table) chunked(ctx context.Context, ref parley.Ref) (parley.Recipient, bool, error) {
	r, ok, err := t.fromChunk(ctx, ref)
	if err != nil || !ok || !fromIntake(r.Status) {
		return r, ok, err
	}
	pk := campaignPK(ref.AccountID, ref.CampaignID)
	if e, ok := t.ledgers.change(pk, r.Seq); ok {
		e.apply(&r)
		return r, true, nil
	}
	changes, err := t.ledger(ctx, pk, parley.ChunkOf(r.Seq))
	return withLedger(r, changes), true, err
}

// withLedgers applies to rs, chunk entries of the partition pk in Seq
// order, the changes of their chunks' ledgers, read with one Query.
func (t *Table) withLedgers(ctx context.Context, pk string, rs []parley.Recipient) ([]parley.Recipient, error) {
	if !slices.ContainsFunc(rs, func(r parley.Recipient) bool { return fromIntake(r.Status) }) {
		return rs, nil
	}
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String(keyIsPartition + " AND " + AttrSK + " BETWEEN :from AND :to"),
		ExpressionAttributeValues: item{
			":pk": str(pk), ":from": str(ledgerSK(parley.ChunkOf(rs[0].Seq))), ":to": str(ledgerSK(parley.ChunkOf(rs[len(rs)-1].Seq))),
		},
		ConsistentRead: aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	changes := map[int]ledgerEntry{}
	for _, av := range avs {
		cs, err := ledgerChanges(av)
		if err != nil {
			return nil, err
		}
		for seq, c := range cs {
			changes[seq] = c
		}
	}
	for i := range rs {
		rs[i] = withLedger(rs[i], changes)
	}
	return rs, nil
}

// itemsBetween returns the ids of the recipient items of the partition
// pk with ids from the Seq from to the Seq to, with the ChunkStatus of
// each: one Query of their keys, strongly consistent.
func (t *Table) itemsBetween(ctx context.Context, pk string, from, to int) (map[string]string, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String(keyIsPartition + " AND " + AttrSK + " BETWEEN :from AND :to"),
		ExpressionAttributeValues: item{
			":pk": str(pk), ":from": str(recipientSK(parley.RecipientID(from))), ":to": str(recipientSK(parley.RecipientID(to))),
		},
		ProjectionExpression: aws.String(AttrSK + ", chunkStatus"),
		ConsistentRead:       aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, av := range avs {
		ids[strings.TrimPrefix(itemString(av, AttrSK), recipientSKPrefix)] = itemString(av, "chunkStatus")
	}
	return ids, nil
}

// writeLedger writes change for the recipients with seqs (at least one)
// into chunk n's ledger in the partition pk, on condition that none of
// them has a change there yet. When one has, it writes nothing and
// returns the ledger's changes as they are.
func (t *Table) writeLedger(ctx context.Context, pk string, n int, seqs []int, change parley.RecipientChange) (bool, map[int]ledgerEntry, error) {
	names := map[string]string{}
	values := item{":change": str(encodeLedgerChange(change))}
	sets := make([]string, len(seqs))
	conds := make([]string, len(seqs))
	for i, seq := range seqs {
		name := "#c" + strconv.Itoa(i)
		names[name] = ledgerAttr(seq)
		sets[i] = name + " = :first"
		if i == 0 {
			sets[i] = name + " = :change"
		}
		conds[i] = "attribute_not_exists(" + name + ")"
	}
	if len(seqs) > 1 {
		values[":first"] = str(strconv.Itoa(seqs[0]))
	}
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       itemKey(pk, ledgerSK(n)),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression:       aws.String(strings.Join(conds, " AND ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if errors.Is(err, errCondition) {
		changes, err := ledgerChanges(av)
		return false, changes, err
	}
	return err == nil, nil, err
}

// claimChunk applies change, a ledgerable one, to the recipients refs of
// chunk n of one campaign (their ids are their Seqs') through the chunk's
// ledger: one Query finds those that have items already, and one write of
// the ledger changes the others that their entries allow, retried for
// those left when a concurrent write took some. A recipient that has an
// item, or that the chunk does not hold, is left to its item: its change
// goes to its item (see updateItem): viaItem marks it.
func (t *Table) claimChunk(ctx context.Context, accountID, campaignID string, n int, refs []parley.Ref, change parley.RecipientChange) (out []store.RangeClaim, viaItem []bool) {
	out, viaItem = make([]store.RangeClaim, len(refs)), make([]bool, len(refs))
	fail := func(is []int, err error) {
		for _, i := range is {
			out[i] = store.RangeClaim{Err: err}
		}
	}
	all := make([]int, len(refs))
	for i := range all {
		all[i] = i
	}
	pk := campaignPK(accountID, campaignID)
	if !change.DueAt.IsZero() {
		if _, err := dueString(change.DueAt); err != nil {
			fail(all, err)
			return out, viaItem
		}
	}
	es, ok, err := t.chunk(ctx, pk, n)
	if err != nil {
		fail(all, err)
		return out, viaItem
	}
	bySeq := make(map[int]chunkEntry, len(es))
	for _, e := range es {
		bySeq[e.Seq] = e
	}
	seqs := make([]int, len(refs))
	for i, ref := range refs {
		seqs[i], _ = strconv.Atoi(ref.RecipientID)
	}
	var items map[string]string
	if ok {
		if items, err = t.itemsBetween(ctx, pk, slices.Min(seqs), slices.Max(seqs)); err != nil {
			fail(all, err)
			return out, viaItem
		}
	}
	entries := make([]parley.Recipient, len(refs))
	first := map[int]int{} // seq → the first of refs naming it
	var todo []int
	for i, ref := range refs {
		e, in := bySeq[seqs[i]]
		if _, has := items[ref.RecipientID]; !in || has {
			viaItem[i] = true
			continue
		}
		entries[i] = e.domain(accountID, campaignID)
		if _, dup := first[seqs[i]]; dup {
			continue // answered as the first
		}
		first[seqs[i]] = i
		if !fromIntake(entries[i].Status) || !change.Allows(entries[i]) {
			out[i] = store.RangeClaim{Recipient: entries[i]}
			continue
		}
		if c, known := t.ledgers.claimed(pk, seqs[i]); known {
			r := entries[i]
			c.apply(&r)
			out[i] = store.RangeClaim{Recipient: r}
			continue
		}
		todo = append(todo, i)
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == ledgerAttempts {
			fail(todo, parley.Errorf(parley.EUNAVAILABLE, "recipients of campaign %s changed concurrently; try again", campaignID))
			break
		}
		ss := make([]int, len(todo))
		for j, i := range todo {
			ss[j] = seqs[i]
		}
		done, stored, err := t.writeLedger(ctx, pk, n, ss, change)
		if err != nil {
			fail(todo, err)
			break
		}
		if done {
			written := make(map[int]ledgerEntry, len(ss))
			for _, seq := range ss {
				written[seq] = ledgerEntry{first: change}
			}
			t.ledgers.keepOwn(pk, written)
		} else {
			t.ledgers.keep(pk, stored)
		}
		left := todo[:0]
		for _, i := range todo {
			r := entries[i]
			switch c, taken := stored[seqs[i]]; {
			case done:
				change.Apply(&r)
				out[i] = store.RangeClaim{Recipient: r, Claimed: true}
			case taken:
				c.apply(&r)
				out[i] = store.RangeClaim{Recipient: r}
			default:
				left = append(left, i)
			}
		}
		todo = left
	}
	for i := range refs {
		if f, ok := first[seqs[i]]; ok && f != i && !viaItem[i] {
			out[i] = store.RangeClaim{Recipient: out[f].Recipient, Err: out[f].Err}
		}
	}
	return out, viaItem
}

// ledgerChange applies change, a ledgerable one, to the recipient ref
// through its chunk's ledger (claimChunk of one). done is false when the
// change must go to the recipient's item: it has one, or its chunk does
// not hold it, or a change after the ledger's found its item put
// meanwhile.
func (t *Table) ledgerChange(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (_ parley.Recipient, done bool, _ error) {
	n, ok := chunkOf(ref.RecipientID)
	if !ok {
		return parley.Recipient{}, false, nil
	}
	out, viaItem := t.claimChunk(ctx, ref.AccountID, ref.CampaignID, n, []parley.Ref{ref}, change)
	c := out[0]
	switch {
	case viaItem[0]:
		return parley.Recipient{}, false, nil
	case c.Err != nil:
		return parley.Recipient{}, true, c.Err
	case c.Claimed:
		return c.Recipient, true, nil
	case change.Allows(c.Recipient):
		// Changed in the ledger, by a change this one can follow.
		return t.putFirst(ctx, c.Recipient, change)
	}
	return c.Recipient, true, parley.Errorf(parley.ECONFLICT, "recipient %s is %s", ref.RecipientID, c.Recipient.Status)
}

// afterLedger applies change to a recipient that its chunk's ledger
// changed and that has no item yet, putting the item (see putFirst): the
// dispatcher's record of a claim that ClaimRange made, or the delivery
// report of a message whose sending RecordRange recorded there. It needs
// no read of the ledger when the Table wrote or read the recipient's
// entry before (see ledgerCache), and otherwise reads it eventually
// consistent, as what is written there stays: a ledger read stale shows
// less, and done is false, as it is for a change that a ledger cannot
// precede (it is fenced to a later attempt, or starts from the due index
// only), a recipient without an entry there, or one whose item exists;
// the change then goes to the item. A delivery report (a change that
// Carries a message) first peeks at the item, which a report before it
// has mostly put.
func (t *Table) afterLedger(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (_ parley.Recipient, done bool, _ error) {
	n, ok := chunkOf(ref.RecipientID)
	if !ok || change.Attempt > 1 || !slices.ContainsFunc(change.From, leftByLedger) {
		return parley.Recipient{}, false, nil
	}
	pk := campaignPK(ref.AccountID, ref.CampaignID)
	if change.Carries != "" {
		it, err := t.peek(ctx, itemKey(pk, recipientSK(ref.RecipientID)))
		if err != nil || it != nil {
			return parley.Recipient{}, err != nil, err
		}
	}
	seq, _ := strconv.Atoi(ref.RecipientID)
	e, ok := t.ledgers.change(pk, seq)
	if !ok {
		av, err := t.peek(ctx, itemKey(pk, ledgerSK(n)))
		if err != nil || av == nil {
			return parley.Recipient{}, err != nil, err
		}
		if _, ok := av[ledgerAttr(seq)]; !ok {
			return parley.Recipient{}, false, nil
		}
		changes, err := ledgerChanges(av)
		if err != nil {
			return parley.Recipient{}, true, err
		}
		t.ledgers.keep(pk, changes)
		e = changes[seq]
	}
	read := t.chunk
	if change.Carries != "" {
		read = t.peekChunk
	}
	r, ok, err := t.fromChunkRead(ctx, ref, read)
	if err != nil || !ok || !fromIntake(r.Status) {
		return parley.Recipient{}, err != nil, err
	}
	if e.apply(&r); !change.Allows(r) {
		return parley.Recipient{}, false, nil // the item, if there is one, is newer
	}
	return t.putFirst(ctx, r, change)
}

// outcomeLedgerable reports whether rec may go to its chunk's ledger (see
// RecordRange): it records a message sent under a first claim that this
// Table made there, for rec.Claimant, and whose outcome is not there yet.
func (t *Table) outcomeLedgerable(rec store.RangeRecord) (pk string, n int, ok bool) {
	c := rec.Change
	if t.noLedgerWrites || rec.Claimant == "" || c.Status != parley.StatusSent || c.ProviderMessageID == "" ||
		c.Attempt != 1 || c.Carries != "" || !c.DueAt.IsZero() || len(c.From) != 1 || c.From[0] != parley.StatusSending {
		return "", 0, false
	}
	if n, ok = chunkOf(rec.Ref.RecipientID); !ok {
		return "", 0, false
	}
	pk = campaignPK(rec.Ref.AccountID, rec.Ref.CampaignID)
	seq, _ := strconv.Atoi(rec.Ref.RecipientID)
	e, known := t.ledgers.change(pk, seq)
	ok = known && e.outcome == nil && e.first.Status == parley.StatusSending && e.first.Claimant == rec.Claimant
	return pk, n, ok
}

// recordChunk writes the outcomes of records at, all of chunk n in the
// partition pk and outcomeLedgerable, into the chunk's ledger in one
// write, on condition that each has its claim there and no outcome yet,
// and sets their results in out. One Query first finds those whose items
// were put (a take-over): they, and all of them when the write's
// condition fails, are returned, unwritten, to go one by one.
//
// A take-over between the Query and the write leaves an outcome in the
// ledger that the recipient's item overrides: the recipient is as the
// take-over left it, and the stream's fold counts it so.
func (t *Table) recordChunk(ctx context.Context, pk string, n int, records []store.RangeRecord, at []int, out []store.RangeClaim) (left []int) {
	es, ok, err := t.chunk(ctx, pk, n)
	if err != nil || !ok {
		return at
	}
	bySeq := make(map[int]chunkEntry, len(es))
	for _, e := range es {
		bySeq[e.Seq] = e
	}
	seqOf := func(i int) int {
		seq, _ := strconv.Atoi(records[i].Ref.RecipientID)
		return seq
	}
	lo, hi := seqOf(at[0]), seqOf(at[0])
	for _, i := range at {
		lo, hi = min(lo, seqOf(i)), max(hi, seqOf(i))
	}
	items, err := t.itemsBetween(ctx, pk, lo, hi)
	if err != nil {
		for _, i := range at {
			out[i] = store.RangeClaim{Err: err}
		}
		return nil
	}
	var todo []int
	for _, i := range at {
		if _, has := items[records[i].Ref.RecipientID]; has {
			left = append(left, i)
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return left
	}
	at = todo
	names := map[string]string{}
	values := item{}
	sets := make([]string, len(at))
	conds := make([]string, 0, 2*len(at))
	seqs := make([]int, len(at))
	for k, i := range at {
		seqs[k] = seqOf(i)
		c, o, v := "#c"+strconv.Itoa(k), "#o"+strconv.Itoa(k), ":o"+strconv.Itoa(k)
		names[c], names[o] = ledgerAttr(seqs[k]), outcomeAttr(seqs[k])
		values[v] = str(encodeOutcome(records[i].Change))
		sets[k] = o + " = " + v
		conds = append(conds, "attribute_exists("+c+")", "attribute_not_exists("+o+")")
	}
	_, err = t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       itemKey(pk, ledgerSK(n)),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression:       aws.String(strings.Join(conds, " AND ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	switch {
	case errors.Is(err, errCondition):
		return append(left, at...)
	case err != nil:
		for _, i := range at {
			out[i] = store.RangeClaim{Err: err}
		}
		return left
	}
	written := make(map[int]ledgerEntry, len(at))
	for k, i := range at {
		e, _ := t.ledgers.change(pk, seqs[k])
		outcome := records[i].Change
		e.outcome = &outcome
		written[seqs[k]] = e
		r := bySeq[seqs[k]].domain(records[i].Ref.AccountID, records[i].Ref.CampaignID)
		e.apply(&r)
		out[i] = store.RangeClaim{Recipient: r, Claimed: true}
	}
	t.ledgers.keepOwn(pk, written)
	return left
}

// ledgerTransitions are the transitions a ledger's stream record shows:
// a recipient's first change for each that its new image holds and its old
// one did not, from the recipient's chunk entry (read through the chunk
// cache), and a claim's outcome for each new outcome, from the claim. An
// outcome is left out when the recipient's item was put from its claim
// (a take-over, or a record that went to the item): the item's
// transitions count that recipient.
func (t *Table) ledgerTransitions(ctx context.Context, pk, sk string, newImage, oldImage item) ([]transition, error) {
	accountID, campaignID, ok := splitCampaignPK(pk)
	n, err := strconv.Atoi(strings.TrimPrefix(sk, ledgerSKPrefix))
	if !ok || err != nil {
		return nil, nil
	}
	changes, err := ledgerChanges(newImage)
	if err != nil {
		return nil, err
	}
	old, err := ledgerChanges(oldImage)
	if err != nil {
		return nil, err
	}
	es, ok, err := t.chunk(ctx, pk, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("ledger %s %s: no chunk", pk, sk)
	}
	var ts []transition
	var outcomes []int // of ts, the outcomes
	for _, e := range es {
		now, ok := changes[e.Seq]
		was, before := old[e.Seq]
		if !ok || before && (was.outcome != nil || now.outcome == nil) {
			continue
		}
		tr := transition{before: e.domain(accountID, campaignID)}
		tr.after = tr.before
		if before {
			was.apply(&tr.before)
			outcomes = append(outcomes, len(ts))
		}
		now.apply(&tr.after)
		ts = append(ts, tr)
	}
	if len(outcomes) == 0 {
		return ts, nil
	}
	items, err := t.itemsBetween(ctx, pk, ts[outcomes[0]].after.Seq, ts[outcomes[len(outcomes)-1]].after.Seq)
	if err != nil {
		return nil, err
	}
	kept := ts[:0]
	for k, tr := range ts {
		if cs, has := items[tr.after.ID]; has && slices.Contains(outcomes, k) && cs != string(tr.after.Status) {
			continue
		}
		kept = append(kept, tr)
	}
	return kept, nil
}
