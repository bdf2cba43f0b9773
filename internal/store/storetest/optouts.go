package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// OptOuts checks store.OptOuts.
func OptOuts(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Entries", func(t *testing.T) { testOptOuts(t, newStore(t)) })
	t.Run("Paging", func(t *testing.T) { testOptOutPaging(t, newStore(t)) })
}

// Seen checks store.Seen.
func Seen(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Marks", func(t *testing.T) { testSeen(t, newStore(t)) })
}

func optOutKeys(es []parley.OptOut) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Phone+" "+string(e.Channel))
	}
	return out
}

func testOptOuts(t *testing.T, s store.Store) {
	ctx := context.Background()
	sms := parley.OptOut{AccountID: "acct1", Channel: parley.ChannelSMS, Phone: "+12025550101", Source: parley.OptOutByKeyword, CreatedAt: t0}
	created, err := s.PutOptOut(ctx, sms)
	if err != nil || !created {
		t.Fatalf("PutOptOut = %v, %v; want created", created, err)
	}
	again := sms
	again.Source, again.CreatedAt = parley.OptOutByAPI, t0.Add(time.Hour)
	if created, err := s.PutOptOut(ctx, again); err != nil || created {
		t.Fatalf("second PutOptOut = %v, %v; want not created", created, err)
	}
	for _, e := range []parley.OptOut{
		{AccountID: "acct1", Channel: parley.ChannelAll, Phone: "+12025550101", Source: parley.OptOutByAPI, CreatedAt: t0},
		{AccountID: "acct1", Channel: parley.ChannelSMS, Phone: "+120255501011", Source: parley.OptOutByImport, CreatedAt: t0},
		{AccountID: "acct2", Channel: parley.ChannelWhatsApp, Phone: "+12025550101", Source: parley.OptOutByKeyword, CreatedAt: t0},
	} {
		if created, err := s.PutOptOut(ctx, e); err != nil || !created {
			t.Fatalf("PutOptOut(%+v) = %v, %v", e, created, err)
		}
	}
	got, err := s.PhoneOptOuts(ctx, "acct1", "+12025550101")
	if err != nil {
		t.Fatal(err)
	}
	if keys := optOutKeys(got); !slices.Equal(keys, []string{"+12025550101 all", "+12025550101 sms"}) {
		t.Fatalf("PhoneOptOuts = %q; want the number's all and sms entries only", keys)
	}
	if e := got[1]; e.Source != parley.OptOutByKeyword || !e.CreatedAt.Equal(t0) || e.AccountID != "acct1" {
		t.Errorf("entry = %+v; want the first one kept (keyword, %s)", e, t0)
	}
	if none, err := s.PhoneOptOuts(ctx, "acct3", "+12025550101"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("PhoneOptOuts of another account = %#v, %v; want an empty list", none, err)
	}
	removed, err := s.DeleteOptOut(ctx, "acct1", parley.ChannelSMS, "+12025550101")
	if err != nil || !removed {
		t.Fatalf("DeleteOptOut = %v, %v; want removed", removed, err)
	}
	if removed, err := s.DeleteOptOut(ctx, "acct1", parley.ChannelSMS, "+12025550101"); err != nil || removed {
		t.Fatalf("second DeleteOptOut = %v, %v; want nothing removed", removed, err)
	}
	if removed, err := s.DeleteOptOut(ctx, "acct9", parley.ChannelSMS, "+12025550101"); err != nil || removed {
		t.Fatalf("DeleteOptOut of an unknown account = %v, %v; want nothing removed", removed, err)
	}
	list, err := s.OptOuts(ctx, "acct1", "", "", store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	if keys := optOutKeys(list); !slices.Equal(keys, []string{"+12025550101 all", "+120255501011 sms"}) {
		t.Errorf("OptOuts after delete = %q", keys)
	}
	if list, err := s.OptOuts(ctx, "acct3", "", "", 10); err != nil || list == nil || len(list) != 0 {
		t.Errorf("OptOuts of an account with none = %#v, %v; want an empty list", list, err)
	}
}

func testOptOutPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []string
	for _, phone := range []string{"+12025550103", "+12025550101", "+12025550102"} {
		for _, ch := range []parley.Channel{parley.ChannelWhatsApp, parley.ChannelSMS} {
			if _, err := s.PutOptOut(ctx, parley.OptOut{AccountID: "acct1", Channel: ch, Phone: phone, Source: parley.OptOutByAPI, CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, phone := range []string{"+12025550101", "+12025550102", "+12025550103"} {
		want = append(want, phone+" sms", phone+" whatsapp")
	}
	var got []string
	afterPhone, afterChannel := "", parley.Channel("")
	for range 10 {
		page, err := s.OptOuts(ctx, "acct1", afterPhone, afterChannel, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 4 {
			t.Fatalf("page of %d entries, limit 4", len(page))
		}
		got = append(got, optOutKeys(page)...)
		last := page[len(page)-1]
		afterPhone, afterChannel = last.Phone, last.Channel
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged list = %q, want %q", got, want)
	}
}

func testSeen(t *testing.T, s store.Store) {
	ctx := context.Background()
	mark := func(scope, id string, now time.Time, want bool) {
		t.Helper()
		first, err := s.MarkSeen(ctx, scope, id, now, time.Hour)
		if err != nil || first != want {
			t.Fatalf("MarkSeen(%s, %s, %s) = %v, %v; want %v", scope, id, now.Format(time.TimeOnly), first, err, want)
		}
	}
	mark("twilio", "SM1", t0, true)
	mark("twilio", "SM1", t0.Add(30*time.Minute), false)
	mark("cm", "SM1", t0, true)
	mark("twilio", "SM2", t0, true)
	mark("twilio", "SM1", t0.Add(2*time.Hour), true) // expired: seen afresh
	mark("twilio", "SM1", t0.Add(2*time.Hour+time.Minute), false)

	// A forgotten mark is first again; forgetting leaves other scopes and
	// ids alone, and forgetting what was never marked is no error.
	later := t0.Add(3 * time.Hour)
	mark("cm", "SM1", later, true)
	mark("twilio", "SM3", later, true)
	if err := s.ForgetSeen(ctx, "twilio", "SM1"); err != nil {
		t.Fatal(err)
	}
	mark("twilio", "SM1", later.Add(time.Minute), true)
	mark("twilio", "SM1", later.Add(2*time.Minute), false)
	mark("cm", "SM1", later.Add(3*time.Minute), false)
	mark("twilio", "SM3", later.Add(4*time.Minute), false)
	if err := s.ForgetSeen(ctx, "whatsapp", "never"); err != nil {
		t.Errorf("ForgetSeen of an unknown id: %v", err)
	}
}
