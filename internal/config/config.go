// Package config reads Parley's configuration from environment variables,
// the only source of configuration for the functions and for parley serve.
package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Backends.
const (
	BackendEmbedded = "embedded"
	BackendAWS      = "aws"
)

// Config is the process configuration. Every field comes from one
// environment variable, named in its comment; README lists them all.
type Config struct {
	Backend      string  // PARLEY_BACKEND: embedded (default) or aws
	DataDir      string  // PARLEY_DATA_DIR: embedded backend's directory (./.parley)
	Addr         string  // PARLEY_ADDR: parley serve's listen address (127.0.0.1:8080)
	Table        string  // PARLEY_TABLE: DynamoDB table (aws backend)
	JobsQueueURL string  // PARLEY_JOBS_QUEUE_URL: SQS jobs queue URL (aws backend)
	JobsDLQURL   string  // PARLEY_JOBS_DLQ_URL: its dead-letter queue, for redrive (aws backend)
	Gateway      string  // PARLEY_GATEWAY: channel gateway; sandbox (default)
	LogLevel     string  // PARLEY_LOG_LEVEL: DEBUG, INFO (default), WARN, ERROR
	Workers      int     // PARLEY_WORKERS: parley serve's dispatcher pollers (4)
	MPS          float64 // PARLEY_MPS: messages per second per account, channel and sender (10)
	Burst        int     // PARLEY_BURST: sends allowed at once above that pace (1)
	AWSEndpoint  string  // AWS_ENDPOINT_URL: an emulator; missing table and queues are created
}

// Names lists every environment variable Config reads.
var Names = []string{
	"PARLEY_BACKEND", "PARLEY_DATA_DIR", "PARLEY_ADDR", "PARLEY_TABLE", "PARLEY_JOBS_QUEUE_URL", "PARLEY_JOBS_DLQ_URL",
	"PARLEY_GATEWAY", "PARLEY_LOG_LEVEL", "PARLEY_WORKERS", "PARLEY_MPS", "PARLEY_BURST", "AWS_ENDPOINT_URL",
}

// FromEnv reads the configuration through getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	or := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Backend: or("PARLEY_BACKEND", BackendEmbedded), DataDir: or("PARLEY_DATA_DIR", ".parley"),
		Addr: or("PARLEY_ADDR", "127.0.0.1:8080"), Table: or("PARLEY_TABLE", ""),
		JobsQueueURL: or("PARLEY_JOBS_QUEUE_URL", ""), JobsDLQURL: or("PARLEY_JOBS_DLQ_URL", ""),
		Gateway:  or("PARLEY_GATEWAY", "sandbox"),
		LogLevel: or("PARLEY_LOG_LEVEL", "INFO"), AWSEndpoint: or("AWS_ENDPOINT_URL", ""),
	}
	workers, err := strconv.Atoi(or("PARLEY_WORKERS", "4"))
	if err != nil || workers < 1 || workers > 256 {
		return Config{}, fmt.Errorf("PARLEY_WORKERS=%q: want a whole number from 1 to 256", getenv("PARLEY_WORKERS"))
	}
	c.Workers = workers
	if c.MPS, err = strconv.ParseFloat(or("PARLEY_MPS", "10"), 64); err != nil || c.MPS <= 0 || c.MPS > 1e6 {
		return Config{}, fmt.Errorf("PARLEY_MPS=%q: want messages per second above 0 and at most 1000000", getenv("PARLEY_MPS"))
	}
	if c.Burst, err = strconv.Atoi(or("PARLEY_BURST", "1")); err != nil || c.Burst < 1 || c.Burst > 10000 {
		return Config{}, fmt.Errorf("PARLEY_BURST=%q: want a whole number from 1 to 10000", getenv("PARLEY_BURST"))
	}
	return c, c.Validate()
}

// Validate checks that the settings fit together.
func (c Config) Validate() error {
	switch c.Backend {
	case BackendEmbedded:
	case BackendAWS:
		if c.Table == "" {
			return fmt.Errorf("PARLEY_BACKEND=aws needs PARLEY_TABLE")
		}
		if c.JobsQueueURL == "" && c.AWSEndpoint == "" {
			return fmt.Errorf("PARLEY_BACKEND=aws needs PARLEY_JOBS_QUEUE_URL (or AWS_ENDPOINT_URL to create the queue on an emulator)")
		}
	default:
		return fmt.Errorf("PARLEY_BACKEND=%q: want embedded or aws", c.Backend)
	}
	if c.Gateway != "sandbox" {
		return fmt.Errorf("PARLEY_GATEWAY=%q: the only gateway is sandbox", c.Gateway)
	}
	return nil
}
