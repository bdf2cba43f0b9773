package awstest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// TestConditionalWritesAreAtomic has many writers race one conditional
// update of the same item, round after round: exactly one may win each
// round, as on DynamoDB. Straight to moto_server (without serialize), about
// one round in 50 to 100 had two or three winners.
func TestConditionalWritesAreAtomic(t *testing.T) {
	db := dynamodb.NewFromConfig(Config(t))
	name := Name(t)
	ctx := t.Context()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: &name, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const rounds, writers = 60, 16
	for round := range rounds {
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprint("item", round)}}
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &name, Item: map[string]types.AttributeValue{
			"pk": key["pk"], "status": &types.AttributeValueMemberS{Value: "QUEUED"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: &name, Key: key,
					UpdateExpression:         aws.String("SET #status = :to ADD attempts :one"),
					ConditionExpression:      aws.String("#status = :from"),
					ExpressionAttributeNames: map[string]string{"#status": "status"},
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":from": &types.AttributeValueMemberS{Value: "QUEUED"}, ":to": &types.AttributeValueMemberS{Value: "SENDING"},
						":one": &types.AttributeValueMemberN{Value: "1"},
					},
				})
				var failed *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.As(err, &failed):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d concurrent conditional updates of one item succeeded, want 1", round, n, writers)
		}
	}
}
