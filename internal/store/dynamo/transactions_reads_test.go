package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// walkSource is the table as a transaction walk reads it.
type walkSource struct{ *dynamo.Table }

func (s walkSource) Recipients(ctx context.Context, c parley.Campaign, afterSeq, limit int) ([]parley.Recipient, error) {
	return s.Table.Recipients(ctx, c.AccountID, c.ID, afterSeq, limit)
}

// TestTransactionPageReads counts the DynamoDB items a transaction page
// reads in a window of 12 campaigns of 250 recipients: an unfiltered
// version 2.0 page at offset 0, 1,500 and 2,900 reads its 100 rows and the
// window's campaigns, whatever the offset, where a filtered one reads
// every recipient before its offset; version 1.0 pages, filtered, read
// about the same at the first page as at the last.
func TestTransactionPageReads(t *testing.T) {
	ctx := context.Background()
	s, db, counter := newCounted(t)
	const campaigns, each, limit = 12, 250, 100
	base := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) // the campaigns' and the window's: a pure input
	for i := range campaigns {
		c, rs := storetest.Fixture("acct1", fmt.Sprintf("camp%02d", i), each)
		c.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		if err := s.CreateCampaign(ctx, c, rs); err != nil {
			t.Fatal(err)
		}
	}
	win := lpreport.Window{Start: base, End: base.Add(time.Hour)}
	type reads struct {
		items, requests int64
		rcu             float64
	}
	read := func(t *testing.T, w lpreport.Walk) (lpreport.WalkPage, reads) {
		t.Helper()
		db.items.Store(0)
		db.requests.Store(0)
		counter.Reset()
		page, err := w.Page(ctx, walkSource{s})
		if err != nil {
			t.Fatal(err)
		}
		r := reads{items: db.items.Load(), requests: db.requests.Load()}
		for _, u := range counter.Usage() {
			r.rcu += u.Computed.Read
		}
		return page, r
	}
	// The row at offset n: newest campaign first, in Seq order.
	rowAt := func(n int) string {
		return fmt.Sprintf("camp%02d:%s", campaigns-1-n/each, parley.RecipientID(n%each+1))
	}
	sales := lpreport.TransactionFilters{Skills: []string{"sales"}} // every recipient passes, one by one
	const bound = limit + campaigns + 1                             // the rows, the campaign listing and one campaign read
	var first reads
	for _, offset := range []int{0, 1500, 2900} {
		page, r := read(t, lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: win, Skip: offset, Limit: limit})
		if len(page.Hits) != limit || lpreport.TransactionID(page.Hits[0].Recipient) != rowAt(offset) || page.More != (offset+limit < campaigns*each) {
			t.Fatalf("offset %d: %d rows from %s, more %v; want %d from %s", offset, len(page.Hits), lpreport.TransactionID(page.Hits[0].Recipient), page.More, limit, rowAt(offset))
		}
		filtered, f := read(t, lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: win, Filters: sales, Skip: offset, Limit: limit})
		if lpreport.TransactionID(filtered.Hits[0].Recipient) != rowAt(offset) {
			t.Fatalf("filtered offset %d starts at %s", offset, lpreport.TransactionID(filtered.Hits[0].Recipient))
		}
		t.Logf("version 2.0, limit %d, offset %4d: unfiltered %2d items, %2d requests, %5.1f RCU; filtered %3d items, %2d requests, %5.1f RCU",
			limit, offset, r.items, r.requests, r.rcu, f.items, f.requests, f.rcu)
		if offset == 0 {
			first = r
		}
		if r.items > bound || r.rcu > 2*first.rcu {
			t.Errorf("offset %d read %d items, %.1f RCU; want at most %d items (the page's rows and the window's campaigns) and about the first page's %.1f RCU",
				offset, r.items, r.rcu, bound, first.rcu)
		}
		if offset > 0 && f.rcu < 2*r.rcu {
			t.Errorf("a filtered page at offset %d read %.1f RCU, the unfiltered %.1f: the filtered one must read every recipient before the offset", offset, f.rcu, r.rcu)
		}
	}

	// Named transactions: their campaigns and recipients only.
	named := lpreport.TransactionFilters{TransactionIDs: []string{rowAt(10), rowAt(2990), rowAt(2999), "camp99:000001"}}
	page, r := read(t, lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: win, Filters: named, Limit: limit})
	t.Logf("version 2.0, %d transactionids: %d rows, %d items, %d requests, %.1f RCU", len(named.TransactionIDs), len(page.Hits), r.items, r.requests, r.rcu)
	if len(page.Hits) != 3 || r.requests > 3+3*3 || r.items > 3+2*3 {
		t.Errorf("named transactions: %d rows, %d items in %d requests; want 3 rows from 3 campaign reads and 3 recipient reads (an item, its chunk and its ledger each)",
			len(page.Hits), r.items, r.requests)
	}

	// Version 1.0, filtered, page after page: each page reads from its
	// token's position, at most one campaign's worth more than its rows.
	w := lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: win, Filters: sales, Limit: limit}
	var most reads
	rows := 0
	for pages := 1; ; pages++ {
		page, r := read(t, w)
		rows += len(page.Hits)
		most.items, most.requests, most.rcu = max(most.items, r.items), max(most.requests, r.requests), max(most.rcu, r.rcu)
		if pages == 1 || !page.More {
			t.Logf("version 1.0, filtered, page %2d: %3d rows, %2d items, %2d requests, %5.1f RCU", pages, len(page.Hits), r.items, r.requests, r.rcu)
		}
		if r.items > bound+each || r.rcu > 2*first.rcu+float64(each)/8 {
			t.Errorf("page %d read %d items, %.1f RCU; want at most %d items and about the first page's RCU", pages, r.items, r.rcu, bound+each)
		}
		if !page.More {
			break
		}
		tok := w.PageToken(page.Next)
		if w.From, _ = w.ParsePageToken(tok); w.From != page.Next {
			t.Fatalf("token %q reads back as %+v, want %+v", tok, w.From, page.Next)
		}
	}
	if rows != campaigns*each {
		t.Errorf("%d rows over the pages; want %d", rows, campaigns*each)
	}
	t.Logf("version 1.0, filtered: the most a page read: %d items, %d requests, %.1f RCU", most.items, most.requests, most.rcu)
}
