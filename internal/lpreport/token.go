package lpreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Page token bounds.
const (
	// MaxPageToken bounds a version 1.0 page token: longer is no token
	// Parley made.
	MaxPageToken = 512
	// maxTokenID bounds the campaign id a token carries.
	maxTokenID = 128
)

// A version 1.0 page token is standard base64 (as LivePerson's are) of a
// small JSON document: the request it belongs to (b, a digest of the
// account, app, window and filters) and a Position (t, c, s). It is
// opaque to clients and checked strictly on the way back in: it must be
// exactly the encoding Parley gives its document, belong to the request
// it comes with, and name a campaign of that request's window. An altered
// token is refused; one still well formed can only move the page within
// the caller's own account's window, which the caller may read anyway.
type tokenDoc struct {
	Request  string `json:"b"`
	Created  string `json:"t,omitempty"`
	Campaign string `json:"c,omitempty"`
	Seq      int    `json:"s,omitempty"`
}

// Digest names the request the walk pages through: its account, app,
// window and filters, whatever page it is on.
func (w Walk) Digest() string {
	var b bytes.Buffer
	for _, part := range []string{w.AccountID, w.App, strconv.FormatInt(w.Window.Start.UnixMilli(), 10), strconv.FormatInt(w.Window.End.UnixMilli(), 10)} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	for _, list := range [][]string{w.Filters.Channels, w.Filters.Skills, w.Filters.MessageStatus, w.Filters.TransactionIDs} {
		for _, v := range list {
			b.WriteString(strconv.Quote(v))
		}
		b.WriteByte(0)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:12])
}

// PageToken is the token of the page of w's request that starts at p.
func (w Walk) PageToken(p Position) string {
	d := tokenDoc{Request: w.Digest()}
	if !p.Campaign.IsZero() {
		d.Created, d.Campaign, d.Seq = p.Campaign.CreatedAt.UTC().Format(time.RFC3339Nano), p.Campaign.ID, p.After
	}
	data, _ := json.Marshal(d) // strings and an int
	return base64.StdEncoding.EncodeToString(data)
}

// ParsePageToken reads a page token of w's request; "" is the first page.
// Anything else is EINVALID on page.nextPage.
func (w Walk) ParsePageToken(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	if len(s) > MaxPageToken {
		return Position{}, errToken("it is too long")
	}
	data, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return Position{}, errToken("it is not base64")
	}
	var d tokenDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		return Position{}, errToken("it is not a page token")
	}
	if d.Request != w.Digest() {
		return Position{}, errToken("it belongs to another request: keep the window and filters of the first page")
	}
	var p Position
	if d.Campaign != "" || d.Created != "" || d.Seq != 0 {
		at, err := time.Parse(time.RFC3339Nano, d.Created)
		if err != nil || d.Campaign == "" || len(d.Campaign) > maxTokenID || strings.ContainsFunc(d.Campaign, unicode.IsControl) || d.Seq < 0 {
			return Position{}, errToken("its position is malformed")
		}
		p = Position{Campaign: store.CampaignPosition{CreatedAt: at.UTC(), ID: d.Campaign}, After: d.Seq}
	}
	if w.PageToken(p) != s {
		return Position{}, errToken("it is not as Parley wrote it")
	}
	return p, nil
}

// errToken refuses a page token, saying why.
func errToken(why string) error {
	return parley.FieldErrorf("page.nextPage", "page.nextPage is not a token this request's answers gave (%s): pass nextPage as it came, or leave page out to start over", why)
}
