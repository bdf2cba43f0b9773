package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MessageInfo is what Twilio knows of a message, for reconciliation: did a
// send that crashed before its outcome was recorded reach Twilio?
type MessageInfo struct {
	SID       string
	To        string
	From      string
	Body      string
	Status    string // Twilio's status: queued, sent, delivered, failed…
	ErrorCode string // Twilio's error code, "" when none
	// DateCreated is when Twilio accepted the message (second precision).
	DateCreated time.Time
}

// pageSize is the number of messages asked for per list page (Twilio's
// maximum).
const pageSize = 1000

// maxPages bounds how many pages Find follows.
const maxPages = 100

// messagePage is one page of Twilio's Message list.
type messagePage struct {
	Messages    []messageResource `json:"messages"`
	NextPageURI string            `json:"next_page_uri"`
}

// Lookup fetches the message with the given SID. An unknown SID is an
// ENOTFOUND error (Twilio answers the same way when the account SID itself
// is unknown); other failures are EUNAVAILABLE errors wrapping the
// *parley.SendError that says why.
func (g *Gateway) Lookup(ctx context.Context, sid string) (MessageInfo, error) {
	if !validSID(sid) {
		return MessageInfo{}, parley.FieldErrorf("sid", "%q is not a Twilio SID", sid)
	}
	req, err := g.newRequest(ctx, http.MethodGet, g.messagesURL("/"+sid+".json"), nil)
	if err != nil {
		return MessageInfo{}, lookupError(err, sid)
	}
	var m messageResource
	if err := g.do(req, &m); err != nil {
		return MessageInfo{}, lookupError(err, sid)
	}
	return m.info()
}

// Find lists the messages sent to `to` from `from` (a number or Messaging
// Service sender as it appears on the message) that Twilio created at or
// after sentAfter, following every page. Twilio is asked to filter by To,
// From and DateSent >= sentAfter; DateCreated narrows the answer to the
// second. A message Twilio still holds in its queue has no sent date yet
// and may be missing from the list.
func (g *Gateway) Find(ctx context.Context, to, from string, sentAfter time.Time) ([]MessageInfo, error) {
	q := url.Values{"To": {to}, "From": {from}, "PageSize": {strconv.Itoa(pageSize)}}
	q.Set("DateSent>", sentAfter.UTC().Format(time.RFC3339))
	next := g.messagesURL(".json?" + q.Encode())
	since := sentAfter.Truncate(time.Second)
	var found []MessageInfo
	for range maxPages {
		page, err := g.page(ctx, next)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Messages {
			info, err := m.info()
			if err != nil {
				return nil, err
			}
			if !info.DateCreated.Before(since) {
				found = append(found, info)
			}
		}
		if page.NextPageURI == "" {
			return found, nil
		}
		if next, err = g.nextPage(page.NextPageURI); err != nil {
			return nil, err
		}
	}
	return nil, parley.Errorf(parley.EUNAVAILABLE, "twilio: more than %d pages of messages to %s", maxPages, to)
}

// page fetches one list page.
func (g *Gateway) page(ctx context.Context, target string) (messagePage, error) {
	var page messagePage
	req, err := g.newRequest(ctx, http.MethodGet, target, nil)
	if err == nil {
		err = g.do(req, &page)
	}
	if err != nil {
		return messagePage{}, parley.Wrap(parley.EUNAVAILABLE, err, "twilio: listing messages failed")
	}
	return page, nil
}

// nextPage resolves a next_page_uri against the base URL. Credentials are
// only ever sent to the API host, so a page on any other host is refused.
func (g *Gateway) nextPage(uri string) (string, error) {
	base, err := url.Parse(g.baseURL())
	if err != nil {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "twilio: bad base URL")
	}
	next, err := base.Parse(uri)
	if err != nil || next.Scheme != base.Scheme || next.Host != base.Host {
		return "", parley.Errorf(parley.EUNAVAILABLE, "twilio: refusing next page %q outside %s", uri, base.Host)
	}
	return next.String(), nil
}

// lookupError classifies a failed fetch of message sid.
func lookupError(err error, sid string) error {
	var se *parley.SendError
	if errors.As(err, &se) && (se.Code == "20404" || se.Code == "HTTP_404") {
		return parley.Wrap(parley.ENOTFOUND, err, "twilio: message %s not found", sid)
	}
	return parley.Wrap(parley.EUNAVAILABLE, err, "twilio: fetching message %s failed", sid)
}

// info converts the resource, parsing its RFC 2822 creation date.
func (m messageResource) info() (MessageInfo, error) {
	info := MessageInfo{SID: m.SID, To: m.To, From: m.From, Body: m.Body, Status: m.Status}
	if m.ErrorCode != nil && *m.ErrorCode != 0 {
		info.ErrorCode = strconv.Itoa(*m.ErrorCode)
	}
	if m.DateCreated != "" {
		t, err := time.Parse(time.RFC1123Z, m.DateCreated)
		if err != nil {
			return MessageInfo{}, parley.Wrap(parley.EUNAVAILABLE, err, "twilio: message %s has a bad date_created", m.SID)
		}
		info.DateCreated = t.UTC()
	}
	return info, nil
}
