package kms

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// EnsureAPI is the part of *kms.Client EnsureKey uses.
type EnsureAPI interface {
	DescribeKey(ctx context.Context, in *awskms.DescribeKeyInput, optFns ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error)
	CreateKey(ctx context.Context, in *awskms.CreateKeyInput, optFns ...func(*awskms.Options)) (*awskms.CreateKeyOutput, error)
	CreateAlias(ctx context.Context, in *awskms.CreateAliasInput, optFns ...func(*awskms.Options)) (*awskms.CreateAliasOutput, error)
}

// EnsureKey returns the ARN of the key alias (such as alias/parley-secrets)
// names, first creating a symmetric encryption key under it when there is
// none: what parley serve does on an emulator, as it creates the table.
// template.yaml declares the key of a deployment.
func EnsureKey(ctx context.Context, api EnsureAPI, alias string) (string, error) {
	desc, err := api.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(alias)})
	var missing *types.NotFoundException
	switch {
	case err == nil:
		return aws.ToString(desc.KeyMetadata.Arn), nil
	case !errors.As(err, &missing):
		return "", fmt.Errorf("kms DescribeKey %s: %w", alias, err)
	}
	key, err := api.CreateKey(ctx, &awskms.CreateKeyInput{
		KeySpec: types.KeySpecSymmetricDefault, KeyUsage: types.KeyUsageTypeEncryptDecrypt,
		Description: aws.String("Parley stored provider and connector secrets"),
	})
	if err != nil {
		return "", fmt.Errorf("kms CreateKey: %w", err)
	}
	arn := aws.ToString(key.KeyMetadata.Arn)
	_, err = api.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(arn)})
	var exists *types.AlreadyExistsException
	if errors.As(err, &exists) {
		return EnsureKey(ctx, api, alias) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("kms CreateAlias %s: %w", alias, err)
	}
	return arn, nil
}
