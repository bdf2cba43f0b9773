package app_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
)

// TestSecretsSealedThroughTheAPI saves a Twilio configuration and an agent
// connector through the API on each backend and checks that neither secret
// is anywhere in what the backend wrote, while the app still reads both.
func TestSecretsSealedThroughTheAPI(t *testing.T) {
	const (
		authToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
		connector = "whsec-0123456789abcdef-connector"
	)
	tests := []struct {
		name string
		open func(t *testing.T) (*app.App, func(t *testing.T) []byte)
	}{
		{"embedded", func(t *testing.T) (*app.App, func(t *testing.T) []byte) {
			a := embeddedApp(t)
			// Every byte of every file of the data directory: nothing was
			// ever written in clear, not even to a page since freed.
			return a, func(t *testing.T) []byte {
				var all []byte
				files, _ := filepath.Glob(filepath.Join(a.Config.DataDir, "*"))
				for _, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, data...)
				}
				return all
			}
		}},
		{"aws", func(t *testing.T) (*app.App, func(t *testing.T) []byte) {
			a := awsApp(t)
			db := dynamodb.NewFromConfig(awstest.Config(t))
			return a, func(t *testing.T) []byte {
				out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &a.Config.Table})
				if err != nil {
					t.Fatal(err)
				}
				var all []byte
				for _, it := range out.Items {
					for name, v := range it {
						all = append(all, name...)
						switch v := v.(type) {
						case *types.AttributeValueMemberS:
							all = append(all, v.Value...)
						case *types.AttributeValueMemberB:
							all = append(all, v.Value...)
						case *types.AttributeValueMemberN:
							all = append(all, v.Value...)
						default:
							t.Fatalf("attribute %s is a %T, which this dump does not read", name, v)
						}
					}
				}
				return all
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, dump := tt.open(t)
			h := asAdmin(t, a)
			if code := call(t, h, http.MethodPut, "/api/v2/account/acct1/channels/sms", `{"provider":"twilio",
				"twilio":{"accountSid":"AC0123456789abcdef0123456789abcdef","authToken":"`+authToken+`"},
				"senders":[{"outboundNumber":"+12025550100","id":"+12025550100"}]}`, nil); code != http.StatusOK {
				t.Fatalf("PUT channel: %d", code)
			}
			if code := call(t, h, http.MethodPatch, "/api/v2/account/acct1/settings",
				`{"connectorUrl":"https://agents.example.com/hook","connectorSecret":"`+connector+`"}`, nil); code != http.StatusOK {
				t.Fatalf("PATCH settings: %d", code)
			}
			stored := dump(t)
			if !bytes.Contains(stored, []byte("https://agents.example.com/hook")) {
				t.Fatalf("the dump does not show the settings saved (%d bytes)", len(stored))
			}
			for _, secret := range []string{authToken, connector} {
				if bytes.Contains(stored, []byte(secret)) {
					t.Errorf("a secret is stored in clear (%.6q…)", secret)
				}
			}
			c, err := a.Store.ChannelConfig(context.Background(), "acct1", parley.ChannelSMS)
			if err != nil || func() string { t, _ := twilio.CredentialsOf(c.Credentials); return t.AuthToken.Reveal() }() != authToken {
				t.Errorf("ChannelConfig = %v, %v; want the auth token back", c, err)
			}
			acct, err := a.Store.Account(context.Background(), "acct1")
			if err != nil || acct.ConnectorSecret.Reveal() != connector {
				t.Errorf("Account = %+v, %v; want the connector secret back", acct, err)
			}
		})
	}
}
