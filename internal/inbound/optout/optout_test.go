package optout_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*optout.Service, *account.Service) {
	t.Helper()
	s, _ := testworld.Open(t)
	clock := parley.ClockFunc(func() time.Time { return t0 })
	accts := &account.Service{Store: s, Clock: clock}
	return &optout.Service{Store: s, Accounts: accts, Clock: clock}, accts
}

func TestHandle(t *testing.T) {
	svc, accts := newService(t)
	ctx := context.Background()
	if _, err := accts.Update(ctx, parley.Account{ID: "acct1", HelpText: "Call 555-0100", OptInConfirmText: "Welcome back"}); err != nil {
		t.Fatal(err)
	}
	const num = "+12025550101"
	steps := []struct {
		channel parley.Channel
		from    string
		body    string
		keyword optout.Keyword
		changed bool
		reply   string
		handled bool
	}{
		{parley.ChannelSMS, num, "hello", optout.None, false, "", false},
		{parley.ChannelSMS, num, "yes", optout.OptIn, false, "", false}, // not opted out: an ordinary reply
		{parley.ChannelSMS, num, "help", optout.Help, false, "Call 555-0100", true},
		{parley.ChannelSMS, num, " Stop ", optout.OptOut, true, account.DefaultOptOutConfirm, true},
		{parley.ChannelSMS, num, "STOPALL", optout.OptOut, false, "", true}, // already out: no second answer
		{parley.ChannelSMS, "1 (202) 555-0101", "quit", optout.OptOut, false, "", true},
		{parley.ChannelSMS, num, "info", optout.Help, false, "Call 555-0100", true}, // HELP is always answered
		{parley.ChannelWhatsApp, num, "stop", optout.OptOut, true, account.DefaultOptOutConfirm, true},
		{parley.ChannelSMS, num, "START", optout.OptIn, true, "Welcome back", true},
		{parley.ChannelSMS, num, "unstop", optout.OptIn, false, "", false},
		{parley.ChannelSMS, num, "stop please", optout.None, false, "", false},
	}
	for i, st := range steps {
		got, err := svc.Handle(ctx, "acct1", st.channel, st.from, st.body)
		if err != nil {
			t.Fatalf("step %d (%s %q): %v", i, st.channel, st.body, err)
		}
		if got.Keyword != st.keyword || got.Changed != st.changed || got.Reply != st.reply || got.Handled() != st.handled {
			t.Fatalf("step %d (%s %q) = %+v (handled %v), want %s changed=%v reply=%q handled=%v",
				i, st.channel, st.body, got, got.Handled(), st.keyword, st.changed, st.reply, st.handled)
		}
	}
	// After the steps: out of WhatsApp only.
	for ch, want := range map[parley.Channel]bool{parley.ChannelSMS: false, parley.ChannelWhatsApp: true, parley.ChannelPrioritized: false} {
		if got, err := svc.OptedOut(ctx, "acct1", ch, num); err != nil || got != want {
			t.Errorf("OptedOut(%s) = %v, %v; want %v", ch, got, err, want)
		}
	}
	if got, _ := svc.OptedOut(ctx, "acct2", parley.ChannelWhatsApp, num); got {
		t.Error("another account's list bars the number")
	}
}

func TestHandleRefuses(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.Handle(ctx, "acct1", parley.ChannelInApp, "+12025550101", "stop"); parley.ErrorField(err) != "channel" {
		t.Errorf("in-app keyword: %v; want a channel error", err)
	}
	if _, err := svc.Handle(ctx, "acct1", parley.ChannelSMS, "", "stop"); parley.ErrorField(err) != "from" {
		t.Errorf("keyword without a sender: %v; want a from error", err)
	}
	if res, err := svc.Handle(ctx, "acct1", parley.ChannelInApp, "", "hi there"); err != nil || res != (optout.Result{}) {
		t.Errorf("an ordinary message = %+v, %v; want nothing", res, err)
	}
}

func TestBrandEntryOutlivesOptIn(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	const num = "+12025550101"
	if _, created, err := svc.Add(ctx, "acct1", "", num); err != nil || !created {
		t.Fatalf("Add = %v, %v", created, err)
	}
	if res, err := svc.Handle(ctx, "acct1", parley.ChannelSMS, num, "stop"); err != nil || !res.Changed || res.Reply == "" {
		t.Fatalf("STOP on top of an all-channels entry = %+v, %v; want the SMS entry and its confirmation", res, err)
	}
	res, err := svc.Handle(ctx, "acct1", parley.ChannelSMS, num, "start")
	if err != nil || !res.Changed || res.Reply != "" {
		t.Fatalf("START = %+v, %v; want the SMS entry removed and no welcome", res, err)
	}
	if out, _ := svc.OptedOut(ctx, "acct1", parley.ChannelSMS, num); !out {
		t.Error("the brand's all-channels entry no longer bars SMS")
	}
}

func TestAddRemoveList(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	e, created, err := svc.Add(ctx, "acct1", parley.ChannelSMS, "1(202)555-0102")
	if err != nil || !created || e.Phone != "+12025550102" || e.Channel != parley.ChannelSMS || e.Source != parley.OptOutByAPI || !e.CreatedAt.Equal(t0) {
		t.Fatalf("Add = %+v, %v, %v", e, created, err)
	}
	if _, created, err := svc.Add(ctx, "acct1", "SMS", "+12025550102"); err != nil || created {
		t.Fatalf("second Add = %v, %v; want the existing entry", created, err)
	}
	if _, _, err := svc.Add(ctx, "acct1", parley.ChannelSMS, "12345"); parley.ErrorField(err) != "phone" {
		t.Errorf("Add of a bad number: %v", err)
	}
	if _, _, err := svc.Add(ctx, "acct1", "fax", "+12025550102"); parley.ErrorField(err) != "channel" {
		t.Errorf("Add on a bad channel: %v", err)
	}
	for _, add := range []struct {
		ch    parley.Channel
		phone string
	}{{parley.ChannelWhatsApp, "+12025550101"}, {parley.ChannelAll, "+12025550103"}, {parley.ChannelWhatsApp, "+12025550102"}} {
		if _, _, err := svc.Add(ctx, "acct1", add.ch, add.phone); err != nil {
			t.Fatal(err)
		}
	}
	list := func(ch parley.Channel, limit int) []string {
		t.Helper()
		var out []string
		cursor := ""
		for range 10 {
			p, err := svc.List(ctx, "acct1", ch, cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.OptOuts {
				out = append(out, e.Phone[len(e.Phone)-1:]+string(e.Channel))
			}
			if cursor = p.Next; cursor == "" {
				return out
			}
		}
		t.Fatal("List does not end")
		return nil
	}
	if got, want := list("", 100), []string{"1whatsapp", "2sms", "2whatsapp", "3all"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if got, want := list("", 1), []string{"1whatsapp", "2sms", "2whatsapp", "3all"}; !slices.Equal(got, want) {
		t.Errorf("List by ones = %q, want %q", got, want)
	}
	if got, want := list(parley.ChannelSMS, 1), []string{"2sms", "3all"}; !slices.Equal(got, want) {
		t.Errorf("List of SMS by ones = %q, want %q", got, want)
	}
	if _, err := svc.List(ctx, "acct1", "", "bogus", 10); parley.ErrorField(err) != "cursor" {
		t.Errorf("List with a bad cursor: %v", err)
	}
	if err := svc.Remove(ctx, "acct1", parley.ChannelSMS, "+12025550102"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Remove(ctx, "acct1", parley.ChannelSMS, "+12025550102"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("second Remove: %v; want ENOTFOUND", err)
	}
	if err := svc.Remove(ctx, "acct1", "", "+12025550101"); err != nil {
		t.Fatal(err)
	}
	if got, want := list("", 100), []string{"2whatsapp", "3all"}; !slices.Equal(got, want) {
		t.Errorf("List after removals = %q, want %q", got, want)
	}
	if err := svc.Remove(ctx, "acct1", "", "+12025550109"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Remove of a number not listed: %v; want ENOTFOUND", err)
	}
}

func TestImportExport(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	if _, _, err := svc.Add(ctx, "acct1", parley.ChannelSMS, "+12025550101"); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Import(ctx, "acct1", strings.NewReader("phone,channel\n+12025550101,sms\n12025550102\n+12025550103,whatsapp\n999\n"), parley.ChannelSMS)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Existing != 1 || len(res.Failed) != 1 || res.Failed[0].Line != 5 || res.Failed[0].Error != parley.CodeInvalidNumber {
		t.Fatalf("Import = %+v", res)
	}
	if _, err := svc.Import(ctx, "acct1", strings.NewReader("+12025550104\n\"x\n"), ""); parley.ErrorField(err) != "line 2" {
		t.Fatalf("Import of a broken file: %v; want an error at line 2", err)
	}
	if out, _ := svc.OptedOut(ctx, "acct1", parley.ChannelSMS, "+12025550104"); out {
		t.Error("a broken file was partly imported")
	}
	var b strings.Builder
	if err := svc.Export(ctx, "acct1", "", &b); err != nil {
		t.Fatal(err)
	}
	want := "phone,channel,source,createdAt\n" +
		"+12025550101,sms,api,2026-11-21T14:00:00Z\n" +
		"+12025550102,sms,import,2026-11-21T14:00:00Z\n" +
		"+12025550103,whatsapp,import,2026-11-21T14:00:00Z\n"
	if b.String() != want {
		t.Errorf("Export =\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := svc.Export(ctx, "acct1", parley.ChannelWhatsApp, &b); err != nil || strings.Count(b.String(), "\n") != 2 {
		t.Errorf("Export of WhatsApp = %q, %v; want the header and one entry", b.String(), err)
	}
	// The export imports into another account unchanged.
	again, err := svc.Import(ctx, "acct2", strings.NewReader(want), "")
	if err != nil || again.Added != 3 || len(again.Failed) != 0 {
		t.Errorf("re-import = %+v, %v", again, err)
	}
}

// countingStore counts the reads OptedOutAmong makes.
type countingStore struct {
	store.Store
	lists, lookups int
}

func (c *countingStore) OptOuts(ctx context.Context, accountID, afterPhone string, afterChannel parley.Channel, limit int) ([]parley.OptOut, error) {
	c.lists++
	return c.Store.OptOuts(ctx, accountID, afterPhone, afterChannel, limit)
}

func (c *countingStore) PhoneOptOuts(ctx context.Context, accountID, phone string) ([]parley.OptOut, error) {
	c.lookups++
	return c.Store.PhoneOptOuts(ctx, accountID, phone)
}

func TestOptedOutAmong(t *testing.T) {
	s, _ := testworld.Open(t)
	ctx := context.Background()
	counting := &countingStore{Store: s}
	svc := &optout.Service{Store: counting, Clock: parley.ClockFunc(func() time.Time { return t0 })}
	// 1,200 entries: more than one page of the list.
	var wg sync.WaitGroup
	for i := range 1200 {
		ch := parley.ChannelSMS
		if i%2 == 1 {
			ch = parley.ChannelWhatsApp
		}
		wg.Go(func() {
			if _, err := s.PutOptOut(ctx, parley.OptOut{AccountID: "acct1", Channel: ch, Phone: fmt.Sprintf("+1202555%04d", i), CreatedAt: t0}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := s.PutOptOut(ctx, parley.OptOut{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Phone: "+12025550000", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	few := []string{"+12025550000", "+12025550001", "+12025559999"}
	many := slices.Clone(few)
	for i := range 3000 {
		many = append(many, fmt.Sprintf("+1303555%04d", i))
	}
	tests := []struct {
		name           string
		channel        parley.Channel
		phones         []string
		want           []string
		lists, lookups int
	}{
		{"few numbers are looked up", parley.ChannelSMS, few, []string{"+12025550000"}, 1, 3},
		{"prioritized needs both channels", parley.ChannelPrioritized, few, []string{"+12025550000"}, 1, 3},
		{"whatsapp", parley.ChannelWhatsApp, few, []string{"+12025550000", "+12025550001"}, 1, 3},
		{"many numbers read the list", parley.ChannelSMS, many, []string{"+12025550000"}, 2, 0},
		{"none", parley.ChannelSMS, nil, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counting.lists, counting.lookups = 0, 0
			got, err := svc.OptedOutAmong(ctx, "acct1", tt.channel, tt.phones)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for p, out := range got {
				if out {
					keys = append(keys, p)
				}
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.want) {
				t.Errorf("opted out = %q, want %q", keys, tt.want)
			}
			if counting.lists != tt.lists || counting.lookups != tt.lookups {
				t.Errorf("%d list pages and %d lookups, want %d and %d", counting.lists, counting.lookups, tt.lists, tt.lookups)
			}
		})
	}
}
