package c2m

import (
	"encoding/json"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// FuzzEligibilityRequest feeds arbitrary eligibility bodies to the
// request's checks: a request is valid or refused with 1000 or 1001 as
// EINVALID, never a panic or another answer.
func FuzzEligibilityRequest(f *testing.F) {
	f.Add([]byte(`{"consumerPhoneNumber":"+14259549855","handoffId":"H072047293477863","skill":"sales"}`))
	f.Add([]byte(`{"consumerPhoneNumber":"+14259549855","handoffId":"H1","skill":"s","sdes":[{"type":"ctmrinfo","info":{"cstatus":"VIP"}}],"templateVariables":{"1":"x"},"ivrNumber":"180000","consumerId":"ananth"}`))
	f.Add([]byte(`{"consumerPhoneNumber":"4259549855","skill":"s","handoffId":"H1","sdes":{"a":1}}`))
	f.Add([]byte(`{"consumerPhoneNumber":"+1425954985512345","skill":"s","handoffId":"H1","sdes":[1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req EligibilityRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		err := req.validate()
		if err == nil {
			return
		}
		code, ok := CodeOf(err)
		if !ok || (code != CodeInvalidRequest && code != CodeInvalidPhone) || parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("validate(%q) = %v (code %d), want 1000 or 1001", body, err, code)
		}
	})
}
