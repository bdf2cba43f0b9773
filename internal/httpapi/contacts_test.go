package httpapi_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/contacts"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

func contactsWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.srv.Contacts = &contacts.Service{Store: w.store, Clock: parley.ClockFunc(time.Now)}
	w.h = w.srv.Handler()
	return w
}

func TestContactRoutes(t *testing.T) {
	w := contactsWorld(t)
	const base = "/api/v2/account/acct1/contacts"
	resp, data := w.do(t, "POST", base, `{"name":"Ann","phone":"+12025550142","params":{"tier":"gold"}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	var ann httpapi.ContactResponse
	if err := json.Unmarshal(data, &ann); err != nil {
		t.Fatal(err)
	}
	if ann.ID == "" || ann.Phone != "+12025550142" || ann.Params["tier"] != "gold" || ann.Version != 1 {
		t.Errorf("created %s", data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Twin","phone":"+1 202 555 0142"}`)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(data), ann.ID) || !strings.Contains(string(data), `"field":"phone"`) {
		t.Errorf("same number: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Bad","phone":"12"}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"phone"`) {
		t.Errorf("bad number: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", base, `{"name":"Ann","age":3}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"age"`) {
		t.Errorf("unknown field: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "PUT", base+"/"+ann.ID, `{"name":"Ann Lee","phone":"+12025550142"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"version":2`) || strings.Contains(string(data), "gold") {
		t.Errorf("replace: %d %s", resp.StatusCode, data)
	}
	if resp, data = w.do(t, "GET", base+"/nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown contact: %d %s", resp.StatusCode, data)
	}

	resp, data = w.do(t, "POST", "/api/v2/account/acct1/contact-filters", `{"name":"DC","conditions":[{"field":"phone","op":"startswith","value":"+1202"}]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create filter: %d %s", resp.StatusCode, data)
	}
	var f httpapi.ContactFilterResponse
	_ = json.Unmarshal(data, &f)
	if resp, data = w.do(t, "POST", base, `{"name":"London","phone":"+442079460123"}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", base+"?filterId="+f.ID, "")
	var page httpapi.ContactListResponse
	_ = json.Unmarshal(data, &page)
	if resp.StatusCode != http.StatusOK || len(page.Contacts) != 1 || page.Contacts[0].ID != ann.ID {
		t.Errorf("filtered list: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", "/api/v2/account/acct1/contact-filters", `{"name":"bad","conditions":[{"field":"phone","op":"like","value":"x"}]}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"conditions[0].op"`) {
		t.Errorf("bad filter: %d %s", resp.StatusCode, data)
	}
	if resp, _ = w.do(t, "DELETE", base+"/"+ann.ID, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ = w.do(t, "DELETE", base+"/"+ann.ID, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete again: %d", resp.StatusCode)
	}
}

func importRequest(t *testing.T, mapping, file string) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if mapping != "" {
		_ = mw.WriteField("mapping", mapping)
	}
	if file != "" {
		fw, err := mw.CreateFormFile("contacts", "contacts.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(file))
	}
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/api/v2/account/acct1/contacts/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func TestContactImportRoute(t *testing.T) {
	w := contactsWorld(t)
	file := "Name,Mobile\nAnn,+12025550142\nBob,nope\nAnn again,+12025550142\n"
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, importRequest(t, `{"Name":"name","Mobile":"phone"}`, file))
	var res httpapi.ContactImportResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	if res.Created != 1 || res.Failed != 2 || len(res.Lines) != 3 ||
		res.Lines[1].Line != 3 || res.Lines[1].ErrorMessage != "INVALID_NUMBER" || res.Lines[2].ErrorMessage != "DUPLICATE_NUMBER" {
		t.Errorf("import answer %s", rec.Body)
	}
	cases := []struct {
		mapping, file, field string
	}{
		{`{"Name":"age"}`, file, "mapping.Name"},
		{"", file, "mapping"},
		{`{"Name":"name"}`, "", "contacts"},
		{`{"Email":"email"}`, file, "mapping.email"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, importRequest(t, c.mapping, c.file))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+c.field+`"`) {
			t.Errorf("mapping %q: %d %s, want 400 on %s", c.mapping, rec.Code, rec.Body, c.field)
		}
	}
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/contacts/import", "Name\nAnn\n")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "Content-Type") {
		t.Errorf("not multipart: %d %s", resp.StatusCode, data)
	}
}
