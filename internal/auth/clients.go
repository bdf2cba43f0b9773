package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ClientTokenTTL is how long a token from the client credentials grant is
// valid (its expires_in).
const ClientTokenTTL = time.Hour

// MaxClientName bounds a client's name.
const MaxClientName = 100

// Prefixes of client ids and secrets, so that a leaked secret is easy to
// recognise (and to scan for).
const (
	clientIDPrefix     = "pc_"
	clientSecretPrefix = "pcs_"
)

// HashCost is the argon2id cost of hashing a client secret.
type HashCost struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultHashCost is OWASP's argon2id baseline (19 MiB, 2 passes, 1
// thread): slow for an attacker holding the hashes, about 20 ms per token
// request.
var DefaultHashCost = HashCost{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// Credentials are a client and its secret, as shown once on creation and
// rotation.
type Credentials struct {
	Client parley.APIClient // without SecretHash
	Secret string
}

// Clients manages accounts' API clients and exchanges their credentials for
// access tokens (OAuth 2.0 client credentials grant).
type Clients struct {
	Store  store.Clients
	Tokens *Tokens
	Clock  parley.Clock
	// Cost of hashing secrets; zero means DefaultHashCost. A secret is
	// checked with the cost it was hashed with.
	Cost HashCost
}

// Create makes a client for the account whose tokens carry role, and
// returns its secret: the only time it is shown.
func (s *Clients) Create(ctx context.Context, accountID string, role Role, name string) (Credentials, error) {
	if _, err := ParseTenantRole(string(role), "role"); err != nil {
		return Credentials{}, err
	}
	if err := checkName(name); err != nil {
		return Credentials{}, err
	}
	c := parley.APIClient{ID: clientIDPrefix + randomHex(16), AccountID: accountID, Role: string(role), Name: name, CreatedAt: s.Clock.Now(), KeyVersion: 1}
	return s.save(ctx, c)
}

// List returns the account's clients, without their secret hashes.
func (s *Clients) List(ctx context.Context, accountID string) ([]parley.APIClient, error) {
	cs, err := s.Store.ClientsOf(ctx, accountID)
	for i := range cs {
		cs[i].SecretHash = ""
	}
	return cs, err
}

// Rotate gives the account's client a new secret and key version and
// returns the secret. The old secret stops working at once, and the tokens
// it obtained as soon as verifiers see the new version (ClientCacheTTL).
func (s *Clients) Rotate(ctx context.Context, accountID, clientID string) (Credentials, error) {
	c, err := s.owned(ctx, accountID, clientID)
	if err != nil {
		return Credentials{}, err
	}
	c.RotatedAt = s.Clock.Now()
	c.KeyVersion++
	return s.save(ctx, c)
}

// Revoke deletes the account's client. Its secret stops working at once,
// and the tokens it obtained as soon as verifiers see it gone
// (ClientCacheTTL).
func (s *Clients) Revoke(ctx context.Context, accountID, clientID string) error {
	return s.Store.DeleteClient(ctx, accountID, clientID)
}

// Exchange checks a client's id and secret and issues a token carrying its
// account, role, id and key version, valid for ClientTokenTTL (or the
// tokens' MaxTTL if shorter). Unknown clients and wrong secrets are both
// EUNAUTHORIZED, with the same message and about the same work.
func (s *Clients) Exchange(ctx context.Context, clientID, secret string) (Issued, error) {
	invalid := parley.Errorf(parley.EUNAUTHORIZED, "client authentication failed")
	if clientID == "" || secret == "" || len(clientID) > 100 || len(secret) > 200 {
		return Issued{}, invalid
	}
	c, err := s.Store.Client(ctx, clientID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		_ = checkSecret(dummyHash(s.cost()), secret) // as slow as a real check
		return Issued{}, invalid
	case err != nil:
		return Issued{}, err
	case !checkSecret(c.SecretHash, secret):
		return Issued{}, invalid
	}
	return s.Tokens.issue(ctx, Principal{AccountID: c.AccountID, Role: Role(c.Role), Subject: c.ID}, min(ClientTokenTTL, s.Tokens.maxTTL()), &c)
}

// owned returns the account's client; another account's is ENOTFOUND.
func (s *Clients) owned(ctx context.Context, accountID, clientID string) (parley.APIClient, error) {
	c, err := s.Store.Client(ctx, clientID)
	if err == nil && c.AccountID != accountID {
		err = parley.Errorf(parley.ENOTFOUND, "client %s not found", clientID)
	}
	return c, err
}

// save gives c a new secret, stores it with the secret's hash and returns
// the secret.
func (s *Clients) save(ctx context.Context, c parley.APIClient) (Credentials, error) {
	secret := clientSecretPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	c.SecretHash = hashSecret(secret, s.cost())
	if err := s.Store.PutClient(ctx, c); err != nil {
		return Credentials{}, err
	}
	c.SecretHash = ""
	return Credentials{Client: c, Secret: secret}, nil
}

func (s *Clients) cost() HashCost {
	if s.Cost == (HashCost{}) {
		return DefaultHashCost
	}
	return s.Cost
}

func checkName(name string) error {
	if n := utf8.RuneCountInString(name); n > MaxClientName {
		return parley.FieldErrorf("name", "name is %d characters; at most %d", n, MaxClientName)
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return parley.FieldErrorf("name", "name contains control characters or invalid UTF-8")
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// Encoded hashes are PHC strings: $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>,
// salt and hash in unpadded standard base64.
const (
	hashPrefix = "$argon2id$v=19$"
	saltBytes  = 16
	keyBytes   = 32
)

var phc = base64.RawStdEncoding

func hashSecret(secret string, cost HashCost) string {
	salt := randomBytes(saltBytes)
	key := argon2.IDKey([]byte(secret), salt, cost.Time, cost.MemoryKiB, cost.Threads, keyBytes)
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", hashPrefix, cost.MemoryKiB, cost.Time, cost.Threads, phc.EncodeToString(salt), phc.EncodeToString(key))
}

// dummyHash is a well-formed hash no secret matches, at cost.
func dummyHash(cost HashCost) string {
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", hashPrefix, cost.MemoryKiB, cost.Time, cost.Threads,
		phc.EncodeToString(make([]byte, saltBytes)), phc.EncodeToString(make([]byte, keyBytes)))
}

// checkSecret reports whether secret matches the encoded hash, comparing
// in constant time. A malformed hash, or one with an absurd cost, matches
// nothing.
func checkSecret(encoded, secret string) bool {
	rest, ok := strings.CutPrefix(encoded, hashPrefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return false
	}
	var cost HashCost
	if n, err := fmt.Sscanf(parts[0], "m=%d,t=%d,p=%d", &cost.MemoryKiB, &cost.Time, &cost.Threads); err != nil || n != 3 {
		return false
	}
	if cost.Time < 1 || cost.Time > 16 || cost.MemoryKiB < 8 || cost.MemoryKiB > 1<<20 || cost.Threads < 1 || cost.Threads > 16 {
		return false
	}
	salt, err1 := phc.DecodeString(parts[1])
	want, err2 := phc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) != keyBytes {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, cost.Time, cost.MemoryKiB, cost.Threads, keyBytes)
	return subtle.ConstantTimeCompare(got, want) == 1
}
