// Package receipts applies providers' delivery reports to recipients. A
// report names its recipient by the reference the provider echoes back
// (parley.Message.CallbackRef) and the provider's message id, which must be
// the one the recipient carries; the recipient moves forward only, by the
// ranking of parley.Advances, so callbacks that arrive late or twice never
// undo a newer status. The campaign's counters are counts of its
// recipients' statuses, so they follow.
package receipts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/store"
)

// Service applies delivery reports.
type Service struct {
	Store store.Recipients
	Clock parley.Clock
	// Settle is how long a report waits, at most, for the dispatcher to
	// record the message it reports on, when its recipient is still being
	// sent: the dispatcher records the messages of a claim group together,
	// up to a second after the first of them left (dispatch.ClaimAhead).
	// Zero does not wait.
	Settle time.Duration
}

// DefaultSettle is the Settle of a deployed Service: the span of a claim
// group, and as long again for the write.
const DefaultSettle = 2 * time.Second

// settleStep is how long a report waiting to settle waits between reads.
const settleStep = 250 * time.Millisecond

// Update is one delivery report, its status already mapped from the
// provider's word by the provider (package gateway's providers).
type Update = gateway.StatusUpdate

// Result says what Apply did.
type Result struct {
	Ref parley.Ref
	// Status is the recipient's status after the report.
	Status parley.RecipientStatus
	// Matched says whether the recipient carries the reported message; a
	// report that does not match changes nothing.
	Matched bool
	// Applied says whether the report moved the recipient.
	Applied bool
	// Awaited says that the report is of SENT, and its recipient is being
	// sent: the dispatcher records SENT itself, with the message's id.
	Awaited bool
}

// Apply records a delivery report in one conditional write (a report of
// SENT, which mostly repeats the dispatcher's own record, is read first).
// The recipient is the one u names; it moves to the reported status only if it carries u.ProviderMessageID and
// that status ranks above its own (parley.Advances), with the report's
// error code, so a report that arrives late or twice, or names a message
// the recipient does not carry (a stale or forged reference), changes
// nothing and is not an error. A report without a status (a word that says
// nothing about delivery) is ignored.
//
// It is EINVALID without an account, a recipient reference or a message
// id, ENOTFOUND when the account has no such recipient, and EUNAVAILABLE
// while the recipient is being sent and its message id is not recorded
// yet (the dispatcher records it a moment after the provider takes the
// message, so a provider that retries will find it).
func (s *Service) Apply(ctx context.Context, u Update) (Result, error) {
	res, err := s.apply(ctx, u)
	for waited := time.Duration(0); sending(res, err); waited += settleStep {
		if u.Status == parley.StatusSent {
			return Result{Ref: res.Ref, Status: res.Status, Awaited: true}, nil
		}
		if waited >= s.Settle || run.Sleep(ctx, settleStep) != nil {
			break
		}
		res, err = s.apply(ctx, u)
	}
	return res, err
}

// sending reports whether a report's result is that its recipient is still
// being sent, its message not recorded yet (see stale).
func sending(res Result, err error) bool {
	return parley.ErrorCode(err) == parley.EUNAVAILABLE && res.Status == parley.StatusSending && !res.Matched
}

// apply is Apply without the wait for a recipient being sent.
func (s *Service) apply(ctx context.Context, u Update) (Result, error) {
	switch {
	case u.AccountID == "":
		return Result{}, parley.FieldErrorf("accountId", "a delivery report needs the account")
	case u.CampaignID == "" || u.RecipientID == "":
		return Result{}, parley.FieldErrorf("ref", "a delivery report needs the recipient reference the provider echoes back")
	case strings.TrimSpace(u.ProviderMessageID) == "":
		return Result{}, parley.FieldErrorf("providerMessageId", "a delivery report needs the provider's message id")
	}
	ref := u.Ref()
	to := u.Status
	if to == "" || to == parley.StatusSent {
		// A report that records nothing, or mostly repeats what the
		// dispatcher recorded itself: a read is cheaper than a write that
		// fails.
		r, err := s.Store.Recipient(ctx, ref)
		if err != nil {
			return Result{}, fmt.Errorf("read recipient %s of %s for %s message %s: %w", ref.RecipientID, ref.CampaignID, u.Provider, u.ProviderMessageID, err)
		}
		if res, err := s.stale(r, u); to == "" || !res.Matched || !parley.Advances(r.Status, to) || err != nil {
			return res, err
		}
	}
	at := u.At
	if at.IsZero() {
		at = s.Clock.Now()
	}
	// One conditional write: it applies only to the recipient that
	// carries the message and whose status the report advances; a failed
	// condition answers the stored recipient, which says why.
	change := parley.RecipientChange{From: parley.AdvancesFrom(to), Status: to, At: at, Carries: u.ProviderMessageID}
	if to == parley.StatusFailed || to == parley.StatusUndelivered {
		change.ErrorMessage = u.ErrorCode
	}
	r, err := s.Store.UpdateRecipient(ctx, ref, change)
	switch parley.ErrorCode(err) {
	case "":
		return Result{Ref: ref, Status: r.Status, Matched: true, Applied: true}, nil
	case parley.ECONFLICT:
		// A message the recipient does not carry, a report that would
		// move it backwards, or a newer report that won the race.
		return s.stale(r, u)
	}
	return Result{}, fmt.Errorf("record %s of recipient %s of %s: %w", to, ref.RecipientID, ref.CampaignID, err)
}

// stale is the result of report u on r, the stored recipient, when u does
// not move it: EUNAVAILABLE while r is being sent and does not carry u's
// message yet (the provider retries).
func (s *Service) stale(r parley.Recipient, u Update) (Result, error) {
	res := Result{Ref: u.Ref(), Status: r.Status, Matched: r.ProviderMessageID == u.ProviderMessageID}
	if r.Status == parley.StatusSending && !res.Matched {
		return res, parley.Errorf(parley.EUNAVAILABLE, "recipient %s of %s is being sent; %s message %s is not recorded yet, retry",
			r.ID, r.CampaignID, u.Provider, u.ProviderMessageID)
	}
	return res, nil
}
