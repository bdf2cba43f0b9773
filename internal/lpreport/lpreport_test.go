package lpreport_test

import (
	"errors"
	"net/url"
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
			q := f.Query("acct1", "", lpreport.Window{})
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
	got := lpreport.Rows([]parley.CountRow{
		row(3, parley.ChannelInApp, "billing", map[parley.Step]int64{parley.StepAttempted: 6, parley.StepEligible: 5, parley.StepSent: 5, parley.StepRead: 4}),
		row(23, parley.ChannelInApp, "billing", map[parley.Step]int64{parley.StepAttempted: 4, parley.StepEligible: 4, parley.StepSent: 4, parley.StepDelivered: 8,
			parley.StepRead: 3, parley.StepFailed: 1, parley.StepConversationCreated: 5, parley.StepConversationClosed: 4}),
		row(24, parley.ChannelWhatsApp, "sales", map[parley.Step]int64{parley.StepAttempted: 1, parley.StepSkipped: 1}),
		row(5, parley.ChannelSMS, "billing", map[parley.Step]int64{parley.StepAttempted: 2}),
	})
	want := []lpreport.Row{
		{Channel: "inapp", Skill: "billing", TransactionDay: "10-25-2021", Attempted: 10, Eligible: 9, Sent: 9, Delivered: 8, Read: 7, Failed: 1, ConversationsCreated: 5, ConversationsClosed: 4},
		{Channel: "sms", Skill: "billing", TransactionDay: "10-25-2021", Attempted: 2},
		{Channel: "wa", Skill: "sales", TransactionDay: "10-26-2021", Attempted: 1, Skipped: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
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
