package handoffs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/handoffs"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

func service(t *testing.T) (*handoffs.Service, *clocktest.Clock) {
	t.Helper()
	s, _ := testworld.Open(t)
	ctx := context.Background()
	for _, tpl := range []parley.WhatsAppTemplate{
		{AccountID: "acct1", ID: "WA1", Name: "order_update", Language: "en_US", Body: "Hi {{1}}, order {{2}} shipped"},
		{AccountID: "acct1", ID: "WARICH", Name: "promo", Language: "en_US", Body: "Hi {{1}}", Footer: "Brand"},
	} {
		if err := s.PutTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
	}
	clock := clocktest.New(t0)
	n := 0
	return &handoffs.Service{Store: s, Clock: clock, NewID: func() string { n++; return fmt.Sprintf("H%015d", n) }}, clock
}

func smsHandoff(title string) parley.Handoff {
	return parley.Handoff{Title: title, Channels: []parley.HandoffChannel{
		{Channel: parley.ChannelSMS, OutboundNumber: "1 202 555 0100", Text: "Hi {{1}}, your order shipped"},
	}}
}

func TestCreate(t *testing.T) {
	svc, _ := service(t)
	ctx := context.Background()
	h, err := svc.Create(ctx, "acct1", smsHandoff(" Order updates "))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case h.ID != "H000000000000001" || !parley.IsHandoffID(h.ID):
		t.Errorf("id %q", h.ID)
	case h.AccountID != "acct1" || h.Version != 1 || h.Title != "Order updates":
		t.Errorf("handoff %+v", h)
	case h.LookbackMinutes != 43200:
		t.Errorf("lookback %d; want the default 30 days", h.LookbackMinutes)
	case h.Channels[0].OutboundNumber != "+12025550100":
		t.Errorf("number %q; want E.164", h.Channels[0].OutboundNumber)
	case !h.CreatedAt.Equal(t0) || !h.UpdatedAt.Equal(t0):
		t.Errorf("times %v %v", h.CreatedAt, h.UpdatedAt)
	}
	if got, err := svc.Get(ctx, "acct1", h.ID); err != nil || got.Title != h.Title {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func TestCreateRules(t *testing.T) {
	wa := func(template string) parley.HandoffChannel {
		return parley.HandoffChannel{Channel: parley.ChannelWhatsApp, OutboundNumber: "+12025550100", TemplateID: template}
	}
	tests := []struct {
		name  string
		h     parley.Handoff
		code  string
		field string
	}{
		{"whatsapp", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{wa("WA1")}}, "", ""},
		{"whatsapp with a rich template", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{wa("WARICH")}}, "", ""},
		{"whatsapp then sms", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{wa("WA1"), {Channel: parley.ChannelSMS}}}, "", ""},
		{"unknown template", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{wa("WA9")}}, parley.EINVALID, "channels[0].templateId"},
		{"rich template with the SMS fallback", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{wa("WARICH"), {Channel: parley.ChannelSMS}}}, parley.EINVALID, "channels[0].templateId"},
		{"title taken", smsHandoff("TAKEN title"), parley.ECONFLICT, "title"},
		{"title with >", smsHandoff("a > b"), parley.EINVALID, "title"},
		{"sms too long with the account's opt-out", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: strings.Repeat("x", 110)}}}, parley.EINVALID, "channels[0].text"},
		{"sms fits with its own opt-out", parley.Handoff{Title: "a", Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: strings.Repeat("x", 110), OptOutText: "STOP=end"}}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := service(t)
			ctx := context.Background()
			if err := svc.Store.PutAccount(ctx, parley.Account{ID: "acct1", OptOutText: "Reply STOP to opt out of texts"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Create(ctx, "acct1", smsHandoff("taken Title")); err != nil {
				t.Fatal(err)
			}
			_, err := svc.Create(ctx, "acct1", tt.h)
			if parley.ErrorCode(err) != tt.code || parley.ErrorField(err) != tt.field {
				t.Fatalf("Create = %v; want code %q on %q", err, tt.code, tt.field)
			}
		})
	}
}

func TestCreateRetriesATakenID(t *testing.T) {
	svc, _ := service(t)
	ctx := context.Background()
	ids := []string{"H000000000000007", "H000000000000007", "H000000000000008"}
	svc.NewID = func() string { id := ids[0]; ids = ids[1:]; return id }
	first, err := svc.Create(ctx, "acct1", smsHandoff("one"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.Create(ctx, "acct1", smsHandoff("two"))
	if err != nil || first.ID != "H000000000000007" || second.ID != "H000000000000008" {
		t.Fatalf("ids %s, %s (%v); want the second to move past the taken id", first.ID, second.ID, err)
	}
}

func TestUpdateKeepsVersions(t *testing.T) {
	svc, clock := service(t)
	ctx := context.Background()
	h, err := svc.Create(ctx, "acct1", smsHandoff("Orders"))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	edit := smsHandoff("Orders shipped")
	edit.LookbackMinutes = 120
	edit.Version = 1
	v2, err := svc.Update(ctx, "acct1", h.ID, edit)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.ID != h.ID || !v2.CreatedAt.Equal(t0) || !v2.UpdatedAt.Equal(t0.Add(time.Hour)) || v2.LookbackMinutes != 120 {
		t.Fatalf("v2 = %+v", v2)
	}
	_, err = svc.Update(ctx, "acct1", h.ID, edit) // made to version 1, now at 2
	if parley.ErrorCode(err) != parley.ECONFLICT || parley.ErrorField(err) != "version" {
		t.Fatalf("stale edit = %v; want ECONFLICT on version", err)
	}
	v1, err := svc.Version(ctx, "acct1", h.ID, 1)
	if err != nil || v1.Title != "Orders" || v1.LookbackMinutes != 43200 {
		t.Fatalf("version 1 = %+v, %v; want the original", v1, err)
	}
	vs, err := svc.Versions(ctx, "acct1", h.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	if _, err := svc.Version(ctx, "acct1", h.ID, 3); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("version 3 = %v; want ENOTFOUND", err)
	}
	if _, err := svc.Update(ctx, "acct1", "H999999999999999", edit); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("edit of a missing handoff = %v; want ENOTFOUND", err)
	}
	// Its old title is free; another handoff's title is not.
	if _, err := svc.Create(ctx, "acct1", smsHandoff("orders")); err != nil {
		t.Errorf("the old title is still taken: %v", err)
	}
	_, err = svc.Update(ctx, "acct1", h.ID, smsHandoff("ORDERS"))
	if parley.ErrorCode(err) != parley.ECONFLICT || parley.ErrorField(err) != "title" {
		t.Errorf("renaming onto another's title = %v; want ECONFLICT on title", err)
	}
}

func TestDelete(t *testing.T) {
	svc, _ := service(t)
	ctx := context.Background()
	h, err := svc.Create(ctx, "acct1", smsHandoff("Orders"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "acct1", h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, "acct1", h.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Get after Delete = %v", err)
	}
}

func TestList(t *testing.T) {
	svc, clock := service(t)
	ctx := context.Background()
	for _, h := range []parley.Handoff{
		smsHandoff("Renewals"),
		{Title: "Order updates", LookbackMinutes: 60, Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelWhatsApp, OutboundNumber: "+12025550100", TemplateID: "WA1"}, {Channel: parley.ChannelSMS}}},
		{Title: "app orders", Channels: []parley.HandoffChannel{{Channel: parley.ChannelInApp, Apps: []string{"com.brand"}, Text: "Hi"}}},
		smsHandoff("Billing"),
	} {
		if _, err := svc.Create(ctx, "acct1", h); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	tests := []struct {
		q      handoffs.Query
		titles string
		total  int
	}{
		{handoffs.Query{}, "Renewals,Order updates,app orders,Billing", 4},
		{handoffs.Query{Sort: handoffs.SortTitle}, "app orders,Billing,Order updates,Renewals", 4},
		{handoffs.Query{Sort: handoffs.SortTitle, Desc: true}, "Renewals,Order updates,Billing,app orders", 4},
		{handoffs.Query{Sort: handoffs.SortCreated, Desc: true, Limit: 2}, "Billing,app orders", 4},
		{handoffs.Query{Sort: handoffs.SortLookback}, "Order updates,Renewals,app orders,Billing", 4},
		{handoffs.Query{Limit: 2, Offset: 2}, "app orders,Billing", 4},
		{handoffs.Query{Offset: 9}, "", 4},
		{handoffs.Query{Title: "ORDER"}, "Order updates,app orders", 2},
		{handoffs.Query{Channel: parley.ChannelSMS}, "Renewals,Order updates,Billing", 3},
		{handoffs.Query{Channel: parley.ChannelWhatsApp}, "Order updates", 1},
		{handoffs.Query{Channel: parley.ChannelInApp, Title: "orders"}, "app orders", 1},
	}
	for _, tt := range tests {
		p, err := svc.List(ctx, "acct1", tt.q)
		if err != nil {
			t.Fatalf("List(%+v): %v", tt.q, err)
		}
		var titles []string
		for _, h := range p.Handoffs {
			titles = append(titles, h.Title)
		}
		if got := strings.Join(titles, ","); got != tt.titles || p.Total != tt.total {
			t.Errorf("List(%+v) = %s (total %d); want %s (total %d)", tt.q, got, p.Total, tt.titles, tt.total)
		}
	}
	for _, q := range []handoffs.Query{{Sort: "channel"}, {Limit: -1}, {Limit: handoffs.MaxLimit + 1}, {Offset: -1}} {
		if _, err := svc.List(ctx, "acct1", q); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("List(%+v) = %v; want EINVALID", q, err)
		}
	}
}

// TestCreateImported keeps the id LivePerson gave a handoff a brand brings
// along: once per account, letters and digits only.
func TestCreateImported(t *testing.T) {
	svc, _ := service(t)
	ctx := context.Background()
	h := smsHandoff("From LivePerson")
	h.ID = "666555567888"
	saved, err := svc.Create(ctx, "acct1", h)
	if err != nil || saved.ID != "666555567888" || saved.Version != 1 {
		t.Fatalf("imported handoff %+v, %v", saved, err)
	}
	if got, err := svc.Get(ctx, "acct1", "666555567888"); err != nil || got.Title != "From LivePerson" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	again := smsHandoff("Another title")
	again.ID = "666555567888"
	if _, err := svc.Create(ctx, "acct1", again); parley.ErrorCode(err) != parley.ECONFLICT || parley.ErrorField(err) != "id" {
		t.Errorf("the same id again: %v; want ECONFLICT on id", err)
	}
	for _, id := range []string{"66-55", strings.Repeat("7", parley.MaxImportedHandoffID+1), "ça"} {
		bad := smsHandoff("Bad " + fmt.Sprint(len(id)))
		bad.ID = id
		if _, err := svc.Create(ctx, "acct1", bad); parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != "id" {
			t.Errorf("id %q: %v; want EINVALID on id", id, err)
		}
	}
}
