package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// TestRoleTable restates the seeds' role tables: campaign managers and
// admins create, view, edit and publish; LPA users (support) view only;
// agents and agent managers have no access. API keys are for admins;
// operator actions for operators alone. Consumers' numbers are shown in
// full to admins and campaign managers, masked to support.
func TestRoleTable(t *testing.T) {
	want := map[auth.Role]map[auth.Permission]bool{
		auth.RoleAdmin:           {auth.Read: true, auth.Write: true, auth.ManageKeys: true, auth.ManageConnector: true, auth.ViewNumbers: true},
		auth.RoleOperator:        {auth.Operate: true},
		auth.RoleCampaignManager: {auth.Read: true, auth.Write: true, auth.ViewNumbers: true},
		auth.RoleSupport:         {auth.Read: true},
		auth.RoleAgent:           {auth.TakeCalls: true},
		auth.RoleAgentManager:    {},
	}
	if len(want) != len(auth.Roles) {
		t.Fatalf("the test knows %d roles, the package %d", len(want), len(auth.Roles))
	}
	for _, r := range auth.Roles {
		for _, p := range auth.Permissions {
			if got := r.Can(p); got != want[r][p] {
				t.Errorf("%s can %s = %v, want %v", r, p, got, want[r][p])
			}
		}
	}
	if got := auth.Role("root").Can(auth.Read); got {
		t.Error("an unknown role can read")
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r), "role"); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %s, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "root", "admin "} {
		_, err := auth.ParseRole(s, "role")
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != "role" {
			t.Errorf("ParseRole(%q) = %v, want EINVALID on role", s, err)
		}
	}
}

func TestAuthorize(t *testing.T) {
	admin := auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "pc_1"}
	support := auth.Principal{AccountID: "A", Role: auth.RoleSupport, Subject: "pc_2"}
	agent := auth.Principal{AccountID: "A", Role: auth.RoleAgent, Subject: "pc_3"}
	tests := []struct {
		name    string
		p       auth.Principal
		account string
		perm    auth.Permission
		code    string
		detail  string
	}{
		{"admin writes own account", admin, "A", auth.Write, "", ""},
		{"admin operates", admin, "", auth.Operate, parley.EFORBIDDEN, "role admin may not operate; operator may"},
		{"operator operates", auth.Principal{AccountID: "operator", Role: auth.RoleOperator, Subject: "ops"}, "", auth.Operate, "", ""},
		{"support reads", support, "A", auth.Read, "", ""},
		{"no principal", auth.Principal{}, "A", auth.Read, parley.EUNAUTHORIZED, "bearer token"},
		{"admin of another account", admin, "B", auth.Read, parley.EFORBIDDEN, "account A, not account B"},
		{"support writes", support, "A", auth.Write, parley.EFORBIDDEN, "role support may not write; admin, campaign_manager may"},
		{"agent reads", agent, "A", auth.Read, parley.EFORBIDDEN, "role agent may not read"},
		{"support manages keys", support, "A", auth.ManageKeys, parley.EFORBIDDEN, "admin may"},
		{"campaign manager manages the connector", auth.Principal{AccountID: "A", Role: auth.RoleCampaignManager, Subject: "pc_4"}, "A", auth.ManageConnector, parley.EFORBIDDEN, "admin may"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.Authorize(tt.p, tt.account, tt.perm)
			if parley.ErrorCode(err) != tt.code || !strings.Contains(parley.ErrorMessage(err), tt.detail) && err != nil {
				t.Errorf("Authorize = %v, want code %q naming %q", err, tt.code, tt.detail)
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := auth.FromContext(ctx); ok {
		t.Fatal("an empty context carries a principal")
	}
	p := auth.Principal{AccountID: "A", Role: auth.RoleSupport, Subject: "s"}
	if got, ok := auth.FromContext(auth.NewContext(ctx, p)); !ok || got != p {
		t.Errorf("FromContext = %+v, %v", got, ok)
	}
	if err := auth.Require(auth.NewContext(ctx, p), "A", auth.Read); err != nil {
		t.Errorf("Require(read) of support = %v", err)
	}
	if err := auth.Require(auth.NewContext(ctx, p), "A", auth.ManageConnector); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Errorf("Require(manage_connector) of support = %v, want EFORBIDDEN", err)
	}
	if err := auth.Require(ctx, "A", auth.Read); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Errorf("Require without a principal = %v, want EUNAUTHORIZED", err)
	}
}
