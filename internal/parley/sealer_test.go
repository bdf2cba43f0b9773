package parley

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// fakeSealer keeps what it seals and hands out a handle: enough to see
// that the codec stores no secret and binds each sealed value to its item.
type fakeSealer struct {
	mu     sync.Mutex
	sealed map[string]fakeSealed
}

type fakeSealed struct{ plain, aad []byte }

var _ Sealer = (*fakeSealer)(nil)

func newFakeSealer() *fakeSealer { return &fakeSealer{sealed: map[string]fakeSealed{}} }

func (f *fakeSealer) Seal(_ context.Context, plain, aad []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := fmt.Sprintf("sealed-%d", len(f.sealed))
	f.sealed[h] = fakeSealed{bytes.Clone(plain), bytes.Clone(aad)}
	return []byte(h), nil
}

func (f *fakeSealer) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sealed[string(sealed)]
	if !ok || !bytes.Equal(s.aad, aad) {
		return nil, errors.New("does not open")
	}
	return bytes.Clone(s.plain), nil
}

func TestConnectorSecretCodec(t *testing.T) {
	ctx, s := t.Context(), newFakeSealer()
	const secret = "connector-secret-0123456789"
	a := Account{ID: "acct1", ConnectorURL: "https://agents.example.com", ConnectorSecret: secret}
	sealed, err := EncodeConnectorSecret(ctx, s, a)
	if err != nil || len(sealed) == 0 || bytes.Contains(sealed, []byte(secret)) {
		t.Fatalf("EncodeConnectorSecret = %q, %v", sealed, err)
	}
	tests := []struct {
		name        string
		accountID   string
		sealed      []byte
		legacy      string
		want        Secret
		wantInClear bool
		wantErr     bool
	}{
		{"sealed", "acct1", sealed, "", secret, false, false},
		{"under another account", "acct2", sealed, "", "", false, true},
		{"legacy, in clear", "acct1", nil, secret, secret, true, false},
		{"none", "acct1", nil, "", "", false, false},
	}
	for _, tt := range tests {
		got, inClear, err := DecodeConnectorSecret(ctx, s, tt.accountID, tt.sealed, tt.legacy)
		if got != tt.want || inClear != tt.wantInClear || (err != nil) != tt.wantErr {
			t.Errorf("%s: DecodeConnectorSecret = %d bytes, inClear %t, %v; want %d bytes, %t, error %t", tt.name, len(got), inClear, err, len(tt.want), tt.wantInClear, tt.wantErr)
		}
	}
	if sealed, err := EncodeConnectorSecret(ctx, s, Account{ID: "acct1"}); err != nil || sealed != nil {
		t.Errorf("no secret sealed to %q, %v; want nil", sealed, err)
	}
}

func TestNoSealerRefuses(t *testing.T) {
	ctx := t.Context()
	if _, err := EncodeConnectorSecret(ctx, nil, Account{ID: "a", ConnectorSecret: "connector-secret-0123"}); err == nil {
		t.Errorf("a connector secret was encoded without a Sealer")
	}
	if _, err := Seal(ctx, nil, []byte("plain"), ChannelAAD("a", ChannelSMS)); err == nil {
		t.Errorf("a secret was sealed without a Sealer")
	}
	if _, err := Open(ctx, nil, []byte("sealed"), ChannelAAD("a", ChannelSMS)); err == nil {
		t.Errorf("a secret was opened without a Sealer")
	}
}

func TestSecretAADUnambiguous(t *testing.T) {
	pairs := [][2]string{{"a", "connector"}, {`a" item="connector`, "connector"}, {"a", "channel:sms"}, {"b", "connector"}}
	if string(ChannelAAD("a", ChannelSMS)) != string(SecretAAD("a", "channel:sms")) {
		t.Errorf("ChannelAAD names another item than channel:sms")
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		aad := string(SecretAAD(p[0], p[1]))
		if seen[aad] {
			t.Errorf("%q names two items", aad)
		}
		seen[aad] = true
	}
}
