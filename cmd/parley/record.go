package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// servingRecord is what parley serve records of itself while it runs, so
// that the other commands reach it, and sign with its key, from whatever
// directory they are run in.
type servingRecord struct {
	Addr    string `json:"addr"`
	DataDir string `json:"dataDir"` // absolute
	Backend string `json:"backend"`
	PID     int    `json:"pid"`
	// ClockOffset is how far the server's clock is from the wall clock
	// (serve --clock); zero when it tells the wall clock's time.
	ClockOffset time.Duration `json:"clockOffset,omitempty"`
}

// recordPath is where the record is kept: <user cache dir>/parley/serve.json
// ("" when the system names no cache directory). Tests point it elsewhere.
var recordPath = func() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "parley", "serve.json")
}

// writeRecord records rec as the running server, and returns the function
// that removes the record again if it is still rec's (a server started
// later replaces it).
func writeRecord(rec servingRecord) (remove func(), err error) {
	path := recordPath()
	if path == "" {
		return func() {}, nil
	}
	data, _ := json.Marshal(rec) // strings and integers always marshal
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("record the server: %w", err)
	}
	tmp := path + fmt.Sprintf(".%d", rec.PID)
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return nil, fmt.Errorf("record the server: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("record the server: %w", err)
	}
	return func() {
		if cur, ok := readRecord(); ok && cur == rec {
			_ = os.Remove(path)
		}
	}, nil
}

// readRecord returns the record of the running server, if there is one.
func readRecord() (servingRecord, bool) {
	path := recordPath()
	if path == "" {
		return servingRecord{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return servingRecord{}, false
	}
	var rec servingRecord
	if json.Unmarshal(data, &rec) != nil || rec.Addr == "" {
		return servingRecord{}, false
	}
	return rec, true
}

// setting is one of the values a command shares with parley serve: its
// address or its data directory.
type setting struct {
	flag, env string // the flag's and the environment variable's names
	// fromRecord is the running server's value; same compares two values.
	fromRecord func(servingRecord) string
	same       func(a, b string) bool
}

var (
	addrSetting = setting{flag: "addr", env: "PARLEY_ADDR",
		fromRecord: func(r servingRecord) string { return r.Addr }, same: func(a, b string) bool { return a == b }}
	dataSetting = setting{flag: "data", env: "PARLEY_DATA_DIR",
		fromRecord: func(r servingRecord) string { return r.DataDir }, same: sameDir}
)

// locate settles *v the way serve reads it — the flag, else the
// environment — and otherwise takes the running server's value from its
// record (*v keeps its default when there is none). When the flag or the
// environment names a value other than the running server's, it says so
// on stderr: the command then talks to another server, or signs with
// another key, than the one running.
func (st setting) locate(fs *flag.FlagSet, v *string, stderr io.Writer) {
	given := ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == st.flag {
			given = "--" + st.flag
		}
	})
	if given == "" && os.Getenv(st.env) != "" {
		given = st.env
		*v = os.Getenv(st.env)
	}
	rec, ok := readRecord()
	switch {
	case !ok:
	case given == "":
		*v = st.fromRecord(rec)
	case !st.same(*v, st.fromRecord(rec)):
		fmt.Fprintf(stderr, "parley: note: %s is %s, but the parley serve running (pid %d, recorded in %s) has %s %s\n",
			given, *v, rec.PID, recordPath(), st.flag, st.fromRecord(rec))
	}
}

// sameDir reports whether two paths name the same directory.
func sameDir(a, b string) bool {
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	if aerr == nil && berr == nil {
		return os.SameFile(ai, bi)
	}
	if errors.Is(aerr, fs.ErrNotExist) != errors.Is(berr, fs.ErrNotExist) {
		return false
	}
	aa, _ := filepath.Abs(a)
	ba, _ := filepath.Abs(b)
	return aa == ba
}
