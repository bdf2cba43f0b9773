// Package envelopetest is the contract every parley.Sealer adapter passes:
// what is sealed opens whole, with the same aad and the same key only, and
// an altered sealed value never opens.
package envelopetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/parley"
)

// Run checks the Sealers newSealer returns. Each must have a key of its
// own: what one seals, another refuses.
func Run(t *testing.T, newSealer func(t *testing.T) parley.Sealer) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newSealer(t)) })
	t.Run("Tampered", func(t *testing.T) { testTampered(t, newSealer(t)) })
	t.Run("WrongAAD", func(t *testing.T) { testWrongAAD(t, newSealer(t)) })
	t.Run("OtherKey", func(t *testing.T) { testOtherKey(t, newSealer(t), newSealer(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newSealer(t)) })
}

const secret = "auth-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0"

func testRoundTrip(t *testing.T, s parley.Sealer) {
	ctx := t.Context()
	tests := []struct {
		name  string
		plain []byte
		aad   []byte
	}{
		{"secret", []byte(secret), parley.SecretAAD("acct1", "connector")},
		{"empty", []byte{}, parley.SecretAAD("acct1", "channel:sms")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0}, parley.SecretAAD("acct1", "channel:whatsapp")},
		{"key file", []byte(`{"type":"service_account","private_key":"` + strings.Repeat("k", 16<<10) + `"}`), parley.SecretAAD("acct1", "channel:inapp")},
		{"odd account id", []byte(secret), parley.SecretAAD(`a" item="connector`, "connector")},
		{"empty aad", []byte(secret), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := s.Seal(ctx, tt.plain, tt.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(tt.plain) >= 8 && bytes.Contains(sealed, tt.plain) {
				t.Errorf("the sealed value holds the plaintext")
			}
			got, err := s.Open(ctx, sealed, tt.aad)
			if err != nil || !bytes.Equal(got, tt.plain) {
				t.Fatalf("Open = %d bytes, %v; want the %d bytes sealed", len(got), err, len(tt.plain))
			}
			again, err := s.Seal(ctx, tt.plain, tt.aad)
			if err != nil || bytes.Equal(again, sealed) {
				t.Errorf("two seals of the same plaintext are equal (%v): no fresh nonce", err)
			}
		})
	}
}

// tamperings returns sealed altered in ways that must not open: a bit
// flipped in each of its first 64 bytes and then every 13th byte and the
// last one, truncations and an extension.
func tamperings(sealed []byte) map[string][]byte {
	out := map[string][]byte{}
	for i := 0; i < len(sealed); i++ {
		if i >= 64 && i%13 != 0 && i != len(sealed)-1 {
			continue
		}
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		out[fmt.Sprintf("bit flipped at %d", i)] = b
	}
	for _, n := range []int{0, 1, 4, len(sealed) / 2, len(sealed) - 1} {
		out[fmt.Sprintf("cut to %d bytes", n)] = bytes.Clone(sealed[:n])
	}
	out["extended"] = append(bytes.Clone(sealed), 0)
	return out
}

func testTampered(t *testing.T, s parley.Sealer) {
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "connector")
	sealed, err := s.Seal(ctx, []byte(secret), aad)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range tamperings(sealed) {
		if got, err := s.Open(ctx, b, aad); !errors.Is(err, envelope.ErrOpen) {
			t.Errorf("%s: Open = %q, %v; want envelope.ErrOpen", name, got, err)
		}
	}
	if got, err := s.Open(ctx, sealed, aad); err != nil || string(got) != secret {
		t.Errorf("the original no longer opens after the tampered ones: %v", err)
	}
}

func testWrongAAD(t *testing.T, s parley.Sealer) {
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "channel:sms")
	sealed, err := s.Seal(ctx, []byte(secret), aad)
	if err != nil {
		t.Fatal(err)
	}
	// Opened once first, so that an adapter caching data keys has this one.
	if _, err := s.Open(ctx, sealed, aad); err != nil {
		t.Fatal(err)
	}
	wrong := map[string][]byte{
		"another account":              parley.SecretAAD("acct2", "channel:sms"),
		"another channel":              parley.SecretAAD("acct1", "channel:whatsapp"),
		"the connector of the account": parley.SecretAAD("acct1", "connector"),
		"none":                         nil,
		"longer":                       append(bytes.Clone(aad), ' '),
		"shorter":                      aad[:len(aad)-1],
	}
	for name, other := range wrong {
		if got, err := s.Open(ctx, sealed, other); !errors.Is(err, envelope.ErrOpen) {
			t.Errorf("opened with the aad of %s: %q, %v; want envelope.ErrOpen", name, got, err)
		}
	}
}

func testOtherKey(t *testing.T, s, other parley.Sealer) {
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "connector")
	sealed, err := s.Seal(ctx, []byte(secret), aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.Open(ctx, sealed, aad); err == nil {
		t.Errorf("another key opened it: %q", got)
	}
}

func testConcurrent(t *testing.T, s parley.Sealer) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			aad, plain := parley.SecretAAD(fmt.Sprintf("acct%d", i), "connector"), fmt.Appendf(nil, "%s-%d", secret, i)
			for range 4 {
				sealed, err := s.Seal(ctx, plain, aad)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Open(ctx, sealed, aad); err != nil || !bytes.Equal(got, plain) {
					t.Errorf("Open = %q, %v; want %q", got, err, plain)
					return
				}
			}
		})
	}
	wg.Wait()
}
