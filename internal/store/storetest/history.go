package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// MessageHistory checks store.MessageHistory: sent messages (outbound
// contexts) and received ones, merged newest first and paged.
func MessageHistory(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Merged", func(t *testing.T) { testHistoryMerged(t, newStore(t)) })
	t.Run("Paged", func(t *testing.T) { testHistoryPaged(t, newStore(t)) })
}

func received(account, consumer, id string, at time.Time) parley.ReceivedMessage {
	return parley.ReceivedMessage{AccountID: account, Consumer: consumer, Channel: parley.ChannelSMS, To: "+12025550100",
		Body: "reply " + id, ProviderMessageID: id, At: at}
}

// historyKeys names a page's messages: the campaign of a sent one, the
// provider id of a received one.
func historyKeys(ms []parley.HistoryMessage) string {
	var ks []string
	for _, m := range ms {
		ks = append(ks, m.Cursor().Key)
	}
	return strings.Join(ks, ",")
}

func testHistoryMerged(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []parley.OutboundContext{
		outbound("acct1", consumerA, "c1", t0),
		outbound("acct1", consumerA, "c2", t0.Add(2*time.Hour)),
		outbound("acct1", consumerB, "c3", t0.Add(time.Hour)),
		outbound("acct2", consumerA, "c4", t0.Add(time.Hour)),
	} {
		if err := s.PutOutboundContext(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	stop := received("acct1", consumerA, "SMstop", t0.Add(3*time.Hour))
	stop.Keyword, stop.Answer = "OPT_OUT", "You are unsubscribed."
	for _, m := range []parley.ReceivedMessage{
		received("acct1", consumerA, "SMr1", t0.Add(time.Hour)),
		stop,
		received("acct1", consumerB, "SMr2", t0.Add(time.Hour)),
		received("acct2", consumerA, "SMr3", t0.Add(time.Hour)),
		received("acct1", consumerA, "SMr1", t0.Add(time.Hour)), // redelivered: replaces itself
	} {
		if err := s.PutReceivedMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.MessageHistory(ctx, "acct1", consumerA, "", 10)
	if err != nil || historyKeys(p.Messages) != "SMstop,c2,SMr1,c1" || p.Next != "" {
		t.Fatalf("history = %s next %q, %v; want SMstop,c2,SMr1,c1 and no next", historyKeys(p.Messages), p.Next, err)
	}
	in, out := p.Messages[0], p.Messages[1]
	if in.Direction != parley.Inbound || !in.At.Equal(stop.At) || in.Body != stop.Body || in.Channel != parley.ChannelSMS ||
		in.Number != stop.To || in.Keyword != "OPT_OUT" || in.Answer != stop.Answer {
		t.Errorf("received message = %+v, want %+v", in, stop)
	}
	want := outbound("acct1", consumerA, "c2", t0.Add(2*time.Hour))
	if out.Direction != parley.Outbound || !out.At.Equal(want.SentAt) || out.Body != want.Body || out.CampaignName != want.CampaignName ||
		out.Skill != want.Skill || out.Number != want.Sender || out.ProviderMessageID != want.ProviderMessageID {
		t.Errorf("sent message = %+v, want %+v", out, want)
	}
	if p, err := s.MessageHistory(ctx, "acct2", consumerB, "", 10); err != nil || len(p.Messages) != 0 || p.Next != "" {
		t.Errorf("history of a consumer with none = %+v, %v", p, err)
	}
	if _, err := s.MessageHistory(ctx, "acct1", consumerA, "not-a-cursor", 10); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("history after a bad cursor: %v, want EINVALID", err)
	}
	if err := s.PutReceivedMessage(ctx, parley.ReceivedMessage{AccountID: "acct1", At: t0}); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("received message without a consumer: %v, want EINVALID", err)
	}
	big := received("acct1", "+12025550109", "SMbig", t0)
	big.Body = strings.Repeat("é", 1000)
	if err := s.PutReceivedMessage(ctx, big); err != nil {
		t.Fatal(err)
	}
	if p, err := s.MessageHistory(ctx, "acct1", "+12025550109", "", 1); err != nil || len(p.Messages) != 1 || len(p.Messages[0].Body) > parley.MaxContextBody {
		t.Errorf("oversized received message = %+v, %v; want its body cut to %d bytes", p, err, parley.MaxContextBody)
	}
}

// testHistoryPaged walks a history of sent and received messages, some of
// them at the same instant, a page at a time: every message comes once, in
// order.
func testHistoryPaged(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []string
	for i := range 7 {
		at := t0.Add(time.Duration(i/2) * time.Minute) // two messages an instant
		key := fmt.Sprintf("k%d", i)
		if i%3 == 0 {
			if err := s.PutReceivedMessage(ctx, received("acct1", consumerA, key, at)); err != nil {
				t.Fatal(err)
			}
		} else if err := s.PutOutboundContext(ctx, outbound("acct1", consumerA, key, at)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.MessageHistory(ctx, "acct1", consumerA, "", 100)
	if err != nil || len(all.Messages) != 7 {
		t.Fatalf("whole history = %s, %v; want 7 messages", historyKeys(all.Messages), err)
	}
	for i := 1; i < len(all.Messages); i++ {
		if all.Messages[i-1].Cursor().Compare(all.Messages[i].Cursor()) >= 0 {
			t.Fatalf("history %s is out of order at %d", historyKeys(all.Messages), i)
		}
	}
	want = strings.Split(historyKeys(all.Messages), ",")
	for _, size := range []int{1, 2, 3} {
		var got []string
		cursor, pages := "", 0
		for {
			p, err := s.MessageHistory(ctx, "acct1", consumerA, cursor, size)
			if err != nil {
				t.Fatalf("page %d of %d: %v", pages, size, err)
			}
			if len(p.Messages) > size {
				t.Fatalf("page of %d has %d messages", size, len(p.Messages))
			}
			got = append(got, strings.Split(historyKeys(p.Messages), ",")...)
			if pages++; p.Next == "" || pages > 10 {
				break
			}
			cursor = p.Next
		}
		if g := strings.Trim(strings.Join(got, ","), ","); g != strings.Join(want, ",") {
			t.Errorf("pages of %d = %s, want %s", size, g, strings.Join(want, ","))
		}
	}
}
