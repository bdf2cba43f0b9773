package dynamo

// Recipients at intake, in chunks:
//
//	recipient chunk   pk ACCOUNT#<account>#CAMPAIGN#<campaign>   sk RC#<n>   rz: up to chunkSize recipients, compact JSON, DEFLATE-compressed
//	recipient         pk ACCOUNT#<account>#CAMPAIGN#<campaign>   sk R#<id>   written by its first change
//
// A write unit covers 1 KB of one item, and a recipient takes a few hundred
// bytes: written one item each, intake paid a whole unit per recipient.
// CreateCampaign therefore writes a campaign's recipients in chunks of
// chunkSize consecutive ones, as they are (n is (Seq-1)/chunkSize), for a
// fraction of a unit each. A chunk is never written again: a recipient's
// first change (its claim, mostly) reads it from its chunk and goes to the
// chunk's ledger (see ledger.go), or, when the ledger cannot hold it, puts
// the recipient's own item, on condition that there is none yet; the
// change after a ledger's puts the item, and every later change updates
// that item as before. A recipient is thus its item when it has one, and
// its chunk's entry otherwise, with its ledger change if it has one, and
// reads merge the three. Recipients that intake schedules (they belong to
// the due index from the start) and any whose id is not their Seq's are
// written as items at once.
//
// The cost: a recipient's first change reads its chunk (strongly
// consistent, one unit per 4 KB, once per chunk and process: chunks never
// change, so a Table keeps the ones it read). Listing a campaign's
// recipients reads the chunks and their ledgers beside the items.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

const (
	// chunkSize is how many recipients one chunk holds: 25 recipients of a
	// typical text fit in a few write units.
	chunkSize = parley.ChunkSize
	// chunkSKPrefix starts a chunk's sort key; it sorts apart from the
	// recipients' R#.
	chunkSKPrefix = "RC#"
	// maxCachedChunks bounds the chunks a Table keeps; past it, it starts
	// over.
	maxCachedChunks = 4096
)

func chunkSK(n int) string { return fmt.Sprintf("%s%06d", chunkSKPrefix, n) }

// chunkOf returns the chunk of the recipient with id, and whether a
// recipient with that id can be in one (its id is its Seq's).
func chunkOf(id string) (int, bool) {
	seq, err := strconv.Atoi(id)
	if err != nil || seq < 1 || parley.RecipientID(seq) != id {
		return 0, false
	}
	return parley.ChunkOf(seq), true
}

// chunkable reports whether intake writes r into a chunk.
func chunkable(r parley.Recipient) bool {
	_, ok := chunkOf(r.ID)
	return ok && r.Seq >= 1 && !r.Status.Indexed()
}

// chunkItem is one chunk of recipients: their entries as JSON, compressed
// (Packed). A campaign's texts differ mostly in a name or a date, so the
// entries shrink to a fraction: a fraction of the write units at intake
// and of the read units at each first read. Chunks written before packing
// hold the JSON as it is (Recipients).
type chunkItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Packed     []byte `dynamodbav:"rz,omitempty"`
	Recipients string `dynamodbav:"rs,omitempty"`
}

// maxChunkJSON bounds a chunk's entries unpacked: a DynamoDB item holds at
// most 400 KB, and a chunk's JSON compresses well under tenfold.
const maxChunkJSON = 4 << 20

// pack compresses a chunk's JSON.
func pack(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// unpack returns the JSON of a chunk item.
func (it chunkItem) unpack() ([]byte, error) {
	if len(it.Packed) == 0 {
		return []byte(it.Recipients), nil
	}
	data, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(it.Packed)), maxChunkJSON+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("unpack recipient chunk %s %s: %w", it.PK, it.SK, err)
	case len(data) > maxChunkJSON:
		return nil, fmt.Errorf("unpack recipient chunk %s %s: more than %d bytes", it.PK, it.SK, maxChunkJSON)
	}
	return data, nil
}

// chunkEntry is a recipient in a chunk: its account and campaign are the
// chunk's, its id its Seq's.
type chunkEntry struct {
	Seq               int               `json:"q"`
	Channel           parley.Channel    `json:"c,omitempty"`
	Phone             string            `json:"p,omitempty"`
	ConsumerID        string            `json:"u,omitempty"`
	Zones             []string          `json:"z,omitempty"`
	Variables         map[string]string `json:"v,omitempty"`
	SDEs              map[string]string `json:"x,omitempty"`
	Body              string            `json:"b,omitempty"`
	HeaderURL         string            `json:"h,omitempty"`
	ButtonValue       string            `json:"bv,omitempty"`
	Status            string            `json:"s"`
	ErrorMessage      string            `json:"e,omitempty"`
	ProviderMessageID string            `json:"m,omitempty"`
	Attempts          int               `json:"a,omitempty"`
	Claimant          string            `json:"cl,omitempty"`
	DueAt             time.Time         `json:"d,omitzero"`
	UpdatedAt         time.Time         `json:"t,omitzero"`
	Skill             string            `json:"k,omitempty"`
	HandoffID         string            `json:"hf,omitempty"`
	Source            string            `json:"o,omitempty"`
	App               string            `json:"ap,omitempty"`
	// TakenIn is when intake took the recipient in (Unix seconds): its
	// timeline is the steps of its status at that time.
	TakenIn int64 `json:"i,omitempty"`
}

func newChunkEntry(r parley.Recipient) chunkEntry {
	return chunkEntry{
		Seq: r.Seq, Channel: r.Channel, Phone: r.Phone, ConsumerID: r.ConsumerID, Zones: r.Zones, Variables: r.Variables, SDEs: r.SDEs,
		Body: r.Body, HeaderURL: r.HeaderURL, ButtonValue: r.ButtonValue, Status: string(r.Status), ErrorMessage: r.ErrorMessage,
		ProviderMessageID: r.ProviderMessageID, Attempts: r.Attempts, Claimant: r.Claimant, DueAt: r.DueAt, UpdatedAt: r.UpdatedAt,
		Skill: r.Skill, HandoffID: r.HandoffID, Source: r.Source, App: r.App, TakenIn: r.Timeline.Attempted.Unix(),
	}
}

func (e chunkEntry) domain(accountID, campaignID string) parley.Recipient {
	r := parley.Recipient{
		AccountID: accountID, CampaignID: campaignID, ID: parley.RecipientID(e.Seq), Seq: e.Seq,
		Channel: e.Channel, Phone: e.Phone, ConsumerID: e.ConsumerID, Zones: e.Zones, Variables: e.Variables, SDEs: e.SDEs, Body: e.Body,
		HeaderURL: e.HeaderURL, ButtonValue: e.ButtonValue, Status: parley.RecipientStatus(e.Status), ErrorMessage: e.ErrorMessage,
		ProviderMessageID: e.ProviderMessageID, Attempts: e.Attempts, Claimant: e.Claimant, DueAt: e.DueAt, UpdatedAt: e.UpdatedAt,
		Skill: e.Skill, HandoffID: e.HandoffID, Source: e.Source, App: e.App,
	}
	if e.TakenIn != 0 {
		r.Timeline.StampStatus(r.Status, time.Unix(e.TakenIn, 0))
	}
	return r
}

// recipientWrites are the items intake writes for rs: chunks of the
// chunkable ones, the others' own items.
func recipientWrites(rs []parley.Recipient) ([]types.WriteRequest, error) {
	var reqs []types.WriteRequest
	chunks := map[[3]string][]chunkEntry{}
	var order [][3]string
	for _, r := range rs {
		if !chunkable(r) {
			av, err := encode(newRecipientItem(r))
			if err != nil {
				return nil, err
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
			continue
		}
		if _, err := dueString(r.DueAt); err != nil {
			return nil, err
		}
		n, _ := chunkOf(r.ID)
		k := [3]string{r.AccountID, r.CampaignID, chunkSK(n)}
		if chunks[k] == nil {
			order = append(order, k)
		}
		chunks[k] = append(chunks[k], newChunkEntry(r))
	}
	for _, k := range order {
		data, err := json.Marshal(chunks[k])
		if err != nil {
			return nil, fmt.Errorf("encode recipients of campaign %s: %w", k[1], err)
		}
		packed, err := pack(data)
		if err != nil {
			return nil, fmt.Errorf("pack recipients of campaign %s: %w", k[1], err)
		}
		av, err := encode(chunkItem{PK: campaignPK(k[0], k[1]), SK: k[2], Packed: packed})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return reqs, nil
}

// chunkCache keeps the chunks a Table read, by key: they never change.
// Concurrent readers of one chunk share one read.
type chunkCache struct {
	mu     sync.Mutex
	chunks map[[2]string]*chunkRead
}

// errUnreadChunk is the result of a chunk read that never answered (it
// panicked).
var errUnreadChunk = errors.New("dynamo: the recipient chunk read did not finish")

// chunkRead is one read of a chunk; done closes once it is in. A chunk
// that was absent or could not be read is not kept.
type chunkRead struct {
	done chan struct{}
	es   []chunkEntry
	ok   bool
	err  error
}

// read returns the chunk with key k, reading it with fetch unless it was
// read before or is being read.
func (c *chunkCache) read(ctx context.Context, k [2]string, fetch func() ([]chunkEntry, bool, error)) ([]chunkEntry, bool, error) {
	c.mu.Lock()
	r, ok := c.chunks[k]
	if !ok {
		if c.chunks == nil || len(c.chunks) >= maxCachedChunks {
			c.chunks = map[[2]string]*chunkRead{}
		}
		r = &chunkRead{done: make(chan struct{}), err: errUnreadChunk}
		c.chunks[k] = r
		c.mu.Unlock()
		defer func() {
			// Also when fetch panics: waiters must not wait forever.
			if r.err != nil || !r.ok {
				c.mu.Lock()
				delete(c.chunks, k)
				c.mu.Unlock()
			}
			close(r.done)
		}()
		r.es, r.ok, r.err = fetch()
		return r.es, r.ok, r.err
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.es, r.ok, r.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// decodeChunk returns the entries of a chunk item.
func decodeChunk(av item) ([]chunkEntry, error) {
	var it chunkItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("decode recipient chunk: %w", err)
	}
	data, err := it.unpack()
	if err != nil {
		return nil, err
	}
	var es []chunkEntry
	if err := json.Unmarshal(data, &es); err != nil {
		return nil, fmt.Errorf("decode recipient chunk %s %s: %w", it.PK, it.SK, err)
	}
	return es, nil
}

// fromChunk returns the recipient ref names as its chunk holds it, and
// whether the chunk holds it (see chunk).
func (t *Table) fromChunk(ctx context.Context, ref parley.Ref) (parley.Recipient, bool, error) {
	return t.fromChunkRead(ctx, ref, t.chunk)
}

// fromChunkRead is fromChunk with the chunk read by read.
func (t *Table) fromChunkRead(ctx context.Context, ref parley.Ref, read func(context.Context, string, int) ([]chunkEntry, bool, error)) (parley.Recipient, bool, error) {
	n, ok := chunkOf(ref.RecipientID)
	if !ok {
		return parley.Recipient{}, false, nil
	}
	es, ok, err := read(ctx, campaignPK(ref.AccountID, ref.CampaignID), n)
	if err != nil || !ok {
		return parley.Recipient{}, false, err
	}
	for _, e := range es {
		if parley.RecipientID(e.Seq) == ref.RecipientID {
			return e.domain(ref.AccountID, ref.CampaignID), true, nil
		}
	}
	return parley.Recipient{}, false, nil
}

// chunk returns the entries of chunk n in the partition pk, and whether
// there is such a chunk. A chunk read is kept (see chunkCache); one that
// is absent is not, so that a chunk written later is found.
func (t *Table) chunk(ctx context.Context, pk string, n int) ([]chunkEntry, bool, error) {
	return t.readChunk(ctx, pk, n, t.get)
}

// peekChunk is chunk read eventually consistent, at half the capacity, for
// a chunk written long before the read (that of a recipient a delivery
// report names, sent already); a chunk it does not find is read again
// strongly consistent.
func (t *Table) peekChunk(ctx context.Context, pk string, n int) ([]chunkEntry, bool, error) {
	es, ok, err := t.readChunk(ctx, pk, n, t.peek)
	if err == nil && !ok {
		return t.chunk(ctx, pk, n)
	}
	return es, ok, err
}

// readChunk is chunk with the item read by get.
func (t *Table) readChunk(ctx context.Context, pk string, n int, get func(context.Context, item) (item, error)) ([]chunkEntry, bool, error) {
	k := [2]string{pk, chunkSK(n)}
	return t.chunks.read(ctx, k, func() ([]chunkEntry, bool, error) {
		av, err := get(ctx, itemKey(k[0], k[1]))
		if err != nil || av == nil {
			return nil, false, err
		}
		es, err := decodeChunk(av)
		return es, err == nil, err
	})
}

// firstChange applies change to a recipient that is still only its chunk's
// entry: through the chunk's ledger when it is ledgerable (see ledger.go),
// otherwise by putting the recipient's item, on condition that there is
// none. done is false when the change must go to the recipient's item
// instead: the change does not expect a recipient as intake wrote it (it
// names a message, is fenced to a claim, or starts from no status a chunk
// holds), the recipient is in no chunk, or its item exists already.
func (t *Table) firstChange(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (r parley.Recipient, done bool, err error) {
	if change.Carries != "" || change.Attempt != 0 || !slices.ContainsFunc(change.From, fromIntake) {
		return parley.Recipient{}, false, nil
	}
	if t.ledgerable(change) {
		return t.ledgerChange(ctx, ref, change)
	}
	r, ok, err := t.chunked(ctx, ref)
	if err != nil || !ok {
		return r, err != nil, err
	}
	if !change.Allows(r) {
		// The item, if there is one, is newer than the chunk.
		return r, false, nil
	}
	return t.putFirst(ctx, r, change)
}

// putFirst applies change to r, a chunk's entry (with its ledger change,
// if it has one), and puts the recipient's item on condition that there is
// none; done is false when there is one. The item's ChunkStatus is r's
// status: the one the stream counts the change from.
func (t *Table) putFirst(ctx context.Context, r parley.Recipient, change parley.RecipientChange) (_ parley.Recipient, done bool, err error) {
	if !change.DueAt.IsZero() {
		if _, err := dueString(change.DueAt); err != nil {
			return parley.Recipient{}, true, err
		}
	}
	left := r.Status
	change.Apply(&r)
	it := newRecipientItem(r)
	it.Chunked, it.ChunkStatus = true, string(left)
	err = t.put(ctx, it, aws.String(condNotExists))
	if errors.Is(err, errCondition) {
		return parley.Recipient{}, false, nil // written meanwhile, or before
	}
	return r, true, err
}

// fromIntake reports whether a chunk may hold a recipient in status s.
func fromIntake(s parley.RecipientStatus) bool {
	return s == parley.StatusQueued
}

// chunkEntries lists the chunked recipients of a campaign with Seq >
// afterSeq in Seq order: at least limit of them when there are that many,
// and all of those whose Seq lies below the last one listed.
func (t *Table) chunkEntries(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error) {
	pk := campaignPK(accountID, campaignID)
	in := &dynamodb.QueryInput{
		TableName:                 &t.name,
		KeyConditionExpression:    aws.String(keyIsPartition + " AND " + AttrSK + " BETWEEN :from AND :to"),
		ExpressionAttributeValues: item{":pk": str(pk), ":from": str(chunkSK(afterSeq / chunkSize)), ":to": str(chunkSKPrefix + "~")},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit/chunkSize + 2)),
	}
	var out []parley.Recipient
	for {
		page, err := t.db.Query(ctx, in)
		if err != nil {
			return nil, t.unavailable(err, "Query")
		}
		for _, av := range page.Items {
			es, err := decodeChunk(av)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if e.Seq > afterSeq {
					out = append(out, e.domain(accountID, campaignID))
				}
			}
		}
		if len(page.LastEvaluatedKey) == 0 || len(out) >= limit {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// mergeRecipients merges items, a campaign's recipients with items, and
// entries, those of its chunks, both in Seq order and each complete up to
// its last Seq (see chunkEntries): the first limit recipients, each as its
// item if it has one.
func mergeRecipients(items, entries []parley.Recipient, limit int) []parley.Recipient {
	out := make([]parley.Recipient, 0, min(limit, len(items)+len(entries)))
	for len(out) < limit && (len(items) > 0 || len(entries) > 0) {
		switch {
		case len(entries) == 0 || (len(items) > 0 && items[0].Seq < entries[0].Seq):
			out, items = append(out, items[0]), items[1:]
		case len(items) > 0 && items[0].Seq == entries[0].Seq:
			out, items, entries = append(out, items[0]), items[1:], entries[1:]
		default:
			out, entries = append(out, entries[0]), entries[1:]
		}
	}
	return out
}
