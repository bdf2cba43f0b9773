package secret_test

import (
	"bytes"
	"testing"

	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/secret"
)

func TestConnectorCodec(t *testing.T) {
	ctx := t.Context()
	s, err := keyfile.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const plain = "connector-secret-0123456789"
	a := parley.Account{ID: "acct1", ConnectorURL: "https://agents.example.com", ConnectorSecret: plain}
	sealed, err := secret.EncodeConnector(ctx, s, a)
	if err != nil || len(sealed) == 0 || bytes.Contains(sealed, []byte(plain)) {
		t.Fatalf("EncodeConnector = %q, %v", sealed, err)
	}
	tests := []struct {
		name        string
		accountID   string
		sealed      []byte
		legacy      string
		want        parley.Secret
		wantInClear bool
		wantErr     bool
	}{
		{"sealed", "acct1", sealed, "", plain, false, false},
		{"under another account", "acct2", sealed, "", "", false, true},
		{"legacy, in clear", "acct1", nil, plain, plain, true, false},
		{"none", "acct1", nil, "", "", false, false},
	}
	for _, tt := range tests {
		got, inClear, err := secret.DecodeConnector(ctx, s, tt.accountID, tt.sealed, tt.legacy)
		if got != tt.want || inClear != tt.wantInClear || (err != nil) != tt.wantErr {
			t.Errorf("%s: DecodeConnector = %d bytes, inClear %t, %v; want %d bytes, %t, error %t", tt.name, len(got), inClear, err, len(tt.want), tt.wantInClear, tt.wantErr)
		}
	}
	if sealed, err := secret.EncodeConnector(ctx, s, parley.Account{ID: "acct1"}); err != nil || sealed != nil {
		t.Errorf("no secret sealed to %q, %v; want nil", sealed, err)
	}
}

func TestConnectorNoSealerRefuses(t *testing.T) {
	if _, err := secret.EncodeConnector(t.Context(), nil, parley.Account{ID: "a", ConnectorSecret: "connector-secret-0123"}); err == nil {
		t.Errorf("a connector secret was encoded without a Sealer")
	}
}

func TestAnswerCodec(t *testing.T) {
	ctx := t.Context()
	s, err := keyfile.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte(`{"consumerContent":{"sms":"+12025550101"}},`), 1000)
	sealed, err := secret.EncodeAnswer(ctx, s, "acct1", "key-1", body)
	if err != nil || bytes.Contains(sealed, []byte("+12025550101")) || len(sealed) >= len(body)/10 {
		t.Fatalf("EncodeAnswer = %d bytes, %v; want it sealed and compressed", len(sealed), err)
	}
	if got, err := secret.DecodeAnswer(ctx, s, "acct1", "key-1", sealed); err != nil || !bytes.Equal(got, body) {
		t.Errorf("DecodeAnswer = %d bytes, %v", len(got), err)
	}
	for _, at := range [][2]string{{"acct2", "key-1"}, {"acct1", "key-2"}} {
		if _, err := secret.DecodeAnswer(ctx, s, at[0], at[1], sealed); err == nil {
			t.Errorf("the answer opened for account %s, key %s", at[0], at[1])
		}
	}
	if _, err := secret.EncodeAnswer(ctx, nil, "acct1", "key-1", body); err == nil {
		t.Error("EncodeAnswer without a Sealer succeeded")
	}
}
