package optout

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		def   parley.Channel
		want  []Line
		field string // of the file's error
	}{
		{name: "empty", in: "", def: parley.ChannelAll},
		{name: "numbers only", in: "+12025550101\n1(202)555-0102\n", def: parley.ChannelSMS, want: []Line{
			{Line: 1, Phone: "+12025550101", Channel: parley.ChannelSMS},
			{Line: 2, Phone: "+12025550102", Channel: parley.ChannelSMS},
		}},
		{name: "header, channels, blank rows", in: "\uFEFFPhone,Channel\n\n+12025550101,WhatsApp\n+12025550102,\n , \n+12025550103,all,extra\n", def: parley.ChannelAll, want: []Line{
			{Line: 3, Phone: "+12025550101", Channel: parley.ChannelWhatsApp},
			{Line: 4, Phone: "+12025550102", Channel: parley.ChannelAll},
			{Line: 6, Phone: "+12025550103", Channel: parley.ChannelAll},
		}},
		{name: "an export reads back", in: "phone,channel,source,createdAt\n+12025550101,sms,keyword,2026-11-21T14:00:00Z\n", def: parley.ChannelAll, want: []Line{
			{Line: 2, Phone: "+12025550101", Channel: parley.ChannelSMS},
		}},
		{name: "bad rows", in: "12345\n+12025550101,fax\nphone\n,sms\n", def: parley.ChannelAll, want: []Line{
			{Line: 1, Phone: "12345", Channel: parley.ChannelAll, Error: parley.CodeInvalidNumber, Detail: `line 1: "12345" is not a valid phone number with country code`},
			{Line: 2, Phone: "+12025550101", Error: CodeInvalidChannel, Detail: `line 2: channel "fax" is not sms, whatsapp, voice (do not call) or all`},
			{Line: 3, Phone: "phone", Channel: parley.ChannelAll, Error: parley.CodeInvalidNumber, Detail: `line 3: "phone" is not a valid phone number with country code`},
			{Line: 4, Phone: "", Channel: parley.ChannelSMS, Error: parley.CodeInvalidNumber, Detail: `line 4: "" is not a valid phone number with country code`},
		}},
		{name: "not CSV", in: "+12025550101\n\"+12025550102\n", def: parley.ChannelAll, field: "line 2"},
		{name: "not UTF-8", in: "+12025550101\n+1202555010\xff\n", def: parley.ChannelAll, field: "line 2"},
		{name: "too many rows", in: strings.Repeat("+12025550101\n", MaxImportRows+1), def: parley.ChannelAll, field: "line 10001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCSV(strings.NewReader(tt.in), tt.def)
			if tt.field != "" {
				if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
					t.Fatalf("error = %v (field %q), want EINVALID at %q", err, parley.ErrorField(err), tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines %+v, want %+v", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseChannel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want parley.Channel
		ok   bool
	}{
		{"", parley.ChannelAll, true}, {"SMS", parley.ChannelSMS, true}, {"whatsapp", parley.ChannelWhatsApp, true},
		{"All", parley.ChannelAll, true}, {"inapp", "", false}, {"prioritized", "", false}, {"sms ", "", false},
	} {
		got, err := ParseChannel(tt.in, parley.ChannelAll)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseChannel(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && parley.ErrorField(err) != "channel" {
			t.Errorf("ParseChannel(%q) error names %q, want channel", tt.in, parley.ErrorField(err))
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{"", "+12025550101\n", "Phone,Channel\n+12025550101,sms\n12345,fax\n", "\"a\n", "\xff,sms\n", "\uFEFFphone\n,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := ParseCSV(strings.NewReader(in), parley.ChannelAll)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID || !strings.HasPrefix(parley.ErrorField(err), "line ") {
				t.Fatalf("error %v does not name a line", err)
			}
			return
		}
		if len(lines) > MaxImportRows {
			t.Fatalf("%d lines, at most %d", len(lines), MaxImportRows)
		}
		prev := 0
		for _, l := range lines {
			if l.Line <= prev {
				t.Fatalf("line numbers out of order: %d after %d", l.Line, prev)
			}
			prev = l.Line
			switch l.Error {
			case "":
				if !strings.HasPrefix(l.Phone, "+") || (l.Channel != parley.ChannelSMS && l.Channel != parley.ChannelWhatsApp && l.Channel != parley.ChannelAll) {
					t.Fatalf("accepted line %+v", l)
				}
			case parley.CodeInvalidNumber, CodeInvalidChannel:
				if !strings.HasPrefix(l.Detail, "line ") {
					t.Fatalf("refused line %+v has no line in its detail", l)
				}
			default:
				t.Fatalf("line %+v has an unknown error", l)
			}
		}
	})
}
