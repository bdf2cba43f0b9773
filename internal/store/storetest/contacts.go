package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Contacts is the contract of store.Contacts.
func Contacts(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	contact := func(id, phone string, version int) directory.Contact {
		return directory.Contact{AccountID: "a1", ID: id, Name: "name " + id, Phone: phone,
			Params: map[string]string{"tier": "gold"}, Version: version, CreatedAt: t0, UpdatedAt: t0}
	}
	same := func(t *testing.T, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("got %s\nwant %s", g, w)
		}
	}

	t.Run("a number belongs to one contact", func(t *testing.T) {
		s := newStore(t)
		ann := contact("k1", "+12025550101", 1)
		if err := s.PutContact(ctx, ann); err != nil {
			t.Fatal(err)
		}
		got, err := s.Contact(ctx, "a1", "k1")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, ann)
		if _, err := s.Contact(ctx, "a2", "k1"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("another account's contact: %v, want not found", err)
		}
		wantCode(t, s.PutContact(ctx, contact("k2", ann.Phone, 1)), parley.ECONFLICT)
		wantCode(t, s.PutContact(ctx, contact("k1", "+12025550102", 1)), parley.ECONFLICT)
		// Another account may have the same number.
		other := contact("k2", ann.Phone, 1)
		other.AccountID = "a2"
		if err := s.PutContact(ctx, other); err != nil {
			t.Fatal(err)
		}
		byPhone, err := s.ContactByPhone(ctx, "a1", ann.Phone)
		if err != nil {
			t.Fatal(err)
		}
		same(t, byPhone, ann)
		_, err = s.ContactByPhone(ctx, "a1", "+12025550199")
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("updates move the number and check the version", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutContact(ctx, contact("k1", "+12025550101", 1)); err != nil {
			t.Fatal(err)
		}
		moved := contact("k1", "+12025550102", 2)
		if err := s.PutContact(ctx, moved); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.PutContact(ctx, contact("k1", "+12025550103", 2)), parley.ECONFLICT)
		got, err := s.ContactByPhone(ctx, "a1", "+12025550102")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, moved)
		_, err = s.ContactByPhone(ctx, "a1", "+12025550101")
		wantCode(t, err, parley.ENOTFOUND)
		if err := s.PutContact(ctx, contact("k2", "+12025550101", 1)); err != nil {
			t.Fatalf("the freed number: %v", err)
		}
		wantCode(t, s.PutContact(ctx, contact("k2", "+12025550102", 2)), parley.ECONFLICT)
		// Without a number, no claim.
		if err := s.PutContact(ctx, contact("k3", "", 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutContact(ctx, contact("k4", "", 1)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("list and delete", func(t *testing.T) {
		s := newStore(t)
		for i := 5; i >= 1; i-- {
			if err := s.PutContact(ctx, contact(fmt.Sprintf("k%d", i), fmt.Sprintf("+1202555010%d", i), 1)); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		for after := ""; ; {
			page, err := s.Contacts(ctx, "a1", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				ids = append(ids, c.ID)
			}
			after = page[len(page)-1].ID
		}
		if fmt.Sprint(ids) != "[k1 k2 k3 k4 k5]" {
			t.Fatalf("listed %v", ids)
		}
		empty, err := s.Contacts(ctx, "a2", "", 10)
		if err != nil || empty == nil || len(empty) != 0 {
			t.Fatalf("another account's directory: %v, %v", empty, err)
		}
		removed, err := s.DeleteContact(ctx, "a1", "k3")
		if err != nil || !removed {
			t.Fatalf("delete: %v, %v", removed, err)
		}
		if removed, err := s.DeleteContact(ctx, "a1", "k3"); err != nil || removed {
			t.Fatalf("delete again: %v, %v", removed, err)
		}
		_, err = s.Contact(ctx, "a1", "k3")
		wantCode(t, err, parley.ENOTFOUND)
		if err := s.PutContact(ctx, contact("k6", "+12025550103", 1)); err != nil {
			t.Fatalf("the deleted contact's number: %v", err)
		}
	})

	t.Run("filters", func(t *testing.T) {
		s := newStore(t)
		f := directory.Filter{AccountID: "a1", ID: "f2", Name: "gold", Match: directory.MatchAll,
			Conditions: []directory.Condition{{Field: "param:tier", Op: directory.OpEquals, Value: "gold"}}, CreatedAt: t0, UpdatedAt: t0}
		g := f
		g.ID, g.Name = "f1", "any"
		for _, x := range []directory.Filter{f, g} {
			if err := s.PutFilter(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Filter(ctx, "a1", "f2")
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, f)
		f.Name = "renamed"
		if err := s.PutFilter(ctx, f); err != nil {
			t.Fatal(err)
		}
		all, err := s.Filters(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		same(t, all, []directory.Filter{g, f})
		_, err = s.Filter(ctx, "a2", "f2")
		wantCode(t, err, parley.ENOTFOUND)
		if removed, err := s.DeleteFilter(ctx, "a1", "f2"); err != nil || !removed {
			t.Fatalf("delete: %v, %v", removed, err)
		}
		if removed, err := s.DeleteFilter(ctx, "a1", "f2"); err != nil || removed {
			t.Fatalf("delete again: %v, %v", removed, err)
		}
		none, err := s.Filters(ctx, "a2")
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("another account's filters: %v, %v", none, err)
		}
	})
}
