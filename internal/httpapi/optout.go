package httpapi

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/parley"
)

// OptOuts keeps accounts' opt-out lists (*optout.Service is one).
type OptOuts interface {
	Add(ctx context.Context, accountID string, channel parley.Channel, phone string) (parley.OptOut, bool, error)
	Remove(ctx context.Context, accountID string, channel parley.Channel, phone string) error
	List(ctx context.Context, accountID string, channel parley.Channel, cursor string, limit int) (optout.Page, error)
	Import(ctx context.Context, accountID string, r io.Reader, channel parley.Channel) (optout.ImportResult, error)
	Export(ctx context.Context, accountID string, channel parley.Channel, w io.Writer) error
}

// The opt-out routes of one account.
const (
	optOutsPath      = "/api/v2/account/{accountId}/optouts"
	optOutPath       = optOutsPath + "/{phone}"
	optOutImportPath = optOutsPath + "/import"
	optOutExportPath = optOutsPath + "/export"
)

// Opt-out list paging and import size.
const (
	defaultOptOutPage = 100
	maxOptOutImport   = 2 << 20 // MaxImportRows rows of an export fit
)

// OptOutRequest adds a number to the opt-out list. Channel is sms, whatsapp,
// voice (the do-not-call list of telephone campaigns) or all (all when
// absent).
type OptOutRequest struct {
	Phone   string `json:"phone"`
	Channel string `json:"channel,omitempty"`
}

// OptOutResponse is one entry of the opt-out list.
type OptOutResponse struct {
	Phone     string `json:"phone"`
	Channel   string `json:"channel"`
	Source    string `json:"source"`
	CreatedAt string `json:"createdAt"`
}

// OptOutListResponse is a page of the opt-out list; Next, when set, is the
// cursor of the following page.
type OptOutListResponse struct {
	OptOuts []OptOutResponse `json:"optOuts"`
	Next    string           `json:"next,omitempty"`
}

// OptOutImportResponse says what an import did, with each refused line.
type OptOutImportResponse struct {
	Added    int                `json:"added"`
	Existing int                `json:"existing"`
	Failed   []OptOutFailedLine `json:"failed"`
}

// OptOutFailedLine is a line of an import that was not imported, and why.
type OptOutFailedLine struct {
	Line         int    `json:"line"`
	Phone        string `json:"phone"`
	ErrorMessage string `json:"errorMessage"`
	Detail       string `json:"detail"`
}

func optOutResponse(e parley.OptOut) OptOutResponse {
	return OptOutResponse{Phone: e.Phone, Channel: string(e.Channel), Source: e.Source, CreatedAt: timestamp(e.CreatedAt)}
}

// pageLimit reads a listing's limit query parameter: 1 to 1000, 100 when
// absent.
func pageLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultOptOutPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, parley.FieldErrorf("limit", "limit %q is not a whole number from 1 to 1000", v)
	}
	return n, nil
}

// needOptOuts answers 404 for the opt-out routes of a server without an
// opt-out service.
func needOptOuts(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.OptOuts == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no opt-out lists"))
			return
		}
		h(s, w, r)
	}
}

func (s *Server) listOptOuts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.OptOuts.List(r.Context(), r.PathValue("accountId"), parley.Channel(q.Get("channel")), q.Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := OptOutListResponse{OptOuts: make([]OptOutResponse, len(page.OptOuts)), Next: page.Next}
	for i, e := range page.OptOuts {
		resp.OptOuts[i] = optOutResponse(e)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) addOptOut(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req OptOutRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	e, created, err := s.OptOuts.Add(r.Context(), r.PathValue("accountId"), parley.Channel(req.Channel), req.Phone)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdOrOK(created), optOutResponse(e))
}

func (s *Server) removeOptOut(w http.ResponseWriter, r *http.Request) {
	err := s.OptOuts.Remove(r.Context(), r.PathValue("accountId"), parley.Channel(r.URL.Query().Get("channel")), r.PathValue("phone"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) importOptOuts(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" && mt != "text/plain" {
		s.fail(w, r, parley.FieldErrorf("Content-Type", "an import is text/csv, not %q", r.Header.Get("Content-Type")))
		return
	}
	data, err := readBody(r, w, maxOptOutImport)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.OptOuts.Import(r.Context(), r.PathValue("accountId"), bytes.NewReader(data), parley.Channel(r.URL.Query().Get("channel")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := OptOutImportResponse{Added: res.Added, Existing: res.Existing, Failed: make([]OptOutFailedLine, len(res.Failed))}
	for i, l := range res.Failed {
		resp.Failed[i] = OptOutFailedLine{Line: l.Line, Phone: l.Phone, ErrorMessage: l.Error, Detail: l.Detail}
	}
	writeJSON(w, http.StatusOK, resp)
}

// exportOptOuts answers the whole list at once, so that a failure half-way
// is a problem document rather than a truncated file.
func (s *Server) exportOptOuts(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	accountID := r.PathValue("accountId")
	if err := s.OptOuts.Export(r.Context(), accountID, parley.Channel(r.URL.Query().Get("channel")), &b); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "optouts-" + accountID + ".csv"}))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes()) // the client went away; nothing to do
}
