package lpreport

import "github.com/parleyhq/parley/internal/parley"

// MessageStatus is a recipient's furthest step in LivePerson's
// messagestatus vocabulary: RESPONDED, READ, DELIVERED, SENT, FAILED or
// SKIPPED; ATTEMPTED while it waits to be sent.
func MessageStatus(r parley.Recipient) string {
	t := r.Timeline
	switch {
	case !t.Responded.IsZero() || !t.ConversationCreated.IsZero():
		return "RESPONDED"
	case !t.Read.IsZero():
		return "READ"
	case !t.Failed.IsZero():
		return "FAILED"
	case !t.Delivered.IsZero():
		return "DELIVERED"
	case !t.Sent.IsZero():
		return "SENT"
	case !t.Skipped.IsZero() || !t.Cancelled.IsZero():
		return "SKIPPED"
	}
	return "ATTEMPTED"
}

// Consumer is one row of a Proactive campaign's consumersReport.
type Consumer struct {
	ID             string  `json:"id"`
	ErrorCode      *string `json:"errorCode"`
	ErrorMessage   *string `json:"errorMessage"`
	ErrorSource    *string `json:"errorSource"`
	Status         string  `json:"status"`
	ConsumerID     string  `json:"consumerId"`
	ConversationID *string `json:"conversationId"`
}

// ConsumerOf is r's consumersReport row; conversationID is the
// conversation its reply opened ("" for none).
func ConsumerOf(r parley.Recipient, conversationID string) Consumer {
	c := Consumer{ID: r.ID, Status: MessageStatus(r), ConsumerID: r.ConsumerID, ConversationID: orNull(conversationID)}
	c.ErrorCode, c.ErrorMessage, c.ErrorSource = errorOf(r)
	return c
}

// errorOf is r's errorCode, errorMessage and errorSource, all null while r
// has no error. Parley's error is a code, which is also its message.
func errorOf(r parley.Recipient) (code, message, source *string) {
	if r.ErrorMessage == "" {
		return nil, nil, nil
	}
	return orNull(r.ErrorMessage), orNull(r.ErrorMessage), orNull(r.ErrorSource())
}

// Page is an offset page as LivePerson's campaign report answers it: -1
// where there is no previous or next page.
type Page struct {
	Count          int `json:"count"`
	PreviousOffset int `json:"previousOffset"`
	CurrentOffset  int `json:"currentOffset"`
	NextOffset     int `json:"nextOffset"`
}

// CampaignMetadata echoes a campaign report's request.
type CampaignMetadata struct {
	AccountID           string `json:"accountId"`
	App                 string `json:"app"`
	ProactiveCampaignID string `json:"proactiveCampaignId"`
}

// CampaignReport is the answer of GET …/app/prmsg/campaigns/{id}/.
type CampaignReport struct {
	RequestMetadata CampaignMetadata `json:"requestMetadata"`
	Page            Page             `json:"page"`
	ConsumersReport []Consumer       `json:"consumersReport"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
