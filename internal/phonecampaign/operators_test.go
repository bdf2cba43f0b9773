package phonecampaign_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

func TestOperatorGroupsAndState(t *testing.T) {
	ctx := context.Background()
	s, clock := directoryOf(t, 0)
	voice := sandboxvoice.New(clock, 1, sandboxvoice.DefaultProfile)
	d := &phonecampaign.Dialer{Store: s, Clock: clock, Voice: voice, Jobs: &jobs{}}

	// An operator in no group cannot go online: no campaign routes to them.
	if _, err := d.SetState(ctx, "a1", "ann", "", dialer.Online); parley.ErrorField(err) != "group" {
		t.Fatalf("online without a group: %v, want an error on group", err)
	}
	for _, tt := range []struct{ group, id, field string }{
		{"", "ann", "group"}, {" sales", "ann", "group"}, {"sales", "", "operatorId"}, {"sales", "a/b", "operatorId"},
	} {
		if _, err := d.AddMember(ctx, "a1", tt.group, tt.id); parley.ErrorField(err) != tt.field {
			t.Errorf("AddMember(%q, %q) = %v, want an error on %s", tt.group, tt.id, err, tt.field)
		}
	}
	for _, m := range []struct{ group, id string }{{"sales", "ann"}, {"sales", "bob"}, {"support", "cy"}} {
		a, err := d.AddMember(ctx, "a1", m.group, m.id)
		if err != nil || a.Group != m.group || a.State != dialer.Offline {
			t.Fatalf("AddMember(%s, %s) = %+v, %v", m.group, m.id, a, err)
		}
	}
	if a, err := d.SetState(ctx, "a1", "ann", "", dialer.Online); err != nil || a.State != dialer.Online || a.Group != "sales" {
		t.Fatalf("ann online: %+v, %v", a, err)
	}
	if _, err := d.SetState(ctx, "a1", "ann", "", dialer.Busy); parley.ErrorField(err) != "state" {
		t.Errorf("an operator set busy: %v, want an error on state", err)
	}
	groups, err := d.Groups(ctx, "a1")
	if err != nil || len(groups) != 2 || groups[0].Name != "sales" || len(groups[0].Members) != 2 || groups[1].Name != "support" {
		t.Fatalf("groups %+v, %v", groups, err)
	}
	// Moving cy to sales empties support, which stays, empty, until it is
	// deleted; a group with members is not deleted.
	if _, err := d.AddMember(ctx, "a1", "sales", "cy"); err != nil {
		t.Fatal(err)
	}
	if g, err := d.Group(ctx, "a1", "support"); err != nil || g.Name != "support" || g.Members == nil || len(g.Members) != 0 {
		t.Errorf("emptied group: %+v, %v; want support without members", g, err)
	}
	if err := d.DeleteGroup(ctx, "a1", "sales"); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("delete a group with members: %v, want ECONFLICT", err)
	}
	if err := d.DeleteGroup(ctx, "a1", "support"); err != nil {
		t.Errorf("delete the empty group: %v", err)
	}
	if _, err := d.Group(ctx, "a1", "support"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("deleted group: %v, want ENOTFOUND", err)
	}
	if err := d.DeleteGroup(ctx, "a1", "support"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("delete it again: %v, want ENOTFOUND", err)
	}
	// A group is created empty, once.
	if g, created, err := d.CreateGroup(ctx, "a1", "night"); err != nil || !created || g.Name != "night" || len(g.Members) != 0 {
		t.Errorf("create night: %+v %v, %v", g, created, err)
	}
	if _, created, err := d.CreateGroup(ctx, "a1", "night"); err != nil || created {
		t.Errorf("create night again: %v, %v; want not created", created, err)
	}
	if g, created, err := d.CreateGroup(ctx, "a1", "sales"); err != nil || created || len(g.Members) != 3 {
		t.Errorf("create sales, which operators made: %+v %v, %v; want it as it is", g, created, err)
	}
	if _, _, err := d.CreateGroup(ctx, "a1", " x"); parley.ErrorField(err) != "group" {
		t.Errorf("create a bad name: %v, want an error on group", err)
	}
	// Removing an online operator sends them offline.
	a, err := d.RemoveMember(ctx, "a1", "sales", "ann")
	if err != nil || a.Group != "" || a.State != dialer.Offline {
		t.Errorf("remove ann: %+v, %v", a, err)
	}
	if _, err := d.RemoveMember(ctx, "a1", "sales", "ann"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("remove ann again: %v, want ENOTFOUND", err)
	}
	if got, err := d.Operator(ctx, "a1", "nobody"); err != nil || got.State != dialer.Offline {
		t.Errorf("unknown operator: %+v, %v", got, err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, clock := directoryOf(t, 0)
	d := &phonecampaign.Dialer{Store: s, Clock: clock}
	now := clock.Now()
	for _, id := range []string{"c1", "c2"} {
		if err := s.CreatePhoneCampaign(ctx, dialer.Campaign{AccountID: "a1", ID: id, Name: id, Mode: dialer.ModeProgressive,
			OperatorGroup: "sales", State: dialer.CampaignActive, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	calls := []dialer.Call{
		{ProviderID: "p1", CampaignID: "c1", Operator: "ann", BridgedAt: now.Add(time.Minute)},
		{ProviderID: "p2", CampaignID: "c1", Operator: "bob", BridgedAt: now.Add(2 * time.Minute)},
		{ProviderID: "p3", CampaignID: "c2", Operator: "ann", BridgedAt: now.Add(3 * time.Minute)},
		{ProviderID: "p4", CampaignID: "c2"}, // never bridged: no session
	}
	for _, c := range calls {
		c.AccountID, c.ContactID, c.Status, c.PlacedAt = "a1", "k1", dialer.CallEnded, c.BridgedAt.Add(-10*time.Second)
		if c.BridgedAt.IsZero() {
			c.PlacedAt = now.Add(4 * time.Minute)
		}
		if _, err := s.CreatePhoneCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(cs []dialer.Call) (out []string) {
		for _, c := range cs {
			out = append(out, c.ProviderID)
		}
		return out
	}
	for _, tt := range []struct {
		q    phonecampaign.SessionQuery
		want string
	}{
		{phonecampaign.SessionQuery{}, "[p3 p2 p1]"},
		{phonecampaign.SessionQuery{SessionFilter: dialer.SessionFilter{Operator: "ann"}}, "[p3 p1]"},
		{phonecampaign.SessionQuery{SessionFilter: dialer.SessionFilter{Operator: "ann", CampaignID: "c1"}}, "[p1]"},
		{phonecampaign.SessionQuery{Limit: 1}, "[p3]"},
		{phonecampaign.SessionQuery{SessionFilter: dialer.SessionFilter{Operator: "cy"}}, "[]"},
	} {
		page, err := d.Sessions(ctx, "a1", tt.q)
		got := page.Sessions
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(ids(got)); s != tt.want {
			t.Errorf("Sessions(%+v) = %s, want %s", tt.q, s, tt.want)
		}
	}
	if _, err := d.Sessions(ctx, "a1", phonecampaign.SessionQuery{SessionFilter: dialer.SessionFilter{CampaignID: "nope"}}); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("unknown campaign: %v", err)
	}
}

func TestStatsCountCallsAndOperators(t *testing.T) {
	ctx := context.Background()
	s, clock := directoryOf(t, 2)
	svc := &phonecampaign.Service{Store: s, Clock: clock}
	created, err := svc.Create(ctx, "a1", dialer.Draft{Name: "r", Mode: dialer.ModeProgressive, OperatorGroup: "sales",
		CallerIDs: []string{"+12025550100"}})
	if err != nil {
		t.Fatal(err)
	}
	c := created.Campaign
	now := clock.Now()
	calls := []dialer.Call{
		{ProviderID: "p1", ContactID: "k000", Answer: dialer.AnswerHuman, Status: dialer.CallEnded, Operator: "ann",
			BridgedAt: now, EndedAt: now.Add(90 * time.Second)},
		{ProviderID: "p2", ContactID: "k000", Answer: dialer.AnswerHuman, Status: dialer.CallEnded, Abandoned: true, EndedAt: now},
		{ProviderID: "p3", ContactID: "k001", Answer: dialer.AnswerMachine, Status: dialer.CallEnded, EndedAt: now},
		{ProviderID: "p4", ContactID: "k001", Status: dialer.CallRinging},
	}
	for i, k := range calls {
		k.AccountID, k.CampaignID, k.PlacedAt = "a1", c.ID, now.Add(time.Duration(i)*time.Second)
		if _, err := s.CreatePhoneCall(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []dialer.Agent{
		{ID: "ann", Group: "sales", Operator: dialer.Operator{State: dialer.Busy}},
		{ID: "bob", Group: "sales", Operator: dialer.Operator{State: dialer.Online}},
		{ID: "cy", Group: "sales", Operator: dialer.Operator{State: dialer.WrapUp}},
		{ID: "di", Group: "sales", Operator: dialer.Operator{State: dialer.Offline}},
		{ID: "ed", Group: "other", Operator: dialer.Operator{State: dialer.Busy}},
	} {
		a.AccountID = "a1"
		if _, err := s.PutPhoneAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	st, err := svc.Stats(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := phonecampaign.CallCounts{Placed: 4, Live: 2, Machine: 1, Bridged: 1, Abandoned: 1, InFlight: 1, CallAbandonRate: 0.5, TalkSeconds: 90}
	if st.Calls != wantCalls {
		t.Errorf("calls %+v, want %+v", st.Calls, wantCalls)
	}
	wantOps := phonecampaign.OperatorCounts{Online: 1, Busy: 1, WrapUp: 1, Offline: 1, Occupancy: 2.0 / 3}
	if st.Operators != wantOps {
		t.Errorf("operators %+v, want %+v", st.Operators, wantOps)
	}
	if st.Waiting != 2 {
		t.Errorf("waiting %d, want 2", st.Waiting)
	}

	// k001's timeline: its two calls, and messages to and from its number
	// between and around them, newest first, whatever the page size.
	k, err := s.Contact(ctx, "a1", "k001")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutOutboundContext(ctx, parley.OutboundContext{AccountID: "a1", Consumer: k.Phone, CampaignID: "sms1", Channel: parley.ChannelSMS,
		Body: "Your plan renews soon", SentAt: now.Add(2500 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutReceivedMessage(ctx, parley.ReceivedMessage{AccountID: "a1", Consumer: k.Phone, Channel: parley.ChannelSMS,
		Body: "call me later", ProviderMessageID: "SMin", At: now.Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	const want = "SMin p4 sms1 p3"
	for _, size := range []int{1, 2, 3, 10} {
		var got []string
		cursor := ""
		for range 10 {
			page, err := svc.Timeline(ctx, "a1", "k001", cursor, size)
			if err != nil || len(page.Items) > size {
				t.Fatalf("timeline page of %d: %+v, %v", size, page, err)
			}
			for _, it := range page.Items {
				switch {
				case it.Call != nil:
					got = append(got, it.Call.ProviderID)
				case it.Message.Direction == parley.Inbound:
					got = append(got, it.Message.ProviderMessageID)
				default:
					got = append(got, it.Message.CampaignID)
				}
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("timeline in pages of %d = %s, want %s", size, g, want)
		}
	}
	if p, err := svc.Timeline(ctx, "a1", "k000", "", 10); err != nil || len(p.Items) != 2 || p.Items[0].Call.ProviderID != "p2" || p.Next != "" {
		t.Errorf("k000's timeline: %+v, %v", p, err)
	}
	if _, err := svc.Timeline(ctx, "a1", "nobody", "", 10); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("unknown contact: %v, want ENOTFOUND", err)
	}
	if _, err := svc.Timeline(ctx, "a1", "k001", "%%", 10); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("bad cursor: %v, want EINVALID", err)
	}
}
