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

func TestRangeJob(t *testing.T) {
	j := RangeJob{AccountID: "acct", CampaignID: "camp", From: 26, To: 30}
	if KindOf(j.Encode()) != JobRange {
		t.Fatalf("kind of %s = %q", j.Encode(), KindOf(j.Encode()))
	}
	got, err := DecodeRangeJob(j.Encode())
	if err != nil || got != j {
		t.Fatalf("DecodeRangeJob(Encode(%v)) = %v, %v", j, got, err)
	}
	refs := j.Refs()
	if len(refs) != 5 || refs[0].RecipientID != "000026" || refs[4].RecipientID != "000030" || refs[2].CampaignID != "camp" {
		t.Errorf("Refs() = %v", refs)
	}
	if _, err := DecodeSendJob(j.Encode()); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("a range job decodes as a send job: %v", err)
	}
	for _, body := range []string{
		"", "{", `{"a":"a","c":"c","r":"000001"}`,
		`{"k":"range","a":"a","f":1,"t":2}`,           // no campaign
		`{"k":"range","a":"a","c":"c","f":0,"t":2}`,   // before the first recipient
		`{"k":"range","a":"a","c":"c","f":5,"t":4}`,   // backwards
		`{"k":"range","a":"a","c":"c","f":25,"t":26}`, // across two chunks
		`{"k":"fanout","a":"a","c":"c","f":1,"t":2}`,
	} {
		if _, err := DecodeRangeJob([]byte(body)); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("DecodeRangeJob(%q) = %v, want EINVALID", body, err)
		}
	}
}

func FuzzDecodeRangeJob(f *testing.F) {
	f.Add([]byte(`{"k":"range","a":"acct","c":"camp","f":1,"t":25}`))
	f.Add([]byte(`{"k":"range","a":"acct","c":"camp","f":-1,"t":1e400}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := DecodeRangeJob(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("DecodeRangeJob(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		if n := len(j.Refs()); n < 1 || n > parley.ChunkSize {
			t.Fatalf("%v covers %d recipients", j, n)
		}
		again, err := DecodeRangeJob(j.Encode())
		if err != nil || again != j || KindOf(j.Encode()) != JobRange {
			t.Fatalf("re-encoding %v gave %v, %v", j, again, err)
		}
	})
}
