package parley

import "time"

// APIClient is an account's OAuth 2.0 client: a client id and secret pair
// that exchanges for access tokens carrying the account and the role. Only a
// slow hash of the secret is kept; the secret itself is shown once.
type APIClient struct {
	// ID is the client id, unique across all accounts.
	ID        string `json:"id"`
	AccountID string `json:"accountId"`
	// Role is the role its tokens carry (admin, campaign_manager, ...).
	Role string `json:"role"`
	// Name tells the client apart from the account's others.
	Name string `json:"name,omitempty"`
	// SecretHash is the encoded argon2id hash of the secret.
	SecretHash string    `json:"secretHash,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	// RotatedAt is when the secret was last replaced; zero if never.
	RotatedAt time.Time `json:"rotatedAt,omitzero"`
	// KeyVersion counts the client's secrets: 1 when created, one more on
	// each rotation. Its tokens carry it, and a token whose version is not
	// the client's current one is refused, so rotating (or deleting) a
	// client also retires the tokens it already has.
	KeyVersion int `json:"keyVersion,omitempty"`
}
