package lpreport

import (
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Transaction API bounds, as LivePerson sets them.
const (
	MaxTransactionWindow = 24 * time.Hour
	DefaultTransactions  = 100
	MaxTransactions      = 5000
	// TransactionVersion is the v query parameter of the transaction API
	// Parley serves: version 2.0, paged by offset and limit.
	TransactionVersion = "2.0"
)

// MessageStatuses are the values of the messagestatus filter.
var MessageStatuses = []string{"FAILED", "SKIPPED", "SENT", "DELIVERED", "READ", "RESPONDED"}

// TransactionFilters narrow a transaction request.
type TransactionFilters struct {
	Channels       []string `json:"channels,omitempty"`
	Skills         []string `json:"skills,omitempty"`
	MessageStatus  []string `json:"messagestatus,omitempty"`
	TransactionIDs []string `json:"transactionids,omitempty"`
}

// TransactionRequest is the body of a version 2.0 transaction request.
type TransactionRequest struct {
	Offset  int                `json:"offset"`
	Limit   int                `json:"limit"`
	Filters TransactionFilters `json:"filters"`
}

// ParseTransactionRequest reads a transaction request's body: offset from
// 0, limit 1–5000 (100 when absent), filters in LivePerson's vocabulary.
func ParseTransactionRequest(body []byte) (TransactionRequest, error) {
	req := TransactionRequest{Limit: DefaultTransactions}
	if err := decodeStrict(body, &req); err != nil {
		return TransactionRequest{}, err
	}
	f := req.Filters
	switch {
	case req.Offset < 0:
		return TransactionRequest{}, parley.FieldErrorf("offset", "offset must be 0 or more, not %d", req.Offset)
	case req.Limit < 1 || req.Limit > MaxTransactions:
		return TransactionRequest{}, parley.FieldErrorf("limit", "limit must be 1 to %d, not %d", MaxTransactions, req.Limit)
	}
	if err := checkLists(map[string][]string{"filters.channels": f.Channels, "filters.skills": f.Skills,
		"filters.messagestatus": f.MessageStatus, "filters.transactionids": f.TransactionIDs}); err != nil {
		return TransactionRequest{}, err
	}
	for _, st := range f.MessageStatus {
		if !slices.Contains(MessageStatuses, strings.ToUpper(st)) {
			return TransactionRequest{}, parley.FieldErrorf("filters.messagestatus", "message status %q is not one of %s", st, strings.Join(MessageStatuses, ", "))
		}
	}
	return req, checkChannels(f.Channels)
}

// Matches reports whether r, as a transaction, passes f.
func (f TransactionFilters) Matches(r parley.Recipient) bool {
	return matchFold(f.Channels, LPChannel(r.Channel)) && (len(f.Skills) == 0 || slices.Contains(f.Skills, r.Skill)) &&
		matchFold(f.MessageStatus, MessageStatus(r)) && (len(f.TransactionIDs) == 0 || slices.Contains(f.TransactionIDs, TransactionID(r)))
}

// matchFold reports whether v is one of set, ignoring case; an empty set
// matches everything.
func matchFold(set []string, v string) bool {
	return len(set) == 0 || slices.ContainsFunc(set, func(s string) bool { return strings.EqualFold(s, v) })
}

// TransactionID is a recipient's transaction id: its campaign and its id
// within it, which together name it in the account.
func TransactionID(r parley.Recipient) string { return r.CampaignID + ":" + r.ID }

// Transaction is one row of the transaction API: a recipient and when it
// first reached each step (null when it has not).
type Transaction struct {
	Channel                  string  `json:"channel"`
	Skill                    string  `json:"skill"`
	TransactionID            string  `json:"transactionId"`
	AttemptedTime            *string `json:"attemptedTime"`
	CancelledTime            *string `json:"cancelledTime"`
	ConversationID           *string `json:"conversationId"`
	ConversationsClosedTime  *string `json:"conversationsClosedTime"`
	ConversationsCreatedTime *string `json:"conversationsCreatedTime"`
	ConsumerID               *string `json:"consumerId"`
	DeliveredTime            *string `json:"deliveredTime"`
	EligibleTime             *string `json:"eligibleTime"`
	ErrorCode                *string `json:"errorCode"`
	ErrorMessage             *string `json:"errorMessage"`
	ErrorSource              *string `json:"errorSource"`
	FailedTime               *string `json:"failedTime"`
	InviteTime               *string `json:"inviteTime"`
	OptInsTime               *string `json:"optInsTime"`
	OptOutsTime              *string `json:"optOutsTime"`
	ProactiveCampaignID      string  `json:"proactiveCampaignId"`
	ReadTime                 *string `json:"readTime"`
	SentTime                 *string `json:"sentTime"`
	InitialSkill             string  `json:"initialSkill"`
	InitialChannel           string  `json:"initialChannel"`
	HandOffID                string  `json:"handOffId"`
	SkippedTime              *string `json:"skippedTime"`
	IVRNumber                string  `json:"ivrNumber"`
	MessageStatus            string  `json:"messageStatus"`
}

// TransactionOf is r's row. c is r's campaign; conversationID the
// conversation r's reply opened ("" for none); handoffID the API handoff
// of a Connect to Messaging deflection ("" for a Proactive campaign). Parley sends a recipient
// its message when it sends it, so its invite time is its sent time; it
// keeps no opt-in, so optInsTime is null.
func TransactionOf(c parley.Campaign, r parley.Recipient, conversationID, handoffID string) Transaction {
	t := r.Timeline
	at := func(s parley.Step) *string {
		if v := t.At(s); !v.IsZero() {
			f := v.UTC().Format("2006-01-02T15:04:05.000Z")
			return &f
		}
		return nil
	}
	tx := Transaction{
		Channel: LPChannel(r.Channel), Skill: r.Skill, TransactionID: TransactionID(r),
		AttemptedTime: at(parley.StepAttempted), CancelledTime: at(parley.StepCancelled), ConversationID: orNull(conversationID),
		ConversationsClosedTime: at(parley.StepConversationClosed), ConversationsCreatedTime: at(parley.StepConversationCreated),
		ConsumerID: orNull(r.ConsumerID), DeliveredTime: at(parley.StepDelivered), EligibleTime: at(parley.StepEligible),
		FailedTime: at(parley.StepFailed), InviteTime: at(parley.StepSent), OptOutsTime: at(parley.StepOptedOut),
		ProactiveCampaignID: c.ID, ReadTime: at(parley.StepRead), SentTime: at(parley.StepSent),
		InitialSkill: c.Skill, InitialChannel: LPChannel(c.Channel), HandOffID: handoffID, SkippedTime: at(parley.StepSkipped),
		MessageStatus: MessageStatus(r),
	}
	if r.ErrorMessage != "" {
		tx.ErrorCode, tx.ErrorMessage, tx.ErrorSource = orNull(r.ErrorMessage), orNull(r.ErrorMessage), orNull(r.ErrorSource())
	}
	return tx
}

// TransactionPage is the page object of a version 2.0 answer.
type TransactionPage struct {
	Count  int `json:"count"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// TransactionMetadata echoes a transaction request.
type TransactionMetadata struct {
	AccountID          string             `json:"accountId"`
	App                string             `json:"app"`
	AttemptedStartTime int64              `json:"attemptedStartTime"`
	AttemptedEndTime   int64              `json:"attemptedEndTime"`
	Filters            TransactionFilters `json:"filters"`
}

// Transactions is the answer of POST …/app/{app}/transactions/?v=2.0.
type Transactions struct {
	RequestMetadata TransactionMetadata `json:"requestMetadata"`
	Page            TransactionPage     `json:"page"`
	Transactions    []Transaction       `json:"transactions"`
}
