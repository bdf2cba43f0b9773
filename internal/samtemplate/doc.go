// Package samtemplate checks the deployment template (template.yaml at the
// repository root) against the code: every function in the template is built
// from a functions/<name> directory and every such directory is deployed, the
// DynamoDB table and SQS event source have the shape the store and dispatcher
// rely on, every environment variable the template declares is documented in
// README.md, the KMS key stored secrets are sealed under is given to, and
// usable by, exactly the functions that handle them, and cfn-lint accepts
// the template.
//
// The package has no non-test code; its tests are the check.
package samtemplate
