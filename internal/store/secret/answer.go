package secret

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"

	"github.com/parleyhq/parley/internal/parley"
)

// answerItemPrefix and the key name an idempotent create's answer for
// parley.SecretAAD.
const answerItemPrefix = "idempotency:"

// maxAnswer bounds what an answer opens to, so that a corrupt record
// cannot expand without limit.
const maxAnswer = 256 << 20

func answerAAD(accountID, key string) []byte {
	return parley.SecretAAD(accountID, answerItemPrefix+key)
}

// EncodeAnswer compresses (gzip) and seals the answer body of an account's
// create made with Idempotency-Key key: it may hold consumers' numbers or
// an API client's one-time secret. The sealed value opens only for the same
// account and key.
func EncodeAnswer(ctx context.Context, s parley.Sealer, accountID, key string, body []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("compress the answer of key %q of account %s: %w", key, accountID, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress the answer of key %q of account %s: %w", key, accountID, err)
	}
	sealed, err := parley.Seal(ctx, s, b.Bytes(), answerAAD(accountID, key))
	if err != nil {
		return nil, fmt.Errorf("seal the answer of key %q of account %s: %w", key, accountID, err)
	}
	return sealed, nil
}

// DecodeAnswer opens what EncodeAnswer sealed for accountID and key: the
// ones the store keyed the record by, not ones read from it.
func DecodeAnswer(ctx context.Context, s parley.Sealer, accountID, key string, sealed []byte) ([]byte, error) {
	zipped, err := parley.Open(ctx, s, sealed, answerAAD(accountID, key))
	if err != nil {
		return nil, fmt.Errorf("open the answer of key %q of account %s: %w", key, accountID, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("decompress the answer of key %q of account %s: %w", key, accountID, err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, maxAnswer+1))
	if err == nil && len(body) > maxAnswer {
		err = fmt.Errorf("more than %d bytes", maxAnswer)
	}
	if err != nil {
		return nil, fmt.Errorf("decompress the answer of key %q of account %s: %w", key, accountID, err)
	}
	return body, nil
}
