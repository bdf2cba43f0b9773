package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// remote is a running parley serve, addressed by the --addr flag.
type remote struct {
	addr string
}

// parseRemote reads the --addr flag of an operator command.
func parseRemote(name string, args []string) (*remote, error) {
	r := &remote{addr: os.Getenv("PARLEY_ADDR")}
	if r.addr == "" {
		r.addr = "127.0.0.1:8080"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&r.addr, "addr", r.addr, "address of parley serve (PARLEY_ADDR)")
	return r, fs.Parse(args)
}

// call sends a request and writes the JSON answer, indented, to out.
func (r *remote) call(method, path string, out io.Writer) error {
	req, err := http.NewRequest(method, "http://"+r.addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("is parley serve running on %s? %w", r.addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, body)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err != nil {
		return fmt.Errorf("%s %s answered non-JSON: %w", method, path, err)
	}
	indented.WriteByte('\n')
	_, err = indented.WriteTo(out)
	return err
}
