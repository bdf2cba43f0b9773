package queue

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestJobKinds(t *testing.T) {
	fan := FanoutJob{AccountID: "acct", CampaignID: "camp", After: 2000}
	tests := []struct {
		body string
		kind JobKind
	}{
		{string(SendJob(parley.Ref{AccountID: "a", CampaignID: "c", RecipientID: "000001"})), JobSend},
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
	if _, err := DecodeSendJob(fan.Encode()); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("a fan-out job decodes as a send job: %v", err)
	}
	for _, body := range []string{"", "{", `{"a":"a","c":"c","r":"000001"}`, `{"k":"fanout","a":"a"}`, `{"k":"fanout","a":"a","c":"c","n":-1}`, `{"k":"fanout","a":"a","c":"c","n":"1"}`} {
		if _, err := DecodeFanoutJob([]byte(body)); parley.ErrorCode(err) != parley.EINVALID {
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
			if parley.ErrorCode(err) != parley.EINVALID {
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

func TestJobRoundTrip(t *testing.T) {
	ref := parley.Ref{AccountID: "acct", CampaignID: "camp", RecipientID: parley.RecipientID(7)}
	got, err := DecodeSendJob(SendJob(ref))
	if err != nil || got != ref {
		t.Fatalf("DecodeSendJob(SendJob(%v)) = %v, %v", ref, got, err)
	}
	for _, body := range []string{"", "{", "null", `{"a":"x","c":"y"}`, `{"a":1,"c":"y","r":"z"}`} {
		if _, err := DecodeSendJob([]byte(body)); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("DecodeSendJob(%q) = %v, want EINVALID", body, err)
		}
	}
}

func FuzzDecodeSendJob(f *testing.F) {
	f.Add([]byte(`{"a":"acct","c":"camp","r":"000001"}`))
	f.Add([]byte(`{"a":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ref, err := DecodeSendJob(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("DecodeSendJob(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		again, err := DecodeSendJob(SendJob(ref))
		if err != nil || again != ref {
			t.Fatalf("re-encoding %v gave %v, %v", ref, again, err)
		}
	})
}
