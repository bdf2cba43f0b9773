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

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Providers whose reports Apply reads.
const (
	Twilio   = "twilio"
	WhatsApp = "whatsapp"
	CM       = "cm"
	Sandbox  = "sandbox"
)

// Service applies delivery reports.
type Service struct {
	Store store.Recipients
	Clock parley.Clock
}

// Update is one delivery report.
type Update struct {
	// AccountID is the account whose webhook received the report.
	AccountID string
	// CampaignID and RecipientID name the recipient the message was sent
	// to, as the provider echoed them back (parley.ParseCallbackRef).
	CampaignID  string
	RecipientID string
	// Provider is Twilio, WhatsApp, CM or Sandbox.
	Provider string
	// ProviderMessageID is the id the provider gave the message when it
	// took it (Twilio's MessageSid, WhatsApp's wamid, CM's reference).
	ProviderMessageID string
	// Status is the provider's own word for the status: Twilio's
	// MessageStatus, WhatsApp's status, CM's status name (cm.Status's
	// String). ProviderStatus maps it.
	Status string
	// ErrorCode is the provider's error code of a failure, "" otherwise.
	ErrorCode string
	// At is when the status happened; the service's clock when zero.
	At time.Time
}

// Ref returns the recipient the report names.
func (u Update) Ref() parley.Ref {
	return parley.Ref{AccountID: u.AccountID, CampaignID: u.CampaignID, RecipientID: u.RecipientID}
}

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
}

// ProviderStatus maps a provider's status word to the recipient status it
// means; ok is false for words that say nothing about delivery (Twilio's
// "receiving", WhatsApp's "played", anything unknown).
//
// Twilio: accepted, scheduled, queued, sending and sent all mean the
// provider has the message (SENT); delivered, undelivered (the carrier
// refused it), failed (it never left Twilio) and read map to themselves;
// canceled (a scheduled message withdrawn) is FAILED. WhatsApp: sent,
// delivered, read, failed. CM: accepted is SENT, rejected (CM or the
// operator refused it) is FAILED, failed (not delivered to the handset) is
// UNDELIVERED, delivered and read map to themselves. The sandbox speaks
// Twilio's words.
func ProviderStatus(provider, status string) (parley.RecipientStatus, bool) {
	s := strings.ToLower(strings.TrimSpace(status))
	var m map[string]parley.RecipientStatus
	switch strings.ToLower(provider) {
	case Twilio, Sandbox:
		m = twilioStatuses
	case WhatsApp:
		m = whatsAppStatuses
	case CM:
		m = cmStatuses
	}
	st, ok := m[s]
	return st, ok
}

var (
	twilioStatuses = map[string]parley.RecipientStatus{
		"accepted": parley.StatusSent, "scheduled": parley.StatusSent, "queued": parley.StatusSent,
		"sending": parley.StatusSent, "sent": parley.StatusSent,
		"delivered": parley.StatusDelivered, "read": parley.StatusRead,
		"undelivered": parley.StatusUndelivered, "failed": parley.StatusFailed, "canceled": parley.StatusFailed,
	}
	whatsAppStatuses = map[string]parley.RecipientStatus{
		"sent": parley.StatusSent, "delivered": parley.StatusDelivered, "read": parley.StatusRead,
		"failed": parley.StatusFailed,
	}
	cmStatuses = map[string]parley.RecipientStatus{
		"accepted": parley.StatusSent, "rejected": parley.StatusFailed, "delivered": parley.StatusDelivered,
		"failed": parley.StatusUndelivered, "read": parley.StatusRead,
	}
)

// Apply records a delivery report. The recipient is the one u names; it
// moves to the reported status only if it carries u.ProviderMessageID and
// that status ranks above its own (parley.Advances), with the report's
// error code, so a report that arrives late or twice, or names a message
// the recipient does not carry (a stale or forged reference), changes
// nothing and is not an error. A report with a status ProviderStatus does
// not know is ignored.
//
// It is EINVALID without an account, a recipient reference or a message
// id, ENOTFOUND when the account has no such recipient, and EUNAVAILABLE
// while the recipient is being sent and its message id is not recorded
// yet (the dispatcher records it a moment after the provider takes the
// message, so a provider that retries will find it).
func (s *Service) Apply(ctx context.Context, u Update) (Result, error) {
	switch {
	case u.AccountID == "":
		return Result{}, parley.FieldErrorf("accountId", "a delivery report needs the account")
	case u.CampaignID == "" || u.RecipientID == "":
		return Result{}, parley.FieldErrorf("ref", "a delivery report needs the recipient reference the provider echoes back")
	case strings.TrimSpace(u.ProviderMessageID) == "":
		return Result{}, parley.FieldErrorf("providerMessageId", "a delivery report needs the provider's message id")
	}
	ref := u.Ref()
	r, err := s.Store.Recipient(ctx, ref)
	if err != nil {
		return Result{}, fmt.Errorf("read recipient %s of %s for %s message %s: %w", ref.RecipientID, ref.CampaignID, u.Provider, u.ProviderMessageID, err)
	}
	res := Result{Ref: ref, Status: r.Status, Matched: r.ProviderMessageID == u.ProviderMessageID}
	if r.Status == parley.StatusSending && !res.Matched {
		return res, parley.Errorf(parley.EUNAVAILABLE, "recipient %s of %s is being sent; %s message %s is not recorded yet, retry",
			ref.RecipientID, ref.CampaignID, u.Provider, u.ProviderMessageID)
	}
	to, ok := ProviderStatus(u.Provider, u.Status)
	if !ok || !res.Matched || !parley.Advances(r.Status, to) {
		// An unknown word, a message the recipient does not carry, or a
		// report that would move it backwards.
		return res, nil
	}
	at := u.At
	if at.IsZero() {
		at = s.Clock.Now()
	}
	change := parley.RecipientChange{From: parley.AdvancesFrom(to), Status: to, At: at}
	if to == parley.StatusFailed || to == parley.StatusUndelivered {
		change.ErrorMessage = u.ErrorCode
	}
	r, err = s.Store.UpdateRecipient(ctx, ref, change)
	switch parley.ErrorCode(err) {
	case "":
		return Result{Ref: ref, Status: r.Status, Matched: true, Applied: true}, nil
	case parley.ECONFLICT:
		// A newer report won the race.
		return Result{Ref: ref, Status: r.Status, Matched: true}, nil
	}
	return Result{}, fmt.Errorf("record %s of recipient %s of %s: %w", to, ref.RecipientID, ref.CampaignID, err)
}
