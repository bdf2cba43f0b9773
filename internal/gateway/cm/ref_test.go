package cm

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestInboundMessageID(t *testing.T) {
	in, err := ParseInbound([]byte(moCurrent))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ParseInbound([]byte(moCurrent))
	id := in.MessageID()
	if id == "" || id != again.MessageID() || !strings.HasPrefix(id, "cm") || len(id) > 64 {
		t.Fatalf("MessageID = %q, %q; want one stable id", id, again.MessageID())
	}
	for name, change := range map[string]func(*Inbound){
		"another second": func(m *Inbound) { m.Time = m.Time.Add(time.Second) },
		"another text":   func(m *Inbound) { m.Body = "NO" },
		"another sender": func(m *Inbound) { m.From = "+447911123457" },
		"another number": func(m *Inbound) { m.To = "+447700900124" },
		"shifted fields": func(m *Inbound) { m.From, m.To = m.From+m.To, "" },
	} {
		m := in
		change(&m)
		if m.MessageID() == id {
			t.Errorf("%s: same id %q", name, id)
		}
	}
	legacy, _ := ParseInbound([]byte(moLegacy))
	if legacy.MessageID() != "" {
		t.Errorf("a message without a time has id %q; it cannot be told from a repeat", legacy.MessageID())
	}
}

func TestIsStatusReport(t *testing.T) {
	for body, want := range map[string]bool{
		dlrJSONOne: true, dlrJSONMany: true, dlrXMLMany: true, " \n" + dlrXMLMany: true,
		moCurrent: false, moLegacy: false, `{"messages":null}`: false, `{}`: false, ``: false, `not json`: false,
	} {
		if got := IsStatusReport([]byte(body)); got != want {
			t.Errorf("IsStatusReport(%.40q) = %v, want %v", body, got, want)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, m := range []parley.Message{
		{CampaignID: "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", RecipientID: "000042"},
		{CampaignID: "camp1", RecipientID: "000001"},
		{CampaignID: "camp-9", RecipientID: "rcp-42"},
	} {
		f.Add(Reference(m))
	}
	f.Add("U0000000000000000000000000")
	f.Add("P1a1")
	f.Fuzz(func(t *testing.T, ref string) {
		c, r, ok := ParseReference(ref)
		if !ok {
			return
		}
		if c == "" || r == "" {
			t.Fatalf("ParseReference(%q) = %q, %q", ref, c, r)
		}
		// Every reference that names a recipient is the one Reference
		// writes for it: two references never name one recipient.
		if back := Reference(parley.Message{CampaignID: c, RecipientID: r}); back != ref {
			t.Fatalf("ParseReference(%q) = %q, %q, whose reference is %q", ref, c, r, back)
		}
	})
}

func FuzzIsStatusReport(f *testing.F) {
	for _, s := range []string{dlrJSONOne, dlrXMLMany, moCurrent, moLegacy, `{"messages":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if IsStatusReport(body) {
			return
		}
		// What is not a status report is read as an inbound message or
		// refused, never both ways.
		if _, err := ParseInbound(body); err != nil && parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("ParseInbound: %v", err)
		}
	})
}

func FuzzVerifyToken(f *testing.F) {
	f.Add("wh-0123456789abcdef", "wh-0123456789abcdef")
	f.Add("wh-0123456789abcdef", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, expected, got string) {
		if VerifyToken(expected, got) != (expected != "" && expected == got) {
			t.Fatalf("VerifyToken(%q, %q) = %v", expected, got, VerifyToken(expected, got))
		}
	})
}
