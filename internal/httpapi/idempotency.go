package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
)

// Idempotency keeps the Idempotency-Keys of creates (store.Idempotency is
// one).
type Idempotency interface {
	BeginIdempotent(ctx context.Context, rec parley.IdempotencyRecord, now time.Time) (existing parley.IdempotencyRecord, reserved bool, err error)
	FinishIdempotent(ctx context.Context, rec parley.IdempotencyRecord) error
	ReleaseIdempotent(ctx context.Context, accountID, key, owner string) error
}

// Headers of idempotent creates.
const (
	// IdempotencyKeyHeader names a create: a retry with the same key and
	// body is answered the first answer, and creates nothing.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader marks an answer replayed for an Idempotency-Key.
	ReplayedHeader = "Idempotent-Replayed"
	// MaxIdempotencyKey is the longest Idempotency-Key, in characters.
	MaxIdempotencyKey = 255
)

// createRoute is a route that creates something, and the most of a body
// (not an upload) it reads.
type createRoute struct {
	limit int64
	// uploads says that the route takes multipart/form-data uploads of up
	// to maxUpload, which are spooled to a file rather than memory.
	uploads bool
}

// idempotentCreates are THE routes that create something, keyed "METHOD
// pattern" as Routes() spells it: each honours an Idempotency-Key header
// (Server.idempotent).
var idempotentCreates = map[string]createRoute{
	"POST /api/v2/account/{accountId}/campaign":                           {limit: maxBody, uploads: true},
	"POST /api/v2/account/{accountId}/templates":                          {limit: maxBody},
	"POST " + handoffsPath:                                                {limit: maxBody},
	"POST /api/v2/account/{accountId}/clients":                            {limit: maxBody},
	"POST " + broadcastsPath:                                              {limit: maxBody},
	"POST " + optOutsPath:                                                 {limit: maxBody},
	"POST " + optOutImportPath:                                            {limit: maxOptOutImport},
	"POST /api/v2/account/{accountId}/consumers/{consumerId}/push-tokens": {limit: maxBody},
	"POST " + contactsPath:                                                {limit: maxBody},
	"POST " + contactImportPath:                                           {limit: maxBody, uploads: true},
	"POST " + contactFiltersPath:                                          {limit: maxBody},
	"POST " + phoneCampaignsPath:                                          {limit: maxBody},
	"POST " + phoneCampaignPath + "/clone":                                {limit: maxBody},
	"POST " + eventSubscriptionsPath:                                      {limit: maxBody},
}

// IsIdempotentCreate reports whether the route with method and pattern
// honours an Idempotency-Key header.
func IsIdempotentCreate(method, pattern string) bool {
	_, ok := idempotentCreates[method+" "+pattern]
	return ok
}

// ParseIdempotencyKey reads the Idempotency-Key of h: ok is false when
// there is none. A key is 1 to MaxIdempotencyKey printable ASCII
// characters, given once; anything else is EINVALID naming the header.
func ParseIdempotencyKey(h http.Header) (key string, ok bool, err error) {
	vs := h.Values(IdempotencyKeyHeader)
	switch {
	case len(vs) == 0:
		return "", false, nil
	case len(vs) > 1:
		return "", false, parley.FieldErrorf(IdempotencyKeyHeader, "%s is given more than once", IdempotencyKeyHeader)
	}
	key = vs[0]
	if key == "" || len(key) > MaxIdempotencyKey {
		return "", false, parley.FieldErrorf(IdempotencyKeyHeader, "%s must be 1 to %d characters, not %d", IdempotencyKeyHeader, MaxIdempotencyKey, len(key))
	}
	for i := range len(key) {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return "", false, parley.FieldErrorf(IdempotencyKeyHeader, "%s must be printable ASCII; byte %d is not", IdempotencyKeyHeader, i+1)
		}
	}
	return key, true, nil
}

// Fingerprint identifies a create for its Idempotency-Key: SHA-256 over
// the route ("METHOD pattern"), the account, the media type and the body.
// A multipart/form-data body is read part by part, so that its boundary,
// which a client draws anew for each attempt, does not count: the parts'
// headers and contents do. A body that is not valid multipart with a part
// is taken byte for byte. The whole body is read, and written to spool.
func Fingerprint(route, accountID, contentType string, body io.Reader, spool io.Writer) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	h := fingerprintOf(route, accountID, mt, "parts")
	raw := fingerprintOf(route, accountID, mt, "body")
	tee := io.TeeReader(body, io.MultiWriter(spool, raw))
	ok := false
	if boundary := params["boundary"]; mt == "multipart/form-data" && boundary != "" {
		if ok, err = hashParts(h, multipart.NewReader(tee, boundary)); err != nil {
			return "", err
		}
	}
	if _, err := io.Copy(io.Discard, tee); err != nil { // all of it, or what follows the parts
		return "", err
	}
	if !ok {
		h = raw
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fingerprintOf starts a fingerprint of the body of kind of a request to
// route of accountID in media type mt.
func fingerprintOf(route, accountID, mt, kind string) hash.Hash {
	h := sha256.New()
	for _, f := range []string{route, accountID, mt, kind} {
		writeField(h, []byte(f))
	}
	return h
}

// writeField writes b to h, its length first, so that no two sequences of
// fields hash alike.
func writeField(h hash.Hash, b []byte) {
	_, _ = h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	_, _ = h.Write(b)
}

// hashParts hashes each part of mr: its headers, sorted, and the SHA-256
// of its content. ok is false when mr is not valid multipart with at least
// one part; the error is that of reading the body.
func hashParts(h hash.Hash, mr *multipart.Reader) (ok bool, err error) {
	for parts := 0; ; parts++ {
		p, err := mr.NextRawPart()
		// io.EOF itself follows the final boundary; a wrapped one, a body cut short.
		if err == io.EOF {
			return parts > 0, nil
		}
		if err != nil {
			return false, bodyError(err)
		}
		writeField(h, []byte("part"))
		for _, name := range slices.Sorted(maps.Keys(p.Header)) {
			for _, v := range p.Header[name] {
				writeField(h, []byte(name+": "+v))
			}
		}
		content := sha256.New()
		_, err = io.Copy(content, p)
		if err != nil {
			return false, bodyError(err)
		}
		writeField(h, content.Sum(nil))
	}
}

// bodyError is err when reading the body failed (it was too large, or the
// client went away), else nil: a malformed part is the handler's to answer.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return nil
}

// idempotent wraps the handler of a create: with an Idempotency-Key, the
// first request is run and its answer kept (parley.IdempotencyTTL); a
// retry with the same key and body is answered that answer, marked
// Idempotent-Replayed, without running the handler (so it spends none of
// the account's creation budget); the same key with another body is 422;
// a retry while the first runs is 409. A 5xx or 429 answer is not kept:
// the retry runs again. Without the header, or without a store, the
// handler runs as it is.
func idempotent(route string, cr createRoute, next func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Idempotency == nil {
			next(s, w, r)
			return
		}
		key, ok, err := ParseIdempotencyKey(r.Header)
		switch {
		case err != nil:
			s.fail(w, r, err)
			return
		case !ok:
			next(s, w, r)
			return
		}
		account := r.PathValue("accountId")
		fp, done, err := s.fingerprintRequest(w, r, route, account, cr)
		defer done()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		now := s.now()
		owner, err := reservationToken()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rec := parley.IdempotencyRecord{AccountID: account, Key: key, Fingerprint: fp, Owner: owner,
			LeaseUntil: now.Add(parley.IdempotencyLease), ExpiresAt: now.Add(parley.IdempotencyTTL)}
		existing, reserved, err := s.Idempotency.BeginIdempotent(r.Context(), rec, now)
		switch {
		case err != nil:
			s.fail(w, r, err)
			return
		case reserved:
			s.runReserved(w, r, rec, next)
			return
		case existing.Fingerprint != fp:
			s.fail(w, r, parley.Errorf(parley.EUNPROCESSABLE, "%s %q was used for another request (a different route, media type or body) within the last %d hours; use a new key for a new request",
				IdempotencyKeyHeader, key, int(parley.IdempotencyTTL/time.Hour)))
			return
		case existing.State != parley.IdempotencyDone:
			s.fail(w, r, &parley.Error{Code: parley.ECONFLICT, RetryAfter: time.Second,
				Message: fmt.Sprintf("a request with %s %q is still being processed; retry in 1 s", IdempotencyKeyHeader, key)})
			return
		}
		w.Header().Set(ReplayedHeader, "true")
		w.Header().Set("Cache-Control", "no-store")
		if existing.ContentType != "" {
			w.Header().Set("Content-Type", existing.ContentType)
		}
		w.WriteHeader(existing.Status)
		_, _ = w.Write(existing.Body) // the client went away; nothing to do
	}
}

// runReserved runs next for the reservation rec and keeps its answer, or
// releases the reservation when the answer is not to be kept (5xx, 429,
// no answer, a panic).
func (s *Server) runReserved(w http.ResponseWriter, r *http.Request, rec parley.IdempotencyRecord, next func(*Server, http.ResponseWriter, *http.Request)) {
	// The client may be gone by the end; the record is kept all the same.
	ctx := context.WithoutCancel(r.Context())
	c := &capture{ResponseWriter: w}
	keep := false
	defer func() {
		if keep {
			return
		}
		if err := s.Idempotency.ReleaseIdempotent(ctx, rec.AccountID, rec.Key, rec.Owner); err != nil {
			s.Log.ErrorContext(ctx, "idempotency key not released", "route", route(r), "err", err)
		}
	}()
	next(s, c, r)
	if keep = c.status != 0 && c.status < 500 && c.status != http.StatusTooManyRequests; !keep {
		return
	}
	rec.Status, rec.ContentType, rec.Body = c.status, c.Header().Get("Content-Type"), c.body.Bytes()
	// The request may have created something: its answer is worth retrying
	// the store for. Should every attempt fail, the reservation is left to
	// its lease (a retry meanwhile is 409), not released, which would let a
	// retry create again at once.
	var err error
	for attempt := range finishAttempts {
		if attempt > 0 {
			_ = run.Sleep(ctx, time.Duration(attempt)*100*time.Millisecond) // ctx is not cancelled
		}
		if err = s.Idempotency.FinishIdempotent(ctx, rec); parley.ErrorCode(err) != parley.EUNAVAILABLE {
			break
		}
	}
	if err != nil {
		s.Log.ErrorContext(ctx, "idempotent answer not kept", "route", route(r), "err", err)
	}
}

// finishAttempts is how many times an answer is offered to the store.
const finishAttempts = 3

// fingerprintRequest fingerprints r's body and replaces it with what was
// read, for the handler: in memory up to cr.limit, or for an upload to a
// route that takes them, in a temporary file of up to maxUpload, so that
// the uploads waiting for an upload slot (admitDraft) hold no memory.
// done removes the file.
func (s *Server) fingerprintRequest(w http.ResponseWriter, r *http.Request, route, account string, cr createRoute) (fp string, done func(), err error) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if !cr.uploads || mt != "multipart/form-data" {
		data, err := readBody(r, w, cr.limit)
		if err != nil {
			return "", func() {}, err
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		fp, err = Fingerprint(route, account, ct, bytes.NewReader(data), io.Discard)
		return fp, func() {}, err
	}
	f, err := os.CreateTemp("", "parley-upload-*")
	if err != nil {
		return "", func() {}, parley.Wrap(parley.EUNAVAILABLE, err, "spool the upload")
	}
	done = func() {
		f.Close()
		os.Remove(f.Name())
	}
	fp, err = Fingerprint(route, account, ct, http.MaxBytesReader(w, r.Body, maxUpload), f)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", done, uploadError(err)
		}
		return "", done, parley.Wrap(parley.EUNAVAILABLE, err, "spool the upload")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", done, parley.Wrap(parley.EUNAVAILABLE, err, "spool the upload")
	}
	r.Body = io.NopCloser(f)
	return fp, done, nil
}

// reservationToken is a random owner token of a reservation.
func reservationToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "draw a reservation token")
	}
	return hex.EncodeToString(b), nil
}

// now is the server's clock's time.
func (s *Server) now() time.Time {
	if s.Clock == nil {
		return parley.SystemClock{}.Now()
	}
	return s.Clock.Now()
}

// capture passes an answer through while keeping its status and body.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}
