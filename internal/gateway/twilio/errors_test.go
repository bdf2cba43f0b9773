package twilio

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestDeliveryFailure(t *testing.T) {
	tests := []struct {
		code string
		want parley.FailKind
	}{
		{"30003", parley.FailPermanent}, // unreachable handset
		{"30004", parley.FailPermanent}, // blocked
		{"30005", parley.FailPermanent}, // unknown handset
		{"30006", parley.FailPermanent}, // landline
		{"30007", parley.FailPermanent}, // carrier filtering
		{"30001", parley.FailThrottled}, // queue overflow
		{"30022", parley.FailThrottled}, // 10DLC rate limit
		{"30002", parley.FailConfig},    // account suspended
		{"30034", parley.FailConfig},    // unregistered 10DLC sender
		{"30008", parley.FailTransient}, // unknown error
		{"30017", parley.FailTransient}, // carrier congestion
		{"21610", parley.FailPermanent}, // unsubscribed, also seen in callbacks
		{"39999", parley.FailTransient}, // not in the dictionary
		{"", parley.FailTransient},
	}
	for _, tt := range tests {
		if got := DeliveryFailure(tt.code); got != tt.want {
			t.Errorf("DeliveryFailure(%q) = %s, want %s", tt.code, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 9, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"12", 12 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999999999", 0}, // not an int: malformed
		{"86400", maxRetryAfter},
		{"Mon, 09 Mar 2026 14:31:00 GMT", time.Minute},
		{"Mon, 09 Mar 2026 14:00:00 GMT", 0},
		{"Tue, 10 Mar 2026 14:30:00 GMT", maxRetryAfter},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
