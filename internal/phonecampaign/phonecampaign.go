// Package phonecampaign serves telephone campaigns: it creates them from a
// draft and fills them with the directory's contacts that their saved
// filter selects, suspends, resumes, terminates and clones them, adds
// contacts to running ones and reports their statistics. Placing the calls
// (the pacer, the operators' sessions and the voice gateway) works from the
// campaigns and entries kept here.
package phonecampaign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what the service needs from persistence.
type Store interface {
	store.PhoneCampaigns
	Contact(ctx context.Context, accountID, id string) (directory.Contact, error)
	Contacts(ctx context.Context, accountID, afterID string, limit int) ([]directory.Contact, error)
	Filter(ctx context.Context, accountID, id string) (directory.Filter, error)
	MessageHistory(ctx context.Context, accountID, consumer, cursor string, limit int) (parley.HistoryPage, error)
	PhoneOptOuts(ctx context.Context, accountID, phone string) ([]parley.OptOut, error)
}

// MaxAddContacts bounds the contacts one AddContacts call takes.
const MaxAddContacts = 1000

// Service keeps telephone campaigns.
type Service struct {
	Store Store
	Clock parley.Clock
	// NewID returns a new campaign id; uuid v7 by default.
	NewID func() string
	// Dialing, when set, starts the calls of a campaign created, cloned or
	// resumed (*Dialer is one).
	Dialing Starter
}

// Starter arms the pacing of a campaign.
type Starter interface {
	Start(ctx context.Context, accountID, campaignID string) error
}

func (s *Service) start(ctx context.Context, c dialer.Campaign) error {
	if s.Dialing == nil || c.State != dialer.CampaignActive {
		return nil
	}
	return s.Dialing.Start(ctx, c.AccountID, c.ID)
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// Created is a new campaign and how many of the directory's contacts it
// took (Skipped: selected by the filter but without a valid number in the
// campaign's phone field).
type Created struct {
	Campaign         dialer.Campaign
	Entries, Skipped int
}

// Create validates d, stores the campaign and fills it with the contacts
// its filter selects (every contact without a filter).
func (s *Service) Create(ctx context.Context, accountID string, d dialer.Draft) (Created, error) {
	c, err := dialer.NewCampaign(accountID, s.newID(), d, s.Clock.Now())
	if err != nil {
		return Created{}, err
	}
	var f *directory.Filter
	if c.FilterID != "" {
		got, err := s.Store.Filter(ctx, accountID, c.FilterID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return Created{}, parley.FieldErrorf("contacts.filterId", "the account has no saved filter %q", c.FilterID)
		}
		if err != nil {
			return Created{}, err
		}
		f = &got
	}
	if err := s.Store.CreatePhoneCampaign(ctx, c); err != nil {
		return Created{}, err
	}
	out := Created{Campaign: c}
	out.Entries, err = s.fill(ctx, c, func(after string) (next string, es []dialer.Entry, more bool, err error) {
		page, err := s.Store.Contacts(ctx, accountID, after, store.MaxPage)
		if err != nil || len(page) == 0 {
			return "", nil, false, err
		}
		for _, k := range page {
			if f != nil && !f.Matches(k) {
				continue
			}
			e, ok := entryOf(c, k)
			if !ok {
				out.Skipped++
				continue
			}
			es = append(es, e)
		}
		return page[len(page)-1].ID, es, len(page) == store.MaxPage, nil
	})
	if err != nil {
		return Created{}, err
	}
	return out, s.start(ctx, c)
}

// fill adds to campaign c the entries that page yields, page by page from
// the cursor "", and says how many it added.
func (s *Service) fill(ctx context.Context, c dialer.Campaign, page func(after string) (next string, es []dialer.Entry, more bool, err error)) (int, error) {
	added := 0
	for after := ""; ; {
		next, es, more, err := page(after)
		if err != nil {
			return added, err
		}
		n, err := s.Store.AddEntries(ctx, c.AccountID, c.ID, es)
		if err != nil {
			return added, err
		}
		added += n
		if !more {
			return added, nil
		}
		after = next
	}
}

// entryOf returns the entry of contact k in c: its number from c's phone
// field, waiting to be called from c's creation. ok is false when k has no
// valid number there.
func entryOf(c dialer.Campaign, k directory.Contact) (dialer.Entry, bool) {
	raw, ok := k.Value(c.PhoneField)
	if !ok {
		return dialer.Entry{}, false
	}
	e164, ok := phone.Normalize(raw)
	if !ok {
		return dialer.Entry{}, false
	}
	return dialer.Entry{ContactID: k.ID, Phone: e164, Status: dialer.EntryWaiting, NextAttemptAt: c.CreatedAt}, true
}

// Get returns one campaign.
func (s *Service) Get(ctx context.Context, accountID, id string) (dialer.Campaign, error) {
	return s.Store.PhoneCampaign(ctx, accountID, id)
}

// List returns the account's campaigns.
func (s *Service) List(ctx context.Context, accountID string) ([]dialer.Campaign, error) {
	return s.Store.PhoneCampaigns(ctx, accountID)
}

// Control suspends, resumes or terminates a campaign. Repeating what was
// done (suspending a suspended campaign) answers the campaign as it is.
func (s *Service) Control(ctx context.Context, accountID, id, action string) (dialer.Campaign, error) {
	c, err := s.Store.PhoneCampaign(ctx, accountID, id)
	if err != nil {
		return dialer.Campaign{}, err
	}
	to, err := c.Transition(action)
	if err != nil {
		if done[action] == c.State {
			return c, nil
		}
		return dialer.Campaign{}, err
	}
	moved, err := s.Store.SetPhoneCampaignState(ctx, accountID, id, c.State, to)
	if err != nil {
		return moved, err
	}
	return moved, s.start(ctx, moved)
}

// done is the state each action leaves a campaign in.
var done = map[string]dialer.CampaignState{
	"suspend": dialer.CampaignSuspended, "resume": dialer.CampaignActive, "terminate": dialer.CampaignTerminated,
}

// Clone creates an active campaign with the settings of campaign id and
// its contacts, each waiting for its first call.
func (s *Service) Clone(ctx context.Context, accountID, id, name string) (Created, error) {
	orig, err := s.Store.PhoneCampaign(ctx, accountID, id)
	if err != nil {
		return Created{}, err
	}
	c := orig.Clone(s.newID(), name, s.Clock.Now())
	if err := s.Store.CreatePhoneCampaign(ctx, c); err != nil {
		return Created{}, err
	}
	n, err := s.fill(ctx, c, func(after string) (string, []dialer.Entry, bool, error) {
		page, err := s.Store.Entries(ctx, accountID, id, after, store.MaxPage)
		if err != nil || len(page) == 0 {
			return "", nil, false, err
		}
		es := make([]dialer.Entry, 0, len(page))
		for _, e := range page {
			if e.Status != dialer.EntryDeleted {
				es = append(es, dialer.Entry{ContactID: e.ContactID, Phone: e.Phone, Status: dialer.EntryWaiting, NextAttemptAt: c.CreatedAt})
			}
		}
		return page[len(page)-1].ContactID, es, len(page) == store.MaxPage, nil
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Campaign: c, Entries: n}, s.start(ctx, c)
}

// Outcomes of adding one contact.
const (
	AddAdded   = "added"
	AddPresent = "present" // the campaign has the contact already
	AddFailed  = "failed"
)

// Added is what adding one contact did; Detail says why it failed.
type Added struct {
	ContactID string
	Outcome   string
	Detail    string
}

// AddContacts adds directory contacts to a campaign that is still running
// (active or suspended), as an endless campaign takes them at any time.
func (s *Service) AddContacts(ctx context.Context, accountID, id string, contactIDs []string) ([]Added, error) {
	switch n := len(contactIDs); {
	case n == 0:
		return nil, parley.FieldErrorf("contactIds", "name at least one contact")
	case n > MaxAddContacts:
		return nil, parley.FieldErrorf("contactIds", "%d contacts; at most %d in one call", n, MaxAddContacts)
	}
	c, err := s.Store.PhoneCampaign(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if c.State != dialer.CampaignActive && c.State != dialer.CampaignSuspended {
		return nil, parley.Errorf(parley.ECONFLICT, "campaign %s is %s; it takes no more contacts", id, c.State)
	}
	out := make([]Added, len(contactIDs))
	now := s.Clock.Now()
	for i, kid := range contactIDs {
		out[i] = Added{ContactID: kid, Outcome: AddFailed}
		k, err := s.Store.Contact(ctx, accountID, kid)
		if err != nil {
			if parley.ErrorCode(err) != parley.ENOTFOUND {
				return nil, err
			}
			out[i].Detail = fmt.Sprintf("contactIds[%d]: the directory has no contact %q", i, kid)
			continue
		}
		e, ok := entryOf(c, k)
		if !ok {
			out[i].Detail = fmt.Sprintf("contactIds[%d]: contact %s has no valid number in %s", i, kid, c.PhoneField)
			continue
		}
		e.NextAttemptAt = now
		n, err := s.Store.AddEntries(ctx, accountID, id, []dialer.Entry{e})
		if err != nil {
			return nil, err
		}
		out[i].Outcome = AddPresent
		if n == 1 {
			out[i].Outcome = AddAdded
		}
	}
	return out, nil
}

// EntryPage is a page of a campaign's entries; Next, when set, is the
// cursor of the following page.
type EntryPage struct {
	Entries []dialer.Entry
	Next    string
}

// Entries lists a campaign's entries in contact id order.
func (s *Service) Entries(ctx context.Context, accountID, id, cursor string, limit int) (EntryPage, error) {
	if _, err := s.Store.PhoneCampaign(ctx, accountID, id); err != nil {
		return EntryPage{}, err
	}
	es, err := s.Store.Entries(ctx, accountID, id, cursor, limit)
	if err != nil {
		return EntryPage{}, err
	}
	p := EntryPage{Entries: es}
	if len(es) == min(max(limit, 1), store.MaxPage) {
		p.Next = es[len(es)-1].ContactID
	}
	return p, nil
}

// Stats are a campaign's statistics: where its contacts stand (from its
// entries), what its calls did (from its calls), and how its operator group
// is occupied now.
type Stats struct {
	dialer.Counts
	// AbandonRate is the abandoned share of the contacts whose last call
	// reached a person.
	AbandonRate float64
	Calls       CallCounts
	Operators   OperatorCounts
}

// CallCounts count a campaign's calls. CallAbandonRate is the abandoned
// share of the live-answered calls: the measure the rules on abandoned
// calls (at most 3%) are about.
type CallCounts struct {
	Placed, Live, Machine, Bridged, Abandoned, InFlight int
	CallAbandonRate                                     float64
	// TalkSeconds is the time people talked to operators.
	TalkSeconds float64
}

// OperatorCounts are the campaign's group's operators by state now, and
// their occupancy: the share of those working (not offline) who are on a
// call or wrapping one up.
type OperatorCounts struct {
	Online, Busy, WrapUp, Offline int
	Occupancy                     float64
}

// Stats counts a campaign's entries and calls, and its group's operators.
func (s *Service) Stats(ctx context.Context, accountID, id string) (Stats, error) {
	c, err := s.Store.PhoneCampaign(ctx, accountID, id)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	for after := ""; ; {
		page, err := s.Store.Entries(ctx, accountID, id, after, store.MaxPage)
		if err != nil {
			return Stats{}, err
		}
		for _, e := range page {
			st.Add(e)
		}
		if len(page) < store.MaxPage {
			break
		}
		after = page[len(page)-1].ContactID
	}
	if reached := st.Connected + st.Abandoned; reached > 0 {
		st.AbandonRate = float64(st.Abandoned) / float64(reached)
	}
	calls, err := s.Store.PhoneCalls(ctx, accountID, id)
	if err != nil {
		return Stats{}, err
	}
	st.Calls = countCalls(calls)
	agents, err := s.Store.PhoneAgents(ctx, accountID)
	if err != nil {
		return Stats{}, err
	}
	st.Operators = countOperators(agents, c.OperatorGroup)
	return st, nil
}

func countCalls(calls []dialer.Call) CallCounts {
	var n CallCounts
	for _, c := range calls {
		n.Placed++
		switch {
		case c.Answer == dialer.AnswerHuman || c.Misdetected:
			n.Live++
		case c.Answer == dialer.AnswerMachine:
			n.Machine++
		}
		if !c.BridgedAt.IsZero() {
			n.Bridged++
		}
		if c.Abandoned {
			n.Abandoned++
		}
		if c.Status != dialer.CallEnded {
			n.InFlight++
		}
		n.TalkSeconds += c.Talk().Seconds()
	}
	if n.Live > 0 {
		n.CallAbandonRate = float64(n.Abandoned) / float64(n.Live)
	}
	return n
}

func countOperators(agents []dialer.Agent, group string) OperatorCounts {
	var n OperatorCounts
	for _, a := range agents {
		if a.Group != group {
			continue
		}
		switch a.State {
		case dialer.Online:
			n.Online++
		case dialer.Busy:
			n.Busy++
		case dialer.WrapUp:
			n.WrapUp++
		default:
			n.Offline++
		}
	}
	if working := n.Online + n.Busy + n.WrapUp; working > 0 {
		n.Occupancy = float64(n.Busy+n.WrapUp) / float64(working)
	}
	return n
}

// TimelineItem is one thing of a contact's timeline: a call Parley placed
// to the contact, or a message sent to or received from its number.
type TimelineItem struct {
	At      time.Time
	Call    *dialer.Call
	Message *parley.HistoryMessage
}

// TimelinePage is a page of a contact's timeline, newest first; Next, when
// set, is the cursor of the following (older) page.
type TimelinePage struct {
	Items []TimelineItem
	Next  string
}

// timelineCursor is where a timeline's page ended in each of its two
// listings, the contact's calls and its number's messages; a listing that
// ended is Done.
type timelineCursor struct {
	Calls        string `json:"c,omitempty"`
	CallsDone    bool   `json:"cd,omitempty"`
	Messages     string `json:"m,omitempty"`
	MessagesDone bool   `json:"md,omitempty"`
}

func (c timelineCursor) String() string {
	data, _ := json.Marshal(c) // strings and booleans only
	return base64.RawURLEncoding.EncodeToString(data)
}

func parseTimelineCursor(s string) (timelineCursor, error) {
	var c timelineCursor
	if s == "" {
		return c, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(data, &c) != nil {
		return c, parley.FieldErrorf("cursor", "cursor %q is not one a page of the timeline gave", s)
	}
	return c, nil
}

// Timeline lists a page of at most limit (capped at store.MaxPage) of a
// directory contact's timeline, newest first: every call placed to it in
// the account's telephone campaigns, and every message Parley sent to its
// number or received from it (the number's message history). It reads at
// most limit calls and limit messages.
func (s *Service) Timeline(ctx context.Context, accountID, contactID, cursor string, limit int) (TimelinePage, error) {
	limit = min(max(limit, 1), store.MaxPage)
	cur, err := parseTimelineCursor(cursor)
	if err != nil {
		return TimelinePage{}, err
	}
	k, err := s.Store.Contact(ctx, accountID, contactID)
	if err != nil {
		return TimelinePage{}, err
	}
	var calls []dialer.Call
	callsNext := ""
	if !cur.CallsDone {
		if calls, callsNext, err = s.Store.ContactPhoneCalls(ctx, accountID, contactID, cur.Calls, limit); err != nil {
			return TimelinePage{}, err
		}
	}
	var msgs parley.HistoryPage
	if !cur.MessagesDone && k.Phone != "" {
		if msgs, err = s.Store.MessageHistory(ctx, accountID, k.Phone, cur.Messages, limit); err != nil {
			return TimelinePage{}, err
		}
	}
	var p TimelinePage
	ci, mi := 0, 0
	for len(p.Items) < limit && (ci < len(calls) || mi < len(msgs.Messages)) {
		if mi == len(msgs.Messages) || (ci < len(calls) && !calls[ci].PlacedAt.Before(msgs.Messages[mi].At)) {
			p.Items = append(p.Items, TimelineItem{At: calls[ci].PlacedAt, Call: &calls[ci]})
			ci++
			continue
		}
		p.Items = append(p.Items, TimelineItem{At: msgs.Messages[mi].At, Message: &msgs.Messages[mi]})
		mi++
	}
	next := cur
	switch {
	case ci < len(calls) && ci > 0:
		next.Calls = store.NextCallCursor(calls[:ci], ci)
	case ci < len(calls):
	case !cur.CallsDone:
		next.Calls, next.CallsDone = callsNext, callsNext == ""
	}
	switch {
	case mi < len(msgs.Messages) && mi > 0:
		next.Messages = msgs.Messages[mi-1].Cursor().String()
	case mi < len(msgs.Messages):
	case !cur.MessagesDone:
		next.Messages, next.MessagesDone = msgs.Next, msgs.Next == ""
	}
	if !next.CallsDone || !next.MessagesDone {
		p.Next = next.String()
	}
	return p, nil
}
