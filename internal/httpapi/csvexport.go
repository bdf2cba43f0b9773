package httpapi

import (
	"bufio"
	"encoding/csv"
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

// startCSV answers 200 with a CSV attachment named filename and writes
// the header line.
func startCSV[T any](w http.ResponseWriter, filename string, columns []csvColumn[T], mask func(string) string) *csvStream[T] {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	buf := bufio.NewWriterSize(w, 32<<10)
	st := &csvStream[T]{columns: columns, mask: mask, buf: buf, w: csv.NewWriter(buf), row: make([]string, len(columns))}
	for i, c := range columns {
		st.row[i] = c.header
	}
	_ = st.w.Write(st.row) // errors surface at flush
	return st
}

// write adds the rows of vs and flushes them to the client.
func (st *csvStream[T]) write(vs []T) error {
	for _, v := range vs {
		for i, c := range st.columns {
			st.row[i] = Neutralise(c.cell(v, st.mask))
		}
		if err := st.w.Write(st.row); err != nil {
			return err
		}
	}
	st.w.Flush()
	if err := st.w.Error(); err != nil {
		return err
	}
	return st.buf.Flush()
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
	st := startCSV(w, "campaign-"+safeFileName(c.ID)+"-recipients.csv", recipientColumns, consumerMask(r.Context()))
	if _, err := s.Campaigns.EachRecipient(r.Context(), c, st.write); err != nil {
		s.abortDownload(r, "recipients", err)
	}
}

// exportCampaigns downloads every campaign of the account, newest first,
// page by page from the store.
func (s *Server) exportCampaigns(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("accountId")
	q := campaignListAll()
	page, err := s.Campaigns.List(r.Context(), account, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := startCSV(w, "campaigns-"+safeFileName(account)+".csv", campaignColumns, consumerMask(r.Context()))
	rows := make([]campaignRow, 0, store.MaxCampaignPage)
	for {
		now := s.now()
		rows = rows[:0]
		for _, c := range page.Campaigns {
			rows = append(rows, campaignRow{c: c, phase: c.Phase(now)})
		}
		if err := st.write(rows); err != nil {
			s.abortDownload(r, "campaigns", err)
		}
		if page.Next.IsZero() {
			return
		}
		q.After = page.Next
		if page, err = s.Campaigns.List(r.Context(), account, q); err != nil {
			s.abortDownload(r, "campaigns", err)
		}
	}
}

// campaignListAll is the listing query of a download: every campaign, the
// largest pages.
func campaignListAll() campaign.ListQuery {
	return campaign.ListQuery{Limit: store.MaxCampaignPage}
}
