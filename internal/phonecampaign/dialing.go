package phonecampaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// VoiceGateway places and steers calls (Twilio Voice, or the sandbox).
// Each call's events come back through Dialer.Answered and Dialer.Ended.
type VoiceGateway interface {
	// PlaceCall dials p.To from p.From and returns the provider's call id.
	PlaceCall(ctx context.Context, p PlaceCall) (providerID string, err error)
	// Bridge connects an answered call to an operator.
	Bridge(ctx context.Context, call dialer.Call, operatorID string) error
	// Abandon plays the recorded message on an answered call no operator
	// took in time, and hangs up.
	Abandon(ctx context.Context, call dialer.Call) error
	// Hangup ends a call (an answering machine's).
	Hangup(ctx context.Context, call dialer.Call) error
}

// PlaceCall is one call to place.
type PlaceCall struct {
	AccountID, CampaignID, ContactID string
	Attempt                          int
	To, From                         string
}

// Job kinds of the dialing runtime.
const (
	// JobPace runs the pacer of one campaign (PaceJob).
	JobPace = "pace"
	// JobGrace checks, Grace after it was answered, that a call found an
	// operator (GraceJob).
	JobGrace = "grace"
)

// PaceJob asks for one pacing round of a campaign. Version is the pacer
// state's version the job was armed on: a job whose version is no longer
// the stored one is stale (a redelivery, or a chain another job took over)
// and does nothing, so each campaign has one live chain of pace jobs.
type PaceJob struct {
	AccountID  string `json:"a"`
	CampaignID string `json:"c"`
	Version    int    `json:"v"`
}

// GraceJob asks whether a live-answered call is still waiting for an
// operator once Grace has passed.
type GraceJob struct {
	AccountID  string `json:"a"`
	CampaignID string `json:"c"`
	ProviderID string `json:"p"`
}

// Jobs queues the runtime's jobs with a delay.
type Jobs interface {
	Pace(ctx context.Context, j PaceJob, delay time.Duration) error
	Grace(ctx context.Context, j GraceJob, delay time.Duration) error
}

// Pacing intervals.
const (
	// PaceEvery is the delay between pacing rounds of a running campaign.
	PaceEvery = 2 * time.Second
	// IdleEvery is the delay of the next round when nothing is callable
	// now (contacts waiting for their next attempt or calling hours).
	IdleEvery = time.Minute
	// StaleClaim is how long an entry may stay claimed without its call
	// recorded before the attempt is given up as failed.
	StaleClaim = 2 * time.Minute
	// StaleRinging is how long a call may go without a word from the
	// gateway before it is ended as failed: longer than Twilio lets a call
	// ring (600 s) plus machine detection and the hold of the answer
	// TwiML. Its events were lost (webhooks that never came, a simulated
	// gateway that restarted), and the contact must not stay in progress.
	StaleRinging = 15 * time.Minute
	// maxConflicts bounds the retries of one conditional write.
	maxConflicts = 20
)

// Dialer is the dialing runtime: pacing rounds driven by the queue, and
// the outcomes of calls. Every method is safe to run again with the same
// input (a redelivered job or a repeated provider event) and safe to run
// concurrently with any other.
type Dialer struct {
	Store Store
	Clock parley.Clock
	Voice VoiceGateway
	Jobs  Jobs
	// Offers, when set, is told of each contact offered to an operator in
	// preview mode (the simulated voice gateway accepts its operators').
	Offers OfferWatcher
	// DetectorHumanLoss is the estimated share of live people answering
	// machine detection takes for machines.
	DetectorHumanLoss float64
	Log               *slog.Logger
}

// OfferWatcher is told of the contacts offered to operators.
type OfferWatcher interface {
	Offered(ctx context.Context, a dialer.Agent)
}

// Script returns a campaign's call script; nil when it has none.
func (d *Dialer) Script(ctx context.Context, accountID, campaignID string) (*dialer.Script, error) {
	c, err := d.Store.PhoneCampaign(ctx, accountID, campaignID)
	return c.Script, err
}

func (d *Dialer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// Start arms the pace chain of a campaign: the window check calls it for
// every active campaign, and Create for a new one. A chain already running
// absorbs it (one of the two jobs finds its version stale).
func (d *Dialer) Start(ctx context.Context, accountID, campaignID string) error {
	_, v, err := d.Store.PacerState(ctx, accountID, campaignID)
	if err != nil {
		return err
	}
	return d.Jobs.Pace(ctx, PaceJob{AccountID: accountID, CampaignID: campaignID, Version: v}, 0)
}

// StartActive arms the pace chain of every active campaign of every
// account: what the window check runs each minute, so that a chain lost
// (a job dead-lettered, a queue purged) resumes, and a campaign idle
// outside its calling hours dials as soon as they open. One campaign's
// failure does not keep the others from starting.
func (d *Dialer) StartActive(ctx context.Context) error {
	cs, err := d.Store.ActivePhoneCampaigns(ctx)
	if err != nil {
		return fmt.Errorf("list the active telephone campaigns: %w", err)
	}
	var errs []error
	for _, c := range cs {
		if err := d.Start(ctx, c.AccountID, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("campaign %s of account %s: %w", c.ID, c.AccountID, err))
		}
	}
	return errors.Join(errs...)
}

// round is what one pacing round read: only what is open, so that a round
// costs the same in a campaign of any size.
type round struct {
	c       dialer.Campaign
	state   dialer.State
	version int
	agents  []dialer.Agent
	// calls are the campaign's calls that have not ended.
	calls []dialer.Call
	// inProgress are the entries claimed, offered or on a call; due the
	// first waiting entries due now (at most dueScan).
	inProgress, due []dialer.Entry
}

// dueScan is how many due entries a round reads: enough for the most calls
// it may place (three lines for each operator) and some to spare for those
// it finds it may not call yet.
func dueScan(operators int) int { return min(3*operators+10, store.MaxPage) }

// lookAgain is when a due entry that may not be called for another reason
// than its calling hours (the do-not-call list, no attempts left) is looked
// at again.
const lookAgain = time.Hour

func (d *Dialer) load(ctx context.Context, accountID, campaignID string) (round, error) {
	var r round
	var err error
	if r.c, err = d.Store.PhoneCampaign(ctx, accountID, campaignID); err != nil {
		return r, err
	}
	if r.state, r.version, err = d.Store.PacerState(ctx, accountID, campaignID); err != nil {
		return r, err
	}
	if r.version == 0 {
		r.state = dialer.NewState(r.c.PacerConfig(d.DetectorHumanLoss))
	}
	if r.agents, err = d.groupAgents(ctx, r.c); err != nil {
		return r, err
	}
	if r.calls, err = d.Store.OpenPhoneCalls(ctx, accountID, campaignID); err != nil {
		return r, err
	}
	if r.inProgress, err = d.Store.InProgressEntries(ctx, accountID, campaignID); err != nil {
		return r, err
	}
	r.due, err = d.Store.DueEntries(ctx, accountID, campaignID, d.Clock.Now(), dueScan(len(r.agents)))
	return r, err
}

// reindex writes every open entry and every call of a campaign whose pacer
// state predates the store's listings of them again, as it is, so that
// the store lists it (once; a write that meets a newer one is left be).
func (d *Dialer) reindex(ctx context.Context, c dialer.Campaign) error {
	es, err := allEntries(ctx, d.Store, c.AccountID, c.ID)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.Status != dialer.EntryWaiting && e.Status != dialer.EntryInProgress {
			continue
		}
		if _, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, e); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
			return err
		}
	}
	calls, err := d.Store.PhoneCalls(ctx, c.AccountID, c.ID)
	if err != nil {
		return err
	}
	for _, call := range calls {
		if call.Status == dialer.CallEnded && call.Operator == "" {
			continue
		}
		if _, err := d.Store.ReplacePhoneCall(ctx, call); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
			return err
		}
	}
	d.log().InfoContext(ctx, "telephone campaign indexed", "account", c.AccountID, "campaign", c.ID, "entries", len(es), "calls", len(calls))
	return nil
}

// done reports whether a campaign of goal all_processed has no contact left
// to call: none in progress, none waiting. The indexes' answer is checked
// against every entry, read consistently, before the campaign completes.
func (d *Dialer) done(ctx context.Context, r round) (bool, error) {
	if r.c.Goal != dialer.GoalAllProcessed || len(r.inProgress) > 0 || len(r.due) > 0 {
		return false, nil
	}
	waiting, err := d.Store.DueEntries(ctx, r.c.AccountID, r.c.ID, time.Unix(0, math.MaxInt64), 1)
	if err != nil || len(waiting) > 0 {
		return false, err
	}
	es, err := allEntries(ctx, d.Store, r.c.AccountID, r.c.ID)
	if err != nil {
		return false, err
	}
	var counts dialer.Counts
	for _, e := range es {
		counts.Add(e)
	}
	return counts.Done(r.c.Goal), nil
}

// allEntries reads every entry of a campaign.
func allEntries(ctx context.Context, s store.PhoneCampaigns, accountID, campaignID string) ([]dialer.Entry, error) {
	var out []dialer.Entry
	for after := ""; ; {
		page, err := s.Entries(ctx, accountID, campaignID, after, store.MaxPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxPage {
			return out, nil
		}
		after = page[len(page)-1].ContactID
	}
}

func (d *Dialer) groupAgents(ctx context.Context, c dialer.Campaign) ([]dialer.Agent, error) {
	all, err := d.Store.PhoneAgents(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if a.Group == c.OperatorGroup {
			out = append(out, a)
		}
	}
	return out, nil
}

// Pace runs one pacing round: it ends the waits that outlasted Grace,
// decides how many calls to place, claims that many callable entries,
// places their calls and arms the next round. A stale job does nothing.
func (d *Dialer) Pace(ctx context.Context, j PaceJob) error {
	r, err := d.load(ctx, j.AccountID, j.CampaignID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if r.version != j.Version || r.c.State != dialer.CampaignActive {
		return nil
	}
	now := d.Clock.Now()
	if !r.state.Indexed {
		if err := d.reindex(ctx, r.c); err != nil {
			return err
		}
		r.state.Indexed = true
	}
	if err := d.sweep(ctx, r, now); err != nil {
		return err
	}
	var callable []dialer.Entry
	for _, e := range r.due {
		if ok, err := d.callable(ctx, r.c, e, now); err != nil {
			return err
		} else if ok {
			callable = append(callable, e)
		}
	}
	if done, err := d.done(ctx, r); err != nil {
		return err
	} else if done {
		_, err := d.Store.SetPhoneCampaignState(ctx, r.c.AccountID, r.c.ID, dialer.CampaignActive, dialer.CampaignCompleted)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			return nil
		}
		return err
	}
	snap := dialer.Snapshot{Now: now, Callable: len(callable)}
	for _, a := range r.agents {
		snap.Operators = append(snap.Operators, a.Operator)
	}
	for _, c := range r.calls {
		if l, ok := c.Line(); ok {
			snap.Lines = append(snap.Lines, l)
		}
	}
	dec := dialer.Decide(r.c.PacerConfig(d.DetectorHumanLoss), &r.state, snap)
	// Saving the state on the next version before dialing is what makes
	// this round the chain's: a redelivery of the job, or a rival round on
	// the same version, finds its version stale and places nothing.
	if err := d.Store.PutPacerState(ctx, r.c.AccountID, r.c.ID, r.state, r.version+1); err != nil {
		if parley.ErrorCode(err) == parley.ECONFLICT {
			return nil
		}
		return err
	}
	if r.c.Mode == dialer.ModePreview {
		if err := d.previewRound(ctx, r, callable, now); err != nil {
			return err
		}
	}
	for _, e := range callable {
		if dec.Dial == 0 {
			break
		}
		ok, err := d.dial(ctx, r.c, e, now)
		if err != nil {
			return err
		}
		if ok {
			dec.Dial--
		}
	}
	delay := PaceEvery
	if len(callable) == 0 && len(r.inProgress) == 0 {
		delay = IdleEvery
	}
	return d.Jobs.Pace(ctx, PaceJob{AccountID: r.c.AccountID, CampaignID: r.c.ID, Version: r.version + 1}, delay)
}

// callable reports whether e may be dialled now. A due entry that may not
// is put off (to its calling hours' opening, or by lookAgain), so that the
// due entries a round reads are those it may call.
func (d *Dialer) callable(ctx context.Context, c dialer.Campaign, e dialer.Entry, now time.Time) (bool, error) {
	if e.Status != dialer.EntryWaiting || e.NextAttemptAt.After(now) {
		return false, nil
	}
	optOuts, err := d.Store.PhoneOptOuts(ctx, c.AccountID, e.Phone)
	if err != nil {
		return false, err
	}
	ok, reason := c.Callable(e, now, optOuts)
	if ok {
		return true, nil
	}
	later := now.Add(lookAgain)
	if next, open := c.NextCallTime(e.Phone, now); reason == dialer.ReasonNoHours && open && next.After(now) {
		later = next
	}
	e.NextAttemptAt = later
	if _, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, e); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		return false, err
	}
	return false, nil
}

// dial claims e for its next attempt and places its call. ok is false when
// another round claimed it first: an attempt is dialled at most once.
func (d *Dialer) dial(ctx context.Context, c dialer.Campaign, e dialer.Entry, now time.Time) (ok bool, err error) {
	claimed := e
	claimed.Status, claimed.ClaimedAt, claimed.CallID = dialer.EntryInProgress, now, ""
	claimed, err = d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, claimed)
	if parley.ErrorCode(err) == parley.ECONFLICT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p := PlaceCall{AccountID: c.AccountID, CampaignID: c.ID, ContactID: e.ContactID, Attempt: e.Attempts + 1, To: e.Phone, From: c.CallerIDFor(e.ContactID, e.Attempts+1)}
	id, err := d.Voice.PlaceCall(ctx, p)
	if err != nil {
		// The call was not placed: the attempt ends as failed, so the
		// contact is called again as the rules say, never twice at once.
		d.log().WarnContext(ctx, "placing a call failed", "account", c.AccountID, "campaign", c.ID, "contact", e.ContactID, "err", err)
		return true, d.afterCall(ctx, c, claimed, "", dialer.CallOutcome{At: now})
	}
	call := dialer.Call{ProviderID: id, AccountID: c.AccountID, CampaignID: c.ID, ContactID: e.ContactID, Attempt: p.Attempt,
		Phone: p.To, From: p.From, Status: dialer.CallRinging, PlacedAt: now}
	if _, err := d.Store.CreatePhoneCall(ctx, call); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		return true, err
	}
	claimed.CallID = id
	if _, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, claimed); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		return true, err
	}
	return true, nil
}

// sweep ends what outlasted its time: answered calls that waited Grace
// for an operator (a lost grace job), calls the gateway said nothing of
// for StaleRinging, and claims whose call was never recorded (a round that
// stopped between claiming and placing).
func (d *Dialer) sweep(ctx context.Context, r round, now time.Time) error {
	for _, c := range r.calls {
		if c.Status == dialer.CallWaiting && !now.Before(c.AnsweredAt.Add(dialer.Grace)) {
			if err := d.expire(ctx, c.AccountID, c.CampaignID, c.ProviderID); err != nil {
				return err
			}
		}
	}
	for _, c := range r.calls {
		if c.Status == dialer.CallRinging && now.Sub(c.PlacedAt) >= StaleRinging {
			if err := d.Voice.Hangup(ctx, c); err != nil {
				d.log().WarnContext(ctx, "hanging up a call with no word from the gateway failed", "call", c.ProviderID, "err", err)
			}
			ev := Event{AccountID: c.AccountID, CampaignID: c.CampaignID, ProviderID: c.ProviderID, At: now, Answer: dialer.AnswerFailed}
			if err := d.Ended(ctx, ev, 0); err != nil {
				return err
			}
		}
	}
	for _, e := range r.inProgress {
		// An offered entry waits for its operator, however long they read.
		if e.Status == dialer.EntryInProgress && e.CallID == "" && e.OfferedTo == "" && now.Sub(e.ClaimedAt) >= StaleClaim {
			if err := d.afterCall(ctx, r.c, e, "", dialer.CallOutcome{At: now}); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterCall applies the campaign's rules to entry e after its call
// providerID ended with o. It does nothing when e is no longer on that
// call (the outcome was applied already), so it counts once.
func (d *Dialer) afterCall(ctx context.Context, c dialer.Campaign, e dialer.Entry, providerID string, o dialer.CallOutcome) error {
	for range maxConflicts {
		if e.Status != dialer.EntryInProgress || e.CallID != providerID {
			return nil
		}
		next := c.AfterCall(e, o)
		next.CallID, next.ClaimedAt, next.OfferedTo = "", time.Time{}, ""
		_, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, next)
		if parley.ErrorCode(err) != parley.ECONFLICT {
			return err
		}
		if e, err = d.Store.Entry(ctx, c.AccountID, c.ID, e.ContactID); err != nil {
			return err
		}
	}
	return parley.Errorf(parley.ECONFLICT, "entry %s keeps changing", e.ContactID)
}

// learn applies f to the campaign's pacer state and saves it on the next
// version, retrying when another writer came first, then re-arms the pace
// chain on that version so that the next round sees what happened.
func (d *Dialer) learn(ctx context.Context, c dialer.Campaign, f func(*dialer.State)) error {
	for range maxConflicts {
		st, v, err := d.Store.PacerState(ctx, c.AccountID, c.ID)
		if err != nil {
			return err
		}
		if v == 0 {
			st = dialer.NewState(c.PacerConfig(d.DetectorHumanLoss))
		}
		f(&st)
		err = d.Store.PutPacerState(ctx, c.AccountID, c.ID, st, v+1)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		}
		if err != nil {
			return err
		}
		if c.State != dialer.CampaignActive {
			return nil
		}
		return d.Jobs.Pace(ctx, PaceJob{AccountID: c.AccountID, CampaignID: c.ID, Version: v + 1}, 0)
	}
	return parley.Errorf(parley.ECONFLICT, "the pacer state of %s keeps changing", c.ID)
}

// changeCall applies f to a stored call and writes it on its revision,
// retrying on conflicts. f says whether the call is to change at all
// (false: the event was applied already). It returns the call as written
// and whether this writer changed it.
func (d *Dialer) changeCall(ctx context.Context, accountID, campaignID, providerID string, f func(*dialer.Call) bool) (dialer.Call, bool, error) {
	for range maxConflicts {
		c, err := d.Store.PhoneCall(ctx, accountID, campaignID, providerID)
		if err != nil {
			return c, false, err
		}
		if !f(&c) {
			return c, false, nil
		}
		c, err = d.Store.ReplacePhoneCall(ctx, c)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		}
		return c, err == nil, err
	}
	return dialer.Call{}, false, parley.Errorf(parley.ECONFLICT, "call %s keeps changing", providerID)
}

// Event is a voice gateway's report about a call.
type Event struct {
	AccountID, CampaignID, ProviderID string
	At                                time.Time
	// Answer is how the call was answered, or why it ended unanswered.
	Answer dialer.Answer
}

// Answered records how a call was first answered: a live person is
// bridged to a free operator of the group (or waits Grace for one); a
// machine is hung up on. A repeated event changes nothing.
func (d *Dialer) Answered(ctx context.Context, ev Event) error {
	if ev.Answer != dialer.AnswerHuman && ev.Answer != dialer.AnswerMachine {
		return d.Ended(ctx, ev, 0)
	}
	call, c, ok, err := d.applyEvent(ctx, ev.AccountID, ev.CampaignID, ev.ProviderID, func(c *dialer.Call) bool {
		if c.Status != dialer.CallRinging {
			return false
		}
		c.Answer, c.AnsweredAt = ev.Answer, ev.At
		c.Status = dialer.CallWaiting
		switch {
		case ev.Answer == dialer.AnswerMachine:
			c.Status, c.EndedAt = dialer.CallEnded, ev.At
		case c.Operator != "":
			// A preview call is its operator's: they are waiting for it.
			c.Status, c.BridgedAt = dialer.CallBridged, ev.At
		}
		return true
	})
	if !ok || err != nil {
		return err
	}
	if ev.Answer == dialer.AnswerMachine {
		if err := d.Voice.Hangup(ctx, call); err != nil {
			d.log().WarnContext(ctx, "hanging up on a machine failed", "call", call.ProviderID, "err", err)
		}
		if err := d.finish(ctx, c, call, dialer.CallOutcome{At: ev.At}); err != nil {
			return err
		}
		if call.Operator != "" {
			if err := d.releaseOffer(ctx, c.AccountID, call.Operator, c.ID, call.ProviderID, ev.At); err != nil {
				return err
			}
		}
		return d.learn(ctx, c, func(s *dialer.State) { s.RecordOutcome(false, ev.At.Sub(call.PlacedAt)) })
	}
	if err := d.learn(ctx, c, func(s *dialer.State) { s.RecordOutcome(true, ev.At.Sub(call.PlacedAt)) }); err != nil {
		return err
	}
	if call.Status == dialer.CallBridged {
		if err := d.Voice.Bridge(ctx, call, call.Operator); err != nil {
			d.log().WarnContext(ctx, "bridging a call failed", "call", call.ProviderID, "operator", call.Operator, "err", err)
		}
		return nil
	}
	if err := d.Jobs.Grace(ctx, GraceJob{AccountID: c.AccountID, CampaignID: c.ID, ProviderID: call.ProviderID}, dialer.Grace); err != nil {
		return err
	}
	_, err = d.bridgeWaiting(ctx, c)
	return err
}

// applyEvent applies f to the call of an event (see changeCall) and, when
// it changed the call, returns the call and its campaign. ok is false when
// there is nothing more to do: the event was applied already, or concerns
// a call Parley never placed.
func (d *Dialer) applyEvent(ctx context.Context, accountID, campaignID, providerID string, f func(*dialer.Call) bool) (call dialer.Call, c dialer.Campaign, ok bool, err error) {
	call, changed, err := d.changeCall(ctx, accountID, campaignID, providerID, f)
	if err != nil || !changed {
		return call, c, false, ignoreUnknown(err)
	}
	c, err = d.Store.PhoneCampaign(ctx, accountID, campaignID)
	return call, c, err == nil, err
}

// ignoreUnknown drops ENOTFOUND: an event about a call Parley never
// placed (or of a deleted campaign) has nothing to change.
func ignoreUnknown(err error) error {
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	return err
}

// finish applies the rules to the entry of a call that ended.
func (d *Dialer) finish(ctx context.Context, c dialer.Campaign, call dialer.Call, o dialer.CallOutcome) error {
	e, err := d.Store.Entry(ctx, c.AccountID, c.ID, call.ContactID)
	if err != nil {
		return ignoreUnknown(err)
	}
	return d.afterCall(ctx, c, e, call.ProviderID, o)
}

// bridgeWaiting bridges the calls waiting for an operator, oldest first,
// to the group's Online operators, and says how many it bridged.
func (d *Dialer) bridgeWaiting(ctx context.Context, c dialer.Campaign) (int, error) {
	calls, err := d.Store.OpenPhoneCalls(ctx, c.AccountID, c.ID)
	if err != nil {
		return 0, err
	}
	now := d.Clock.Now()
	bridged := 0
	for _, call := range oldestWaiting(calls) {
		ok, err := d.bridge(ctx, c, call, now)
		if err != nil || !ok {
			return bridged, err
		}
		bridged++
	}
	return bridged, nil
}

func oldestWaiting(calls []dialer.Call) []dialer.Call {
	var out []dialer.Call
	for _, c := range calls {
		if c.Status == dialer.CallWaiting {
			out = append(out, c)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].AnsweredAt.Before(out[j-1].AnsweredAt); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// bridge takes a free operator for a waiting call and bridges it. ok is
// false when no operator is free.
func (d *Dialer) bridge(ctx context.Context, c dialer.Campaign, call dialer.Call, now time.Time) (ok bool, err error) {
	for range maxConflicts {
		agents, err := d.groupAgents(ctx, c)
		if err != nil {
			return false, err
		}
		var free *dialer.Agent
		for i := range agents {
			if agents[i].State == dialer.Online && (free == nil || agents[i].Since.Before(free.Since)) {
				free = &agents[i]
			}
		}
		if free == nil {
			return false, nil
		}
		taken := *free
		taken.State, taken.Since, taken.CallID, taken.CampaignID = dialer.Busy, now, call.ProviderID, c.ID
		if _, err := d.Store.PutPhoneAgent(ctx, taken); parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		} else if err != nil {
			return false, err
		}
		_, changed, err := d.changeCall(ctx, c.AccountID, c.ID, call.ProviderID, func(k *dialer.Call) bool {
			if k.Status != dialer.CallWaiting {
				return false
			}
			k.Status, k.BridgedAt, k.Operator = dialer.CallBridged, now, taken.ID
			return true
		})
		if err != nil {
			return false, err
		}
		if !changed {
			// The call ended or was taken meanwhile: free the operator again.
			return true, d.releaseAgent(ctx, c.AccountID, taken.ID, call.ProviderID, now)
		}
		if err := d.Voice.Bridge(ctx, call, taken.ID); err != nil {
			d.log().WarnContext(ctx, "bridging a call failed", "call", call.ProviderID, "operator", taken.ID, "err", err)
		}
		return true, d.learn(ctx, c, func(s *dialer.State) { s.RecordLive(now, false, d.DetectorHumanLoss) })
	}
	return false, parley.Errorf(parley.ECONFLICT, "the operators of %s keep changing", c.OperatorGroup)
}

// releaseAgent puts an operator who was taken for call back Online (or
// Offline when they asked to leave).
func (d *Dialer) releaseAgent(ctx context.Context, accountID, agentID, providerID string, now time.Time) error {
	return d.changeAgent(ctx, accountID, agentID, func(a *dialer.Agent) bool {
		if a.CallID != providerID {
			return false
		}
		a.State, a.Since, a.CallID, a.CampaignID, a.Offer = dialer.Online, now, "", "", nil
		if a.Leaving {
			a.State, a.Leaving = dialer.Offline, false
		}
		return true
	})
}

// changeAgent applies f to a stored operator on their revision.
func (d *Dialer) changeAgent(ctx context.Context, accountID, agentID string, f func(*dialer.Agent) bool) error {
	for range maxConflicts {
		a, err := d.agent(ctx, accountID, agentID)
		if err != nil {
			return err
		}
		if !f(&a) {
			return nil
		}
		_, err = d.Store.PutPhoneAgent(ctx, a)
		if parley.ErrorCode(err) != parley.ECONFLICT {
			return err
		}
	}
	return parley.Errorf(parley.ECONFLICT, "operator %s keeps changing", agentID)
}

func (d *Dialer) agent(ctx context.Context, accountID, agentID string) (dialer.Agent, error) {
	all, err := d.Store.PhoneAgents(ctx, accountID)
	if err != nil {
		return dialer.Agent{}, err
	}
	for _, a := range all {
		if a.ID == agentID {
			return a, nil
		}
	}
	return dialer.Agent{}, parley.Errorf(parley.ENOTFOUND, "account %s has no operator %q", accountID, agentID)
}

// Grace ends a live-answered call still waiting for an operator once
// Grace has passed: it gets the recorded message and counts as abandoned.
func (d *Dialer) Grace(ctx context.Context, j GraceJob) error {
	return d.expire(ctx, j.AccountID, j.CampaignID, j.ProviderID)
}

func (d *Dialer) expire(ctx context.Context, accountID, campaignID, providerID string) error {
	now := d.Clock.Now()
	call, c, ok, err := d.applyEvent(ctx, accountID, campaignID, providerID, func(c *dialer.Call) bool {
		if c.Status != dialer.CallWaiting || now.Before(c.AnsweredAt.Add(dialer.Grace)) {
			return false
		}
		c.Status, c.Abandoned, c.EndedAt = dialer.CallEnded, true, now
		return true
	})
	if !ok || err != nil {
		return err
	}
	if err := d.Voice.Abandon(ctx, call); err != nil {
		d.log().WarnContext(ctx, "playing the recorded message failed", "call", providerID, "err", err)
	}
	if err := d.finish(ctx, c, call, dialer.CallOutcome{At: now, Abandoned: true}); err != nil {
		return err
	}
	return d.learn(ctx, c, func(s *dialer.State) { s.RecordLive(now, true, d.DetectorHumanLoss) })
}

// Ended records the end of a call: unanswered (no answer, busy, failed),
// or hung up after it was answered. A bridged call's operator moves to
// wrap-up; the entry waits for their result. A repeated event changes
// nothing.
func (d *Dialer) Ended(ctx context.Context, ev Event, talk time.Duration) error {
	var before dialer.Call
	call, c, ok, err := d.applyEvent(ctx, ev.AccountID, ev.CampaignID, ev.ProviderID, func(c *dialer.Call) bool {
		if c.Status == dialer.CallEnded {
			return false
		}
		before = *c
		if c.Status == dialer.CallRinging {
			c.Answer = ev.Answer
		}
		if c.Status == dialer.CallWaiting {
			c.Abandoned = true // the person hung up before an operator came
		}
		c.Status, c.EndedAt = dialer.CallEnded, ev.At
		return true
	})
	if !ok || err != nil {
		return err
	}
	switch before.Status {
	case dialer.CallRinging:
		if err := d.finish(ctx, c, call, dialer.CallOutcome{At: ev.At}); err != nil {
			return err
		}
		if call.Operator != "" {
			if err := d.releaseOffer(ctx, c.AccountID, call.Operator, c.ID, call.ProviderID, ev.At); err != nil {
				return err
			}
		}
		return d.learn(ctx, c, func(s *dialer.State) { s.RecordOutcome(false, ev.At.Sub(call.PlacedAt)) })
	case dialer.CallWaiting:
		if err := d.finish(ctx, c, call, dialer.CallOutcome{At: ev.At, Abandoned: true}); err != nil {
			return err
		}
		return d.learn(ctx, c, func(s *dialer.State) { s.RecordLive(ev.At, true, d.DetectorHumanLoss) })
	}
	return d.changeAgent(ctx, c.AccountID, call.Operator, func(a *dialer.Agent) bool {
		if a.CallID != call.ProviderID || a.State != dialer.Busy {
			return false
		}
		a.State, a.Since = dialer.WrapUp, ev.At
		return true
	})
}

// WrapUp ends an operator's wrap-up of their last call with the result
// they give: the session is complete, the campaign's rules decide the
// contact's next call, and the operator is Online again (Offline when they
// asked to leave).
func (d *Dialer) WrapUp(ctx context.Context, accountID, agentID, result string) (dialer.Call, error) {
	return d.CompleteSession(ctx, accountID, agentID, result, nil)
}

// CompleteSession is WrapUp with the operator's answers to the campaign's
// call script, kept as the session's parameters.
func (d *Dialer) CompleteSession(ctx context.Context, accountID, agentID, result string, answers map[string]string) (dialer.Call, error) {
	a, err := d.agent(ctx, accountID, agentID)
	if err != nil {
		return dialer.Call{}, err
	}
	if a.State != dialer.WrapUp || a.CallID == "" {
		return dialer.Call{}, parley.Errorf(parley.ECONFLICT, "operator %s is %s, not wrapping up a call", agentID, a.State)
	}
	c, err := d.Store.PhoneCampaign(ctx, accountID, a.CampaignID)
	if err != nil {
		return dialer.Call{}, err
	}
	params, err := c.Script.Answers(answers)
	if err != nil {
		return dialer.Call{}, err
	}
	now := d.Clock.Now()
	wrapStart := a.Since
	call, changed, err := d.changeCall(ctx, accountID, a.CampaignID, a.CallID, func(c *dialer.Call) bool {
		if !c.WrappedAt.IsZero() {
			return false
		}
		c.Result, c.WrappedAt, c.Params = result, now, params
		return true
	})
	if err != nil {
		return dialer.Call{}, err
	}
	if changed {
		o := dialer.CallOutcome{At: now, Connected: true, Operator: agentID, Result: result}
		if err := d.finish(ctx, c, call, o); err != nil {
			return dialer.Call{}, err
		}
		if err := d.learn(ctx, c, func(s *dialer.State) { s.RecordHandled(call.Talk(), now.Sub(wrapStart)) }); err != nil {
			return dialer.Call{}, err
		}
	}
	if err := d.releaseAgent(ctx, accountID, agentID, call.ProviderID, now); err != nil {
		return dialer.Call{}, err
	}
	if err := d.bridgeGroup(ctx, accountID, c.OperatorGroup); err != nil {
		return dialer.Call{}, err
	}
	return call, nil
}

// SetState sets an operator's own state: online (ready for calls) or
// offline, in group. An operator on a call or wrapping it up who asks for
// offline leaves once their wrap-up ends.
func (d *Dialer) SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error) {
	if state != dialer.Online && state != dialer.Offline {
		return dialer.Agent{}, parley.FieldErrorf("state", "%q is not a state an operator sets; use online or offline (busy and wrap_up follow the calls)", state)
	}
	if state == dialer.Offline {
		// An offer not accepted yet goes back to the campaign.
		if a, err := d.agent(ctx, accountID, agentID); err == nil && a.Offer != nil && a.Offer.AcceptedAt.IsZero() {
			if _, err := d.Skip(ctx, accountID, agentID); err != nil {
				return dialer.Agent{}, err
			}
		}
	}
	now := d.Clock.Now()
	out, err := d.putAgent(ctx, accountID, agentID, func(a *dialer.Agent) (bool, error) {
		if group != "" {
			a.Group = group
		}
		if a.Group == "" {
			return false, parley.FieldErrorf("group", "name the operator group to take calls for")
		}
		switch {
		case a.State == dialer.Busy || a.State == dialer.WrapUp:
			a.Leaving = state == dialer.Offline
		case a.State != state:
			a.State, a.Since = state, now
		}
		return true, nil
	})
	if err != nil || out.State != dialer.Online {
		return out, err
	}
	return out, d.bridgeGroup(ctx, accountID, out.Group)
}

// bridgeGroup offers a newly free operator the calls waiting in the active
// campaigns of their group.
func (d *Dialer) bridgeGroup(ctx context.Context, accountID, group string) error {
	cs, err := d.Store.PhoneCampaigns(ctx, accountID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State == dialer.CampaignActive && c.OperatorGroup == group {
			if _, err := d.bridgeWaiting(ctx, c); err != nil {
				return fmt.Errorf("campaign %s: %w", c.ID, err)
			}
		}
	}
	return nil
}
