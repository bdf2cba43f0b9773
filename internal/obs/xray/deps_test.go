package xray

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsLinkNoXRaySDK keeps out of the Lambda functions what the
// X-Ray SDK for Go brought into each of them (8 MB of a 30 MB bootstrap):
// the SDK itself, the AWS SDK for Go v1, gRPC and fasthttp.
func TestFunctionsLinkNoXRaySDK(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "github.com/parleyhq/parley/functions/...")
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := []string{"github.com/aws/aws-xray-sdk-go", "github.com/aws/aws-sdk-go", "google.golang.org/grpc", "github.com/valyala/fasthttp"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b+"/") {
				t.Errorf("a function links %s", pkg)
			}
		}
	}
}
