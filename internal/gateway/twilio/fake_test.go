package twilio

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Test credentials of the fake Twilio account.
const (
	testAccount   = "AC0123456789abcdef0123456789abcdef"
	testToken     = "tok-0123456789abcdef0123456789ab"
	testKeySID    = "SK0123456789abcdef0123456789abcdef"
	testKeySecret = "key-secret-0123456789abcdef01234"
)

// wireMessage is Twilio's Message resource as the API serialises it.
type wireMessage struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// refusal is how the fake answers a create request to a given To number.
type refusal struct {
	status     int
	code       int    // Twilio error code; 0 sends body as text/html instead
	body       string // for code 0
	retryAfter string
}

// fakeTwilio serves the Messages resource of one account the way Twilio's
// REST API does: Basic auth, the account in the path, form-encoded
// creates, JSON answers and Twilio's error shape, paged lists.
type fakeTwilio struct {
	t        *testing.T
	users    map[string]string // Basic auth user → password
	now      time.Time
	pageSize int // the most messages a list page holds
	refuse   map[string]refusal
	// arrived, when set, receives each request, which is then never
	// answered: the handler waits for the client to give up.
	arrived chan struct{}

	mu       sync.Mutex
	messages []wireMessage
	creates  []url.Values
	requests []string // method and request URI of each request
}

// newFake starts a fake Twilio that accepts both test credentials.
func newFake(t *testing.T) (*fakeTwilio, *httptest.Server) {
	f := &fakeTwilio{
		t:        t,
		users:    map[string]string{testAccount: testToken, testKeySID: testKeySecret},
		now:      time.Date(2026, 3, 9, 14, 30, 5, 0, time.UTC),
		pageSize: 50,
		refuse:   map[string]refusal{},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var (
	listPath   = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
	fetchPath  = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$`)
	serviceSID = regexp.MustCompile(`^MG[0-9a-f]{32}$`)
)

// ServeHTTP implements http.Handler.
func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	f.mu.Unlock()
	if f.arrived != nil {
		// Reading the body to its end lets the server notice the client
		// hanging up, which ends the request's context.
		_, _ = io.Copy(io.Discard, r.Body)
		f.arrived <- struct{}{}
		// Bounded, so a disconnect the server fails to notice cannot hang
		// the test: the client has given up long before.
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	user, password, ok := r.BasicAuth()
	if !ok || f.users[user] != password || password == "" {
		f.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if m := listPath.FindStringSubmatch(r.URL.Path); m != nil && m[1] == testAccount && r.Method == http.MethodPost {
		f.create(w, r)
	} else if m != nil && m[1] == testAccount && r.Method == http.MethodGet {
		f.list(w, r)
	} else if m := fetchPath.FindStringSubmatch(r.URL.Path); m != nil && m[1] == testAccount && r.Method == http.MethodGet {
		f.fetch(w, r, m[2])
	} else {
		f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	}
}

// fail answers with Twilio's error shape.
func (f *fakeTwilio) fail(w http.ResponseWriter, status, code int, message string) {
	f.reply(w, status, map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
	})
}

// reply answers with JSON.
func (f *fakeTwilio) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake twilio: %v", err)
	}
}

// create handles POST Messages.json.
func (f *fakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	form := url.Values{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			f.fail(w, http.StatusBadRequest, 20001, "unreadable form")
			return
		}
		form = r.PostForm
	}
	f.mu.Lock()
	f.creates = append(f.creates, form)
	f.mu.Unlock()
	from, service := form.Get("From"), form.Get("MessagingServiceSid")
	if from != "" && service != "" {
		f.t.Errorf("fake twilio: both From %q and MessagingServiceSid %q sent", from, service)
	}
	switch {
	case form.Get("To") == "":
		f.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	case form.Get("Body") == "":
		f.fail(w, http.StatusBadRequest, 21602, "Message body is required.")
	case from == "" && service == "":
		f.fail(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
	case service != "" && !serviceSID.MatchString(service):
		f.fail(w, http.StatusBadRequest, 21705, "The Messaging Service is invalid.")
	default:
		if ref, ok := f.refuse[form.Get("To")]; ok {
			f.refused(w, ref)
			return
		}
		f.reply(w, http.StatusCreated, f.store(form))
	}
}

// refused answers a create with a configured refusal.
func (f *fakeTwilio) refused(w http.ResponseWriter, ref refusal) {
	if ref.retryAfter != "" {
		w.Header().Set("Retry-After", ref.retryAfter)
	}
	if ref.code != 0 {
		f.fail(w, ref.status, ref.code, fmt.Sprintf("refused with %d", ref.code))
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(ref.status)
	_, _ = w.Write([]byte(ref.body))
}

// store records a queued message the way Twilio creates it.
func (f *fakeTwilio) store(form url.Values) wireMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := fmt.Sprintf("SM%032x", len(f.messages)+1)
	m := newWire(sid, form.Get("To"), form.Get("From"), form.Get("Body"), f.now, time.Time{})
	if service := form.Get("MessagingServiceSid"); service != "" {
		m.MessagingServiceSID, m.From = &service, nil
	}
	f.messages = append(f.messages, m)
	return m
}

// newWire builds a message resource; a zero sent time leaves it queued.
func newWire(sid, to, from, body string, created, sent time.Time) wireMessage {
	date := created.Format(time.RFC1123Z)
	m := wireMessage{
		AccountSID: testAccount, APIVersion: "2010-04-01", Body: body,
		DateCreated: date, DateUpdated: date, Direction: "outbound-api", From: &from,
		NumMedia: "0", NumSegments: "1", PriceUnit: "USD", SID: sid, Status: "queued", To: to,
		URI:             "/2010-04-01/Accounts/" + testAccount + "/Messages/" + sid + ".json",
		SubresourceURIs: map[string]string{"media": "/2010-04-01/Accounts/" + testAccount + "/Messages/" + sid + "/Media.json"},
	}
	if !sent.IsZero() {
		s := sent.Format(time.RFC1123Z)
		m.DateSent, m.Status = &s, "delivered"
	}
	return m
}

// fetch handles GET Messages/{sid}.json.
func (f *fakeTwilio) fetch(w http.ResponseWriter, r *http.Request, sid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if m.SID == sid {
			f.reply(w, http.StatusOK, m)
			return
		}
	}
	f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
}

// list handles GET Messages.json with the To, From and DateSent>= filters
// (the date compared by day, as Twilio documents it) and Page/PageSize
// paging.
func (f *fakeTwilio) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var day time.Time
	if v := q.Get("DateSent>"); v != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, v[:min(len(v), 10)]); err != nil {
			f.fail(w, http.StatusBadRequest, 20001, "Invalid DateSent")
			return
		}
	}
	size, _ := strconv.Atoi(q.Get("PageSize"))
	size = min(max(size, 1), f.pageSize)
	page, _ := strconv.Atoi(q.Get("Page"))
	matches := f.matching(q.Get("To"), q.Get("From"), day)
	start := min(page*size, len(matches))
	end := min(start+size, len(matches))
	uri := func(p int) string {
		v := url.Values{}
		for _, k := range []string{"To", "From", "DateSent>"} {
			if q.Has(k) {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(p))
		if p > 0 {
			v.Set("PageToken", "PA"+matches[p*size-1].SID)
		}
		return r.URL.Path + "?" + v.Encode()
	}
	body := map[string]any{
		"messages": matches[start:end], "first_page_uri": uri(0), "uri": uri(page),
		"page": page, "page_size": size, "start": start, "end": max(end-1, start),
		"next_page_uri": nil, "previous_page_uri": nil,
	}
	if end < len(matches) {
		body["next_page_uri"] = uri(page + 1)
	}
	f.reply(w, http.StatusOK, body)
}

// matching returns the stored messages to `to` from `from` sent on or
// after day.
func (f *fakeTwilio) matching(to, from string, day time.Time) []wireMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wireMessage
	for _, m := range f.messages {
		if (to != "" && m.To != to) || (from != "" && (m.From == nil || *m.From != from)) {
			continue
		}
		if !day.IsZero() {
			if m.DateSent == nil {
				continue
			}
			if sent, _ := time.Parse(time.RFC1123Z, *m.DateSent); sent.Before(day) {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// add stores a message as if Twilio had created it.
func (f *fakeTwilio) add(m wireMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = append(f.messages, m)
}

// lastCreate returns the form of the last create request.
func (f *fakeTwilio) lastCreate() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.creates) == 0 {
		f.t.Fatal("no create request reached the fake")
	}
	return f.creates[len(f.creates)-1]
}

// seen returns the method and request URI of every request so far.
func (f *fakeTwilio) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}
