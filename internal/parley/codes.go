package parley

// Per-recipient error codes: why a consumer was not accepted or not sent
// to. LivePerson's names where it has one.
const (
	CodeInvalidNumber = "INVALID_NUMBER"
	// CodeAmbiguousNumber: a number written without its country code that
	// is valid only by reading an area code, or a group in parentheses, as
	// one; with a default country it would be read as a national number.
	CodeAmbiguousNumber = "AMBIGUOUS_NUMBER"
	CodeDuplicateNumber = "DUPLICATE_NUMBER"
	CodeMissingVariable = "MISSING_VARIABLE" // rendered as MISSING_VARIABLE=<n>
	// CodeNoWindow: the number's zones never share an open delivery window
	// (before the campaign's end, when it has one).
	CodeNoWindow = "NO_DELIVERY_WINDOW"
	// CodeUnknownZone: no time zone is known for the number, so no local
	// hour can be guaranteed.
	CodeUnknownZone = "UNKNOWN_TIMEZONE"
	// CodeTooLong: the message with its opt-out text exceeds the SMS limit.
	CodeTooLong = "MESSAGE_TOO_LONG"
	// CodeCancelled: the campaign was cancelled before the recipient was sent.
	CodeCancelled = "CAMPAIGN_CANCELLED"
	// CodeOutcomeUnknown: see StatusUnknown.
	CodeOutcomeUnknown = "SEND_OUTCOME_UNKNOWN"
	// CodeOptedOut: the consumer is on the account's opt-out list for the
	// channel; the recipient is SKIPPED and never sent.
	CodeOptedOut = "OPTED_OUT"
	// CodeInvalidCharacter: a consumer's value carries a character no
	// message may (a control character or a bidirectional override).
	CodeInvalidCharacter = "INVALID_CHARACTER"
	// CodeDailyLimit: the account's campaigns took their daily recipient
	// limit on the channel today (UTC); the consumer is refused.
	CodeDailyLimit = "DAILY_LIMIT_REACHED"
)
