package sqs

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parleyhq/parley/internal/parley"
)

// DLQSuffix is appended to a queue's name to name its dead-letter queue.
const DLQSuffix = "-dlq"

// EnsureQueue creates, unless they exist, the queue name and its dead-letter
// queue name+DLQSuffix, and returns the URLs of both. The queue hides received
// messages for visibility and moves a message to the dead-letter queue
// instead of delivering it more than maxReceive times. It is for emulators and tests; in
// AWS the queues are provisioned with the stack. CreateQueue is idempotent
// only with identical attributes: an existing queue configured otherwise is
// an error.
func EnsureQueue(ctx context.Context, client *awssqs.Client, name string, visibility time.Duration, maxReceive int) (url, dlqURL string, err error) {
	if dlqURL, err = createQueue(ctx, client, name+DLQSuffix, nil); err != nil {
		return "", "", err
	}
	arn, err := queueARN(ctx, client, dlqURL)
	if err != nil {
		return "", "", err
	}
	policy, err := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": maxReceive})
	if err != nil {
		return "", "", parley.Wrap(parley.EINTERNAL, err, "sqs redrive policy")
	}
	url, err = createQueue(ctx, client, name, map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(seconds(visibility, maxVisibilitySeconds))),
		string(types.QueueAttributeNameRedrivePolicy):     string(policy),
	})
	return url, dlqURL, err
}

// createQueue creates the queue name with attrs, or finds it, and returns its URL.
func createQueue(ctx context.Context, client *awssqs.Client, name string, attrs map[string]string) (string, error) {
	out, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "sqs create queue %s", name)
	}
	return aws.ToString(out.QueueUrl), nil
}

// queueARN returns the ARN of the queue at url.
func queueARN(ctx context.Context, client *awssqs.Client, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "sqs get queue arn")
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}
