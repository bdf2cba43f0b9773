package parley_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestSendErrorKeepsItsCause(t *testing.T) {
	tests := []struct {
		name  string
		cause error
		want  string
	}{
		{"no cause", nil, "twilio permanent error 21211: invalid To"},
		{"with cause", context.DeadlineExceeded, "twilio permanent error 21211: invalid To"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &parley.SendError{Provider: "twilio", Code: "21211", Reason: "invalid To", Kind: parley.FailPermanent, Err: tt.cause}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := errors.Unwrap(err); got != tt.cause {
				t.Errorf("Unwrap() = %v, want %v", got, tt.cause)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.cause)
			}
		})
	}
}
