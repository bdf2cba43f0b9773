package awscost_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"
)

// templatePath is the deployment template, from this package's directory.
var templatePath = filepath.Join("..", "..", "..", "template.yaml")

// lifecycleSource is the event source that feeds the lifecycle function
// the table's stream, as template.yaml declares it: Lambda hands the
// function the records whose pk starts with prefix, in batches of at most
// batchSize, one invocation each.
type lifecycleSource struct {
	batchSize int
	prefix    string
}

// loadLifecycleSource reads the lifecycle function's stream event source
// from template.yaml, and fails unless its filter is the one pk prefix
// the fold is measured with.
func loadLifecycleSource(tb testing.TB) lifecycleSource {
	tb.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		tb.Fatal(err)
	}
	var tpl struct {
		Resources struct {
			LifecycleFunction struct {
				Properties struct {
					Events struct {
						TableStream struct {
							Type       string `yaml:"Type"`
							Properties struct {
								BatchSize      int `yaml:"BatchSize"`
								FilterCriteria struct {
									Filters []struct {
										Pattern string `yaml:"Pattern"`
									} `yaml:"Filters"`
								} `yaml:"FilterCriteria"`
							} `yaml:"Properties"`
						} `yaml:"TableStream"`
					} `yaml:"Events"`
				} `yaml:"Properties"`
			} `yaml:"LifecycleFunction"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		tb.Fatalf("%s: %v", templatePath, err)
	}
	es := tpl.Resources.LifecycleFunction.Properties.Events.TableStream
	filters := es.Properties.FilterCriteria.Filters
	if es.Type != "DynamoDB" || es.Properties.BatchSize <= 0 || len(filters) != 1 {
		tb.Fatalf("%s: the lifecycle function's TableStream is not a DynamoDB event source with a batch size and one filter: %+v", templatePath, es)
	}
	var pattern struct {
		DynamoDB struct {
			Keys map[string]map[string][]struct {
				Prefix string `json:"prefix"`
			} `json:"Keys"`
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal([]byte(filters[0].Pattern), &pattern); err != nil {
		tb.Fatalf("%s: the lifecycle function's filter %q: %v", templatePath, filters[0].Pattern, err)
	}
	pk := pattern.DynamoDB.Keys["pk"]["S"]
	if len(pattern.DynamoDB.Keys) != 1 || len(pk) != 1 || pk[0].Prefix == "" {
		tb.Fatalf("%s: the lifecycle function's filter %q is not one pk prefix", templatePath, filters[0].Pattern)
	}
	return lifecycleSource{batchSize: es.Properties.BatchSize, prefix: pk[0].Prefix}
}

// passes reports whether the source's filter passes r to the function.
func (s lifecycleSource) passes(r events.DynamoDBEventRecord) bool {
	pk, ok := r.Change.Keys["pk"]
	return ok && pk.DataType() == events.DataTypeString && strings.HasPrefix(pk.String(), s.prefix)
}
