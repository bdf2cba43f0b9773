package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Cursors continue a listing where its previous page stopped. They are
// opaque to clients: base64url (no padding) of a small JSON document whose
// k names the listing it belongs to, so that one listing's cursor is
// refused by another.
type cursorDoc struct {
	Kind      string `json:"k"`
	CreatedAt string `json:"t,omitempty"`   // campaigns: the last campaign's CreatedAt (RFC 3339, ns)
	ID        string `json:"id,omitempty"`  // campaigns: its id
	Seq       int    `json:"seq,omitempty"` // recipients: the last recipient's Seq
}

// Cursor kinds.
const (
	cursorCampaigns  = "c"
	cursorRecipients = "r"
)

// maxCursor bounds a cursor's length: longer is no cursor Parley made.
const maxCursor = 512

// maxCursorID bounds the campaign id a cursor may carry.
const maxCursorID = 128

func encodeCursor(d cursorDoc) string {
	data, _ := json.Marshal(d) // a struct of strings and an int
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeCursor reads a cursor of kind; anything else is EINVALID on
// "cursor".
func decodeCursor(s, kind string) (cursorDoc, error) {
	bad := func(why string) (cursorDoc, error) {
		return cursorDoc{}, parley.FieldErrorf("cursor", "cursor is not one this listing returned (%s): pass nextCursor as it came, or leave cursor out to start over", why)
	}
	if len(s) > maxCursor {
		return bad("too long")
	}
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not base64url")
	}
	var d cursorDoc
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		return bad("not a cursor document")
	}
	if d.Kind != kind {
		return bad("it belongs to another listing")
	}
	return d, nil
}

// campaignCursor is the cursor that continues a campaign listing after p.
func campaignCursor(p store.CampaignPosition) string {
	if p.IsZero() {
		return ""
	}
	return encodeCursor(cursorDoc{Kind: cursorCampaigns, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339Nano), ID: p.ID})
}

// parseCampaignCursor reads a campaign listing's cursor; "" is the start.
func parseCampaignCursor(s string) (store.CampaignPosition, error) {
	if s == "" {
		return store.CampaignPosition{}, nil
	}
	d, err := decodeCursor(s, cursorCampaigns)
	if err != nil {
		return store.CampaignPosition{}, err
	}
	at, terr := time.Parse(time.RFC3339Nano, d.CreatedAt)
	if terr != nil || d.ID == "" || len(d.ID) > maxCursorID || strings.ContainsFunc(d.ID, unicode.IsControl) || d.Seq != 0 {
		return store.CampaignPosition{}, parley.FieldErrorf("cursor", "cursor is not one this listing returned (its position is malformed): pass nextCursor as it came, or leave cursor out to start over")
	}
	return store.CampaignPosition{CreatedAt: at, ID: d.ID}, nil
}

// recipientCursor is the cursor that continues a recipient listing after
// seq; "" when seq is 0 (the last page).
func recipientCursor(seq int) string {
	if seq <= 0 {
		return ""
	}
	return encodeCursor(cursorDoc{Kind: cursorRecipients, Seq: seq})
}

// parseRecipientCursor reads a recipient listing's cursor; "" is the start
// (0).
func parseRecipientCursor(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	d, err := decodeCursor(s, cursorRecipients)
	if err != nil {
		return 0, err
	}
	if d.Seq <= 0 || d.CreatedAt != "" || d.ID != "" {
		return 0, parley.FieldErrorf("cursor", "cursor is not one this listing returned (its position is malformed): pass nextCursor as it came, or leave cursor out to start over")
	}
	return d.Seq, nil
}
