// Package secretfile keeps key material the embedded backend generates
// once in its data directory: a file readable by its owner only (0600),
// created whole or not at all.
package secretfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadOrCreate returns the content of the file at path, first creating it
// with what generate returns when there is none (and its directory, 0700).
// The file is written aside, synced, then linked into place, so two
// processes starting at once end up with the same content: the loser of
// the race reads the winner's.
func ReadOrCreate(path string, generate func() ([]byte, error)) ([]byte, error) {
	data, err := os.ReadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return data, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if data, err = generate(); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path) // another process made it first
	} else if err != nil {
		return nil, err
	}
	return data, nil
}
