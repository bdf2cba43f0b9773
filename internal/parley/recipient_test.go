package parley

import "testing"

func TestJobRoundTrip(t *testing.T) {
	ref := Ref{AccountID: "acct", CampaignID: "camp", RecipientID: RecipientID(7)}
	got, err := DecodeJob(ref.Encode())
	if err != nil || got != ref {
		t.Fatalf("DecodeJob(Encode(%v)) = %v, %v", ref, got, err)
	}
	for _, body := range []string{"", "{", "null", `{"a":"x","c":"y"}`, `{"a":1,"c":"y","r":"z"}`} {
		if _, err := DecodeJob([]byte(body)); ErrorCode(err) != EINVALID {
			t.Errorf("DecodeJob(%q) = %v, want EINVALID", body, err)
		}
	}
}

func FuzzDecodeJob(f *testing.F) {
	f.Add([]byte(`{"a":"acct","c":"camp","r":"000001"}`))
	f.Add([]byte(`{"a":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ref, err := DecodeJob(body)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("DecodeJob(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		again, err := DecodeJob(ref.Encode())
		if err != nil || again != ref {
			t.Fatalf("re-encoding %v gave %v, %v", ref, again, err)
		}
	})
}

func TestRecipientID(t *testing.T) {
	if RecipientID(1) != "000001" || RecipientID(100000) != "100000" || RecipientID(9) >= RecipientID(10) {
		t.Error("recipient ids must be fixed-width and sort like their numbers")
	}
}
