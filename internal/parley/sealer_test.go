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

func TestNoSealerRefuses(t *testing.T) {
	ctx := t.Context()
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
