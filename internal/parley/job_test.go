package parley

import (
	"strings"
	"testing"
)

func TestJobKinds(t *testing.T) {
	fan := FanoutJob{AccountID: "acct", CampaignID: "camp", After: 2000}
	tests := []struct {
		body string
		kind JobKind
	}{
		{string(Ref{AccountID: "a", CampaignID: "c", RecipientID: "000001"}.Encode()), JobSend},
		{`{"a":"a","c":"c","r":"000001"}`, JobSend}, // a job queued before kinds existed
		{string(fan.Encode()), JobFanout},
		{`not a job`, JobSend},
		{`{"k":"other"}`, "other"},
	}
	for _, tt := range tests {
		if got := KindOf([]byte(tt.body)); got != tt.kind {
			t.Errorf("KindOf(%s) = %q, want %q", tt.body, got, tt.kind)
		}
	}
	got, err := DecodeFanoutJob(fan.Encode())
	if err != nil || got != fan {
		t.Fatalf("DecodeFanoutJob(Encode(%v)) = %v, %v", fan, got, err)
	}
	if _, err := DecodeJob(fan.Encode()); ErrorCode(err) != EINVALID {
		t.Errorf("a fan-out job decodes as a send job: %v", err)
	}
	for _, body := range []string{"", "{", `{"a":"a","c":"c","r":"000001"}`, `{"k":"fanout","a":"a"}`, `{"k":"fanout","a":"a","c":"c","n":-1}`, `{"k":"fanout","a":"a","c":"c","n":"1"}`} {
		if _, err := DecodeFanoutJob([]byte(body)); ErrorCode(err) != EINVALID {
			t.Errorf("DecodeFanoutJob(%q) = %v, want EINVALID", body, err)
		}
	}
}

func FuzzDecodeFanoutJob(f *testing.F) {
	f.Add([]byte(`{"k":"fanout","a":"acct","c":"camp","n":2000}`))
	f.Add([]byte(`{"a":"acct","c":"camp","r":"000001"}`))
	f.Add([]byte(`{"k":"fanout","n":1e400}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		kind := KindOf(body)
		j, err := DecodeFanoutJob(body)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("DecodeFanoutJob(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		if kind != JobFanout {
			t.Fatalf("%q decodes as a fan-out job but its kind is %q", body, kind)
		}
		again, err := DecodeFanoutJob(j.Encode())
		if err != nil || again != j || KindOf(j.Encode()) != JobFanout {
			t.Fatalf("re-encoding %v gave %v, %v", j, again, err)
		}
	})
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
