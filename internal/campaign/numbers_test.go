package campaign_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
)

// TestDefaultCountry: national numbers are read in the campaign's default
// country, else the account's; without either they are refused
// AMBIGUOUS_NUMBER with their line rather than read as another country's.
func TestDefaultCountry(t *testing.T) {
	numbers := []string{"(201) 555-0123", "469-757-3741", "(+44) 20 7946 0958", "12025550123"}
	tests := []struct {
		name           string
		account, draft string
		want           []string // per number, the E.164 accepted or the code refused
		field          string
	}{
		{"no default country", "", "", []string{parley.CodeAmbiguousNumber, parley.CodeAmbiguousNumber, "+442079460958", "+12025550123"}, ""},
		{"the account's", "US", "", []string{"+12015550123", "+14697573741", "+442079460958", "+12025550123"}, ""},
		{"the campaign's", "", "US", []string{"+12015550123", "+14697573741", "+442079460958", "+12025550123"}, ""},
		{"the campaign's over the account's", "GB", "CA", []string{"+12015550123", "+14697573741", "+442079460958", "+12025550123"}, ""},
		{"an unknown country", "", "XX", nil, "defaultCountry"},
		{"in lower case", "", "us", nil, "defaultCountry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.account != "" {
				if err := w.store.PutAccount(context.Background(), parley.Account{ID: "acct1", DefaultCountry: tt.account}); err != nil {
					t.Fatal(err)
				}
			}
			d := draft(numbers...)
			d.DefaultCountry = tt.draft
			got, err := w.svc.Preview(context.Background(), "acct1", d)
			if tt.field != "" {
				if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
					t.Fatalf("Preview = %v, want EINVALID on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			answers := make([]string, len(numbers))
			for _, o := range got.Accepted {
				answers[o.Index] = o.Phone
			}
			for _, o := range got.Failed {
				answers[o.Index] = o.Error
				if o.Error == parley.CodeAmbiguousNumber && (!strings.Contains(o.Detail, "consumers[") || !strings.Contains(o.Detail, "defaultCountry")) {
					t.Errorf("detail %q must name the consumer and the way out", o.Detail)
				}
			}
			if !slices.Equal(answers, tt.want) {
				t.Errorf("answers = %q, want %q", answers, tt.want)
			}
		})
	}
}

// TestAmbiguousUploadLine: an uploaded line's refusal names its line.
func TestAmbiguousUploadLine(t *testing.T) {
	w := newWorld(t)
	d := draft()
	d.Consumers, d.Manual = nil, "12025550123, Jane\n(201) 555-0123, Bob"
	got, err := w.svc.Preview(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failed) != 1 || got.Failed[0].Error != parley.CodeAmbiguousNumber || got.Failed[0].Line != 2 || !strings.HasPrefix(got.Failed[0].Detail, "line 2: ") {
		t.Fatalf("failed = %+v", got.Failed)
	}
}

// TestMobileNumbersGetEveryZone: an Australian or Russian mobile may be
// anywhere in its country, so it is messaged only when the window is open
// in all of its zones, and refused NO_DELIVERY_WINDOW, with the zones named,
// when there is no such time.
func TestMobileNumbersGetEveryZone(t *testing.T) {
	w := newWorld(t)
	d := draft("+61412345678", "+79123456789", "+61212345678")
	got, err := w.svc.Preview(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string][]string{}
	for _, r := range got.Recipients {
		zones[r.Phone] = r.Zones
	}
	if z := zones["+61412345678"]; !slices.Contains(z, "Australia/Perth") || !slices.Contains(z, "Australia/Sydney") {
		t.Errorf("an Australian mobile's zones = %q", z)
	}
	if z := zones["+79123456789"]; !slices.Contains(z, "Asia/Kamchatka") || !slices.Contains(z, "Europe/Moscow") {
		t.Errorf("a Russian mobile's zones = %q", z)
	}
	if z := zones["+61212345678"]; !slices.Equal(z, []string{"Australia/Sydney"}) {
		t.Errorf("a Sydney landline's zones = %q", z)
	}

	narrow := draft("+79123456789")
	narrow.Channel, narrow.TemplateID = parley.ChannelSMS, parley.PlainSMSTemplateID
	narrow.Window = &campaign.WindowSpec{Start: "09:00", End: "12:00"}
	got, err = w.svc.Preview(context.Background(), "acct1", narrow)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failed) != 1 || got.Failed[0].Error != parley.CodeNoWindow || !strings.Contains(got.Failed[0].Detail, "Asia/Kamchatka") {
		t.Fatalf("failed = %+v, want NO_DELIVERY_WINDOW naming the zones", got.Failed)
	}
}

// TestBilledSegments: the answer gives the segments the carrier bills, a
// straddling emoji included.
func TestBilledSegments(t *testing.T) {
	w := newWorld(t)
	d := draft("+12025550101")
	d.Message = strings.Repeat("ж", 66) + "👋" + strings.Repeat("ж", 44)
	d.Consumers[0].Variables = nil // the text has no placeholder to fill
	got, err := w.svc.Preview(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	// 66 + 2 + 44 units and the opt-out text's 22: 134 units, which would
	// fit two segments of 67, but the emoji cannot end the first.
	if len(got.Accepted) != 1 {
		t.Fatalf("accepted %d, failed %+v", len(got.Accepted), got.Failed)
	}
	if o := got.Accepted[0]; o.Encoding != "UCS-2" || o.Units != 134 || o.Segments != 3 {
		t.Fatalf("outcome = %s %d units %d segments, want UCS-2 134 3", o.Encoding, o.Units, o.Segments)
	}
}
