package dynamo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/envelope/kms"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// sealer is a KMS keyring on a new key of moto_server.
func sealer(t *testing.T) parley.Sealer {
	t.Helper()
	client := awskms.NewFromConfig(awstest.Config(t))
	key, err := kms.EnsureKey(context.Background(), client, "alias/"+awstest.Name(t))
	if err != nil {
		t.Fatal(err)
	}
	return kms.New(client, key, kms.Options{})
}

// newStore is a store on a fresh table, sealing under a fresh KMS key.
func newStore(t *testing.T) (*dynamo.Table, *dynamodb.Client, string) {
	t.Helper()
	client, name := newTable(t)
	return dynamo.New(client, name, dynamo.WithSealer(sealer(t))), client, name
}

// rawOf reaches the items of the table under the store.
func rawOf(client *dynamodb.Client, table string) storetest.Raw {
	ctx := context.Background()
	get := func(t *testing.T, pk, sk string) map[string]types.AttributeValue {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk}}})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem %s %s = %v, %v", pk, sk, out, err)
		}
		return out.Item
	}
	put := func(t *testing.T, it map[string]types.AttributeValue) {
		t.Helper()
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	copyItem := func(t *testing.T, sk, from, to string) {
		t.Helper()
		it := get(t, "ACCOUNT#"+from, sk)
		it[dynamo.AttrPK] = s("ACCOUNT#" + to)
		put(t, it)
	}
	return storetest.Raw{
		Dump: func(t *testing.T) []byte {
			t.Helper()
			var out []byte
			in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)}
			for {
				page, err := client.Scan(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range page.Items {
					out = appendItem(out, &types.AttributeValueMemberM{Value: it})
					out = append(out, '\n')
				}
				if len(page.LastEvaluatedKey) == 0 {
					return out
				}
				in.ExclusiveStartKey = page.LastEvaluatedKey
			}
		},
		PutChannel: func(t *testing.T, accountID string, channel parley.Channel, data []byte) {
			var v struct{ Version int }
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			put(t, map[string]types.AttributeValue{dynamo.AttrPK: s("ACCOUNT#" + accountID), dynamo.AttrSK: s("CHANNEL#" + string(channel)),
				"version": &types.AttributeValueMemberN{Value: strconv.Itoa(v.Version)}, "data": s(string(data))})
		},
		CopyChannel: func(t *testing.T, from, to string, channel parley.Channel) {
			copyItem(t, "CHANNEL#"+string(channel), from, to)
		},
		PutLegacyAccount: func(t *testing.T, a parley.Account) {
			it := map[string]types.AttributeValue{dynamo.AttrPK: s("ACCOUNT#" + a.ID), dynamo.AttrSK: s("SETTINGS"), "id": s(a.ID),
				"updatedAt": s(a.UpdatedAt.Format(time.RFC3339Nano)), "connectorUrl": s(a.ConnectorURL), "connectorSecret": s(a.ConnectorSecret.Reveal())}
			for name, v := range map[string]string{"optOutText": a.OptOutText, "helpText": a.HelpText, "defaultSkill": a.DefaultSkill} {
				if v != "" {
					it[name] = s(v)
				}
			}
			put(t, it)
		},
		CopyAccount: func(t *testing.T, from, to string) { copyItem(t, "SETTINGS", from, to) },
	}
}

// appendItem renders an attribute value and everything in it, binary
// values as they are.
func appendItem(out []byte, av types.AttributeValue) []byte {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return append(out, v.Value...)
	case *types.AttributeValueMemberN:
		return append(out, v.Value...)
	case *types.AttributeValueMemberB:
		return append(out, v.Value...)
	case *types.AttributeValueMemberSS:
		for _, s := range v.Value {
			out = append(append(out, s...), ' ')
		}
	case *types.AttributeValueMemberNS:
		for _, s := range v.Value {
			out = append(append(out, s...), ' ')
		}
	case *types.AttributeValueMemberBS:
		for _, b := range v.Value {
			out = append(append(out, b...), ' ')
		}
	case *types.AttributeValueMemberM:
		for k, x := range v.Value {
			out = appendItem(append(append(out, k...), '='), x)
			out = append(out, ' ')
		}
	case *types.AttributeValueMemberL:
		for _, x := range v.Value {
			out = append(appendItem(out, x), ' ')
		}
	default:
		data, _ := json.Marshal(v)
		out = append(out, data...)
	}
	return out
}

func TestProviderSecretsEncryptedAtRest(t *testing.T) {
	storetest.ProviderSecretsAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s, client, name := newStore(t)
		return s, rawOf(client, name)
	})
}

func TestConnectorSecretEncryptedAtRest(t *testing.T) {
	storetest.ConnectorSecretAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s, client, name := newStore(t)
		return s, rawOf(client, name)
	})
}

// TestSecretsNeedASealer checks that a table given no Sealer keeps no
// secret at all, rather than keeping it in clear.
func TestSecretsNeedASealer(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	s := dynamo.New(client, name)
	if err := s.PutAccount(ctx, parley.Account{ID: "acct1", ConnectorURL: "https://agents.example.com", ConnectorSecret: "connector-secret-0123456789"}); err == nil {
		t.Errorf("PutAccount stored a connector secret without a Sealer")
	}
	c := parley.ChannelConfig{AccountID: "acct1", Channel: parley.ChannelSMS, Provider: cm.Name,
		Credentials: cm.Credentials{ProductToken: "7c2e9a41-5b3d-4f86-a0e1-d94c6b2f8e35"}.Channel(), Version: 1}
	if err := s.PutChannelConfig(ctx, c); err == nil {
		t.Errorf("PutChannelConfig stored credentials without a Sealer")
	}
	if dump := rawOf(client, name).Dump(t); len(dump) != 0 {
		t.Errorf("the table holds %q", dump)
	}
	if err := s.PutAccount(ctx, parley.Account{ID: "acct1", DefaultSkill: "service"}); err != nil {
		t.Errorf("settings without secrets: %v", err)
	}
}

// TestLargeIdempotentAnswerSplit checks that an answer larger than an item
// is kept in several, and read back whole.
func TestLargeIdempotentAnswerSplit(t *testing.T) {
	ctx := context.Background()
	s, client, name := newStore(t)
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	body := make([]byte, 900_000)
	r := rand.New(rand.NewChaCha8([32]byte{7})) // incompressible
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	rec := parley.IdempotencyRecord{AccountID: "acct1", Key: "big", Fingerprint: "fp", Owner: "o1",
		LeaseUntil: now.Add(parley.IdempotencyLease), ExpiresAt: now.Add(parley.IdempotencyTTL)}
	if _, ok, err := s.BeginIdempotent(ctx, rec, now); err != nil || !ok {
		t.Fatalf("BeginIdempotent = %t, %v", ok, err)
	}
	rec.Status, rec.ContentType, rec.Body = 202, "application/json", body
	if err := s.FinishIdempotent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{TableName: &name, KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "IDEM#acct1#big"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) < 3 {
		t.Errorf("%d items hold the answer, want it split over several", len(out.Items))
	}
	for _, it := range out.Items {
		if _, ok := it[dynamo.AttrExpiresAt]; !ok {
			t.Errorf("item %v has no TTL", it[dynamo.AttrSK])
		}
	}
	got, _, err := s.BeginIdempotent(ctx, rec, now)
	if err != nil || !bytes.Equal(got.Body, body) {
		t.Errorf("read back %d bytes, %v; want %d", len(got.Body), err, len(body))
	}
}

func TestEventSecretEncryptedAtRest(t *testing.T) {
	storetest.EventSecretAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s, client, name := newStore(t)
		return s, rawOf(client, name)
	})
}
