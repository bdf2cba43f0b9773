package httpapi

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// csvColumn is one column of a download: its header, and the cell of a
// row of T, given how the caller sees consumers' numbers (consumerMask).
type csvColumn[T any] struct {
	header string
	cell   func(v T, mask func(string) string) string
}

// csvTime formats a timestamp cell: RFC 3339 in UTC, empty when zero.
func csvTime(t time.Time) string { return optionalTime(t) }

// recipientColumns are the columns of a campaign's recipients download,
// one line each: a lifecycle timestamp is one more line. The timeline
// follows (timelineColumns).
var recipientColumns = append([]csvColumn[parley.Recipient]{
	{"recipientId", func(r parley.Recipient, _ func(string) string) string { return r.ID }},
	{"phone", func(r parley.Recipient, mask func(string) string) string { return mask(r.Phone) }},
	{"consumerId", func(r parley.Recipient, mask func(string) string) string { return mask(r.ConsumerID) }},
	{"channel", func(r parley.Recipient, _ func(string) string) string { return string(r.Channel) }},
	{"status", func(r parley.Recipient, _ func(string) string) string { return string(r.Status) }},
	{"errorMessage", func(r parley.Recipient, _ func(string) string) string { return r.ErrorMessage }},
	{"message", func(r parley.Recipient, _ func(string) string) string { return r.Body }},
	{"providerMessageId", func(r parley.Recipient, _ func(string) string) string { return r.ProviderMessageID }},
	{"attempts", func(r parley.Recipient, _ func(string) string) string { return strconv.Itoa(r.Attempts) }},
	{"dueAt", func(r parley.Recipient, _ func(string) string) string { return csvTime(r.DueAt) }},
	{"updatedAt", func(r parley.Recipient, _ func(string) string) string { return csvTime(r.UpdatedAt) }},
	{"skill", func(r parley.Recipient, _ func(string) string) string { return r.Skill }},
	{"errorSource", func(r parley.Recipient, _ func(string) string) string { return r.ErrorSource() }},
}, timelineColumns()...)

// timelineColumns are a recipient's lifecycle stamps, one column per step
// (attemptedTime … conversationClosedTime): when it first happened.
func timelineColumns() []csvColumn[parley.Recipient] {
	cols := make([]csvColumn[parley.Recipient], 0, parley.NumSteps)
	for _, step := range parley.Steps {
		cols = append(cols, csvColumn[parley.Recipient]{step.String() + "Time", func(r parley.Recipient, _ func(string) string) string {
			return csvTime(r.Timeline.At(step))
		}})
	}
	return cols
}

// campaignRow is one line of the campaigns download: a campaign and its
// phase when the download ran.
type campaignRow struct {
	c     parley.Campaign
	phase string
}

// campaignColumns are the columns of an account's campaigns download.
var campaignColumns = []csvColumn[campaignRow]{
	{"campaignId", func(r campaignRow, _ func(string) string) string { return r.c.ID }},
	{"name", func(r campaignRow, _ func(string) string) string { return r.c.Name }},
	{"channel", func(r campaignRow, _ func(string) string) string { return string(r.c.Channel) }},
	{"skill", func(r campaignRow, _ func(string) string) string { return r.c.Skill }},
	{"status", func(r campaignRow, _ func(string) string) string { return r.phase }},
	{"recipients", func(r campaignRow, _ func(string) string) string { return strconv.Itoa(r.c.Recipients) }},
	{"createdBy", func(r campaignRow, _ func(string) string) string { return r.c.CreatedBy }},
	{"createdAt", func(r campaignRow, _ func(string) string) string { return csvTime(r.c.CreatedAt) }},
	{"launchAt", func(r campaignRow, _ func(string) string) string { return csvTime(r.c.LaunchAt) }},
	{"completedAt", func(r campaignRow, _ func(string) string) string { return csvTime(r.c.CompletedAt) }},
}

// Neutralise makes a cell safe to open in a spreadsheet: one that starts
// with a character a spreadsheet reads as a formula or a control (=, +,
// -, @, tab, carriage return) gets a leading apostrophe, which spreadsheets
// take as "text" (OWASP's advice against CSV injection).
func Neutralise(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// csvStream writes a download row by row, each cell neutralised.
type csvStream[T any] struct {
	columns []csvColumn[T]
	mask    func(string) string
	buf     *bufio.Writer
	w       *csv.Writer
	row     []string
}

// newCSV starts a download of columns to out with its header line, which
// reaches out with the first rows (or close).
func newCSV[T any](out io.Writer, columns []csvColumn[T], mask func(string) string) *csvStream[T] {
	buf := bufio.NewWriterSize(out, 32<<10)
	st := &csvStream[T]{columns: columns, mask: mask, buf: buf, w: csv.NewWriter(buf), row: make([]string, len(columns))}
	for i, c := range columns {
		st.row[i] = c.header
	}
	_ = st.w.Write(st.row) // errors surface at flush
	return st
}

// write adds the rows of vs and flushes them to the output.
func (st *csvStream[T]) write(vs []T) error {
	for _, v := range vs {
		for i, c := range st.columns {
			st.row[i] = Neutralise(c.cell(v, st.mask))
		}
		if err := st.w.Write(st.row); err != nil {
			return err
		}
	}
	return st.close()
}

// close flushes what is written to the output.
func (st *csvStream[T]) close() error {
	st.w.Flush()
	if err := st.w.Error(); err != nil {
		return err
	}
	return st.buf.Flush()
}

// Exports keeps downloads where the client fetches them itself: on AWS an
// S3 bucket (package exportbucket), since API Gateway takes at most 6 MB
// from a function.
type Exports interface {
	// Store writes what write writes to a new file named filename, kept
	// for accountID, and returns a link that downloads it until expires.
	// An error of write is returned as it is, and nothing is kept.
	Store(ctx context.Context, accountID, filename string, write func(io.Writer) error) (link string, expires time.Time, err error)
}

// ExportLinkResponse answers a download kept in Exports to a caller that
// accepts JSON and not CSV: where to fetch the file, and until when.
type ExportLinkResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// download answers a CSV download named filename that write produces.
// With Exports it is stored there and answered 303 See Other to its link
// (a browser follows it and saves the file; an HTTP client following
// redirects drops its Authorization header on the way to the link's
// host), or ExportLinkResponse to a caller asking for JSON. Without, it is
// streamed in the answer: a failure before the first byte is a problem,
// and after it, a response cut short.
func (s *Server) download(w http.ResponseWriter, r *http.Request, what, filename string, write func(io.Writer) error) {
	if s.Exports != nil {
		link, expires, err := s.Exports.Store(r.Context(), r.PathValue("accountId"), filename, write)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if acceptsJSONOnly(r) {
			writeJSON(w, http.StatusOK, ExportLinkResponse{URL: link, ExpiresAt: expires.UTC()})
			return
		}
		http.Redirect(w, r, link, http.StatusSeeOther)
		return
	}
	out := &attachment{w: w, filename: filename}
	if err := write(out); err != nil {
		if !out.started {
			s.fail(w, r, err)
			return
		}
		s.abortDownload(r, what, err)
	}
}

// acceptsJSONOnly reports whether r's Accept names application/json and
// neither text/csv nor a wildcard that takes it.
func acceptsJSONOnly(r *http.Request) bool {
	json := false
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		t, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch t {
		case "application/json":
			json = true
		case "text/csv", "text/*", "*/*":
			return false
		}
	}
	return json
}

// attachment answers 200 with a CSV attachment named filename when it is
// first written to.
type attachment struct {
	w        http.ResponseWriter
	filename string
	started  bool
}

func (a *attachment) Write(p []byte) (int, error) {
	if !a.started {
		a.started = true
		h := a.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.filename}))
		h.Set("Cache-Control", "no-store")
		a.w.WriteHeader(http.StatusOK)
	}
	return a.w.Write(p)
}

// safeFileName keeps the characters of s a file name may always hold
// (ASCII letters, digits, '.', '_', '-'), replacing others with '_', at
// most 100 of them.
func safeFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 100 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// abortDownload ends a download that failed after its first bytes: the
// status is sent, so the client must see the response cut short, never a
// file that looks complete.
func (s *Server) abortDownload(r *http.Request, what string, err error) {
	s.Log.ErrorContext(r.Context(), "download cut short", "download", what,
		obs.IDs(r.PathValue("accountId"), r.PathValue("campaignId"), ""), "err", err)
	panic(http.ErrAbortHandler)
}

// exportRecipients downloads every recipient of a campaign, page by page
// from the store (store.MaxPage at a time): memory stays bounded by one
// page whatever the campaign's size.
func (s *Server) exportRecipients(w http.ResponseWriter, r *http.Request) {
	c, err := s.Campaigns.Campaign(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mask := consumerMask(r.Context())
	s.download(w, r, "recipients", "campaign-"+safeFileName(c.ID)+"-recipients.csv", func(out io.Writer) error {
		st := newCSV(out, recipientColumns, mask)
		if _, err := s.Campaigns.EachRecipient(r.Context(), c, st.write); err != nil {
			return err
		}
		return st.close()
	})
}

// exportCampaigns downloads every campaign of the account, newest first,
// page by page from the store.
func (s *Server) exportCampaigns(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("accountId")
	mask := consumerMask(r.Context())
	s.download(w, r, "campaigns", "campaigns-"+safeFileName(account)+".csv", func(out io.Writer) error {
		st := newCSV(out, campaignColumns, mask)
		q := campaignListAll()
		rows := make([]campaignRow, 0, store.MaxCampaignPage)
		for {
			page, err := s.Campaigns.List(r.Context(), account, q)
			if err != nil {
				return err
			}
			now := s.now()
			rows = rows[:0]
			for _, c := range page.Campaigns {
				rows = append(rows, campaignRow{c: c, phase: c.Phase(now)})
			}
			if err := st.write(rows); err != nil {
				return err
			}
			if page.Next.IsZero() {
				return nil
			}
			q.After = page.Next
		}
	})
}

// campaignListAll is the listing query of a download: every campaign, the
// largest pages.
func campaignListAll() campaign.ListQuery {
	return campaign.ListQuery{Limit: store.MaxCampaignPage}
}
