package parley

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in package httpapi.
const (
	EINVALID       = "invalid"            // the request is malformed or fails validation
	ENOTFOUND      = "not_found"          // the addressed thing does not exist
	ECONFLICT      = "conflict"           // the thing is not in the state the change requires
	EUNPROCESSABLE = "unprocessable"      // well-formed, but it cannot be done as asked (an Idempotency-Key reused for another request)
	EUNAUTHORIZED  = "unauthorized"       // no or bad credentials
	EFORBIDDEN     = "forbidden"          // credentials do not allow this
	ETOOMANY       = "too_many_requests"  // a rate limit was exceeded
	ETOOLARGE      = "too_large"          // the request is larger than the route takes
	EUNSUPPORTED   = "unsupported_media"  // the body is not of a media type the route takes
	ENOTALLOWED    = "method_not_allowed" // the route takes no request of this method
	EUNAVAILABLE   = "unavailable"        // a dependency failed; retrying may succeed
	EINTERNAL      = "internal"           // a bug
)

// Error is the application error. Code is machine-readable, Message is safe to
// show to API callers, Field names the offending input (a JSON path such as
// "consumers[3].consumerContent.sms", or a CSV line) when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
	// RetryAfter, when set, is how long the caller should wait before
	// trying again (an ETOOMANY error's Retry-After).
	RetryAfter time.Duration
}

// TooMany is the ETOOMANY error that asks the caller to wait.
func TooMany(wait time.Duration, format string, args ...any) *Error {
	return &Error{Code: ETOOMANY, Message: fmt.Sprintf(format, args...), RetryAfter: wait}
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Field != "" {
		s = e.Code + ": " + e.Field + ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message that wraps err.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or a generic text for other errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the offending field of the first *Error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
