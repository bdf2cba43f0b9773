package app

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/envelope/kms"
	"github.com/parleyhq/parley/internal/eventpush/eventbridge"
	"github.com/parleyhq/parley/internal/exportbucket"
	"github.com/parleyhq/parley/internal/obs/xray"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/ratelimit"
	rldynamo "github.com/parleyhq/parley/internal/ratelimit/dynamo"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// JobsQueueName names the jobs queue created on an emulator.
const JobsQueueName = "parley-jobs"

// EventsQueueName names the events queue created on an emulator for the
// table named table: each table its own, so that the deliverers of one
// deployment never take the deliveries of another (whose subscriptions
// they cannot read).
func EventsQueueName(table string) string { return table + "-events" }

// ExportsBucketName names the bucket created on an emulator for the CSV
// downloads; their keys are random, so deployments may share it.
const ExportsBucketName = "parley-exports"

// SecretsKeyAlias names the KMS key created on an emulator to seal stored
// secrets under.
const SecretsKeyAlias = "alias/parley-secrets"

// Verifier returns the access token verifier cfg configures and nothing
// else: what the authorizer function runs. It reads API clients from the
// DynamoDB table; the embedded backend has no authorizer (parley serve
// verifies tokens in its own process).
func Verifier(ctx context.Context, cfg config.Config, clock parley.Clock) (*auth.Tokens, error) {
	if cfg.Backend != config.BackendAWS {
		return nil, fmt.Errorf("PARLEY_BACKEND=%s: the authorizer runs on the %s backend", cfg.Backend, config.BackendAWS)
	}
	awsCfg, err := xray.LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return Tokens(ctx, cfg, clock, dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table))
}

func (a *App) openAWS(ctx context.Context, cfg config.Config) error {
	awsCfg, err := xray.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	sq := awssqs.NewFromConfig(awsCfg)
	queueURL, dlqURL := cfg.JobsQueueURL, cfg.JobsDLQURL
	if cfg.AWSEndpoint != "" {
		if err := dynamo.EnsureTable(ctx, db, cfg.Table); err != nil {
			return fmt.Errorf("create table %s on %s: %w", cfg.Table, cfg.AWSEndpoint, err)
		}
		if queueURL == "" {
			if queueURL, dlqURL, err = sqs.EnsureQueue(ctx, sq, JobsQueueName, dispatchVisibility, MaxReceiveCount); err != nil {
				return fmt.Errorf("create queue %s on %s: %w", JobsQueueName, cfg.AWSEndpoint, err)
			}
		}
	}
	if err := a.openEvents(ctx, cfg, awsCfg, sq); err != nil {
		return err
	}
	sealer, err := secretsSealer(ctx, cfg, awsCfg)
	if err != nil {
		return err
	}
	if err := a.openExports(ctx, cfg, awsCfg); err != nil {
		return err
	}
	opts := []dynamo.Option{dynamo.WithSealer(sealer)}
	if !cfg.RangeJobs {
		opts = append(opts, dynamo.WithoutLedgerWrites())
	}
	table := dynamo.New(db, cfg.Table, opts...)
	a.Store, a.Outbox = table, table
	if cfg.AWSEndpoint != "" {
		// No lifecycle function reads the stream of an emulator's table:
		// parley serve folds it (see FoldLifecycle), from its start-up on.
		reader := dynamo.NewStreamReader(awsCfg, cfg.Table, false)
		if _, err := reader.Records(ctx); err != nil {
			return fmt.Errorf("read the stream of table %s on %s: %w", cfg.Table, cfg.AWSEndpoint, err)
		}
		a.lifecycle = func(ctx context.Context) error { return reader.Fold(ctx, a.FoldStream) }
	}
	a.Queue = sqs.New(sq, queueURL, dlqURL)
	a.pacer = func(c parley.Clock) ratelimit.Backend { return rldynamo.New(db, cfg.Table, c) }
	return nil
}

// openEvents opens the events queue of PARLEY_EVENTS_QUEUE_URL (created on
// an emulator when empty) and the EventBridge bus of PARLEY_EVENT_BUS
// (created on an emulator).
func (a *App) openEvents(ctx context.Context, cfg config.Config, awsCfg aws.Config, sq *awssqs.Client) error {
	queueURL, dlqURL := cfg.EventsQueueURL, cfg.EventsDLQURL
	if queueURL == "" && cfg.AWSEndpoint != "" {
		var err error
		name := EventsQueueName(cfg.Table)
		if queueURL, dlqURL, err = sqs.EnsureQueue(ctx, sq, name, eventsVisibility, MaxReceiveCount); err != nil {
			return fmt.Errorf("create queue %s on %s: %w", name, cfg.AWSEndpoint, err)
		}
	}
	if queueURL != "" {
		a.EventQueue = sqs.New(sq, queueURL, dlqURL)
	}
	if cfg.EventBus == "" {
		return nil
	}
	eb := awseb.NewFromConfig(awsCfg)
	if cfg.AWSEndpoint != "" {
		if _, err := eventbridge.EnsureBus(ctx, eb, cfg.EventBus); err != nil {
			return fmt.Errorf("create event bus %s on %s: %w", cfg.EventBus, cfg.AWSEndpoint, err)
		}
	}
	a.eventBus = eventbridge.New(eb, cfg.EventBus)
	return nil
}

// openExports opens the bucket of PARLEY_EXPORTS_BUCKET the CSV downloads
// are kept in (one it creates on an emulator when empty, addressed by
// path there); without one they are streamed in the answer.
func (a *App) openExports(ctx context.Context, cfg config.Config, awsCfg aws.Config) error {
	name := cfg.ExportsBucket
	if name == "" && cfg.AWSEndpoint == "" {
		return nil
	}
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) { o.UsePathStyle = cfg.AWSEndpoint != "" })
	if name == "" {
		name = ExportsBucketName
		if err := exportbucket.EnsureBucket(ctx, client, name); err != nil {
			return fmt.Errorf("create bucket %s on %s: %w", name, cfg.AWSEndpoint, err)
		}
	}
	a.exports = exportbucket.New(client, name)
	return nil
}

// secretsSealer is the KMS keyring of PARLEY_SECRETS_KMS_KEY_ID, or of a
// key it creates on an emulator. It is nil for a function configured
// without a key, which handles no secrets: its store refuses them.
func secretsSealer(ctx context.Context, cfg config.Config, awsCfg aws.Config) (parley.Sealer, error) {
	client := awskms.NewFromConfig(awsCfg)
	keyID := cfg.SecretsKMSKeyID
	if keyID == "" && cfg.AWSEndpoint != "" {
		var err error
		if keyID, err = kms.EnsureKey(ctx, client, SecretsKeyAlias); err != nil {
			return nil, fmt.Errorf("create KMS key %s on %s: %w", SecretsKeyAlias, cfg.AWSEndpoint, err)
		}
	}
	if keyID == "" {
		return nil, nil
	}
	return kms.New(client, keyID, kms.Options{}), nil
}

// FoldsLifecycle reports whether FoldLifecycle has work: on the embedded
// store and on an emulator's DynamoDB, where no lifecycle function runs.
func (a *App) FoldsLifecycle() bool { return a.lifecycle != nil }

// FoldLifecycle publishes the lifecycle events committed since the last
// call and, on an emulator's DynamoDB, folds the table's stream into the
// analytics counters, as the lifecycle function does on AWS.
func (a *App) FoldLifecycle(ctx context.Context) error {
	if a.lifecycle == nil {
		return nil
	}
	return a.lifecycle(ctx)
}
