// Package readmetest checks that every command in README.md works as
// written: it extracts the README's ```sh blocks and runs them, in order,
// with bash against a real parley serve, as a newcomer on a fresh clone
// would type them.
//
// What the test changes, and nothing else:
//
//   - `go run ./cmd/parley` is a parley binary built once with go build.
//   - The README's address, http://127.0.0.1:8080 (parley serve's default),
//     is a free loopback port: it is rewritten in every command, and every
//     shell gets PARLEY_ADDR set to it, which stands for the default.
//   - moto_server's port 5000 is a free loopback port too (`-p 5000` and
//     127.0.0.1:5000 are rewritten).
//   - `make run`, which the README's first block runs, is started by the
//     test as the parley serve it runs (`make run DATA=<temp dir>`):
//     `parley serve --data <temp dir>` in the background, before the first
//     block that needs it. go test does not run make.
//   - HOME is a temporary directory, so parley serve records itself there
//     (~/.cache/parley/serve.json) and the commands find it as they would
//     on a developer's machine; its .curlrc adds --fail-with-body, so a
//     curl whose answer is an HTTP error exits non-zero.
//   - Every block runs in its own bash with `set -e -o pipefail` and the
//     shell variables the earlier blocks set, as if typed into one shell;
//     each command must exit 0. Where a line says `# → words`, the block's
//     output must contain each of the words.
//   - A block that runs parley serve runs in the background, in its own
//     process group, and the later blocks run against that server once it
//     has recorded itself; it is stopped (like Ctrl-C) when another server
//     block comes or the test ends. The server before it is stopped first.
//
// An HTML comment on the line before a block can say more:
//
//	<!-- readme-test: skip (reason) -->   not run; the test lists it and why
//	<!-- readme-test: once sent -->       run only when the sandbox recorded
//	                                      a campaign message: at night in New
//	                                      York the example's SMS wait for their
//	                                      delivery window
package readmetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/awstest"
)

// block is one ```sh block of the README.
type block struct {
	line     int    // README line of the opening fence
	text     string // the commands, as written
	skip     string // why the block is not run ("" if it is)
	onceSent bool   // run only once the sandbox sent a campaign message
}

// server reports whether the block runs parley serve (until stopped).
func (b block) server() bool { return strings.Contains(b.text, "./cmd/parley serve") }

var marker = regexp.MustCompile(`^<!--\s*readme-test:\s*(.*?)\s*-->$`)

// parseBlocks returns the ```sh blocks of a README.
func parseBlocks(readme string) ([]block, error) {
	var (
		blocks []block
		cur    *block
		body   []string
		prev   string // the last non-blank line outside a block
	)
	for i, line := range strings.Split(readme, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```sh":
			cur = &block{line: i + 1}
			if m := marker.FindStringSubmatch(prev); m != nil {
				switch note := m[1]; {
				case strings.HasPrefix(note, "skip"):
					cur.skip = strings.Trim(strings.TrimSpace(strings.TrimPrefix(note, "skip")), "()")
					if cur.skip == "" {
						return nil, fmt.Errorf("README.md:%d: a skip says why: <!-- readme-test: skip (reason) -->", i)
					}
				case note == "once sent":
					cur.onceSent = true
				default:
					return nil, fmt.Errorf("README.md:%d: unknown readme-test note %q", i, note)
				}
			}
		case cur != nil && trimmed == "```":
			cur.text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur, body = nil, nil
		case cur != nil:
			body = append(body, line)
		case trimmed != "":
			prev = trimmed
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: block not closed", cur.line)
	}
	return blocks, nil
}

// expected returns the words that `# → …` comments say the block's output
// contains.
func expected(text string) []string {
	var words []string
	for _, line := range strings.Split(text, "\n") {
		_, after, ok := strings.Cut(line, "# →")
		if !ok {
			continue
		}
		for _, w := range strings.FieldsFunc(after, func(r rune) bool { return r == ',' || r == ' ' }) {
			if w = strings.TrimRight(w, "….:"); w != "" {
				words = append(words, w)
			}
		}
	}
	return words
}

// env is where the README's commands run.
type env struct {
	t       *testing.T
	bin     string // the parley binary
	home    string
	work    string // the shells' working directory
	state   string // the shell variables the blocks set, as declare -p
	addr    string // stands for 127.0.0.1:8080
	moto    string // the port standing for moto_server's 5000
	environ []string
}

// rewrite maps a command of the README to the one the test runs (see the
// package comment).
func (e *env) rewrite(text string) string {
	return strings.NewReplacer(
		"go run ./cmd/parley", e.bin,
		"http://127.0.0.1:8080", "http://"+e.addr,
		"127.0.0.1:5000", "127.0.0.1:"+e.moto,
		"-p 5000", "-p "+e.moto,
	).Replace(text)
}

// script is a block's bash script: the earlier blocks' variables, then the
// block with every command checked, then its variables saved.
func (e *env) script(text string) string {
	return fmt.Sprintf(`__readme_base=$(compgen -v)
source %[1]q 2>/dev/null
set -e -o pipefail
trap 'echo "readme-test: exit status $? from: $BASH_COMMAND" >&2' ERR
%[2]s
trap - ERR
set +e
for __readme_v in $(compgen -v); do
  case $__readme_v in __readme*|BASH*|_|PIPESTATUS|FUNCNAME|LINENO|SECONDS|RANDOM|SRANDOM|EPOCH*) continue;; esac
  grep -qx "$__readme_v" <<<"$__readme_base" || declare -p "$__readme_v"
done >%[1]q.new
mv %[1]q.new %[1]q
`, e.state, e.rewrite(text))
}

func (e *env) command(ctx context.Context, text string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", e.script(text))
	cmd.Dir, cmd.Env = e.work, e.environ
	return cmd
}

// run runs a block to its end and checks it.
func (e *env) run(b block) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := e.command(ctx, b.text).CombinedOutput()
	if err != nil {
		e.t.Fatalf("README.md:%d: %v\n%s\noutput:\n%s", b.line, err, b.text, out)
	}
	for _, w := range expected(b.text) {
		if !bytes.Contains(out, []byte(w)) {
			e.t.Errorf("README.md:%d: the output lacks %q, which the README says it has\n%s\noutput:\n%s", b.line, w, b.text, out)
		}
	}
}

// running is a server block going on in the background.
type running struct {
	line int
	cmd  *exec.Cmd
	out  string // file of its output
	done chan error
}

// start runs a server block in the background and returns once the
// server it starts has recorded itself and answers.
func (e *env) start(b block) *running {
	e.t.Helper()
	r := &running{line: b.line, out: filepath.Join(e.home, fmt.Sprintf("server-%d.log", b.line)), done: make(chan error, 1)}
	f, err := os.Create(r.out)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	r.cmd = e.command(context.Background(), b.text)
	r.cmd.Stdout, r.cmd.Stderr = f, f
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	e.t.Cleanup(func() { r.stop(e.t) })
	record := filepath.Join(e.home, ".cache", "parley", "serve.json")
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case err := <-r.done:
			r.done <- err
			e.t.Fatalf("README.md:%d: the server ended before it served (%v)\n%s\noutput:\n%s", b.line, err, b.text, r.output())
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(record); err == nil && answers(e.addr) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("README.md:%d: no server recorded itself in %s and answered on %s within 30s\n%s\noutput:\n%s", b.line, record, e.addr, b.text, r.output())
		}
	}
}

// answers reports whether a server answers on addr.
func answers(addr string) bool {
	resp, err := http.Get("http://" + addr + "/openapi.yaml")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (r *running) output() string {
	data, _ := os.ReadFile(r.out)
	return string(data)
}

// stop interrupts the block's process group, as Ctrl-C would, and waits
// for it to end (killing it after 10 s).
func (r *running) stop(t *testing.T) {
	if r.cmd == nil {
		return
	}
	pgid := r.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGINT)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Errorf("README.md:%d: the server did not stop within 10s of an interrupt\noutput:\n%s", r.line, r.output())
		<-r.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // what it started in the background, e.g. moto_server
	r.cmd = nil
}

// sent reports whether the sandbox recorded a message of a campaign, as
// `parley sandbox messages` lists them.
func (e *env) sent() bool {
	e.t.Helper()
	cmd := exec.Command(e.bin, "sandbox", "messages")
	cmd.Dir, cmd.Env = e.work, e.environ
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("parley sandbox messages: %v\n%s", err, out)
	}
	var ms []struct {
		CampaignID string `json:"campaignId"`
	}
	if err := json.Unmarshal(out, &ms); err != nil {
		e.t.Fatalf("parley sandbox messages: %v\n%s", err, out)
	}
	for _, m := range ms {
		if m.CampaignID != "" {
			return true
		}
	}
	return false
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) string {
	port, err := awstest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(port)
}

// newEnv builds parley and lays out the newcomer's machine.
func newEnv(t *testing.T, root string) *env {
	dir := t.TempDir()
	e := &env{
		t:     t,
		bin:   filepath.Join(dir, "parley"),
		home:  filepath.Join(dir, "home"),
		work:  filepath.Join(dir, "work"),
		state: filepath.Join(dir, "state.sh"),
		addr:  "127.0.0.1:" + freePort(t),
		moto:  freePort(t),
	}
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/parley")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/parley: %v\n%s", err, out)
	}
	for _, d := range []string{e.home, e.work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.home, ".curlrc"), []byte("fail-with-body\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "PARLEY_"), strings.HasPrefix(name, "AWS_"),
			name == "HOME", name == "XDG_CACHE_HOME", name == "XDG_CONFIG_HOME", name == "CURL_HOME":
			continue
		}
		e.environ = append(e.environ, kv)
	}
	e.environ = append(e.environ, "HOME="+e.home, "CURL_HOME="+e.home, "PARLEY_ADDR="+e.addr)
	return e
}

// moduleRoot returns the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v %s", err, out)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestReadmeCommands runs the README's shell blocks (see the package
// comment for how).
func TestReadmeCommands(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the README's commands need it, so they cannot be checked here", tool)
		}
	}
	root := moduleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseBlocks(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, root)
	// make run: the first server, until a block starts another.
	var srv *running
	makeRun := block{line: 0, text: "go run ./cmd/parley serve --data " + filepath.Join(e.home, "data") + "\n"}
	var skipped []string
	for _, b := range blocks {
		switch {
		case b.skip != "":
			skipped = append(skipped, fmt.Sprintf("README.md:%d (%s)", b.line, b.skip))
			continue
		case b.server():
			if srv != nil {
				srv.stop(t)
			}
			srv = e.start(b)
			continue
		case srv == nil:
			srv = e.start(makeRun)
		}
		if b.onceSent && !e.sent() {
			skipped = append(skipped, fmt.Sprintf("README.md:%d (the campaign's messages wait for their delivery window)", b.line))
			continue
		}
		e.run(b)
	}
	for _, s := range skipped {
		t.Logf("skipped %s", s)
	}
}
