package push

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

func TestDecodeCredentials(t *testing.T) {
	const key = `{"type":"service_account","project_id":"p-1","client_email":"a@p-1.iam.gserviceaccount.com","private_key":"secret-key-material"}`
	quoted, _ := json.Marshal(key)
	tests := []struct {
		name  string
		block string
		want  string // the key file decoded
		field string // the refusal's field
	}{
		{"object", `{"serviceAccountJson":` + key + `}`, key, ""},
		{"string", `{"serviceAccountJson":` + string(quoted) + `}`, key, ""},
		{"absent", `{}`, "", ""},
		{"null", `{"serviceAccountJson":null}`, "", ""},
		{"a string that is not one", `{"serviceAccountJson":"\x"}`, "", "json"},
	}
	for _, tt := range tests {
		creds, err := Provider{}.DecodeCredentials([]byte(tt.block))
		if tt.field != "" {
			if err == nil {
				t.Errorf("%s: decoded %s", tt.name, creds)
			}
			continue
		}
		f, ferr := CredentialsOf(creds)
		if err != nil || ferr != nil || f.ServiceAccountJSON.Reveal() != tt.want {
			t.Errorf("%s: DecodeCredentials = %q, %v, %v; want %q", tt.name, f.ServiceAccountJSON.Reveal(), err, ferr, tt.want)
		}
	}
	creds, _ := Provider{}.DecodeCredentials([]byte(`{"serviceAccountJson":` + key + `}`))
	shown, err := Provider{}.RedactCredentials(creds)
	if err != nil || string(shown) != `{"serviceAccountJson":"••••","projectId":"p-1","clientEmail":"a@p-1.iam.gserviceaccount.com"}` {
		t.Errorf("RedactCredentials = %s, %v", shown, err)
	}
	if strings.Contains(string(shown), "secret-key-material") {
		t.Errorf("the answer shows the key")
	}
}

func TestNew(t *testing.T) {
	cfg := parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: Name,
		Credentials: Credentials{ServiceAccountJSON: `{"type":"service_account"}`}.Channel()}
	for name, c := range map[string]parley.ChannelConfig{"no credentials": {Provider: Name}, "no device store": cfg} {
		if _, err := (Provider{}).New(c, gateway.Deps{}); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if got, ok := (Provider{}).DefaultSender(cfg, "+12025550100"); got != "+12025550100" || !ok {
		t.Errorf("DefaultSender = %q, %v; want the number passed through", got, ok)
	}
}
