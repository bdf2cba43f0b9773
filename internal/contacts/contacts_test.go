package contacts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/contacts"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/embedded"
)

func newService(t *testing.T) (*contacts.Service, *embedded.Store) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.PutAccount(context.Background(), parley.Account{ID: "a1", DefaultCountry: "US"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	return &contacts.Service{Store: s, Clock: clocktest.New(time.Now()), NewID: func() string {
		n++
		return fmt.Sprintf("k%03d", n)
	}}, s
}

func TestCreateReplaceDelete(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	ann, err := svc.Create(ctx, "a1", directory.Draft{Name: "Ann", Phone: "(202) 555-0142"})
	if err != nil {
		t.Fatal(err)
	}
	if ann.Phone != "+12025550142" || ann.Version != 1 {
		t.Errorf("created %+v: the number is read in the account's country", ann)
	}
	_, err = svc.Create(ctx, "a1", directory.Draft{Name: "Ann's twin", Phone: "+12025550142"})
	if parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), ann.ID) || parley.ErrorField(err) != "phone" {
		t.Errorf("same number again: %v, want a conflict naming %s", err, ann.ID)
	}
	got, err := svc.Replace(ctx, "a1", ann.ID, directory.Draft{Name: "Ann Lee", Email: "ann@example.com"})
	if err != nil || got.Phone != "" || got.Version != 2 {
		t.Fatalf("replaced: %+v, %v", got, err)
	}
	if _, err := svc.Create(ctx, "a1", directory.Draft{Phone: "+12025550142"}); err != nil {
		t.Errorf("the number freed by the replace: %v", err)
	}
	if _, err := svc.Replace(ctx, "a1", "nope", directory.Draft{Name: "x"}); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("replace a missing contact: %v", err)
	}
	if err := svc.Delete(ctx, "a1", ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "a1", ann.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("delete twice: %v", err)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	svc, s := newService(t)
	ann, err := svc.Create(ctx, "a1", directory.Draft{Name: "Ann", Phone: "+12025550142", Params: map[string]string{"tier": "gold"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := directory.ParseMapping([]byte(`{"Name":"name","Mobile":"phone","City":"param:city"}`))
	if err != nil {
		t.Fatal(err)
	}
	file := "Name,Mobile,City\n" +
		",202-555-0142,DC\n" + // Ann: updated
		"Bob,202-555-0143,NYC\n" + // created
		"Cy,not a number,\n" + // failed
		"Bob again,+12025550143,\n" // duplicate in the file
	res, err := svc.Import(ctx, "a1", m, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || res.Failed != 2 {
		t.Fatalf("result %+v", res)
	}
	want := []contacts.ImportedLine{
		{Line: 2, Outcome: contacts.LineUpdated, ContactID: ann.ID},
		{Line: 3, Outcome: contacts.LineCreated},
		{Line: 4, Outcome: contacts.LineFailed, Code: directory.CodeInvalidNumber},
		{Line: 5, Outcome: contacts.LineFailed, Code: directory.CodeDuplicateNumber},
	}
	for i, w := range want {
		l := res.Lines[i]
		if l.Line != w.Line || l.Outcome != w.Outcome || l.Code != w.Code || (w.ContactID != "" && l.ContactID != w.ContactID) {
			t.Errorf("line %d: %+v, want %+v", w.Line, l, w)
		}
		if (l.Outcome == contacts.LineFailed) != (l.Detail != "") {
			t.Errorf("line %d: detail %q", w.Line, l.Detail)
		}
	}
	updated, err := s.Contact(ctx, "a1", ann.ID)
	if err != nil || updated.Name != "Ann" || updated.Params["tier"] != "gold" || updated.Params["city"] != "DC" {
		t.Errorf("Ann after the import: %+v, %v", updated, err)
	}
	// Importing the same file again creates nothing new.
	again, err := svc.Import(ctx, "a1", m, strings.NewReader(file))
	if err != nil || again.Created != 0 || again.Updated != 2 {
		t.Errorf("second import: %+v, %v", again, err)
	}
}

func TestListWithFilter(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	for i := range 7 {
		tier := "silver"
		if i%2 == 0 {
			tier = "gold"
		}
		if _, err := svc.Create(ctx, "a1", directory.Draft{Name: fmt.Sprint("c", i), Params: map[string]string{"tier": tier}}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := svc.CreateFilter(ctx, "a1", directory.Filter{Name: "gold", Conditions: []directory.Condition{{Field: "param:tier", Op: directory.OpEquals, Value: "gold"}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := 0
	for cursor := ""; ; {
		page, err := svc.List(ctx, "a1", cursor, 2, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.Contacts {
			names = append(names, c.Name)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if fmt.Sprint(names) != "[c0 c2 c4 c6]" || pages > 3 {
		t.Errorf("gold contacts %v in %d pages", names, pages)
	}
	if _, err := svc.List(ctx, "a1", "", 10, "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("unknown filter: %v", err)
	}
	if _, err := svc.CreateFilter(ctx, "a1", directory.Filter{Name: "bad"}); parley.ErrorField(err) != "conditions" {
		t.Errorf("filter without conditions: %v", err)
	}
	f.Name = "gold only"
	replaced, err := svc.ReplaceFilter(ctx, "a1", f.ID, f)
	if err != nil || replaced.Name != "gold only" || !replaced.CreatedAt.Equal(f.CreatedAt) {
		t.Errorf("replaced filter %+v, %v", replaced, err)
	}
	if err := svc.DeleteFilter(ctx, "a1", f.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteFilter(ctx, "a1", f.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("delete twice: %v", err)
	}
}
