package dispatch_test

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// TestKilledDispatchersOnDynamoDB is TestKilledDispatchersNeverDuplicateOrLose
// on the DynamoDB adapter (on moto_server), whose recipients intake writes
// in chunks and whose first change of a recipient puts its item: killed at
// every step, redelivered until done, every recipient is sent exactly once.
// It relies on each conditional write being atomic, as on DynamoDB, which
// moto_server is only behind awstest's proxy (see awstest.Endpoint); it
// takes about a minute, so make verify runs it (PARLEY_DYNAMO_CRASH=1).
func TestKilledDispatchersOnDynamoDB(t *testing.T) {
	if os.Getenv("PARLEY_DYNAMO_CRASH") == "" {
		t.Skip("set PARLEY_DYNAMO_CRASH=1 to run the fault injection on moto_server (make verify does)")
	}
	db := dynamodb.NewFromConfig(awstest.Config(t))
	name := awstest.Name(t)
	if err := dynamo.EnsureTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	killAndRedeliver(t, dynamo.New(db, name), 500, false)
}
