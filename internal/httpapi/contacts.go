package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/parleyhq/parley/internal/contacts"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
)

// Contacts is the contact directory (*contacts.Service is one).
type Contacts interface {
	Create(ctx context.Context, accountID string, d directory.Draft) (directory.Contact, error)
	Get(ctx context.Context, accountID, id string) (directory.Contact, error)
	Replace(ctx context.Context, accountID, id string, d directory.Draft) (directory.Contact, error)
	Delete(ctx context.Context, accountID, id string) error
	List(ctx context.Context, accountID, cursor string, limit int, filterID string) (contacts.Page, error)
	Import(ctx context.Context, accountID string, m directory.Mapping, r io.Reader) (contacts.ImportResult, error)
	CreateFilter(ctx context.Context, accountID string, f directory.Filter) (directory.Filter, error)
	ReplaceFilter(ctx context.Context, accountID, id string, f directory.Filter) (directory.Filter, error)
	Filter(ctx context.Context, accountID, id string) (directory.Filter, error)
	Filters(ctx context.Context, accountID string) ([]directory.Filter, error)
	DeleteFilter(ctx context.Context, accountID, id string) error
}

// The contact directory's routes.
const (
	contactsPath       = "/api/v2/account/{accountId}/contacts"
	contactPath        = contactsPath + "/{contactId}"
	contactImportPath  = contactsPath + "/import"
	contactFiltersPath = "/api/v2/account/{accountId}/contact-filters"
	contactFilterPath  = contactFiltersPath + "/{filterId}"
)

// maxContactImport bounds an import upload: a file of
// directory.MaxImportLines lines of a few columns.
const maxContactImport = 8 << 20

func contactRoutes() []Route {
	return []Route{
		{http.MethodGet, contactsPath, needContacts((*Server).listContacts)},
		{http.MethodPost, contactsPath, needContacts((*Server).createContact)},
		{http.MethodGet, contactPath, needContacts((*Server).getContact)},
		{http.MethodPut, contactPath, needContacts((*Server).replaceContact)},
		{http.MethodDelete, contactPath, needContacts((*Server).deleteContact)},
		{http.MethodPost, contactImportPath, needContacts((*Server).importContacts)},
		{http.MethodGet, contactFiltersPath, needContacts((*Server).listContactFilters)},
		{http.MethodPost, contactFiltersPath, needContacts((*Server).createContactFilter)},
		{http.MethodGet, contactFilterPath, needContacts((*Server).getContactFilter)},
		{http.MethodPut, contactFilterPath, needContacts((*Server).replaceContactFilter)},
		{http.MethodDelete, contactFilterPath, needContacts((*Server).deleteContactFilter)},
	}
}

func needContacts(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return need(func(s *Server) bool { return s.Contacts != nil }, "this server keeps no contact directory", h)
}

// need answers 404, saying why, for the routes of a service the server
// was built without (has reports whether it has it).
func need(has func(*Server) bool, why string, h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if !has(s) {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "%s", why))
			return
		}
		h(s, w, r)
	}
}

// ContactRequest creates or replaces a contact.
type ContactRequest struct {
	Name   string            `json:"name,omitempty"`
	Email  string            `json:"email,omitempty"`
	Phone  string            `json:"phone,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// ContactResponse is one contact of the directory.
type ContactResponse struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Email     string            `json:"email,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Params    map[string]string `json:"params"`
	Version   int               `json:"version"`
	CreatedAt string            `json:"createdAt"`
	UpdatedAt string            `json:"updatedAt"`
}

// ContactListResponse is a page of the directory; Next, when set, is the
// cursor of the following page.
type ContactListResponse struct {
	Contacts []ContactResponse `json:"contacts"`
	Next     string            `json:"next,omitempty"`
}

// ContactImportResponse says what an import did with each data line.
type ContactImportResponse struct {
	Created int                 `json:"created"`
	Updated int                 `json:"updated"`
	Failed  int                 `json:"failed"`
	Lines   []ContactImportLine `json:"lines"`
}

// ContactImportLine is one data line's outcome: created, updated (its
// number was in the directory) or failed, with the error code and why.
type ContactImportLine struct {
	Line         int    `json:"line"`
	Outcome      string `json:"outcome"`
	ContactID    string `json:"contactId,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	Detail       string `json:"detail,omitempty"`
}

// ContactFilterRequest creates or replaces a saved filter.
type ContactFilterRequest struct {
	Name       string                   `json:"name"`
	Match      string                   `json:"match,omitempty"`
	Conditions []ContactFilterCondition `json:"conditions"`
}

// ContactFilterCondition tests one field of a contact.
type ContactFilterCondition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value,omitempty"`
}

// ContactFilterResponse is a saved filter.
type ContactFilterResponse struct {
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	Match      string                   `json:"match"`
	Conditions []ContactFilterCondition `json:"conditions"`
	CreatedAt  string                   `json:"createdAt"`
	UpdatedAt  string                   `json:"updatedAt"`
}

func contactResponse(c directory.Contact) ContactResponse {
	params := c.Params
	if params == nil {
		params = map[string]string{}
	}
	return ContactResponse{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Params: params, Version: c.Version,
		CreatedAt: timestamp(c.CreatedAt), UpdatedAt: timestamp(c.UpdatedAt)}
}

func filterResponse(f directory.Filter) ContactFilterResponse {
	out := ContactFilterResponse{ID: f.ID, Name: f.Name, Match: f.Match, Conditions: make([]ContactFilterCondition, len(f.Conditions)),
		CreatedAt: timestamp(f.CreatedAt), UpdatedAt: timestamp(f.UpdatedAt)}
	for i, c := range f.Conditions {
		out.Conditions[i] = ContactFilterCondition(c)
	}
	return out
}

func (s *Server) readContact(w http.ResponseWriter, r *http.Request) (directory.Draft, error) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		return directory.Draft{}, err
	}
	var req ContactRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return directory.Draft{}, err
	}
	return directory.Draft(req), nil
}

func (s *Server) readFilter(w http.ResponseWriter, r *http.Request) (directory.Filter, error) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		return directory.Filter{}, err
	}
	var req ContactFilterRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return directory.Filter{}, err
	}
	f := directory.Filter{Name: req.Name, Match: req.Match, Conditions: make([]directory.Condition, len(req.Conditions))}
	for i, c := range req.Conditions {
		f.Conditions[i] = directory.Condition(c)
	}
	return f, nil
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Contacts.List(r.Context(), r.PathValue("accountId"), q.Get("cursor"), limit, q.Get("filterId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := ContactListResponse{Contacts: make([]ContactResponse, len(page.Contacts)), Next: page.Next}
	for i, c := range page.Contacts {
		resp.Contacts[i] = contactResponse(c)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) {
	d, err := s.readContact(w, r)
	if err == nil {
		var c directory.Contact
		if c, err = s.Contacts.Create(r.Context(), r.PathValue("accountId"), d); err == nil {
			writeJSON(w, http.StatusCreated, contactResponse(c))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.Contacts.Get(r.Context(), r.PathValue("accountId"), r.PathValue("contactId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contactResponse(c))
}

func (s *Server) replaceContact(w http.ResponseWriter, r *http.Request) {
	d, err := s.readContact(w, r)
	if err == nil {
		var c directory.Contact
		if c, err = s.Contacts.Replace(r.Context(), r.PathValue("accountId"), r.PathValue("contactId"), d); err == nil {
			writeJSON(w, http.StatusOK, contactResponse(c))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) {
	if err := s.Contacts.Delete(r.Context(), r.PathValue("accountId"), r.PathValue("contactId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// importContacts reads a multipart/form-data upload: a "mapping" part (JSON
// from CSV column to directory field) and a "contacts" part (the CSV file).
func (s *Server) importContacts(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		s.fail(w, r, parley.FieldErrorf("Content-Type", "an import is multipart/form-data with a mapping part and a contacts part, not %q", r.Header.Get("Content-Type")))
		return
	}
	release, err := s.admitDraft(r, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	res, err := s.readImport(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := ContactImportResponse{Created: res.Created, Updated: res.Updated, Failed: res.Failed, Lines: make([]ContactImportLine, len(res.Lines))}
	for i, l := range res.Lines {
		resp.Lines[i] = ContactImportLine{Line: l.Line, Outcome: l.Outcome, ContactID: l.ContactID, ErrorMessage: l.Code, Detail: l.Detail}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) readImport(w http.ResponseWriter, r *http.Request) (contacts.ImportResult, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxContactImport)
	if err := r.ParseMultipartForm(maxContactImport); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return contacts.ImportResult{}, &parley.Error{Code: parley.ETOOLARGE, Field: "contacts", Message: fmt.Sprintf("the upload exceeds %d MiB; split the file", maxContactImport>>20)}
		}
		return contacts.ImportResult{}, parley.FieldErrorf("contacts", "the upload is not valid multipart/form-data: %v", err)
	}
	raw, err := formPart(r.MultipartForm, "mapping")
	if err != nil {
		return contacts.ImportResult{}, parley.FieldErrorf("mapping", "the upload needs exactly one mapping part: a JSON object from CSV column to name, email, phone or param:<name>")
	}
	m, err := directory.ParseMapping(raw)
	if err != nil {
		return contacts.ImportResult{}, err
	}
	files := r.MultipartForm.File["contacts"]
	if len(files) != 1 {
		return contacts.ImportResult{}, parley.FieldErrorf("contacts", "the upload needs exactly one contacts part (the CSV file)")
	}
	f, err := files[0].Open()
	if err != nil {
		return contacts.ImportResult{}, parley.Wrap(parley.EUNAVAILABLE, err, "open the uploaded contacts file")
	}
	defer f.Close()
	return s.Contacts.Import(r.Context(), r.PathValue("accountId"), m, f)
}

func (s *Server) listContactFilters(w http.ResponseWriter, r *http.Request) {
	fs, err := s.Contacts.Filters(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]ContactFilterResponse, len(fs))
	for i, f := range fs {
		out[i] = filterResponse(f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"filters": out})
}

func (s *Server) createContactFilter(w http.ResponseWriter, r *http.Request) {
	f, err := s.readFilter(w, r)
	if err == nil {
		if f, err = s.Contacts.CreateFilter(r.Context(), r.PathValue("accountId"), f); err == nil {
			writeJSON(w, http.StatusCreated, filterResponse(f))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) getContactFilter(w http.ResponseWriter, r *http.Request) {
	f, err := s.Contacts.Filter(r.Context(), r.PathValue("accountId"), r.PathValue("filterId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, filterResponse(f))
}

func (s *Server) replaceContactFilter(w http.ResponseWriter, r *http.Request) {
	f, err := s.readFilter(w, r)
	if err == nil {
		if f, err = s.Contacts.ReplaceFilter(r.Context(), r.PathValue("accountId"), r.PathValue("filterId"), f); err == nil {
			writeJSON(w, http.StatusOK, filterResponse(f))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) deleteContactFilter(w http.ResponseWriter, r *http.Request) {
	if err := s.Contacts.DeleteFilter(r.Context(), r.PathValue("accountId"), r.PathValue("filterId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
