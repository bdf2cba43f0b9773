package httpapi_test

import (
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/awstest"
)

// TestMain stops moto_server, which the downloads' bucket benchmark starts.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
