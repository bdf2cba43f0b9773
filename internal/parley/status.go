package parley

// Statuses a provider reports after a message was handed to it. SENT and
// DELIVERED are declared with the other recipient statuses.
const (
	// StatusRead: the consumer opened the message (WhatsApp, RCS, CM's
	// channels other than SMS).
	StatusRead RecipientStatus = "READ"
	// StatusUndelivered: the provider took the message but the carrier or
	// the handset did not take it (Twilio's "undelivered", CM's "failed").
	StatusUndelivered RecipientStatus = "UNDELIVERED"
)

// Delivery ranks order the statuses a delivery report may set. Providers
// post status callbacks asynchronously and Twilio says outright that they
// may arrive out of order, so a report only ever moves a recipient to a
// higher rank:
//
//	UNKNOWN < SENT < FAILED = UNDELIVERED < DELIVERED < READ
//
// The rules behind it:
//   - A late "queued" or "sent" never undoes DELIVERED or READ.
//   - FAILED and UNDELIVERED are terminal for sending: nothing resends a
//     recipient once the provider gave up.
//   - A later DELIVERED or READ proves the consumer got the message after
//     all (a delayed carrier receipt, a read receipt), so it overrides a
//     failure; a failure never overrides DELIVERED or READ.
//   - FAILED and UNDELIVERED share a rank: the first one reported stands,
//     with its error code.
//   - UNKNOWN (the dispatcher could not tell whether the provider took the
//     message) ranks lowest: any report proves the provider had it.
//
// Statuses before a send (SCHEDULED, QUEUED, SENDING) and those that end a
// recipient without a send (SKIPPED, EXPIRED, CANCELLED) have no rank: a
// report never changes them.
func deliveryRank(s RecipientStatus) (int, bool) {
	switch s {
	case StatusUnknown:
		return 0, true
	case StatusSent:
		return 1, true
	case StatusFailed, StatusUndelivered:
		return 2, true
	case StatusDelivered:
		return 3, true
	case StatusRead:
		return 4, true
	}
	return 0, false
}

// IsDeliveryReport reports whether s is a status a provider's delivery
// report may set: SENT, DELIVERED, READ, UNDELIVERED or FAILED.
func IsDeliveryReport(s RecipientStatus) bool {
	rank, ok := deliveryRank(s)
	return ok && rank > 0
}

// Advances reports whether a delivery report of status to may replace a
// recipient's status from: both are ranked and to ranks higher.
func Advances(from, to RecipientStatus) bool {
	f, okFrom := deliveryRank(from)
	t, okTo := deliveryRank(to)
	return okFrom && okTo && t > 0 && t > f
}

// rankedStatuses are the statuses with a delivery rank.
var rankedStatuses = []RecipientStatus{StatusUnknown, StatusSent, StatusFailed, StatusUndelivered, StatusDelivered, StatusRead}

// AdvancesFrom lists the statuses a delivery report of to may replace: the
// From of the conditional change that records it. It is empty when to is
// not a delivery report.
func AdvancesFrom(to RecipientStatus) []RecipientStatus {
	var from []RecipientStatus
	for _, s := range rankedStatuses {
		if Advances(s, to) {
			from = append(from, s)
		}
	}
	return from
}
