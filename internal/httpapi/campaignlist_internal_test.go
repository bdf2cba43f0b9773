package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func TestCampaignQuery(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	cursor := campaignCursor(store.CampaignPosition{CreatedAt: at, ID: "c-42"})
	from, to := "2030-01-01T00:00:00Z", "2030-02-01T00:00:00+01:00"
	for _, tc := range []struct {
		query string
		field string // of the error; "" when valid
		check func(t *testing.T, q campaign.ListQuery)
	}{
		{"", "", func(t *testing.T, q campaign.ListQuery) {
			if q.Limit != DefaultCampaignPage || !q.After.IsZero() || len(q.Phases) != 0 || q.Filter != (store.CampaignFilter{}) {
				t.Errorf("defaults = %+v", q)
			}
		}},
		{"limit=100&cursor=" + cursor, "", func(t *testing.T, q campaign.ListQuery) {
			if q.Limit != 100 || !q.After.CreatedAt.Equal(at) || q.After.ID != "c-42" {
				t.Errorf("limit and cursor = %+v", q)
			}
		}},
		{"status=running,FINISHED,running&channel=WhatsApp&skill=+sales+", "", func(t *testing.T, q campaign.ListQuery) {
			if !slices.Equal(q.Phases, []string{parley.PhaseRunning, parley.PhaseFinished}) || q.Filter.Channel != parley.ChannelWhatsApp || q.Filter.Skill != "sales" {
				t.Errorf("filters = %+v", q)
			}
		}},
		{"createdFrom=" + url.QueryEscape(from) + "&createdTo=" + url.QueryEscape(to), "", func(t *testing.T, q campaign.ListQuery) {
			if !q.Filter.CreatedFrom.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || !q.Filter.CreatedTo.Equal(time.Date(2030, 1, 31, 23, 0, 0, 0, time.UTC)) {
				t.Errorf("range = %+v", q.Filter)
			}
		}},
		{"limit=101", "limit", nil},
		{"limit=0", "limit", nil},
		{"limit=ten", "limit", nil},
		{"limit=1&limit=2", "limit", nil},
		{"cursor=%21%21%21", "cursor", nil},
		{"cursor=" + recipientCursor(7), "cursor", nil},
		{"cursor=" + encodeCursor(cursorDoc{Kind: cursorCampaigns, CreatedAt: "yesterday", ID: "x"}), "cursor", nil},
		{"cursor=" + encodeCursor(cursorDoc{Kind: cursorCampaigns, CreatedAt: at.Format(time.RFC3339Nano)}), "cursor", nil},
		{"cursor=" + strings.Repeat("A", maxCursor+1), "cursor", nil},
		{"status=DONE", "status", nil},
		{"channel=fax", "channel", nil},
		{"createdFrom=2030-01-01", "createdFrom", nil},
		{"createdTo=soon", "createdTo", nil},
		{"createdFrom=" + url.QueryEscape(from) + "&createdTo=" + url.QueryEscape(from), "createdTo", nil},
		{"from=2030-01-01T00:00:00Z", "from", nil},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := campaignQuery(q)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%q: %v", tc.query, err)
		case tc.field == "":
			tc.check(t, got)
		case parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tc.field:
			t.Errorf("%q: %v, want EINVALID on %s", tc.query, err, tc.field)
		}
	}
}

func TestConversationPaging(t *testing.T) {
	for _, tc := range []struct {
		query    string
		field    string
		paged    bool
		after    int
		limit    int
		statuses []parley.RecipientStatus
	}{
		{"", "", false, 0, 0, nil},
		{"limit=2", "", true, 0, 2, nil},
		{"cursor=" + recipientCursor(40), "", true, 40, DefaultRecipientPage, nil},
		{"status=failed,QUEUED,failed", "", true, 0, DefaultRecipientPage, []parley.RecipientStatus{parley.StatusFailed, parley.StatusQueued}},
		{"limit=1001", "limit", false, 0, 0, nil},
		{"status=LOST", "status", false, 0, 0, nil},
		{"cursor=" + campaignCursor(store.CampaignPosition{CreatedAt: time.Unix(1, 0), ID: "c"}), "cursor", false, 0, 0, nil},
		{"cursor=" + encodeCursor(cursorDoc{Kind: cursorRecipients, Seq: -3}), "cursor", false, 0, 0, nil},
		{"v=1", "", false, 0, 0, nil},
		{"v=1&limit=3", "", true, 0, 3, nil},
		{"limit=3&limit=4", "limit", false, 0, 0, nil},
	} {
		q, _ := url.ParseQuery(tc.query)
		statuses, after, limit, paged, err := conversationPaging(q)
		if tc.field != "" {
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tc.field {
				t.Errorf("%q: %v, want EINVALID on %s", tc.query, err, tc.field)
			}
			continue
		}
		if err != nil || paged != tc.paged || after != tc.after || limit != tc.limit || !slices.Equal(statuses, tc.statuses) {
			t.Errorf("%q = %v %d %d %v, %v", tc.query, statuses, after, limit, paged, err)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	p := store.CampaignPosition{CreatedAt: time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC), ID: "0193-abc"}
	got, err := parseCampaignCursor(campaignCursor(p))
	if err != nil || !got.CreatedAt.Equal(p.CreatedAt) || got.ID != p.ID {
		t.Errorf("campaign cursor round trip = %+v, %v; want %+v", got, err, p)
	}
	if campaignCursor(store.CampaignPosition{}) != "" || recipientCursor(0) != "" {
		t.Error("the end of a listing has a cursor")
	}
	if seq, err := parseRecipientCursor(recipientCursor(99999)); err != nil || seq != 99999 {
		t.Errorf("recipient cursor round trip = %d, %v", seq, err)
	}
}

// FuzzCursor feeds outside input to both cursor decoders: they must
// refuse it with EINVALID on cursor or return a position that encodes back
// to a cursor that decodes to the same position.
func FuzzCursor(f *testing.F) {
	f.Add(campaignCursor(store.CampaignPosition{CreatedAt: time.Unix(1700000000, 5), ID: "c1"}))
	f.Add(recipientCursor(12))
	f.Add("eyJrIjoiYyJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseCampaignCursor(s); err != nil {
			if parley.ErrorField(err) != "cursor" {
				t.Fatalf("%q: %v, not on cursor", s, err)
			}
		} else if again, err := parseCampaignCursor(campaignCursor(p)); err != nil || !again.CreatedAt.Equal(p.CreatedAt) || again.ID != p.ID {
			t.Fatalf("%q: %+v re-encodes to %+v, %v", s, p, again, err)
		}
		if seq, err := parseRecipientCursor(s); err != nil {
			if parley.ErrorField(err) != "cursor" {
				t.Fatalf("%q: %v, not on cursor", s, err)
			}
		} else if s != "" && seq <= 0 {
			t.Fatalf("%q: seq %d", s, seq)
		}
	})
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"Renewal":                      "Renewal",
		"=HYPERLINK(\"http://x\")":     "'=HYPERLINK(\"http://x\")",
		"+15551234567":                 "'+15551234567",
		"-2+3":                         "'-2+3",
		"@SUM(A1)":                     "'@SUM(A1)",
		"\tcmd":                        "'\tcmd",
		"\rcmd":                        "'\rcmd",
		" =not first":                  " =not first",
		"a=b":                          "a=b",
		"'already":                     "'already",
		"2026-12-01T10:00:00.000Z":     "2026-12-01T10:00:00.000Z",
		"+1555****567 (masked)":        "'+1555****567 (masked)",
		"Ünïcode = fine in the middle": "Ünïcode = fine in the middle",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNeutralise checks that no neutralised cell starts with a character
// a spreadsheet executes, and that neutralising changes at most its
// first character's meaning: the cell is kept whole after the prefix.
func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"=1+1", "+1", "-1", "@A1", "\t", "\r", "plain", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralise(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("Neutralise(%q) = %q starts with an executable character", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("Neutralise(%q) = %q: more than a leading apostrophe changed", s, got)
		}
	})
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"0193a7c2-7d1e-7c3b-9f00-123456789abc": "0193a7c2-7d1e-7c3b-9f00-123456789abc",
		"../../etc/passwd":                     ".._.._etc_passwd",
		"a\"b\r\nc;d":                          "a_b__c_d",
		strings.Repeat("x", 300):               strings.Repeat("x", 100),
	} {
		if got := safeFileName(in); got != want {
			t.Errorf("safeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
