package phonecampaign

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// MaxGroupName bounds an operator group's name.
const MaxGroupName = 100

// Group is an operator group: the operators a campaign routed to it
// offers its calls to. A group created (CreateGroup) exists, empty or
// not, until it is deleted; one an operator was put into exists too.
type Group struct {
	Name    string
	Members []dialer.Agent
}

// Operators lists the account's operators in id order.
func (d *Dialer) Operators(ctx context.Context, accountID string) ([]dialer.Agent, error) {
	return d.Store.PhoneAgents(ctx, accountID)
}

// Operator returns one operator; an operator never seen yet is Offline in
// no group.
func (d *Dialer) Operator(ctx context.Context, accountID, agentID string) (dialer.Agent, error) {
	a, err := d.agent(ctx, accountID, agentID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return dialer.Agent{AccountID: accountID, ID: agentID, Operator: dialer.Operator{State: dialer.Offline}}, nil
	}
	return a, err
}

// Groups lists the account's operator groups by name, each with its
// members in id order: those created, and those operators were put into.
func (d *Dialer) Groups(ctx context.Context, accountID string) ([]Group, error) {
	kept, err := d.Store.PhoneGroups(ctx, accountID)
	if err != nil {
		return nil, err
	}
	agents, err := d.Store.PhoneAgents(ctx, accountID)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Group{}
	var out []*Group
	group := func(name string) *Group {
		g := byName[name]
		if g == nil {
			g = &Group{Name: name, Members: []dialer.Agent{}}
			byName[name] = g
			out = append(out, g)
		}
		return g
	}
	for _, g := range kept {
		group(g.Name)
	}
	for _, a := range agents {
		if a.Group != "" {
			g := group(a.Group)
			g.Members = append(g.Members, a)
		}
	}
	slices.SortFunc(out, func(a, b *Group) int { return strings.Compare(a.Name, b.Name) })
	groups := make([]Group, len(out))
	for i, g := range out {
		groups[i] = *g
	}
	return groups, nil
}

// Group returns one operator group; ENOTFOUND when there is none.
func (d *Dialer) Group(ctx context.Context, accountID, name string) (Group, error) {
	groups, err := d.Groups(ctx, accountID)
	if err != nil {
		return Group{}, err
	}
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
	}
	return Group{}, parley.Errorf(parley.ENOTFOUND, "account %s has no operator group %q", accountID, name)
}

// CreateGroup creates an operator group, which exists from then on with
// members or none; created is false when the account has one of that name
// (created, or made by putting an operator into it), which is returned as
// it is.
func (d *Dialer) CreateGroup(ctx context.Context, accountID, name string) (g Group, created bool, err error) {
	if err := ValidGroupName("group", name); err != nil {
		return Group{}, false, err
	}
	if created, err = d.Store.CreatePhoneGroup(ctx, dialer.OperatorGroup{AccountID: accountID, Name: name, CreatedAt: d.Clock.Now()}); err != nil {
		return Group{}, false, err
	}
	g, err = d.Group(ctx, accountID, name)
	if created && len(g.Members) > 0 {
		created = false // operators made it before it was kept
	}
	return g, created, err
}

// DeleteGroup deletes an empty operator group; ECONFLICT (naming its
// members) while it has any, ENOTFOUND when there is none.
func (d *Dialer) DeleteGroup(ctx context.Context, accountID, name string) error {
	g, err := d.Group(ctx, accountID, name)
	if err != nil {
		return err
	}
	if n := len(g.Members); n > 0 {
		return parley.Errorf(parley.ECONFLICT, "operator group %q has %d members (the first is %s); remove them before deleting it", name, n, g.Members[0].ID)
	}
	_, err = d.Store.DeletePhoneGroup(ctx, accountID, name)
	return err
}

// ValidGroupName checks the name of an operator group.
func ValidGroupName(field, name string) error {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) != name || n == 0:
		return parley.FieldErrorf(field, "%q is not a group name: give 1 to %d characters without leading or trailing spaces", name, MaxGroupName)
	case n > MaxGroupName:
		return parley.FieldErrorf(field, "the group name has %d characters; at most %d are allowed", n, MaxGroupName)
	}
	return nil
}

// validOperatorID checks the id of an operator as a manager names them
// (the subject of the operator's token).
func validOperatorID(field, id string) error {
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "/ \t\r\n") {
		return parley.FieldErrorf(field, "%q is not an operator id: give the subject of the operator's token (1 to 200 characters, no spaces or '/')", id)
	}
	return nil
}

// AddMember puts an operator into group, moving them out of the group they
// were in: the calls of the campaigns routed to group are offered to them
// from then on. An operator not seen yet is added Offline.
func (d *Dialer) AddMember(ctx context.Context, accountID, group, agentID string) (dialer.Agent, error) {
	if err := ValidGroupName("group", group); err != nil {
		return dialer.Agent{}, err
	}
	if err := validOperatorID("operatorId", agentID); err != nil {
		return dialer.Agent{}, err
	}
	// The group is kept, so that it stays when its last member leaves.
	if _, err := d.Store.CreatePhoneGroup(ctx, dialer.OperatorGroup{AccountID: accountID, Name: group, CreatedAt: d.Clock.Now()}); err != nil {
		return dialer.Agent{}, err
	}
	out, err := d.putAgent(ctx, accountID, agentID, func(a *dialer.Agent) (bool, error) {
		if a.Group == group {
			return false, nil
		}
		a.Group = group
		return true, nil
	})
	if err != nil || out.State != dialer.Online {
		return out, err
	}
	return out, d.bridgeGroup(ctx, accountID, group)
}

// RemoveMember takes an operator out of group. An Online operator goes
// Offline (they have no group to take calls for); one on a call keeps it
// and leaves once their wrap-up ends. ENOTFOUND when they are not in it.
func (d *Dialer) RemoveMember(ctx context.Context, accountID, group, agentID string) (dialer.Agent, error) {
	now := d.Clock.Now()
	a, err := d.agent(ctx, accountID, agentID)
	if err == nil && a.Group != group {
		err = parley.Errorf(parley.ENOTFOUND, "operator %s is not in group %q", agentID, group)
	}
	if err != nil {
		return dialer.Agent{}, err
	}
	return d.putAgent(ctx, accountID, agentID, func(a *dialer.Agent) (bool, error) {
		if a.Group != group {
			return false, nil
		}
		a.Group = ""
		switch a.State {
		case dialer.Online:
			a.State, a.Since = dialer.Offline, now
		case dialer.Busy, dialer.WrapUp:
			a.Leaving = true
		}
		return true, nil
	})
}

// putAgent applies f to an operator (a new Offline one when none is
// stored) and, when f says so, writes them on their revision, retrying on
// conflicts. An error of f is returned as it is.
func (d *Dialer) putAgent(ctx context.Context, accountID, agentID string, f func(*dialer.Agent) (write bool, err error)) (dialer.Agent, error) {
	now := d.Clock.Now()
	for range maxConflicts {
		a, err := d.agent(ctx, accountID, agentID)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			a = dialer.Agent{AccountID: accountID, ID: agentID, Operator: dialer.Operator{State: dialer.Offline, Since: now}}
		case err != nil:
			return dialer.Agent{}, err
		}
		if write, err := f(&a); err != nil || !write {
			return a, err
		}
		out, err := d.Store.PutPhoneAgent(ctx, a)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		}
		return out, err
	}
	return dialer.Agent{}, parley.Errorf(parley.ECONFLICT, "operator %s keeps changing", agentID)
}

// SessionQuery selects a page of sessions: calls an operator took.
type SessionQuery struct {
	dialer.SessionFilter
	// Limit bounds the sessions returned, newest first (MaxSessions when
	// zero or above it); Cursor continues a listing (a page's Next).
	Limit  int
	Cursor string
}

// MaxSessions bounds one page of sessions.
const MaxSessions = store.MaxPage

// SessionPage is a page of sessions, newest first; Next, when set, is the
// cursor of the following page.
type SessionPage struct {
	Sessions []dialer.Call
	Next     string
}

// Sessions lists a page of the account's sessions, newest first (by when
// their call was placed). A narrow query's page may end early, with Next
// set: each page examines at most MaxSessions sessions.
func (d *Dialer) Sessions(ctx context.Context, accountID string, q SessionQuery) (SessionPage, error) {
	if q.CampaignID != "" {
		if _, err := d.Store.PhoneCampaign(ctx, accountID, q.CampaignID); err != nil {
			return SessionPage{}, err
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxSessions {
		limit = MaxSessions
	}
	calls, next, err := d.Store.PhoneSessions(ctx, accountID, q.SessionFilter, q.Cursor, limit)
	return SessionPage{Sessions: calls, Next: next}, err
}
