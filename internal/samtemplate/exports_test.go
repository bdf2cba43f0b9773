package samtemplate

import (
	"slices"
	"strings"
	"testing"
)

// TestExportsBucket checks the bucket the CSV downloads are written to:
// encrypted, no public access, its objects deleted after a day, reached
// over TLS only; the api function alone names it (PARLEY_EXPORTS_BUCKET)
// and may write and read back its downloads, nothing else of it, and no
// other function may touch S3.
func TestExportsBucket(t *testing.T) {
	tmpl := loadTemplate(t)
	const bucketID = "ExportsBucket"
	props := lookup(mustResource(t, tmpl, bucketID, "AWS::S3::Bucket"), "Properties")
	sse := sequence(lookup(props, "BucketEncryption", "ServerSideEncryptionConfiguration"))
	if len(sse) != 1 || value(lookup(sse[0], "ServerSideEncryptionByDefault", "SSEAlgorithm")) == "" {
		t.Error("the bucket has no default encryption")
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if got := value(lookup(props, "PublicAccessBlockConfiguration", k)); got != "true" {
			t.Errorf("PublicAccessBlockConfiguration.%s = %q; want true", k, got)
		}
	}
	expires := false
	for _, rule := range sequence(lookup(props, "LifecycleConfiguration", "Rules")) {
		expires = expires || value(lookup(rule, "Status")) == "Enabled" && value(lookup(rule, "Prefix")) == "exports/" &&
			value(lookup(rule, "ExpirationInDays")) == "1" && value(lookup(rule, "AbortIncompleteMultipartUpload", "DaysAfterInitiation")) == "1"
	}
	if !expires {
		t.Error("no lifecycle rule deletes exports/ and its unfinished uploads after a day")
	}

	tlsOnly := false
	for _, p := range resourcesOfType(tmpl, "AWS::S3::BucketPolicy") {
		if refTarget(lookup(p.node, "Properties", "Bucket")) != bucketID {
			continue
		}
		for _, st := range sequence(lookup(p.node, "Properties", "PolicyDocument", "Statement")) {
			tlsOnly = tlsOnly || value(lookup(st, "Effect")) == "Deny" && value(lookup(st, "Action")) == "s3:*" &&
				value(lookup(st, "Condition", "Bool", "aws:SecureTransport")) == "false"
		}
	}
	if !tlsOnly {
		t.Error("no bucket policy of the bucket denies requests without TLS")
	}

	for _, fn := range resourcesOfType(tmpl, functionType) {
		t.Run(fn.name, func(t *testing.T) {
			api := codeDir(fn.node) == "api"
			env := lookup(fn.node, "Properties", "Environment", "Variables", "PARLEY_EXPORTS_BUCKET")
			if got := env != nil && refTarget(env) == bucketID; got != api {
				t.Errorf("PARLEY_EXPORTS_BUCKET naming %s: %t; want %t", bucketID, got, api)
			}
			var s3Statements []string
			for _, policy := range sequence(lookup(fn.node, "Properties", "Policies")) {
				for _, st := range sequence(lookup(policy, "Statement")) {
					actions := values(lookup(st, "Action"))
					if !slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, "s3:") }) {
						continue
					}
					s3Statements = append(s3Statements, strings.Join(actions, " "))
					slices.Sort(actions)
					if want := []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"}; !slices.Equal(actions, want) {
						t.Errorf("S3 actions %q; want %q only", actions, want)
					}
					if res := deref(lookup(st, "Resource")); res == nil || res.Tag != "!Sub" || res.Value != "${"+bucketID+".Arn}/exports/*" {
						t.Errorf("S3 actions on %v; want the downloads of %s alone", res, bucketID)
					}
				}
			}
			want := 0
			if api {
				want = 1
			}
			if len(s3Statements) != want {
				t.Errorf("statements %q allow S3; want %d", s3Statements, want)
			}
		})
	}
}
