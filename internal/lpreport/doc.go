// Package lpreport answers LivePerson's Outbound Reporting API over
// Parley's own lifecycle counters, so that a client written for
// LivePerson's reporting host only changes the host.
//
// What LivePerson documents, and what this package follows:
//
//   - Account analytics: GET …/api/account/{accountId}/app/{app}/analytics/
//     with app "prmsg" (Proactive Messaging) or "c2m" (Connect to
//     Messaging), and POST on the same path whose JSON body filters by
//     "channels", "skills", "handoffids" and "source" (all optional). Both
//     require attemptedStartTime and attemptedEndTime in the query, epoch
//     milliseconds; the interval may not exceed 60 days.
//   - Campaign analytics: GET …/app/prmsg/campaigns/{proactiveCampaignId}/analytics/.
//   - The answer is {"requestMetadata": {accountId, app, attemptedStartTime,
//     attemptedEndTime, filters}, "analytics": [rows]}, one row per
//     channel, skill and transactionday (a UTC day written MM-DD-YYYY),
//     counting attempted, eligible, skipped, sent, failed, delivered, read,
//     conversationscreated and conversationsclosed. Channels are spelled
//     "sms", "wa" and "inapp".
//   - Errors are {code, message} (LivePerson adds a requestTraceId) with
//     400 for a bad request, 401 for a missing or bad bearer token (an
//     AppJWT from the account's client credentials), 429 and 500.
//   - The transaction API (POST …/app/{app}/transactions/, interval ≤ 24
//     hours) answers one row per recipient with its lifecycle times, in two
//     versions. Version 1.0 (no v) filters by channels and skills and pages
//     by token: an answer's page is {count, currentPage, nextPage}, and the
//     next request sends {"page": {"nextPage": …}}. Version 2.0 (v=2.0)
//     takes offset, limit ≤ 5000 and filters channels, skills,
//     messagestatus and transactionids; its page is {count, offset, limit}
//     and its rows add messageStatus.
//
// Parley serves the account analytics (GET and POST), the campaign
// analytics, the campaign report (paged by offset and limit, which
// LivePerson's page object implies but does not document) and both
// versions of the transaction API, over one walk (Walk). LivePerson's
// version 1.0 body is given two ways (filters at the top level, or under
// filters beside page); both are read, and v=1.0 names it as v=2.0 names
// the other. Its page holds TransactionPageV1 rows (LivePerson sizes it
// itself), and its tokens are Parley's own (see Walk.ParsePageToken): one
// of LivePerson's is refused naming page.nextPage. The handoffids and
// source filters are echoed but do not narrow the rows: the counters are
// kept per campaign, skill and channel only. A transaction's id is its
// campaign's id and its own; its recipient is attempted when its campaign
// is accepted, so a transaction request reads the campaigns created in its
// window, and its handOffId and ivrNumber are those its campaign was taken
// in with.
//
// Where LivePerson is silent Parley chooses the same way: unknown body
// fields and query parameters are refused naming them, and counts are the
// first time each recipient reached each step (a redelivered status counts
// once). Unlike LivePerson, whose data is up to 20 minutes late, a step is
// counted as it happens.
package lpreport
