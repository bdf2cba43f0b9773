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
	// TransactionPageV1 is the rows on a version 1.0 page, which
	// LivePerson sizes itself (between 1 and 9999) and the client cannot
	// choose.
	TransactionPageV1 = 1000
)

// Versions of the transaction API, as its v query parameter names them:
// version 1.0 (LivePerson's original, and what a request without v asks
// for) pages by nextPage tokens; version 2.0 by offset and limit.
const (
	Version1 = "1.0"
	Version2 = "2.0"
)

// ParseVersion reads the transaction API's v query parameter.
func ParseVersion(v string) (string, error) {
	switch v {
	case "", Version1:
		return Version1, nil
	case Version2:
		return Version2, nil
	}
	return "", parley.FieldErrorf("v", "v must be %s or %s (%s when absent), not %q", Version1, Version2, Version1, v)
}

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
	switch {
	case req.Offset < 0:
		return TransactionRequest{}, parley.FieldErrorf("offset", "offset must be 0 or more, not %d", req.Offset)
	case req.Limit < 1 || req.Limit > MaxTransactions:
		return TransactionRequest{}, parley.FieldErrorf("limit", "limit must be 1 to %d, not %d", MaxTransactions, req.Limit)
	}
	return req, req.Filters.check("filters.")
}

// check refuses filters over LivePerson's bounds or outside its
// vocabulary; prefix is where the body holds them.
func (f TransactionFilters) check(prefix string) error {
	if err := checkLists(map[string][]string{prefix + "channels": f.Channels, prefix + "skills": f.Skills,
		prefix + "messagestatus": f.MessageStatus, prefix + "transactionids": f.TransactionIDs}); err != nil {
		return err
	}
	for _, st := range f.MessageStatus {
		if !slices.Contains(MessageStatuses, strings.ToUpper(st)) {
			return parley.FieldErrorf(prefix+"messagestatus", "message status %q is not one of %s", st, strings.Join(MessageStatuses, ", "))
		}
	}
	return checkChannels(f.Channels)
}

// TransactionRequestV1 is the body of a version 1.0 transaction request:
// channels and skills, at the top level as LivePerson's first example
// gives them or under filters as its second does, and the page to read.
type TransactionRequestV1 struct {
	Channels []string   `json:"channels,omitempty"`
	Skills   []string   `json:"skills,omitempty"`
	Filters  *V1Filters `json:"filters,omitempty"`
	Page     *V1Page    `json:"page,omitempty"`
}

// V1Filters are a version 1.0 request's filters.
type V1Filters struct {
	Channels []string `json:"channels,omitempty"`
	Skills   []string `json:"skills,omitempty"`
}

// V1Page names the page a version 1.0 request reads: the nextPage token
// of the previous answer.
type V1Page struct {
	NextPage string `json:"nextPage"`
}

// ParseTransactionRequestV1 reads a version 1.0 body: its filters, and
// its page token ("" for the first page) as it came (see
// Walk.ParsePageToken).
func ParseTransactionRequestV1(body []byte) (TransactionFilters, string, error) {
	var req TransactionRequestV1
	if err := decodeStrict(body, &req); err != nil {
		return TransactionFilters{}, "", err
	}
	f, prefix := TransactionFilters{Channels: req.Channels, Skills: req.Skills}, ""
	if req.Filters != nil {
		if len(req.Channels) > 0 || len(req.Skills) > 0 {
			return TransactionFilters{}, "", parley.FieldErrorf("filters", "give channels and skills at the top level or under filters, not both")
		}
		f, prefix = TransactionFilters{Channels: req.Filters.Channels, Skills: req.Filters.Skills}, "filters."
	}
	token := ""
	if req.Page != nil {
		if token = req.Page.NextPage; len(token) > MaxPageToken {
			return TransactionFilters{}, "", errToken("it is too long")
		}
	}
	return f, token, f.check(prefix)
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
	// MessageStatus is version 2.0's; a version 1.0 row has none.
	MessageStatus string `json:"messageStatus,omitempty"`
}

// TransactionOf is r's row. c is r's campaign, whose API handoff is its
// handOffId and whose IVR number (a Connect to Messaging deflection's) is
// its ivrNumber; conversationID is the conversation r's reply opened (""
// for none). Parley sends a recipient its message when it sends it, so its
// invite time is its sent time; it keeps no opt-in, so optInsTime is null.
func TransactionOf(c parley.Campaign, r parley.Recipient, conversationID string) Transaction {
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
		InitialSkill: c.Skill, InitialChannel: LPChannel(c.Channel), HandOffID: c.HandoffID, SkippedTime: at(parley.StepSkipped),
		IVRNumber: c.IVRNumber, MessageStatus: MessageStatus(r),
	}
	tx.ErrorCode, tx.ErrorMessage, tx.ErrorSource = errorOf(r)
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

// TokenPage is the page object of a version 1.0 answer: its rows, the
// token that reads it again and, when more rows follow, the token of the
// next page.
type TokenPage struct {
	Count       int    `json:"count"`
	CurrentPage string `json:"currentPage"`
	NextPage    string `json:"nextPage,omitempty"`
}

// TransactionsV1 is the answer of POST …/app/{app}/transactions/ (version
// 1.0).
type TransactionsV1 struct {
	RequestMetadata TransactionMetadata `json:"requestMetadata"`
	Page            TokenPage           `json:"page"`
	Transactions    []Transaction       `json:"transactions"`
}

// Transactions is the answer of POST …/app/{app}/transactions/?v=2.0.
type Transactions struct {
	RequestMetadata TransactionMetadata `json:"requestMetadata"`
	Page            TransactionPage     `json:"page"`
	Transactions    []Transaction       `json:"transactions"`
}
