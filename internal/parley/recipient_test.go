package parley

import (
	"strings"
	"testing"
)

func TestRecipientID(t *testing.T) {
	if RecipientID(1) != "000001" || RecipientID(100000) != "100000" || RecipientID(9) >= RecipientID(10) {
		t.Error("recipient ids must be fixed-width and sort like their numbers")
	}
}

func TestConsumerIDProblem(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"jane", true}, {"ananth", true}, {"user@example.com", true}, {"José #42", true},
		{strings.Repeat("é", MaxConsumerID), true},
		{"", false}, {" jane", false}, {"jane ", false}, {"ja\tne", false}, {"\x00", false}, {"\xff", false},
		{strings.Repeat("x", MaxConsumerID+1), false},
	}
	for _, tt := range tests {
		if why := ConsumerIDProblem(tt.id); (why == "") != tt.ok {
			t.Errorf("ConsumerIDProblem(%q) = %q, want ok %v", tt.id, why, tt.ok)
		}
	}
}

func FuzzPushTokenValidate(f *testing.F) {
	f.Add("jane", "fcm:APA91b-x_y.z~", "android")
	f.Add("", "a/b", "ios")
	f.Add("x", "é", "web")
	f.Fuzz(func(t *testing.T, consumer, token, platform string) {
		err := PushToken{ConsumerID: consumer, Token: token, Platform: platform}.Validate()
		if err == nil {
			if ConsumerIDProblem(consumer) != "" || token == "" || len(token) > MaxPushToken || strings.ContainsAny(token, "/?#% \n") {
				t.Fatalf("accepted consumer %q token %q", consumer, token)
			}
			return
		}
		if ErrorCode(err) != EINVALID || ErrorField(err) == "" {
			t.Fatalf("Validate = %v, want EINVALID naming a field", err)
		}
	})
}
