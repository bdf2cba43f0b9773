// Package exportbucket keeps downloads in an S3 bucket and hands out
// short-lived presigned links to them: on AWS a download is too large to
// answer through API Gateway, which takes at most 6 MB from a function.
//
// A download is written as it is produced, one part at a time (a
// multipart upload whose parts are PartSize bytes; a download smaller
// than one part is a single PutObject), so memory holds one part whatever
// the download's size. Objects are named exports/<account>/<random>/<file
// name>: an account's downloads stay under its own prefix, and a name
// cannot be guessed, nor listed by anyone but the deployment. The
// bucket's lifecycle rule (template.yaml) deletes them after a day.
package exportbucket

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/parleyhq/parley/internal/parley"
)

// Prefix is the key prefix of every download; the bucket's lifecycle rule
// expires what is under it.
const Prefix = "exports/"

// MinPartSize is the smallest part S3 takes in a multipart upload (but
// the last): 5 MiB.
const MinPartSize = 5 << 20

// DefaultTTL is how long a download's link works.
const DefaultTTL = 10 * time.Minute

// Bucket stores downloads in one S3 bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
	// TTL is how long a link works (DefaultTTL when zero). A link signed
	// with a Lambda function's temporary credentials stops working when
	// they expire, if that is sooner.
	TTL time.Duration
	// PartSize is the size of each part but the last, at least
	// MinPartSize (MinPartSize when zero): the memory one download takes.
	PartSize int
}

// New returns the downloads of the bucket named name.
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{client: client, presign: s3.NewPresignClient(client), name: name}
}

// Store writes what write writes to a new object holding the download
// filename of accountID (Content-Type text/csv, Content-Disposition
// attachment with that file name) and returns a presigned GET link to it
// and when the link stops working. An error of write is returned as it
// is, and nothing is kept; a failure of S3 is parley.EUNAVAILABLE.
func (b *Bucket) Store(ctx context.Context, accountID, filename string, write func(io.Writer) error) (string, time.Time, error) {
	u := &upload{ctx: ctx, b: b,
		key:         Prefix + url.PathEscape(accountID) + "/" + rand.Text() + "/" + url.PathEscape(filename),
		disposition: mime.FormatMediaType("attachment", map[string]string{"filename": filename}),
		buf:         make([]byte, 0, max(b.PartSize, MinPartSize)),
	}
	if err := write(u); err != nil {
		u.abort()
		if u.err != nil && errors.Is(err, u.err) {
			return "", time.Time{}, unavailable(err, "write the download to bucket %s", b.name)
		}
		return "", time.Time{}, err
	}
	if err := u.finish(); err != nil {
		u.abort()
		return "", time.Time{}, unavailable(err, "write the download to bucket %s", b.name)
	}
	ttl := b.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	// S3 checks a link against its own clock, and the SDK signs it by the
	// system clock: so does its expiry, whatever clock the services run by.
	now := time.Now()
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &u.key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, unavailable(err, "sign a link to the download in bucket %s", b.name)
	}
	return req.URL, now.Add(ttl), nil
}

func unavailable(err error, format string, args ...any) error {
	return parley.Wrap(parley.EUNAVAILABLE, err, format, args...)
}

// upload is an io.Writer that uploads what it is given to one object, a
// part at a time.
type upload struct {
	ctx              context.Context
	b                *Bucket
	key, disposition string
	buf              []byte // the part being filled; its capacity is the part size
	id               string // the multipart upload's, once one is started
	parts            []types.CompletedPart
	err              error // the first failure of S3, which every later Write returns
}

func (u *upload) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if u.err != nil {
			return n, u.err
		}
		k := copy(u.buf[len(u.buf):cap(u.buf)], p)
		u.buf, p, n = u.buf[:len(u.buf)+k], p[k:], n+k
		if len(u.buf) == cap(u.buf) {
			u.err = u.part()
		}
	}
	return n, u.err
}

// part uploads the buffer as the next part, starting the multipart upload
// with the first.
func (u *upload) part() error {
	if u.id == "" {
		out, err := u.b.client.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{Bucket: &u.b.name, Key: &u.key,
			ContentType: aws.String(contentType), ContentDisposition: &u.disposition, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			return fmt.Errorf("start a multipart upload: %w", err)
		}
		u.id = aws.ToString(out.UploadId)
	}
	n := int32(len(u.parts) + 1)
	out, err := u.b.client.UploadPart(u.ctx, &s3.UploadPartInput{Bucket: &u.b.name, Key: &u.key, UploadId: &u.id,
		PartNumber: &n, Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		return fmt.Errorf("upload part %d: %w", n, err)
	}
	u.parts = append(u.parts, types.CompletedPart{PartNumber: &n, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	u.buf = u.buf[:0]
	return nil
}

const contentType = "text/csv; charset=utf-8"

// finish stores what is left: the whole object when it fits one part,
// else the last part, and completes the multipart upload.
func (u *upload) finish() error {
	if u.err != nil {
		return u.err
	}
	if u.id == "" {
		_, err := u.b.client.PutObject(u.ctx, &s3.PutObjectInput{Bucket: &u.b.name, Key: &u.key, Body: bytes.NewReader(u.buf),
			ContentLength: aws.Int64(int64(len(u.buf))), ContentType: aws.String(contentType), ContentDisposition: &u.disposition})
		return err
	}
	if len(u.buf) > 0 {
		if err := u.part(); err != nil {
			return err
		}
	}
	_, err := u.b.client.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{Bucket: &u.b.name, Key: &u.key, UploadId: &u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}})
	if err != nil {
		return fmt.Errorf("complete the multipart upload: %w", err)
	}
	return nil
}

// abort drops the parts of an unfinished multipart upload, so that none
// is kept (or billed) for a download that failed, even when the request
// was cancelled.
func (u *upload) abort() {
	if u.id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), 10*time.Second)
	defer cancel()
	_, _ = u.b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &u.b.name, Key: &u.key, UploadId: &u.id}) // the lifecycle rule's AbortIncompleteMultipartUpload drops it otherwise
}

// EnsureBucket creates the bucket named name if it does not exist, with
// its objects private: for emulators, where no stack declares it.
func EnsureBucket(ctx context.Context, client *s3.Client, name string) error {
	in := &s3.CreateBucketInput{Bucket: &name}
	if r := client.Options().Region; r != "" && r != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
	}
	_, err := client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}
