package parley

import (
	"testing"
)

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
