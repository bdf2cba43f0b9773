package xray

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// answer is one answer of the fake AWS service.
type answer struct {
	status int
	body   string
}

// awsServer is an httptest server speaking the AWS JSON protocol: it
// gives the answers in turn (the last one again once they run out), each
// with request id "req-<n>", and keeps the target and trace header of
// each request.
type awsServer struct {
	*httptest.Server
	mu      sync.Mutex
	answers []answer
	targets []string
	headers []string
}

func newAWSServer(t *testing.T, answers ...answer) *awsServer {
	t.Helper()
	s := &awsServer{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.targets)
		s.targets = append(s.targets, r.Header.Get("X-Amz-Target"))
		s.headers = append(s.headers, r.Header.Get(HeaderName))
		a := s.answers[min(n, len(s.answers)-1)]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", n+1))
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(s.Close)
	return s
}

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// tracedConfig is an SDK config aimed at endpoint, traced, making up to
// attempts attempts per operation without waiting between them.
func tracedConfig(endpoint string, attempts int) aws.Config {
	cfg := aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.Backoff = noBackoff{}
			})
		},
	}
	TraceAWS(&cfg)
	return cfg
}

func getItem(ctx context.Context, cfg aws.Config) error {
	_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("parley-main"),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ACCOUNT#a1"}},
	})
	return err
}

func TestAWSCallRecordsASubsegment(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	srv := newAWSServer(t, answer{200, `{}`})
	if err := getItem(invocation(testHeader), tracedConfig(srv.URL, 3)); err != nil {
		t.Fatal(err)
	}

	dg := d.one()
	id := checkSubsegment(t, dg, "DynamoDB", "aws")
	for k, v := range map[string]any{
		"aws.operation":        "GetItem",
		"aws.region":           "eu-west-1",
		"aws.request_id":       "req-1",
		"aws.table_name":       "parley-main",
		"http.request.method":  "POST",
		"http.request.url":     srv.URL + "/",
		"http.response.status": 200.0,
	} {
		if got := field(dg.doc, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	for _, k := range []string{"error", "throttle", "fault", "cause", "aws.retries"} {
		if v := field(dg.doc, k); v != nil {
			t.Errorf("%s = %v, want none", k, v)
		}
	}
	if strings.Contains(dg.raw, "ACCOUNT#a1") {
		t.Errorf("the datagram records the request: %s", dg.raw)
	}
	want := "Root=" + testRoot + ";Parent=" + id + ";Sampled=1;Lineage=a87bd80c:0"
	if len(srv.headers) != 1 || srv.headers[0] != want {
		t.Errorf("the service got %s %q, want %q", HeaderName, srv.headers, want)
	}
}

func TestAWSCallRecordsTheQueue(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	srv := newAWSServer(t, answer{200, `{"Attributes":{}}`})
	queue := "https://sqs.eu-west-1.amazonaws.com/123456789012/parley-send"
	_, err := sqs.NewFromConfig(tracedConfig(srv.URL, 3)).GetQueueAttributes(invocation(testHeader), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue)})
	if err != nil {
		t.Fatal(err)
	}
	dg := d.one()
	checkSubsegment(t, dg, "SQS", "aws")
	for k, v := range map[string]any{"aws.operation": "GetQueueAttributes", "aws.queue_url": queue, "aws.request_id": "req-1"} {
		if got := field(dg.doc, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}

func TestAWSCallSpansItsRetries(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	srv := newAWSServer(t, answer{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}`}, answer{200, `{}`})
	if err := getItem(invocation(testHeader), tracedConfig(srv.URL, 3)); err != nil {
		t.Fatal(err)
	}
	dg := d.one()
	id := checkSubsegment(t, dg, "DynamoDB", "aws")
	for k, v := range map[string]any{"aws.retries": 1.0, "aws.request_id": "req-2", "http.response.status": 200.0, "fault": nil, "cause": nil} {
		if got := field(dg.doc, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if len(srv.headers) != 2 || srv.headers[0] != srv.headers[1] || !strings.Contains(srv.headers[1], ";Parent="+id+";") {
		t.Errorf("the attempts carried %q, want the subsegment %s as parent", srv.headers, id)
	}
}

func TestAWSCallFlagsErrors(t *testing.T) {
	inLambda(t)
	for _, tc := range []struct {
		name                   string
		answer                 answer
		error, throttle, fault bool
		typ                    string
	}{
		{"not found", answer{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`}, true, false, false, "ResourceNotFoundException"},
		{"throttled", answer{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}`}, true, true, false, "ThrottlingException"},
		{"429", answer{429, `{"__type":"TooManyRequestsException","message":"slow down"}`}, true, true, false, "TooManyRequestsException"},
		{"internal", answer{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}`}, false, false, true, "InternalServerError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t)
			srv := newAWSServer(t, tc.answer)
			if err := getItem(invocation(testHeader), tracedConfig(srv.URL, 1)); err == nil {
				t.Fatal("GetItem succeeded")
			}
			dg := d.one()
			checkSubsegment(t, dg, "DynamoDB", "aws")
			for k, want := range map[string]bool{"error": tc.error, "throttle": tc.throttle, "fault": tc.fault} {
				if got, _ := dg.doc[k].(bool); got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if got := field(dg.doc, "http.response.status"); got != float64(tc.answer.status) {
				t.Errorf("status = %v, want %d", got, tc.answer.status)
			}
			if got := field(dg.doc, "aws.request_id"); got != "req-1" {
				t.Errorf("request_id = %v, want req-1", got)
			}
			exc, _ := field(dg.doc, "cause.exceptions").([]any)
			if len(exc) != 1 {
				t.Fatalf("cause = %v, want one exception", dg.doc["cause"])
			}
			e := exc[0].(map[string]any)
			if e["type"] != tc.typ || e["remote"] != true || e["message"] == "" {
				t.Errorf("exception = %v, want type %s, remote, a message", e, tc.typ)
			}
		})
	}
}

func TestAWSCallTransportErrorIsAFault(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close()
	if err := getItem(invocation(testHeader), tracedConfig(endpoint, 1)); err == nil {
		t.Fatal("GetItem succeeded")
	}
	dg := d.one()
	checkSubsegment(t, dg, "DynamoDB", "aws")
	if dg.doc["fault"] != true || dg.doc["error"] != nil || field(dg.doc, "http.response") != nil {
		t.Errorf("fault, error, response = %v, %v, %v; want a fault without an answer", dg.doc["fault"], dg.doc["error"], field(dg.doc, "http.response"))
	}
	if msg, _ := field(dg.doc, "cause.exceptions").([]any); len(msg) != 1 {
		t.Errorf("cause = %v, want one exception", dg.doc["cause"])
	}
}

func TestAWSCallNotSampledIsNotRecorded(t *testing.T) {
	inLambda(t)
	for _, h := range []string{"", "Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0"} {
		d := newDaemon(t)
		srv := newAWSServer(t, answer{200, `{}`})
		if err := getItem(invocation(h), tracedConfig(srv.URL, 1)); err != nil {
			t.Fatal(err)
		}
		if got := d.received(); len(got) != 0 {
			t.Errorf("header %q: daemon got %+v, want nothing", h, got)
		}
	}
}

func TestTraceAWSOutsideLambdaAddsNothing(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	var cfg aws.Config
	TraceAWS(&cfg)
	if len(cfg.APIOptions) != 0 {
		t.Errorf("APIOptions = %d, want none outside Lambda", len(cfg.APIOptions))
	}
}
