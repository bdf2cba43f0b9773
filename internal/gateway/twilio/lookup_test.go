package twilio

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestLookup(t *testing.T) {
	f, srv := newFake(t)
	g := testGateway(srv.URL)
	sid, err := g.Send(context.Background(), parley.Message{From: "+15005550006", To: "+15005550009", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	failed := newWire("SM99999999999999999999999999999999", "+15005550009", "+15005550006", "bye",
		f.now, f.now.Add(time.Minute))
	code := 30003
	failed.Status, failed.ErrorCode = "undelivered", &code
	f.add(failed)

	tests := []struct {
		sid  string
		want MessageInfo
		err  string // parley error code
	}{
		{sid: sid, want: MessageInfo{SID: sid, To: "+15005550009", From: "+15005550006", Body: "hello", Status: "queued", DateCreated: f.now}},
		{sid: failed.SID, want: MessageInfo{SID: failed.SID, To: "+15005550009", From: "+15005550006", Body: "bye", Status: "undelivered", ErrorCode: "30003", DateCreated: f.now}},
		{sid: "SM00000000000000000000000000000404", err: parley.ENOTFOUND},
		{sid: "../Calls", err: parley.EINVALID},
		{sid: "", err: parley.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.sid, func(t *testing.T) {
			got, err := g.Lookup(context.Background(), tt.sid)
			if parley.ErrorCode(err) != tt.err {
				t.Fatalf("Lookup(%q) error = %v, want code %q", tt.sid, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", tt.sid, got, tt.want)
			}
		})
	}
}

func TestLookupFailures(t *testing.T) {
	_, srv := newFake(t)
	tests := []struct {
		name string
		g    *Gateway
		kind parley.FailKind
	}{
		{"wrong token", &Gateway{BaseURL: srv.URL, Credentials: Credentials{AccountSID: testAccount, AuthToken: "stale"}, HTTP: localHTTP}, parley.FailConfig},
		{"no credentials", &Gateway{BaseURL: srv.URL, HTTP: localHTTP}, parley.FailConfig},
		{"unreachable", testGateway("http://127.0.0.1:1"), parley.FailTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.g.Lookup(context.Background(), "SM00000000000000000000000000000001")
			var se *parley.SendError
			if parley.ErrorCode(err) != parley.EUNAVAILABLE || !errors.As(err, &se) || se.Kind != tt.kind {
				t.Errorf("Lookup = %v, want EUNAVAILABLE wrapping a %s failure", err, tt.kind)
			}
		})
	}
}

func TestFindFollowsPages(t *testing.T) {
	f, srv := newFake(t)
	f.pageSize = 2
	to, from, other := "+15005550009", "+15005550006", "+15005550001"
	since := time.Date(2026, 3, 9, 12, 0, 0, 500e6, time.UTC)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 9, h, m, 0, 0, time.UTC) }
	add := func(sid, to, from string, created, sent time.Time) {
		f.add(newWire(sid, to, from, "b", created, sent))
	}
	add("SM01", to, from, at(9, 0), at(9, 1))                                     // same day, earlier: Twilio lists it, Find drops it
	add("SM02", to, from, at(12, 0), at(12, 0))                                   // created in the same second as since
	add("SM03", to, from, at(12, 5), at(12, 6))                                   // match
	add("SM04", other, from, at(12, 5), at(12, 6))                                // other recipient
	add("SM05", to, other, at(12, 5), at(12, 6))                                  // other sender
	add("SM06", to, from, at(13, 0), at(13, 1))                                   // match
	add("SM07", to, from, at(8, 0).AddDate(0, 0, -1), at(9, 0).AddDate(0, 0, -1)) // day before
	add("SM08", to, from, at(14, 0), at(14, 2))                                   // match, third page
	add("SM09", to, from, at(14, 10), time.Time{})                                // still queued: no date_sent

	got, err := testGateway(srv.URL).Find(context.Background(), to, from, since)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	var sids []string
	for _, m := range got {
		sids = append(sids, m.SID)
	}
	if want := []string{"SM02", "SM03", "SM06", "SM08"}; !slices.Equal(sids, want) {
		t.Errorf("Find = %v, want %v", sids, want)
	}
	seen := f.seen()
	if len(seen) != 3 {
		t.Fatalf("requests = %q, want 3 pages", seen)
	}
	first, err := url.ParseRequestURI(strings.TrimPrefix(seen[0], "GET "))
	if err != nil {
		t.Fatal(err)
	}
	q := first.Query()
	if q.Get("To") != to || q.Get("From") != from || q.Get("DateSent>") != "2026-03-09T12:00:00Z" || q.Get("PageSize") != "1000" {
		t.Errorf("first page query = %v", q)
	}
	if !strings.Contains(seen[2], "Page=2") || !strings.Contains(seen[2], "PageToken=") {
		t.Errorf("third page request = %q, want Twilio's next_page_uri", seen[2])
	}
}

func TestFindRefusesForeignNextPage(t *testing.T) {
	tests := []struct{ name, next string }{
		{"other host", "https://evil.example.com/2010-04-01/Accounts/" + testAccount + "/Messages.json?Page=1"},
		{"other scheme", "https://" + "127.0.0.1/2010-04-01/Messages.json"},
		{"protocol-relative", "//evil.example.com/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGateway("http://127.0.0.1")
			_, err := g.nextPage(tt.next)
			if parley.ErrorCode(err) != parley.EUNAVAILABLE {
				t.Errorf("nextPage(%q) = %v, want EUNAVAILABLE", tt.next, err)
			}
		})
	}
	next, err := testGateway("http://127.0.0.1:8080/").nextPage("/2010-04-01/Accounts/AC1/Messages.json?Page=1&PageToken=PA1")
	if err != nil || next != "http://127.0.0.1:8080/2010-04-01/Accounts/AC1/Messages.json?Page=1&PageToken=PA1" {
		t.Errorf("nextPage of a relative URI = %q, %v", next, err)
	}
}

func TestFindFailures(t *testing.T) {
	_, srv := newFake(t)
	g := testGateway(srv.URL)
	g.Credentials.AuthToken = "stale"
	_, err := g.Find(context.Background(), "+15005550009", "+15005550006", time.Now())
	var se *parley.SendError
	if parley.ErrorCode(err) != parley.EUNAVAILABLE || !errors.As(err, &se) || se.Code != "20003" {
		t.Errorf("Find with a stale token = %v, want EUNAVAILABLE wrapping 20003", err)
	}
}
