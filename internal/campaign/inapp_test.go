package campaign_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

// inAppDraft is an in-app campaign to the given consumer ids, in Paris
// unless a consumer says otherwise.
func inAppDraft(ids ...string) campaign.Draft {
	d := campaign.Draft{
		Name: "App renewal", Skill: "sales", TemplateID: "H542467556183202", Consent: true,
		Channel: parley.ChannelInApp, Message: "Hi {{1}}, your plan renews soon.", Timezone: "Europe/Paris",
	}
	for i, id := range ids {
		d.Consumers = append(d.Consumers, campaign.Consumer{ConsumerID: id, Variables: map[string]string{"1": fmt.Sprintf("C%d", i)}})
	}
	return d
}

func TestInAppDraftValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*campaign.Draft)
		field string
	}{
		{"valid, without an outbound number", func(d *campaign.Draft) {}, ""},
		{"an app as the sender", func(d *campaign.Draft) { d.OutboundNumber = "com.example.app" }, ""},
		{"a plain templateId", func(d *campaign.Draft) { d.TemplateID = parley.PlainSMSTemplateID }, ""},
		{"no templateId", func(d *campaign.Draft) { d.TemplateID = "" }, "templateId"},
		{"a WhatsApp template", func(d *campaign.Draft) { d.TemplateID = "T1" }, "templateId"},
		{"no message", func(d *campaign.Draft) { d.Message = " " }, "message"},
		{"long message", func(d *campaign.Draft) { d.Message = strings.Repeat("x", 1601) }, "message"},
		{"over 140 characters is fine", func(d *campaign.Draft) { d.Message = strings.Repeat("x", 1600) }, ""},
		{"bad timezone", func(d *campaign.Draft) { d.Timezone = "Mars/Olympus" }, "timezone"},
		{"Local is no zone", func(d *campaign.Draft) { d.Timezone = "Local" }, "timezone"},
		{"window around the clock", func(d *campaign.Draft) { d.Window = &campaign.WindowSpec{Start: "00:00", End: "24:00"} }, ""},
		{"timezone on an SMS campaign", func(d *campaign.Draft) {
			*d = draft("+12025550101")
			d.Timezone = "Europe/Paris"
		}, "timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "T1", Name: "hello", Language: "en_US", Body: "Hi {{1}}"}
			testworld.PutApproved(t, w.store, tpl)
			d := inAppDraft("jane")
			tt.edit(&d)
			_, err := w.svc.Create(context.Background(), "acct1", d)
			if parley.ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
				t.Fatalf("Create = %v (field %q), want field %q", err, parley.ErrorField(err), tt.field)
			}
		})
	}
}

func TestInAppConsumerOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		consumer campaign.Consumer
		edit     func(*campaign.Draft)
		code     string
		zones    []string
	}{
		{"campaign's zone", campaign.Consumer{ConsumerID: "jane"}, nil, "", []string{"Europe/Paris"}},
		{"own zone", campaign.Consumer{ConsumerID: "jane", Timezone: "Asia/Tokyo"}, nil, "", []string{"Asia/Tokyo"}},
		{"bad own zone", campaign.Consumer{ConsumerID: "jane", Timezone: "Paris"}, nil, parley.CodeInvalidTimezone, nil},
		{"no zone at all", campaign.Consumer{ConsumerID: "jane"}, func(d *campaign.Draft) { d.Timezone = "" }, parley.CodeUnknownZone, nil},
		{"no zone, no window", campaign.Consumer{ConsumerID: "jane"}, func(d *campaign.Draft) {
			d.Timezone, d.Window = "", &campaign.WindowSpec{Start: "00:00", End: "24:00"}
		}, "", []string{"UTC"}},
		{"missing id", campaign.Consumer{}, nil, parley.CodeInvalidConsumerID, nil},
		{"id with a newline", campaign.Consumer{ConsumerID: "ja\nne"}, nil, parley.CodeInvalidConsumerID, nil},
		{"a phone number instead", campaign.Consumer{SMS: "+12025550101"}, nil, parley.CodeInvalidConsumerID, nil},
		{"both", campaign.Consumer{SMS: "+12025550101", ConsumerID: "jane"}, nil, parley.CodeInvalidConsumerID, nil},
		{"missing variable", campaign.Consumer{ConsumerID: "jane", Variables: map[string]string{}}, nil, "MISSING_VARIABLE=1", nil},
		{"own text", campaign.Consumer{ConsumerID: "jane", Text: strings.Repeat("é", 1600)}, nil, "", []string{"Europe/Paris"}},
		{"own text too long", campaign.Consumer{ConsumerID: "jane", Text: strings.Repeat("x", 1601)}, nil, parley.CodeTooLong, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := inAppDraft("bob")
			if tt.consumer.Variables == nil && tt.consumer.Text == "" {
				tt.consumer.Variables = map[string]string{"1": "Jane"}
			}
			d.Consumers = append(d.Consumers, tt.consumer)
			if tt.edit != nil {
				tt.edit(&d)
			}
			got, err := w.svc.Preview(context.Background(), "acct1", d)
			if err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				if len(got.Failed) == 0 || got.Failed[len(got.Failed)-1].Error != tt.code {
					t.Fatalf("failed = %+v, want %s", got.Failed, tt.code)
				}
				if f := got.Failed[len(got.Failed)-1]; !strings.Contains(f.Detail, "consumers[1]") || f.Index != 1 {
					t.Errorf("failure %+v must name consumers[1]", f)
				}
				return
			}
			if len(got.Accepted) != 2 {
				t.Fatalf("accepted = %+v, failed = %+v", got.Accepted, got.Failed)
			}
			r := got.Recipients[1]
			if r.Channel != parley.ChannelInApp || r.ConsumerID != tt.consumer.ConsumerID || r.Phone != "" || !slices.Equal(r.Zones, tt.zones) {
				t.Errorf("recipient = %+v, want consumer %q in %q", r, tt.consumer.ConsumerID, tt.zones)
			}
			if strings.Contains(r.Body, "STOP") {
				t.Errorf("an in-app message carries the SMS opt-out text: %q", r.Body)
			}
			if o := got.Accepted[1]; o.ConsumerID != tt.consumer.ConsumerID || o.Segments != 0 || o.Encoding != "" || o.Units != len([]rune(r.Body)) {
				t.Errorf("outcome = %+v, want no SMS encoding or segments", o)
			}
		})
	}
}

func TestInAppDuplicatesAndSMSExclusion(t *testing.T) {
	w := newWorld(t)
	got, err := w.svc.Create(context.Background(), "acct1", inAppDraft("jane", "bob", "jane"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failed) != 1 || got.Failed[0].Error != parley.CodeDuplicateConsumerID || !strings.Contains(got.Failed[0].Detail, "consumers[0]") {
		t.Errorf("failed = %+v, want consumers[2] a duplicate of consumers[0]", got.Failed)
	}
	if got.Campaign.Channel != parley.ChannelInApp || got.Campaign.OutboundNumber != "" {
		t.Errorf("campaign = %+v", got.Campaign)
	}
	r, err := w.store.Recipient(context.Background(), got.Recipients[1].Ref())
	if err != nil || r.ConsumerID != "bob" || r.Body != "Hi C1, your plan renews soon." {
		t.Errorf("stored recipient = %+v, %v", r, err)
	}

	// An SMS campaign refuses consumer ids.
	d := draft("+12025550101")
	d.Consumers = append(d.Consumers, campaign.Consumer{ConsumerID: "jane", Variables: map[string]string{"1": "x"}},
		campaign.Consumer{SMS: "+12025550102", Timezone: "Europe/Paris", Variables: map[string]string{"1": "x"}})
	got, err = w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, f := range got.Failed {
		codes = append(codes, f.Error)
	}
	if !slices.Equal(codes, []string{parley.CodeInvalidNumber, parley.CodeInvalidTimezone}) {
		t.Errorf("SMS campaign failures = %+v", got.Failed)
	}
}

func TestInAppWindowInTheConsumersZone(t *testing.T) {
	at(t, time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)) // 16:00 in Paris, 00:00 in Tokyo
	w := newWorld(t)
	d := inAppDraft("paris")
	d.Consumers = append(d.Consumers, campaign.Consumer{ConsumerID: "tokyo", Timezone: "Asia/Tokyo", Variables: map[string]string{"1": "x"}})
	got, err := w.svc.Preview(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	paris, tokyo := got.Recipients[0], got.Recipients[1]
	if paris.Status != parley.StatusQueued || !paris.DueAt.Equal(now) {
		t.Errorf("Paris consumer %s at %v, want QUEUED now", paris.Status, paris.DueAt)
	}
	if want := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC); tokyo.Status != parley.StatusScheduled || !tokyo.DueAt.Equal(want) {
		t.Errorf("Tokyo consumer %s at %v, want SCHEDULED for 08:00 Tokyo (%v)", tokyo.Status, tokyo.DueAt, want)
	}
	// In-app may widen the window like WhatsApp; SMS may not.
	d.Window = &campaign.WindowSpec{Start: "00:00", End: "24:00"}
	if got, err = w.svc.Preview(context.Background(), "acct1", d); err != nil || got.Recipients[1].Status != parley.StatusQueued {
		t.Errorf("around the clock: %v, %+v", err, got.Recipients)
	}
}

func TestInAppLists(t *testing.T) {
	tests := []struct {
		name       string
		csv, typed string
		accepted   []string // consumer ids
		failed     map[int]string
	}{
		{
			name:     "csv with a header",
			csv:      "ConsumerId,Timezone,B1\njane,Asia/Tokyo,Jane\nbob,,Bob\n,,Nobody\njane,,Again\nann,Nowhere/Land,Ann\n",
			accepted: []string{"jane", "bob"}, failed: map[int]string{4: parley.CodeInvalidConsumerID, 5: parley.CodeDuplicateConsumerID, 6: parley.CodeInvalidTimezone},
		},
		{
			name: "csv without a header", csv: "jane,Jane\nbob,Bob\n",
			accepted: []string{"jane", "bob"}, failed: map[int]string{},
		},
		{
			name: "typed", typed: "jane, Jane\n\nbob,Bob\njane,Jane",
			accepted: []string{"jane", "bob"}, failed: map[int]string{4: parley.CodeDuplicateConsumerID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := inAppDraft()
			d.Manual = tt.typed
			if tt.csv != "" {
				d.CSV = strings.NewReader(tt.csv)
			}
			got, err := w.svc.Preview(context.Background(), "acct1", d)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range got.Accepted {
				ids = append(ids, o.ConsumerID)
			}
			if !slices.Equal(ids, tt.accepted) {
				t.Errorf("accepted %q, want %q", ids, tt.accepted)
			}
			failed := map[int]string{}
			for _, o := range got.Failed {
				failed[o.Line] = o.Error
				if !strings.Contains(o.Detail, fmt.Sprintf("line %d", o.Line)) {
					t.Errorf("failure %+v must name its line", o)
				}
			}
			if fmt.Sprint(failed) != fmt.Sprint(tt.failed) {
				t.Errorf("failed by line = %v, want %v", failed, tt.failed)
			}
			if tt.name == "csv with a header" && !slices.Equal(got.Recipients[0].Zones, []string{"Asia/Tokyo"}) {
				t.Errorf("jane's zones = %q, want her Timezone column", got.Recipients[0].Zones)
			}
		})
	}
}
