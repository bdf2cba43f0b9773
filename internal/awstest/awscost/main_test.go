package awscost_test

import (
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
