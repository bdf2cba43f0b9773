// Package awstest runs a real DynamoDB, SQS and KMS API server (moto_server) for
// the AWS adapters' tests. It never skips: without moto_server the tests fail
// and say how to get it.
//
// The tests reach moto_server through a proxy that never lets two DynamoDB
// requests touch one partition at once (see serialize): moto_server checks
// a write's condition and applies the write in separate steps, unlocked, so
// under concurrent requests two conditional writes to one item could both
// succeed (16 concurrent "status = QUEUED" updates of one item had two
// winners in one round of 50 to 100), which DynamoDB never allows.
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/run"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Install says how to get moto_server when it is missing.
const Install = `moto_server not found on PATH: install it with "python3 -m pip install 'moto[server]>=5,<6'" (.ci/run does this where it is missing)`

var (
	once     sync.Once
	endpoint string
	startErr error
	cmd      *exec.Cmd
	counter  atomic.Int64
)

// Main runs the package's tests and stops moto_server afterwards. Call it
// from TestMain: os.Exit(awstest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	return code
}

// Endpoint returns the URL of a running moto_server, starting it on a free
// loopback port the first time; the URL is that of the proxy in front of
// it (see serialize).
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(func() { endpoint, startErr = start() })
	if startErr != nil {
		t.Fatal(startErr)
	}
	return endpoint
}

// Config returns an AWS config aimed at moto_server with static credentials.
func Config(t testing.TB) aws.Config {
	url := Endpoint(t)
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
}

// SetEnv points the AWS SDK's default configuration, as a process loads
// it from the environment, at moto_server for the rest of the test.
func SetEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", Endpoint(t))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// Name returns a resource name unique within this test binary.
func Name(t testing.TB) string {
	n := unsafe.ReplaceAllString(t.Name(), "-")
	if len(n) > 50 {
		n = n[len(n)-50:]
	}
	return fmt.Sprintf("t%d-%s", counter.Add(1), strings.Trim(n, "-"))
}

func start() (string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", fmt.Errorf("%s", Install)
	}
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if os.Getenv("PARLEY_MOTO_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start moto_server: %w", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return serialize(url)
		}
		_ = run.Sleep(ctx, 100*time.Millisecond) // the loop ends with ctx
	}
	return "", fmt.Errorf("moto_server did not answer on %s within 30s", url)
}

// FreePort returns a loopback port nothing listens on at the moment.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
