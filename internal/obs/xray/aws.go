package xray

import (
	"context"
	"errors"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// An AWS SDK operation is one "aws" subsegment named after the service
// (DynamoDB, SQS, KMS), from the start of the operation to its result, so
// it spans the SDK's retries: aws.retries counts them, and the response
// recorded is the last attempt's. Each attempt carries X-Amzn-Trace-Id
// with the subsegment as parent and the invocation's lineage, which
// Lambda's recursive-loop detection follows through SQS.

// operationKey keys the operation's subsegment among the stack values.
type operationKey struct{}

// operation is the subsegment of one SDK operation in progress.
type operation struct {
	header   traceHeader
	seg      *subsegment
	attempts int
}

// addMiddleware adds the tracing middleware to an SDK client's stack.
func addMiddleware(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("XRayOperation", traceOperation), middleware.After); err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("XRayAttempt", traceAttempt), middleware.Before)
}

// traceOperation opens the subsegment of an operation, after the SDK has
// put the service, operation and region in the context, and sends it
// when the operation ends.
func traceOperation(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	h, ok := fromContext(ctx)
	if !ok || !h.recorded() {
		return next.HandleInitialize(ctx, in)
	}
	service := awsmiddleware.GetServiceID(ctx)
	op := &operation{header: h, seg: newSubsegment(h, service, "aws")}
	op.seg.AWS = &awsInfo{Operation: awsmiddleware.GetOperationName(ctx), Region: awsmiddleware.GetRegion(ctx)}
	switch service {
	case "DynamoDB":
		op.seg.AWS.TableName = stringField(in.Parameters, "TableName")
	case "SQS":
		op.seg.AWS.QueueURL = stringField(in.Parameters, "QueueUrl")
	}
	ctx = middleware.WithStackValue(ctx, operationKey{}, op)

	out, md, err := next.HandleInitialize(ctx, in)

	if op.attempts > 1 {
		op.seg.AWS.Retries = op.attempts - 1
	}
	if err != nil {
		typ, remote := "", false
		var ae smithy.APIError
		if errors.As(err, &ae) {
			typ, remote = ae.ErrorCode(), true
		}
		// AWS services answer most throttling with 400 (DynamoDB's
		// ProvisionedThroughputExceededException, KMS's
		// ThrottlingException); the SDK knows which codes those are.
		if op.seg.Error && throttles.IsErrorThrottle(err) == aws.TrueTernary {
			op.seg.Throttle = true
		}
		op.seg.fail(err, typ, remote)
	}
	op.seg.end()
	send(op.seg)
	return out, md, err
}

// traceAttempt runs once per attempt: it passes the trace on and records
// the attempt's request, response and request id.
func traceAttempt(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	op, _ := middleware.GetStackValue(ctx, operationKey{}).(*operation)
	if op == nil {
		return next.HandleDeserialize(ctx, in)
	}
	op.attempts++
	op.seg.Error, op.seg.Throttle, op.seg.Fault = false, false, false
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		// X-Amzn-Trace-Id is not signed, so it may be set after signing.
		req.Header.Set(HeaderName, op.header.downstream(op.seg.ID, true))
		if req.URL != nil {
			op.seg.HTTP = &httpInfo{Request: &httpRequest{Method: req.Method, URL: recordedURL(req.URL)}}
		}
	}

	out, md, err := next.HandleDeserialize(ctx, in)

	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Response != nil && resp.StatusCode > 0 {
		op.seg.status(resp.StatusCode, resp.ContentLength)
	} else {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() > 0 {
			op.seg.status(re.HTTPStatusCode(), -1)
		}
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
		op.seg.AWS.RequestID = id
	}
	return out, md, err
}

// throttles tells throttling errors by the SDK's list of error codes.
var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// stringField returns the string field name of the struct params points
// to (an SDK input such as *dynamodb.GetItemInput), "" if it has none.
func stringField(params any, name string) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() {
		return ""
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return ""
		}
		f = f.Elem()
	}
	if f.Kind() != reflect.String {
		return ""
	}
	return truncate(f.String(), maxText)
}
