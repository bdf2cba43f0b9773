package lpreport_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
)

func TestParseWindow(t *testing.T) {
	def := lpreport.Window{Start: time.UnixMilli(5).UTC(), End: time.UnixMilli(9).UTC()}
	tests := []struct {
		name, query string
		max         time.Duration
		required    bool
		want        lpreport.Window
		field       string
	}{
		{"documented example", "attemptedStartTime=1602007811000&attemptedEndTime=1602008344000", lpreport.MaxTransactionsWindow, true,
			lpreport.Window{Start: time.UnixMilli(1602007811000).UTC(), End: time.UnixMilli(1602008344000).UTC()}, ""},
		{"exactly 60 days", "attemptedStartTime=0&attemptedEndTime=5184000000", lpreport.MaxAnalyticsWindow, true,
			lpreport.Window{Start: time.UnixMilli(0).UTC(), End: time.UnixMilli(5184000000).UTC()}, ""},
		{"a millisecond over 60 days", "attemptedStartTime=0&attemptedEndTime=5184000001", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedEndTime"},
		{"over 24 hours", "attemptedStartTime=0&attemptedEndTime=86400001", lpreport.MaxTransactionsWindow, true, lpreport.Window{}, "attemptedEndTime"},
		{"missing end", "attemptedStartTime=1", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedEndTime"},
		{"missing both, required", "", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedStartTime"},
		{"missing both, optional", "", lpreport.MaxAnalyticsWindow, false, def, ""},
		{"seconds as text", "attemptedStartTime=1e3&attemptedEndTime=2000", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedStartTime"},
		{"negative", "attemptedStartTime=-1&attemptedEndTime=2000", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedStartTime"},
		{"empty interval", "attemptedStartTime=7&attemptedEndTime=7", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedEndTime"},
		{"twice", "attemptedStartTime=1&attemptedStartTime=2&attemptedEndTime=7", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "attemptedStartTime"},
		{"unknown", "attemptedStartTime=1&attemptedEndTime=7&from=x", lpreport.MaxAnalyticsWindow, true, lpreport.Window{}, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := lpreport.ParseWindow(q, tt.max, tt.required, def)
			if tt.field != "" {
				var pe *parley.Error
				if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Field != tt.field {
					t.Fatalf("err %v, want EINVALID naming %s", err, tt.field)
				}
				return
			}
			if err != nil || !got.Start.Equal(tt.want.Start) || !got.End.Equal(tt.want.End) {
				t.Fatalf("%+v %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseFilters(t *testing.T) {
	tests := []struct {
		name, body string
		field      string
		channels   []parley.Channel
	}{
		{"empty", "", "", nil},
		{"documented", `{"channels": ["sms"], "skills": ["billing"], "handoffids": ["H123456", "H987655"], "source": ["API", "UI", "LPWF"]}`, "", []parley.Channel{parley.ChannelSMS}},
		{"whatsapp and in-app", `{"channels": ["wa", "INAPP"]}`, "", []parley.Channel{parley.ChannelWhatsApp, parley.ChannelInApp}},
		{"Parley's spelling is not LivePerson's", `{"channels": ["whatsapp"]}`, "channels", nil},
		{"unknown field", `{"channel": ["sms"]}`, "channel", nil},
		{"not a list", `{"skills": 3}`, "skills", nil},
		{"source in any case", `{"source": ["api", "Ui"]}`, "", nil},
		{"unknown source", `{"source": ["IVR"]}`, "source", nil},
		{"two values", `{} {}`, "", nil},
		{"not JSON", `{`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := lpreport.ParseFilters([]byte(tt.body))
			bad := tt.field != "" || tt.name == "two values" || tt.name == "not JSON"
			if bad {
				var pe *parley.Error
				if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Field != tt.field {
					t.Fatalf("err %v, want EINVALID naming %q", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := f.Query("acct1", "c2m", "", lpreport.Window{})
			if q.App != "c2m" || !slices.Equal(q.HandoffIDs, f.HandoffIDs) || len(q.Sources) != len(f.Source) {
				t.Fatalf("query %+v of filters %+v", q, f)
			}
			for _, src := range q.Sources {
				if !slices.Contains(lpreport.Sources, src) {
					t.Errorf("source %q is not written as LivePerson does", src)
				}
			}
			if len(q.Channels) != len(tt.channels) {
				t.Fatalf("channels %v, want %v", q.Channels, tt.channels)
			}
			for i := range q.Channels {
				if q.Channels[i] != tt.channels[i] {
					t.Errorf("channels %v, want %v", q.Channels, tt.channels)
				}
			}
		})
	}
}

func TestRows(t *testing.T) {
	day := time.Date(2021, 10, 25, 0, 0, 0, 0, time.UTC)
	row := func(h int, ch parley.Channel, skill string, counts map[parley.Step]int64) parley.CountRow {
		r := parley.CountRow{CountKey: parley.CountKey{AccountID: "a", Hour: day.Add(time.Duration(h) * time.Hour), CampaignID: "c", Skill: skill, Channel: ch}}
		for s, n := range counts {
			r.Add(s, n)
		}
		return r
	}
	failed := row(23, parley.ChannelInApp, "billing", map[parley.Step]int64{parley.StepAttempted: 4, parley.StepEligible: 4, parley.StepSent: 4, parley.StepDelivered: 8,
		parley.StepRead: 3, parley.StepFailed: 1, parley.StepConversationCreated: 5, parley.StepConversationClosed: 4})
	failed.AddError("PROVIDER_30003", 1)
	skipped := row(24, parley.ChannelWhatsApp, "sales", map[parley.Step]int64{parley.StepAttempted: 1, parley.StepSkipped: 1})
	skipped.AddError("PARLEY_OPTED_OUT", 1)
	got := lpreport.Rows([]parley.CountRow{
		row(3, parley.ChannelInApp, "billing", map[parley.Step]int64{parley.StepAttempted: 6, parley.StepEligible: 5, parley.StepSent: 5, parley.StepRead: 4}),
		failed,
		skipped,
		row(5, parley.ChannelSMS, "billing", map[parley.Step]int64{parley.StepAttempted: 2}),
		row(6, parley.ChannelSMS, "nothing", nil),
	}, lpreport.Grouping{})
	want := []lpreport.Row{
		{Channel: "inapp", Skill: "billing", TransactionDay: "10-25-2021", Attempted: 10, Eligible: 9, Sent: 9, Delivered: 8, Read: 7, Failed: 1, ConversationsCreated: 5, ConversationsClosed: 4,
			ErrorAggregation: map[string]int64{"PROVIDER_30003": 1}},
		{Channel: "sms", Skill: "billing", TransactionDay: "10-25-2021", Attempted: 2, ErrorAggregation: map[string]int64{}},
		{Channel: "wa", Skill: "sales", TransactionDay: "10-26-2021", Attempted: 1, Skipped: 1, ErrorAggregation: map[string]int64{"PARLEY_OPTED_OUT": 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n%+v, want\n%+v", got, want)
	}
	data, err := json.Marshal(got[1])
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.Contains(s, `"csat":null`) || !strings.Contains(s, `"error_aggregation":{}`) || strings.Contains(s, "handoffid") || strings.Contains(s, `"source"`) {
		t.Errorf("row %s: want csat null, an empty error_aggregation, and no handoffid or source when not grouped by them", s)
	}
}

// TestRowsGrouped checks that rows are grouped by handoff and source, and
// name them, only when asked.
func TestRowsGrouped(t *testing.T) {
	day := time.Date(2021, 10, 25, 0, 0, 0, 0, time.UTC)
	row := func(handoff, source string, attempted int64) parley.CountRow {
		r := parley.CountRow{CountKey: parley.CountKey{AccountID: "a", Hour: day, CampaignID: "c-" + handoff + source, Skill: "s", Channel: parley.ChannelSMS, HandoffID: handoff, Source: source}}
		r.Add(parley.StepAttempted, attempted)
		return r
	}
	rows := []parley.CountRow{row("H2", "API", 1), row("H1", "API", 2), row("H1", "UI", 4)}
	tests := []struct {
		g    lpreport.Grouping
		want []lpreport.Row
	}{
		{lpreport.Grouping{}, []lpreport.Row{{Attempted: 7}}},
		{lpreport.Grouping{Handoff: true}, []lpreport.Row{{HandoffID: "H1", Attempted: 6}, {HandoffID: "H2", Attempted: 1}}},
		{lpreport.Grouping{Source: true}, []lpreport.Row{{Source: "API", Attempted: 3}, {Source: "UI", Attempted: 4}}},
		{lpreport.Grouping{Handoff: true, Source: true}, []lpreport.Row{{HandoffID: "H1", Source: "API", Attempted: 2}, {HandoffID: "H1", Source: "UI", Attempted: 4}, {HandoffID: "H2", Source: "API", Attempted: 1}}},
	}
	for _, tt := range tests {
		got := lpreport.Rows(rows, tt.g)
		for i := range tt.want {
			tt.want[i].Channel, tt.want[i].Skill, tt.want[i].TransactionDay, tt.want[i].ErrorAggregation = "sms", "s", "10-25-2021", map[string]int64{}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("grouped %+v: %+v, want %+v", tt.g, got, tt.want)
		}
	}
}

func TestConsumerOf(t *testing.T) {
	at := time.Date(2021, 2, 17, 22, 57, 13, 0, time.UTC)
	tests := []struct {
		name   string
		tl     parley.Timeline
		errMsg string
		status string
		source string
	}{
		{"waiting", parley.Timeline{Attempted: at, Eligible: at}, "", "ATTEMPTED", ""},
		{"sent", parley.Timeline{Attempted: at, Sent: at}, "", "SENT", ""},
		{"delivered", parley.Timeline{Sent: at, Delivered: at}, "", "DELIVERED", ""},
		{"read without delivered", parley.Timeline{Sent: at, Read: at}, "", "READ", ""},
		{"responded", parley.Timeline{Sent: at, Delivered: at, Responded: at}, "", "RESPONDED", ""},
		{"failed at the gateway", parley.Timeline{Sent: at, Failed: at}, "30003", "FAILED", parley.ErrorSourceProvider},
		{"opted out before", parley.Timeline{Attempted: at, Skipped: at}, "OPTED_OUT", "SKIPPED", parley.ErrorSourceParley},
		{"cancelled", parley.Timeline{Attempted: at, Cancelled: at}, "", "SKIPPED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lpreport.ConsumerOf(parley.Recipient{ID: "r1", Timeline: tt.tl, ErrorMessage: tt.errMsg}, "")
			if c.ID != "r1" || c.Status != tt.status || c.ConversationID != nil {
				t.Fatalf("%+v, want status %s", c, tt.status)
			}
			if tt.errMsg == "" {
				if c.ErrorCode != nil || c.ErrorMessage != nil || c.ErrorSource != nil {
					t.Errorf("error fields %+v, want null", c)
				}
				return
			}
			if c.ErrorCode == nil || *c.ErrorCode != tt.errMsg || c.ErrorSource == nil || *c.ErrorSource != tt.source {
				t.Errorf("error fields %+v, want %s from %s", c, tt.errMsg, tt.source)
			}
		})
	}
	if c := lpreport.ConsumerOf(parley.Recipient{ID: "r2"}, "conv1"); c.ConversationID == nil || *c.ConversationID != "conv1" {
		t.Errorf("conversationId %v, want conv1", c.ConversationID)
	}
}
