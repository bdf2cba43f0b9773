package parley

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestFlattenSDEs(t *testing.T) {
	got, err := FlattenSDEs("sdes", json.RawMessage(`[
		{"type": "ctmrinfo", "info": {"customerId": "C-1", "cstatus": "gold", "balance": 12.5, "lastPaymentDate": {"day": 3}}},
		{"type": "personal", "personal": {"firstname": "Jane", "contacts": [{"email": "jane@example.com"}], "gender": null}},
		{"type": "purchase", "total": 7, "cart": {"items": 2}}
	]`))
	want := map[string]string{
		"ctmrinfo.customerId": "C-1", "ctmrinfo.cstatus": "gold", "ctmrinfo.balance": "12.5", "ctmrinfo.lastPaymentDate.day": "3",
		"personal.firstname": "Jane", "personal.contacts.0.email": "jane@example.com",
		"purchase.total": "7", "purchase.cart.items": "2",
	}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("FlattenSDEs = %v, %v\nwant %v", got, err, want)
	}
	for _, raw := range []string{``, `null`, `[]`, `[{"type": "personal", "personal": {}}]`} {
		if got, err := FlattenSDEs("sdes", json.RawMessage(raw)); err != nil || got != nil {
			t.Errorf("FlattenSDEs(%q) = %v, %v; want none", raw, got, err)
		}
	}
	for raw, field := range map[string]string{
		`{"type": "personal"}`: "consumers[0].sdes", `"gold"`: "consumers[0].sdes",
		`[{"personal": {}}]`: "consumers[0].sdes[0].type", `[{"type": 3}]`: "consumers[0].sdes[0].type",
	} {
		if _, err := FlattenSDEs("consumers[0].sdes", json.RawMessage(raw)); ErrorCode(err) != EINVALID || ErrorField(err) != field {
			t.Errorf("FlattenSDEs(%s) = %v; want EINVALID on %s", raw, err, field)
		}
	}
}

// TestFlattenSDEsBounded: however many and however long the attributes,
// what is kept stays within the bounds, and nothing deeper than the depth
// bound or with control characters is kept.
func TestFlattenSDEsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`[{"type": "ctmrinfo", "info": {`)
	for i := range 200 {
		fmt.Fprintf(&b, `"k%03d": %q,`, i, strings.Repeat("v", 20))
	}
	b.WriteString(`"deep": {"a": {"b": {"c": {"d": {"e": "x"}}}}}, "bad": "a\u0007b"}}]`)
	got, err := FlattenSDEs("sdes", json.RawMessage(b.String()))
	used := 0
	for k, v := range got {
		used += len(k) + len(v)
		if strings.HasPrefix(k, "ctmrinfo.deep") || k == "ctmrinfo.bad" {
			t.Errorf("kept %s", k)
		}
	}
	if err != nil || len(got) == 0 || len(got) > MaxSDEEntries || used > MaxSDEBytes || got["ctmrinfo.k000"] == "" {
		t.Errorf("kept %d attributes of %d bytes (%v); want the first ones, within %d and %d", len(got), used, err, MaxSDEEntries, MaxSDEBytes)
	}
}

// FuzzFlattenSDEs: whatever the input, FlattenSDEs answers within the
// bounds or an EINVALID error naming the field.
func FuzzFlattenSDEs(f *testing.F) {
	for _, s := range []string{`[{"type":"ctmrinfo","info":{"customerId":"C-1"}}]`, `[{"type":"p","a":[1,[2,{"b":null}]]}]`, `{}`, `[`, `[{"type":""}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := FlattenSDEs("sdes", json.RawMessage(raw))
		if err != nil {
			if ErrorCode(err) != EINVALID || !strings.HasPrefix(ErrorField(err), "sdes") || got != nil {
				t.Fatalf("FlattenSDEs(%q) = %v, %v", raw, got, err)
			}
			return
		}
		used := 0
		for k, v := range got {
			used += len(k) + len(v)
		}
		if len(got) > MaxSDEEntries || used > MaxSDEBytes {
			t.Fatalf("FlattenSDEs(%q) kept %d attributes of %d bytes", raw, len(got), used)
		}
	})
}
