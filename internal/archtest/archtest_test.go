// Package archtest checks the module's dependency rules with the go
// command: only the AWS adapters, the X-Ray wiring, the composition root,
// test support and the entry points may reach the AWS SDKs.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/parleyhq/parley"

// sdkPrefixes are the import paths of the AWS SDKs.
var sdkPrefixes = []string{
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/aws-xray-sdk-go",
	"github.com/aws/aws-sdk-go",
}

// allowed are the packages (each with everything below it) that may
// depend on an AWS SDK.
var allowed = []string{
	"internal/store/dynamo",
	"internal/queue/sqs",
	"internal/ratelimit/dynamo",
	"internal/envelope/kms",
	"internal/eventpush/eventbridge",
	"internal/exportbucket",
	"internal/auth/kmssign",
	"internal/auth/signingkey",
	"internal/obs/xray",
	"internal/app",
	"internal/awstest",
	"functions",
	"cmd",
}

// isSDK reports whether path is a package of an AWS SDK.
func isSDK(path string) bool {
	for _, p := range sdkPrefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// isAllowed reports whether the module package path may depend on an SDK.
func isAllowed(path string) bool {
	for _, a := range allowed {
		a = module + "/" + a
		if path == a || strings.HasPrefix(path, a+"/") {
			return true
		}
	}
	return false
}

// moduleRoot walks up from the working directory to the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// goList runs go list with args in dir and returns its standard output.
func goList(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// listed is what go list -deps -json says of one package.
type listed struct {
	ImportPath string
	Imports    []string
}

// graph is the import graph of everything a set of packages depends on.
type graph map[string][]string

// chain returns one import path from pkg to an SDK package, nil if none.
func (g graph) chain(pkg string) []string {
	prev := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if isSDK(p) {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, imp := range g[p] {
			if _, seen := prev[imp]; !seen {
				prev[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// TestOnlyAdaptersReachTheAWSSDK fails for every package of the module
// outside the allowed set that has an AWS SDK among its dependencies
// (non-test builds), printing one import chain that brings it in.
func TestOnlyAdaptersReachTheAWSSDK(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("the go command is not available (%v): the dependency rules cannot be checked", err)
	}
	root := moduleRoot(t)
	pkgs := strings.Fields(string(goList(t, root, "./...")))
	if len(pkgs) == 0 {
		t.Fatal("go list ./... listed no packages")
	}
	args := append([]string{"-deps", "-json=ImportPath,Imports"}, pkgs...)
	g := graph{}
	dec := json.NewDecoder(bytes.NewReader(goList(t, root, args...)))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list -json: %v", err)
		}
		g[p.ImportPath] = p.Imports
	}
	var offenders []string
	for _, pkg := range pkgs {
		if isAllowed(pkg) {
			continue
		}
		if c := g.chain(pkg); c != nil {
			offenders = append(offenders, fmt.Sprintf("%s\n\t%s", pkg, strings.Join(c, "\n\t→ ")))
		}
	}
	if len(offenders) > 0 {
		t.Errorf("%d packages outside the AWS adapters depend on an AWS SDK (allowed: %s):\n%s",
			len(offenders), strings.Join(allowed, ", "), strings.Join(offenders, "\n"))
	}
}
