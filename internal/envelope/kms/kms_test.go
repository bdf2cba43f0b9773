package kms_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/envelope/envelopetest"
	"github.com/parleyhq/parley/internal/envelope/kms"
	"github.com/parleyhq/parley/internal/parley"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newKey creates a KMS key on moto_server under a fresh alias and returns
// the client and the alias.
func newKey(t *testing.T) (*awskms.Client, string) {
	t.Helper()
	client := awskms.NewFromConfig(awstest.Config(t))
	alias := "alias/" + awstest.Name(t)
	if _, err := kms.EnsureKey(t.Context(), client, alias); err != nil {
		t.Fatal(err)
	}
	return client, alias
}

func TestContract(t *testing.T) {
	envelopetest.Run(t, func(t *testing.T) parley.Sealer {
		client, alias := newKey(t)
		return kms.New(client, alias, kms.Options{})
	})
}

// counting records the KMS requests a keyring makes.
type counting struct {
	kms.API
	mu       sync.Mutex
	generate []*awskms.GenerateDataKeyInput
	decrypt  []*awskms.DecryptInput
	fail     atomic.Bool
}

var errKMSDown = errors.New("kms is down")

func (c *counting) GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error) {
	c.mu.Lock()
	c.generate = append(c.generate, in)
	c.mu.Unlock()
	if c.fail.Load() {
		return nil, errKMSDown
	}
	return c.API.GenerateDataKey(ctx, in, optFns...)
}

func (c *counting) Decrypt(ctx context.Context, in *awskms.DecryptInput, optFns ...func(*awskms.Options)) (*awskms.DecryptOutput, error) {
	c.mu.Lock()
	c.decrypt = append(c.decrypt, in)
	c.mu.Unlock()
	if c.fail.Load() {
		return nil, errKMSDown
	}
	return c.API.Decrypt(ctx, in, optFns...)
}

func (c *counting) decrypts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.decrypt)
}

// TestRequests checks what the keyring asks KMS: an AES-256 data key with
// the aad as encryption context, and a decrypt restricted to its key with
// the same context.
func TestRequests(t *testing.T) {
	client, alias := newKey(t)
	api := &counting{API: client}
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "channel:sms")
	sealed, err := kms.New(api, alias, kms.Options{}).Seal(ctx, []byte("token"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kms.New(api, alias, kms.Options{}).Open(ctx, sealed, aad); err != nil {
		t.Fatal(err)
	}
	if len(api.generate) != 1 || len(api.decrypt) != 1 {
		t.Fatalf("%d GenerateDataKey and %d Decrypt requests; want 1 and 1", len(api.generate), len(api.decrypt))
	}
	g, d := api.generate[0], api.decrypt[0]
	want := string(aad)
	if aws.ToString(g.KeyId) != alias || g.KeySpec != types.DataKeySpecAes256 || len(g.EncryptionContext) != 1 || g.EncryptionContext[kms.ContextKey] != want {
		t.Errorf("GenerateDataKey(key %s, spec %s, context %q); want key %s, AES_256, context %s=%q", aws.ToString(g.KeyId), g.KeySpec, g.EncryptionContext, alias, kms.ContextKey, want)
	}
	if aws.ToString(d.KeyId) != alias || len(d.EncryptionContext) != 1 || d.EncryptionContext[kms.ContextKey] != want {
		t.Errorf("Decrypt(key %s, context %q); want key %s, context %s=%q", aws.ToString(d.KeyId), d.EncryptionContext, alias, kms.ContextKey, want)
	}
}

// TestDataKeyCache checks that a decrypted data key is reused for the
// cache's TTL and no longer, that a wrong aad is never answered from the
// cache, and that the cache stays within its size.
func TestDataKeyCache(t *testing.T) {
	client, alias := newKey(t)
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "channel:sms")
	sealed, err := kms.New(client, alias, kms.Options{}).Seal(ctx, []byte("token"), aad)
	if err != nil {
		t.Fatal(err)
	}
	api := &counting{API: client}
	clock := clocktest.New(time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC))
	k := kms.New(api, alias, kms.Options{CacheTTL: time.Minute, CacheSize: 2, Clock: clock})
	open := func(wantDecrypts int) {
		t.Helper()
		if got, err := k.Open(ctx, sealed, aad); err != nil || string(got) != "token" {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if n := api.decrypts(); n != wantDecrypts {
			t.Errorf("%d Decrypt requests; want %d", n, wantDecrypts)
		}
	}
	open(1)
	open(1)
	clock.Advance(59 * time.Second)
	open(1)
	clock.Advance(time.Second)
	open(2)

	if _, err := k.Open(ctx, sealed, parley.SecretAAD("acct2", "channel:sms")); !errors.Is(err, envelope.ErrOpen) {
		t.Errorf("another account's aad: %v; want envelope.ErrOpen", err)
	}
	if n := api.decrypts(); n != 3 {
		t.Errorf("%d Decrypt requests; want the wrong aad asked of KMS, not the cache", n)
	}

	// Sealing caches the new data key: the next read needs no KMS request.
	for i := range 5 {
		aad := parley.SecretAAD(fmt.Sprintf("acct%d", i), "connector")
		s, err := k.Seal(ctx, []byte("secret"), aad)
		if err != nil {
			t.Fatal(err)
		}
		before := api.decrypts()
		if _, err := k.Open(ctx, s, aad); err != nil || api.decrypts() != before {
			t.Errorf("Open right after Seal: %v, %d Decrypt requests; want none", err, api.decrypts()-before)
		}
		if n := kms.CachedKeys(k); n > 2 {
			t.Fatalf("%d data keys cached; want at most 2", n)
		}
	}
}

// TestUnavailable checks that a failing KMS is EUNAVAILABLE (worth a
// retry), unlike a sealed value that does not open.
func TestUnavailable(t *testing.T) {
	client, alias := newKey(t)
	api := &counting{API: client}
	k := kms.New(api, alias, kms.Options{})
	ctx, aad := t.Context(), parley.SecretAAD("acct1", "connector")
	sealed, err := k.Seal(ctx, []byte("secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	api.fail.Store(true)
	if _, err := k.Seal(ctx, []byte("secret"), aad); parley.ErrorCode(err) != parley.EUNAVAILABLE || !errors.Is(err, errKMSDown) {
		t.Errorf("Seal with KMS down: %v; want EUNAVAILABLE", err)
	}
	if _, err := kms.New(api, alias, kms.Options{}).Open(ctx, sealed, aad); parley.ErrorCode(err) != parley.EUNAVAILABLE || errors.Is(err, envelope.ErrOpen) {
		t.Errorf("Open with KMS down: %v; want EUNAVAILABLE", err)
	}
}

func TestAADMustBeText(t *testing.T) {
	client, alias := newKey(t)
	if _, err := kms.New(client, alias, kms.Options{}).Seal(t.Context(), []byte("secret"), []byte{0xff, 0xfe}); err == nil {
		t.Errorf("sealed with an aad KMS cannot carry as encryption context")
	}
}

func TestEnsureKeyIdempotent(t *testing.T) {
	client := awskms.NewFromConfig(awstest.Config(t))
	alias := "alias/" + awstest.Name(t)
	first, err := kms.EnsureKey(t.Context(), client, alias)
	if err != nil {
		t.Fatal(err)
	}
	second, err := kms.EnsureKey(t.Context(), client, alias)
	if err != nil || second != first {
		t.Fatalf("second EnsureKey = %q, %v; want %q", second, err, first)
	}
	desc, err := client.DescribeKey(t.Context(), &awskms.DescribeKeyInput{KeyId: aws.String(first)})
	if err != nil {
		t.Fatal(err)
	}
	if m := desc.KeyMetadata; m.KeySpec != types.KeySpecSymmetricDefault || m.KeyUsage != types.KeyUsageTypeEncryptDecrypt {
		t.Errorf("key %s %s; want SYMMETRIC_DEFAULT ENCRYPT_DECRYPT", m.KeySpec, m.KeyUsage)
	}
}
