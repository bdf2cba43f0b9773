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

// sandboxMessages prints what a running parley serve's sandbox recorded.
func sandboxMessages(args []string, stdout io.Writer) error {
	addr := os.Getenv("PARLEY_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	fs := flag.NewFlagSet("sandbox messages", flag.ContinueOnError)
	fs.StringVar(&addr, "addr", addr, "address of parley serve (PARLEY_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/sandbox/messages")
	if err != nil {
		return fmt.Errorf("is parley serve running on %s? %w", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /sandbox/messages: %s: %s", resp.Status, body)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return fmt.Errorf("sandbox answered non-JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(stdout)
	return err
}
