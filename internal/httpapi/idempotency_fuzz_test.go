package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// FuzzIdempotencyKey feeds arbitrary header values to the key parser: a
// key it accepts is 1 to 255 printable ASCII characters; anything else is
// EINVALID naming the header.
func FuzzIdempotencyKey(f *testing.F) {
	for _, s := range []string{"k1", "", "clé", "a b", strings.Repeat("x", 256), "\x00", "550e8400-e29b-41d4-a716-446655440000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Add(httpapi.IdempotencyKeyHeader, v)
		key, ok, err := httpapi.ParseIdempotencyKey(h)
		if err != nil {
			if ok || parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != httpapi.IdempotencyKeyHeader {
				t.Fatalf("ParseIdempotencyKey(%q) = %t, %v", v, ok, err)
			}
			return
		}
		if !ok || key != v || len(key) < 1 || len(key) > httpapi.MaxIdempotencyKey {
			t.Fatalf("ParseIdempotencyKey(%q) = %q, %t", v, key, ok)
		}
		for _, c := range []byte(key) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("accepted %q", v)
			}
		}
	})
}

// FuzzFingerprint feeds arbitrary bodies and media types to the
// fingerprint: it is stable, passes the whole body to the spool, and for a
// multipart body does not depend on the boundary.
func FuzzFingerprint(f *testing.F) {
	f.Add("application/json", []byte(`{"consent":true}`), "meta", "Phone\n+12025550101\n")
	f.Add("multipart/form-data; boundary=xyz", []byte("--xyz\r\n\r\nbody\r\n--xyz--\r\n"), "", "")
	f.Add("multipart/form-data", []byte("--"), "a\r\n--b", "\r\n")
	f.Fuzz(func(t *testing.T, contentType string, body []byte, meta, csv string) {
		const route = "POST /api/v2/account/{accountId}/campaign"
		var spool bytes.Buffer
		fp, err := httpapi.Fingerprint(route, "acct1", contentType, bytes.NewReader(body), &spool)
		if err != nil {
			t.Fatalf("Fingerprint(%q, %q): %v", contentType, body, err)
		}
		again, _ := httpapi.Fingerprint(route, "acct1", contentType, bytes.NewReader(body), &bytes.Buffer{})
		if again != fp || len(fp) != 64 {
			t.Fatalf("fingerprints %q, %q", fp, again)
		}
		if !bytes.Equal(body, spool.Bytes()) {
			t.Fatalf("spooled %q, not the body", spool.Bytes())
		}
		var fps []string
		for _, boundary := range []string{"boundary-one", "0123456789abcdef0123456789abcdef"} {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			if err := mw.SetBoundary(boundary); err != nil {
				t.Fatal(err)
			}
			_ = mw.WriteField("campaign", meta)
			fw, _ := mw.CreateFormFile("recipients", "recipients.csv")
			_, _ = fw.Write([]byte(csv))
			_ = mw.Close()
			fp, err := httpapi.Fingerprint(route, "acct1", mw.FormDataContentType(), &b, &bytes.Buffer{})
			if err != nil {
				// A part whose content holds the boundary line cannot be
				// told apart; the boundaries' fingerprints then differ.
				return
			}
			fps = append(fps, fp)
		}
		if fps[0] != fps[1] {
			t.Fatalf("the boundary changed the fingerprint of %q, %q", meta, csv)
		}
	})
}

// TestFingerprintMalformedMultipart checks that bodies that are not
// multipart, though labelled so, are told apart by their bytes.
func TestFingerprintMalformedMultipart(t *testing.T) {
	const ct = "multipart/form-data; boundary=xyz"
	seen := map[string]string{}
	for _, body := range []string{"", "garbage", "other garbage", "--xyz", "--xyz\r\n", "--xyz--\r\n", "--xyz\r\n\r\ncut short"} {
		fp, err := httpapi.Fingerprint("POST /x", "acct1", ct, strings.NewReader(body), &bytes.Buffer{})
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if other, ok := seen[fp]; ok {
			t.Errorf("%q and %q have one fingerprint", body, other)
		}
		seen[fp] = body
	}
}
