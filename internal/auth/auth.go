// Package auth is Parley's authentication and authorization: signed JWT
// access tokens (compact JWS, EdDSA or RS256) carrying an account and a
// role, the signing keys (in process, or behind a Signer such as a KMS key)
// and their JWKS, OAuth 2.0 client credentials with slow-hashed secrets
// whose tokens die with the client's key version, and the role → permission
// table every route is checked against.
//
// It is pure Go: no AWS, no HTTP server, no I/O beyond the store port its
// client service is given.
package auth

import (
	"context"
	"slices"

	"github.com/parleyhq/parley/internal/parley"
)

// Role is what a principal may do in its account. The roles are those of
// LivePerson's Proactive Messaging and Connect to Messaging.
type Role string

// Roles. Support is LivePerson's "LPA user": it may look, not touch.
const (
	RoleAdmin           Role = "admin"
	RoleCampaignManager Role = "campaign_manager"
	RoleSupport         Role = "support"
	RoleAgent           Role = "agent"
	RoleAgentManager    Role = "agent_manager"
	// RoleOperator runs Parley itself. Its tokens carry OperatorAudience,
	// which no tenant token has and no API client can be given.
	RoleOperator Role = "operator"
)

// OperatorAudience is the audience of operator tokens: routes that need
// Operate verify tokens for it alone, so no tenant token, whatever its role,
// is accepted there.
const OperatorAudience = "parley-operator"

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCampaignManager, RoleSupport, RoleAgent, RoleAgentManager, RoleOperator}

// TenantRoles are the roles a tenant's principal may have: every role but
// the operator's.
var TenantRoles = []Role{RoleAdmin, RoleCampaignManager, RoleSupport, RoleAgent, RoleAgentManager}

// ParseTenantRole returns the tenant role named s; anything else, the
// operator's role included, is EINVALID on field.
func ParseTenantRole(s, field string) (Role, error) {
	r := Role(s)
	if !slices.Contains(TenantRoles, r) {
		return "", parley.FieldErrorf(field, "role %q is not one of %s", s, parley.JoinNames(TenantRoles))
	}
	return r, nil
}

// ParseRole returns the role named s; anything else is EINVALID on field.
func ParseRole(s, field string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", parley.FieldErrorf(field, "role %q is not one of %s", s, parley.JoinNames(Roles))
	}
	return r, nil
}

// Permission is a kind of access a route requires.
type Permission string

// Permissions.
const (
	// Read views campaigns, settings, templates and reports.
	Read Permission = "read"
	// Write creates, edits, publishes and controls them.
	Write Permission = "write"
	// ManageKeys creates, lists, rotates and revokes API clients.
	ManageKeys Permission = "manage_keys"
	// Operate runs operator actions not tied to one account, such as
	// redriving the dead-letter queue.
	Operate Permission = "operate"
	// ManageConnector sets, changes or removes the account's agent-platform
	// connector (connectorUrl, connectorSecret in the settings): where
	// every conversation is sent, signed with the account's secret.
	ManageConnector Permission = "manage_connector"
	// ViewNumbers sees consumers' phone numbers (and in-app consumer ids)
	// in full in recipient listings and downloads; a role that reads
	// without it sees them masked (+1555****567).
	ViewNumbers Permission = "view_numbers"
	// TakeCalls is a telephone campaign operator's: setting their own
	// state (online, offline), ending their own wrap-up and listing their
	// own sessions. It reveals no one else's.
	TakeCalls Permission = "take_calls"
)

// Permissions lists every permission.
var Permissions = []Permission{Read, Write, ManageKeys, Operate, ManageConnector, ViewNumbers, TakeCalls}

// grants is the role → permission table. It follows the seeds' tables
// (Proactive Messaging and Connect to Messaging user guides): campaign
// managers and admins create, view, edit, delete and publish; LPA users
// (support) only view; agents and agent managers have no access. Managing
// API keys and the connector are for admins alone; operator actions
// (across every tenant) are for operators, who have no tenant's permissions.
// Consumers' numbers are shown in full to those who create campaigns and
// upload the numbers (admins, campaign managers); support views them masked.
// Agents take the calls of telephone campaigns: they act on their own
// operator state and sessions, nothing else.
var grants = map[Role][]Permission{
	RoleOperator:        {Operate},
	RoleAdmin:           {Read, Write, ManageKeys, ManageConnector, ViewNumbers},
	RoleCampaignManager: {Read, Write, ViewNumbers},
	RoleSupport:         {Read},
	RoleAgent:           {TakeCalls},
	RoleAgentManager:    nil,
}

// Can reports whether r grants p.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[r], p) }

// RolesWith lists the roles that grant p.
func RolesWith(p Permission) []Role {
	var rs []Role
	for _, r := range Roles {
		if r.Can(p) {
			rs = append(rs, r)
		}
	}
	return rs
}

// Principal is who a verified token speaks for.
type Principal struct {
	AccountID string
	Role      Role
	// Subject is the API client id, or the developer a development token
	// was minted for.
	Subject string
}

// Authorize checks that p may exercise perm on accountID ("" for a route
// not scoped to an account). A principal without an account is
// EUNAUTHORIZED; another account's principal, whatever its role, and a role
// without perm are EFORBIDDEN.
func Authorize(p Principal, accountID string, perm Permission) error {
	if p.AccountID == "" {
		return parley.Errorf(parley.EUNAUTHORIZED, "a bearer token is required")
	}
	if accountID != "" && p.AccountID != accountID {
		return parley.Errorf(parley.EFORBIDDEN, "the token is for account %s, not account %s", p.AccountID, accountID)
	}
	if !p.Role.Can(perm) {
		who := RolesWith(perm)
		if len(who) == 0 {
			return parley.Errorf(parley.EFORBIDDEN, "role %s may not %s", p.Role, perm)
		}
		return parley.Errorf(parley.EFORBIDDEN, "role %s may not %s; %s may", p.Role, perm, parley.JoinNames(who))
	}
	return nil
}

// Require is Authorize for the principal ctx carries (see NewContext): the
// check of a permission a request needs beyond its route's, such as
// ManageConnector for settings that change the connector. A context
// without a principal is EUNAUTHORIZED.
func Require(ctx context.Context, accountID string, perm Permission) error {
	p, _ := FromContext(ctx)
	return Authorize(p, accountID, perm)
}

// Keys of the principal in the context an API Gateway Lambda authorizer
// passes to the routes it guards.
const (
	ContextAccount = "account"
	ContextRole    = "role"
	ContextSubject = "subject"
)

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
