package awstest

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestEndpointAnswers(t *testing.T) {
	if Endpoint(t) == "" {
		t.Fatal("no endpoint")
	}
	if Config(t).BaseEndpoint == nil {
		t.Fatal("config lacks the endpoint")
	}
}
