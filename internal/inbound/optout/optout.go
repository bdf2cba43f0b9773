package optout

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store"
)

// Accounts gives an account's settings with the defaults filled in (the
// confirmation and help texts).
type Accounts interface {
	Settings(ctx context.Context, accountID string) (parley.Account, error)
}

// Service keeps the opt-out lists and answers keywords.
type Service struct {
	Store    store.OptOuts
	Accounts Accounts
	Clock    parley.Clock
}

// lookups bounds the concurrent per-number reads and writes of one call.
const lookups = 16

// Add puts a number on an account's list for channel (sms, whatsapp or
// all; all when empty) on the brand's behalf. It returns the entry as
// stored, and whether it is new: adding an entry that exists keeps the
// first one.
func (s *Service) Add(ctx context.Context, accountID string, channel parley.Channel, rawPhone string) (parley.OptOut, bool, error) {
	ch, err := ParseChannel(string(channel), parley.ChannelAll)
	if err != nil {
		return parley.OptOut{}, false, err
	}
	e164, ok := phone.Normalize(rawPhone)
	if !ok {
		return parley.OptOut{}, false, parley.FieldErrorf("phone", "phone %q is not a valid phone number with country code", rawPhone)
	}
	return s.add(ctx, parley.OptOut{AccountID: accountID, Channel: ch, Phone: e164, Source: parley.OptOutByAPI, CreatedAt: s.Clock.Now()})
}

// add stores e and returns the stored entry.
func (s *Service) add(ctx context.Context, e parley.OptOut) (parley.OptOut, bool, error) {
	created, err := s.Store.PutOptOut(ctx, e)
	if err != nil || created {
		return e, created, err
	}
	es, err := s.Store.PhoneOptOuts(ctx, e.AccountID, e.Phone)
	for _, stored := range es {
		if stored.Channel == e.Channel {
			return stored, false, err
		}
	}
	return e, false, err
}

// Remove takes a number off an account's list: the entry for channel, or
// every entry of the number when channel is empty. It is ENOTFOUND when
// there was nothing to remove.
func (s *Service) Remove(ctx context.Context, accountID string, channel parley.Channel, rawPhone string) error {
	ch, err := ParseChannel(string(channel), "")
	if err != nil {
		return err
	}
	e164, ok := phone.Normalize(rawPhone)
	if !ok {
		return parley.FieldErrorf("phone", "phone %q is not a valid phone number with country code", rawPhone)
	}
	channels := []parley.Channel{ch}
	if ch == "" {
		es, err := s.Store.PhoneOptOuts(ctx, accountID, e164)
		if err != nil {
			return err
		}
		channels = channels[:0]
		for _, e := range es {
			channels = append(channels, e.Channel)
		}
	}
	removed := false
	for _, c := range channels {
		ok, err := s.Store.DeleteOptOut(ctx, accountID, c, e164)
		if err != nil {
			return err
		}
		removed = removed || ok
	}
	if !removed {
		what := e164
		if ch != "" {
			what += " for " + string(ch)
		}
		return parley.Errorf(parley.ENOTFOUND, "%s is not on the opt-out list", what)
	}
	return nil
}

// Page is one page of an opt-out list.
type Page struct {
	OptOuts []parley.OptOut
	// Next is the cursor of the following page; empty on the last one.
	Next string
}

// List returns up to limit (at most store.MaxPage) entries of an account's
// list after cursor (from the start when empty), in phone order. With a
// channel, only the entries that bar the number from it: that channel's
// and the all-channels ones.
func (s *Service) List(ctx context.Context, accountID string, channel parley.Channel, cursor string, limit int) (Page, error) {
	ch, err := ParseChannel(string(channel), "")
	if err != nil {
		return Page{}, err
	}
	afterPhone, afterChannel, err := parseCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = min(max(limit, 1), store.MaxPage)
	out := Page{OptOuts: []parley.OptOut{}}
	for {
		es, err := s.Store.OptOuts(ctx, accountID, afterPhone, afterChannel, limit)
		if err != nil {
			return Page{}, err
		}
		for i, e := range es {
			afterPhone, afterChannel = e.Phone, e.Channel
			if ch == "" || e.Covers(ch) {
				out.OptOuts = append(out.OptOuts, e)
			}
			if len(out.OptOuts) == limit {
				if i < len(es)-1 || len(es) == limit {
					out.Next = formatCursor(afterPhone, afterChannel)
				}
				return out, nil
			}
		}
		if len(es) < limit {
			return out, nil
		}
	}
}

// A cursor is the last entry a page looked at: "<phone>:<channel>".
func formatCursor(phone string, ch parley.Channel) string { return phone + ":" + string(ch) }

func parseCursor(c string) (string, parley.Channel, error) {
	if c == "" {
		return "", "", nil
	}
	p, ch, ok := strings.Cut(c, ":")
	if !ok || !strings.HasPrefix(p, "+") || p == "+" || ch == "" {
		return "", "", parley.FieldErrorf("cursor", "cursor %q is not one this API returned", c)
	}
	return p, parley.Channel(ch), nil
}

// OptedOut reports whether phone may not be messaged on channel: the
// account has an entry for that channel or for all channels. For
// parley.ChannelPrioritized it reports whether the number is barred from
// both WhatsApp and SMS, so that a prioritized campaign cannot reach it
// at all. A number that is not a valid phone number is on no list.
func (s *Service) OptedOut(ctx context.Context, accountID string, channel parley.Channel, phoneNumber string) (bool, error) {
	e164, ok := phone.Normalize(phoneNumber)
	if !ok {
		return false, nil
	}
	es, err := s.Store.PhoneOptOuts(ctx, accountID, e164)
	if err != nil {
		return false, fmt.Errorf("read opt-outs of %s: %w", phone.Mask(e164), err)
	}
	return barred(es, channel), nil
}

// barred reports whether the entries of one number bar it from channel.
func barred(es []parley.OptOut, channel parley.Channel) bool {
	covers := func(ch parley.Channel) bool {
		for _, e := range es {
			if e.Covers(ch) {
				return true
			}
		}
		return false
	}
	if channel == parley.ChannelPrioritized {
		return covers(parley.ChannelWhatsApp) && covers(parley.ChannelSMS)
	}
	return covers(channel)
}

// OptedOutAmong returns the numbers among phones (E.164) that may not be
// messaged on channel, as OptedOut decides. It reads the account's list
// page by page while the list is no longer than phones, and otherwise looks
// the numbers up one by one, so it costs about min(list, phones) reads.
func (s *Service) OptedOutAmong(ctx context.Context, accountID string, channel parley.Channel, phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(phones) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(phones))
	for _, p := range phones {
		want[p] = true
	}
	byPhone := map[string][]parley.OptOut{}
	afterPhone, afterChannel := "", parley.Channel("")
	size := min(len(want), store.MaxPage)
	for read := 0; read < len(want); {
		es, err := s.Store.OptOuts(ctx, accountID, afterPhone, afterChannel, size)
		if err != nil {
			return nil, fmt.Errorf("read the opt-out list of %s: %w", accountID, err)
		}
		for _, e := range es {
			if want[e.Phone] {
				byPhone[e.Phone] = append(byPhone[e.Phone], e)
			}
			afterPhone, afterChannel = e.Phone, e.Channel
		}
		read += len(es)
		if len(es) < size {
			for p, es := range byPhone {
				if barred(es, channel) {
					out[p] = true
				}
			}
			return out, nil
		}
	}
	return s.lookUp(ctx, accountID, channel, phones)
}

// lookUp is OptedOutAmong one number at a time, a few at once.
func (s *Service) lookUp(ctx context.Context, accountID string, channel parley.Channel, phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	var mu sync.Mutex
	err := run.Each(ctx, lookups, phones, func(ctx context.Context, p string) error {
		es, err := s.Store.PhoneOptOuts(ctx, accountID, p)
		if err != nil {
			return fmt.Errorf("read opt-outs of %s: %w", phone.Mask(p), err)
		}
		if barred(es, channel) {
			mu.Lock()
			defer mu.Unlock()
			out[p] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportResult says what an import did: how many rows put a number on the
// list, how many named one already there, and which rows were refused.
type ImportResult struct {
	Added    int
	Existing int
	Failed   []Line
}

// Import adds the numbers of an import file (see ParseCSV) to an account's
// list; a row without a channel uses channel (all when empty). Refused rows
// are reported and the others imported. A file that cannot be read as a
// whole is EINVALID naming the line, and nothing is imported.
func (s *Service) Import(ctx context.Context, accountID string, r io.Reader, channel parley.Channel) (ImportResult, error) {
	def, err := ParseChannel(string(channel), parley.ChannelAll)
	if err != nil {
		return ImportResult{}, err
	}
	lines, err := ParseCSV(r, def)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Failed: []Line{}}
	var good []Line
	for _, l := range lines {
		if l.Error != "" {
			res.Failed = append(res.Failed, l)
		} else {
			good = append(good, l)
		}
	}
	now := s.Clock.Now()
	var mu sync.Mutex
	var firstErr error
	// Every line is tried even after one fails, so the counts say what
	// was imported: the lines' failures are kept here, not returned.
	err = run.Each(ctx, lookups, good, func(ctx context.Context, l Line) error {
		created, err := s.Store.PutOptOut(ctx, parley.OptOut{AccountID: accountID, Channel: l.Channel, Phone: l.Phone, Source: parley.OptOutByImport, CreatedAt: now})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && firstErr == nil:
			firstErr = fmt.Errorf("import line %d: %w", l.Line, err)
		case err == nil && created:
			res.Added++
		case err == nil:
			res.Existing++
		}
		return nil
	})
	return res, cmp.Or(firstErr, err)
}

// Export writes an account's list as CSV (phone, channel, source,
// createdAt, with a header row), in phone order; with a channel, only the
// entries that bar numbers from it. Import reads the file back.
func (s *Service) Export(ctx context.Context, accountID string, channel parley.Channel, w io.Writer) error {
	ch, err := ParseChannel(string(channel), "")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	afterPhone, afterChannel := "", parley.Channel("")
	for {
		es, err := s.Store.OptOuts(ctx, accountID, afterPhone, afterChannel, store.MaxPage)
		if err != nil {
			return err
		}
		for _, e := range es {
			if ch == "" || e.Covers(ch) {
				if err := writeRow(cw, e); err != nil {
					return fmt.Errorf("write export: %w", err)
				}
			}
			afterPhone, afterChannel = e.Phone, e.Channel
		}
		if len(es) < store.MaxPage {
			break
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// Result is what Handle did with a consumer's message.
type Result struct {
	Keyword Keyword
	// Changed says whether the opt-out list changed.
	Changed bool
	// Reply is the text to send back to the consumer on the channel the
	// message came on; empty means send nothing.
	Reply string
}

// Handled reports whether the message was a command that is now dealt
// with, rather than a reply to route to an agent: an opt-out or help
// keyword, or an opt-in that resubscribed the consumer. An opt-in word
// such as YES from a consumer who was not opted out is an ordinary reply.
func (r Result) Handled() bool {
	return r.Keyword == OptOut || r.Keyword == Help || (r.Keyword == OptIn && r.Changed)
}

// Handle applies the keyword of a message a consumer (from) sent on
// channel (sms or whatsapp) and returns what to answer; see the package
// documentation for when it answers. A message that is no keyword is
// Result{}. Webhooks a provider may deliver twice should be deduplicated
// (store.Seen) before Handle: a repeated HELP is answered again.
func (s *Service) Handle(ctx context.Context, accountID string, channel parley.Channel, from, body string) (Result, error) {
	k := Classify(body)
	if k == None {
		return Result{}, nil
	}
	if channel != parley.ChannelSMS && channel != parley.ChannelWhatsApp {
		return Result{}, parley.FieldErrorf("channel", "keywords are read on sms and whatsapp, not %q", channel)
	}
	e164, ok := phone.Normalize(from)
	if !ok {
		return Result{}, parley.FieldErrorf("from", "sender %q is not a phone number", from)
	}
	acct, err := s.Accounts.Settings(ctx, accountID)
	if err != nil {
		return Result{}, fmt.Errorf("read settings of %s: %w", accountID, err)
	}
	res := Result{Keyword: k}
	switch k {
	case Help:
		res.Reply = cmp.Or(acct.HelpText, account.DefaultHelp)
	case OptOut:
		res.Changed, err = s.Store.PutOptOut(ctx, parley.OptOut{AccountID: accountID, Channel: channel, Phone: e164, Source: parley.OptOutByKeyword, CreatedAt: s.Clock.Now()})
		if res.Changed {
			res.Reply = cmp.Or(acct.OptOutConfirmText, account.DefaultOptOutConfirm)
		}
	case OptIn:
		if res.Changed, err = s.Store.DeleteOptOut(ctx, accountID, channel, e164); err != nil || !res.Changed {
			break
		}
		var still bool
		if still, err = s.OptedOut(ctx, accountID, channel, e164); err == nil && !still {
			res.Reply = cmp.Or(acct.OptInConfirmText, account.DefaultOptInConfirm)
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("apply %s from %s: %w", k, phone.Mask(e164), err)
	}
	return res, nil
}
