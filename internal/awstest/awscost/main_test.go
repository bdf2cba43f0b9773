package awscost_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/awstest"
)

// TestMain runs the package's tests on the moto_server of testdata/moto:
// moto's own, with its Query and TransactWriteItems made independent of
// the table's size (see that script), so that a run of 6,000 recipients
// takes minutes instead of hours. What is asked and answered is the same.
func TestMain(m *testing.M) {
	dir, err := filepath.Abs(filepath.Join("testdata", "moto"))
	if err == nil {
		err = os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(awstest.Main(m))
}
