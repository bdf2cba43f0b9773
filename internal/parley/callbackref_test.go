package parley

import (
	"strings"
	"testing"
)

func TestCallbackRef(t *testing.T) {
	m := Message{AccountID: "acct1", CampaignID: "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", RecipientID: "000042"}
	ref := m.CallbackRef()
	if ref != "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01/000042" {
		t.Fatalf("CallbackRef = %q", ref)
	}
	got, ok := ParseCallbackRef("acct1", ref)
	if want := (Ref{AccountID: "acct1", CampaignID: m.CampaignID, RecipientID: "000042"}); !ok || got != want {
		t.Errorf("ParseCallbackRef = %+v, %v; want %+v", got, ok, want)
	}
	if (Message{CampaignID: "c"}).CallbackRef() != "" || (Message{RecipientID: "r"}).CallbackRef() != "" {
		t.Error("a message without a recipient has a callback ref")
	}
	for _, bad := range []string{"", "/", "camp", "/r1", "camp/", "camp/r\n1", "camp/\xff", strings.Repeat("c", MaxCallbackRef) + "/1"} {
		if r, ok := ParseCallbackRef("acct1", bad); ok {
			t.Errorf("ParseCallbackRef(%q) = %+v; want refused", bad, r)
		}
	}
	if _, ok := ParseCallbackRef("", ref); ok {
		t.Error("a ref without an account parsed")
	}
	// The recipient id follows the last slash.
	if r, ok := ParseCallbackRef("a", "x/y/000001"); !ok || r.CampaignID != "x/y" || r.RecipientID != "000001" {
		t.Errorf("ParseCallbackRef(x/y/000001) = %+v, %v", r, ok)
	}
}

func FuzzParseCallbackRef(f *testing.F) {
	f.Add("0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01/000042")
	f.Add("camp1/000001")
	f.Add("/")
	f.Add("a/b/c")
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := ParseCallbackRef("acct1", s)
		if !ok {
			return
		}
		if r.CampaignID == "" || r.RecipientID == "" || strings.Contains(r.RecipientID, "/") {
			t.Fatalf("ParseCallbackRef(%q) = %+v", s, r)
		}
		back := Message{CampaignID: r.CampaignID, RecipientID: r.RecipientID}.CallbackRef()
		if back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}
