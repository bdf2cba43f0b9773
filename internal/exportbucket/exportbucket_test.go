package exportbucket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/exportbucket"
	"github.com/parleyhq/parley/internal/parley"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newBucket creates a bucket of its own on moto_server.
func newBucket(tb testing.TB) (*exportbucket.Bucket, *s3.Client, string) {
	tb.Helper()
	client := s3.NewFromConfig(awstest.Config(tb), func(o *s3.Options) { o.UsePathStyle = true })
	name := strings.ToLower(awstest.Name(tb))
	name = strings.NewReplacer("_", "-").Replace(name)
	if err := exportbucket.EnsureBucket(context.Background(), client, name); err != nil {
		tb.Fatal(err)
	}
	if err := exportbucket.EnsureBucket(context.Background(), client, name); err != nil {
		tb.Fatalf("a second EnsureBucket: %v", err)
	}
	return exportbucket.New(client, name), client, name
}

// fetch follows a link as a browser would, without credentials.
func fetch(tb testing.TB, link string) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", link, resp.StatusCode, body)
	}
	return resp, body
}

// lines writes n numbered CSV lines in writes of uneven sizes.
func lines(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		for i := range n {
			if _, err := fmt.Fprintf(w, "%d,+1202555%04d,%s\n", i, i%10000, strings.Repeat("x", i%97)); err != nil {
				return err
			}
		}
		return nil
	}
}

func content(tb testing.TB, write func(io.Writer) error) []byte {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestStore stores a download smaller than a part (one PutObject) and one
// of three parts (a multipart upload), and follows each link: the file is
// what was written, named for a browser to save it.
func TestStore(t *testing.T) {
	b, client, name := newBucket(t)
	for _, tt := range []struct {
		name string
		n    int
		etag string // a multipart object's ETag ends -<parts>
	}{{"one part", 1000, `"`}, {"three parts", 200_000, `-3"`}} {
		t.Run(tt.name, func(t *testing.T) {
			want := content(t, lines(tt.n))
			if tt.n > 1000 && len(want) <= 2*exportbucket.MinPartSize {
				t.Fatalf("%d bytes do not make three parts", len(want))
			}
			link, expires, err := b.Store(context.Background(), "acct/1", "campaign-c1-recipients.csv", lines(tt.n))
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(u.Path, "/"+name+"/exports/acct%2F1/") || !strings.HasSuffix(u.Path, "/campaign-c1-recipients.csv") {
				t.Errorf("link path %s: want it under exports/<account>/", u.EscapedPath())
			}
			if u.Query().Get("X-Amz-Expires") != "600" || expires.IsZero() {
				t.Errorf("link %s expires %v: want 10 minutes", link, expires)
			}
			resp, got := fetch(t, link)
			if !bytes.Equal(got, want) {
				t.Fatalf("the file has %d bytes, want the %d written", len(got), len(want))
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != "attachment; filename=campaign-c1-recipients.csv" {
				t.Errorf("Content-Disposition %q", cd)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			key, _ := url.PathUnescape(strings.TrimPrefix(u.EscapedPath(), "/"+name+"/"))
			head, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &name, Key: &key})
			if err != nil || !strings.HasSuffix(aws.ToString(head.ETag), tt.etag) || strings.Contains(aws.ToString(head.ETag), "-") != (tt.etag != `"`) {
				t.Errorf("object %s: ETag %s, %v; want it to end %s", key, aws.ToString(head.ETag), err, tt.etag)
			}
		})
	}
}

// TestStoreNamesAreUnguessable stores one file twice: two objects, whose
// names share nothing but the account's prefix and the file name.
func TestStoreNamesAreUnguessable(t *testing.T) {
	b, _, _ := newBucket(t)
	first, _, err := b.Store(context.Background(), "acct1", "campaigns-acct1.csv", lines(3))
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := b.Store(context.Background(), "acct1", "campaigns-acct1.csv", lines(3))
	if err != nil {
		t.Fatal(err)
	}
	p1, _, _ := strings.Cut(first, "?")
	p2, _, _ := strings.Cut(second, "?")
	if p1 == p2 {
		t.Fatalf("both downloads are %s", p1)
	}
}

// TestStoreFailure fails a download after its first part was uploaded:
// the producer's error comes back as it is, and neither an object nor an
// unfinished upload is left.
func TestStoreFailure(t *testing.T) {
	b, client, name := newBucket(t)
	broken := parley.Errorf(parley.ENOTFOUND, "campaign c1 is gone")
	_, _, err := b.Store(context.Background(), "acct1", "campaign-c1-recipients.csv", func(w io.Writer) error {
		if err := lines(200_000)(w); err != nil {
			return err
		}
		return broken
	})
	if !errors.Is(err, broken) {
		t.Fatalf("Store = %v, want the producer's error", err)
	}
	objects, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &name, Prefix: aws.String(exportbucket.Prefix)})
	if err != nil || len(objects.Contents) != 0 {
		t.Fatalf("objects left: %v, %v", objects.Contents, err)
	}
	uploads, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &name})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Fatalf("multipart uploads left: %v, %v", uploads.Uploads, err)
	}
}

// TestStoreUnavailable stores to a bucket that does not exist: S3's
// refusal is unavailable, naming the bucket.
func TestStoreUnavailable(t *testing.T) {
	_, client, _ := newBucket(t)
	b := exportbucket.New(client, "no-such-bucket-"+strings.ToLower(awstest.Name(t)))
	_, _, err := b.Store(context.Background(), "acct1", "campaigns-acct1.csv", lines(3))
	if parley.ErrorCode(err) != parley.EUNAVAILABLE || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("Store = %v, want unavailable naming the bucket", err)
	}
}
