package samtemplate

import (
	"context"
	"iter"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/envelope/kms"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// repoRoot is the repository root seen from this package's directory, where
// go test runs.
const repoRoot = "../.."

// functionType is the SAM resource type of a Lambda function.
const functionType = "AWS::Serverless::Function"

// codeURIPattern matches a function's CodeUri and captures its
// functions/<name> directory.
var codeURIPattern = regexp.MustCompile(`^functions/([^/]+)/$`)

// globalDefaults are the Globals.Function properties every function inherits
// and must not override: a Go binary named bootstrap on the arm64 OS-only
// runtime, which is what `sam build` with BuildMethod go1.x produces.
var globalDefaults = []struct {
	key  string
	want []string
}{
	{"Runtime", []string{"provided.al2023"}},
	{"Handler", []string{"bootstrap"}},
	{"Architectures", []string{"arm64"}},
}

// resource is one entry of the template's Resources section.
type resource struct {
	name string     // logical id
	node *yaml.Node // mapping with Type, Properties, Metadata…
}

// loadTemplate parses template.yaml into its top-level mapping. It parses
// into yaml.Node rather than structs so CloudFormation's short tags (!Ref,
// !GetAtt, !Sub…) survive as node tags instead of breaking the decode.
func loadTemplate(t *testing.T) *yaml.Node {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	root := deref(&doc)
	if root == nil || root.Kind != yaml.MappingNode {
		t.Fatal("template.yaml: top level is not a mapping")
	}
	return root
}

// deref follows a document or an alias to the node it stands for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// entries yields a mapping's keys and values in document order; it yields
// nothing for a node that is not a mapping.
func entries(n *yaml.Node) iter.Seq2[string, *yaml.Node] {
	return func(yield func(string, *yaml.Node) bool) {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(n.Content[i].Value, deref(n.Content[i+1])) {
				return
			}
		}
	}
}

// lookup follows keys through nested mappings and returns the value found,
// or nil as soon as one is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	n = deref(n)
	for _, key := range keys {
		var next *yaml.Node
		for k, v := range entries(n) {
			if k == key {
				next = v
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// isIntrinsic reports whether a node carries a CloudFormation short tag such
// as !Ref (a local tag; YAML's own tags start with !!).
func isIntrinsic(n *yaml.Node) bool {
	return strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
}

// values returns a literal scalar as one value and a sequence as its literal
// scalar items. Missing nodes, mappings and intrinsic functions have no
// literal value and give nil.
func values(n *yaml.Node) []string {
	n = deref(n)
	if n == nil || isIntrinsic(n) {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var vs []string
		for _, item := range n.Content {
			vs = append(vs, values(item)...)
		}
		return vs
	}
	return nil
}

// value returns a node's single literal value, or "" when it has none.
func value(n *yaml.Node) string {
	if vs := values(n); len(vs) == 1 {
		return vs[0]
	}
	return ""
}

// pairs renders a sequence of mappings as "<item[first]> <item[second]>",
// e.g. a KeySchema as "pk HASH", "sk RANGE".
func pairs(seq *yaml.Node, first, second string) []string {
	seq = deref(seq)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, item := range seq.Content {
		out = append(out, value(lookup(item, first))+" "+value(lookup(item, second)))
	}
	return out
}

// findItem returns the first mapping in seq whose key has the value want.
func findItem(seq *yaml.Node, key, want string) *yaml.Node {
	seq = deref(seq)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range seq.Content {
		if value(lookup(item, key)) == want {
			return deref(item)
		}
	}
	return nil
}

// refTarget returns the logical id an intrinsic refers to, in short or long
// form: !Ref X, !GetAtt X.Attr, !GetAtt [X, Attr], {Ref: X} or
// {Fn::GetAtt: …}. Anything else gives "".
func refTarget(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return ""
	}
	getAtt := func(n *yaml.Node) string {
		switch n.Kind {
		case yaml.ScalarNode:
			id, _, _ := strings.Cut(n.Value, ".")
			return id
		case yaml.SequenceNode:
			if len(n.Content) > 0 {
				return n.Content[0].Value
			}
		}
		return ""
	}
	switch n.Tag {
	case "!Ref":
		return n.Value
	case "!GetAtt":
		return getAtt(n)
	}
	if ref := lookup(n, "Ref"); ref != nil {
		return ref.Value
	}
	if att := lookup(n, "Fn::GetAtt"); att != nil {
		return getAtt(att)
	}
	return ""
}

// resourcesOfType returns the template's resources of type typ in document
// order.
func resourcesOfType(tmpl *yaml.Node, typ string) []resource {
	var rs []resource
	for name, node := range entries(lookup(tmpl, "Resources")) {
		if value(lookup(node, "Type")) == typ {
			rs = append(rs, resource{name, node})
		}
	}
	return rs
}

// mustResource returns the resource with logical id name, failing the test
// unless it exists with type typ.
func mustResource(t *testing.T, tmpl *yaml.Node, name, typ string) *yaml.Node {
	t.Helper()
	for _, r := range resourcesOfType(tmpl, typ) {
		if r.name == name {
			return r.node
		}
	}
	t.Fatalf("template.yaml has no %s resource named %q", typ, name)
	return nil
}

// codeDir returns the functions/<name> directory a function is built from,
// or "" when its CodeUri is not of that form.
func codeDir(fn *yaml.Node) string {
	if m := codeURIPattern.FindStringSubmatch(value(lookup(fn, "Properties", "CodeUri"))); m != nil {
		return m[1]
	}
	return ""
}

// mustFunctionFor returns the function built from functions/<dir>.
func mustFunctionFor(t *testing.T, tmpl *yaml.Node, dir string) resource {
	t.Helper()
	for _, fn := range resourcesOfType(tmpl, functionType) {
		if codeDir(fn.node) == dir {
			return fn
		}
	}
	t.Fatalf("template.yaml has no function with CodeUri functions/%s/", dir)
	return resource{}
}

// functionProperty returns a function's property, falling back to
// Globals.Function as SAM does.
func functionProperty(tmpl, fn *yaml.Node, key string) *yaml.Node {
	if v := lookup(fn, "Properties", key); v != nil {
		return v
	}
	return lookup(tmpl, "Globals", "Function", key)
}

// walk calls visit on n and every node below it, depth first.
func walk(n *yaml.Node, visit func(*yaml.Node)) {
	n = deref(n)
	if n == nil {
		return
	}
	visit(n)
	for _, child := range n.Content {
		walk(child, visit)
	}
}

// envNames returns the names of every environment variable declared
// anywhere in the template (Globals and each function), sorted.
func envNames(tmpl *yaml.Node) []string {
	names := map[string]bool{}
	walk(tmpl, func(n *yaml.Node) {
		for name := range entries(lookup(n, "Environment", "Variables")) {
			names[name] = true
		}
	})
	return slices.Sorted(maps.Keys(names))
}

// TestFunctionsHaveCode checks that every function is built with go1.x from a
// functions/<name>/ directory holding a main.go, inherits runtime, handler and
// architecture from Globals, and that every functions/ directory is deployed
// by exactly one function.
func TestFunctionsHaveCode(t *testing.T) {
	tmpl := loadTemplate(t)

	for _, d := range globalDefaults {
		if got := values(lookup(tmpl, "Globals", "Function", d.key)); !slices.Equal(got, d.want) {
			t.Errorf("Globals.Function.%s = %q, want %q", d.key, got, d.want)
		}
	}

	fns := resourcesOfType(tmpl, functionType)
	if len(fns) == 0 {
		t.Fatalf("template.yaml declares no %s", functionType)
	}
	builtBy := map[string][]string{} // functions/<name> → resources built from it
	for _, fn := range fns {
		t.Run(fn.name, func(t *testing.T) {
			dir := codeDir(fn.node)
			if dir == "" {
				t.Fatalf("CodeUri = %q, want functions/<name>/", value(lookup(fn.node, "Properties", "CodeUri")))
			}
			builtBy[dir] = append(builtBy[dir], fn.name)
			if _, err := os.Stat(filepath.Join(repoRoot, "functions", dir, "main.go")); err != nil {
				t.Errorf("CodeUri functions/%s/ has no main.go: %v", dir, err)
			}
			if got := value(lookup(fn.node, "Metadata", "BuildMethod")); got != "go1.x" {
				t.Errorf("Metadata.BuildMethod = %q, want go1.x", got)
			}
			for _, d := range globalDefaults {
				if lookup(fn.node, "Properties", d.key) != nil {
					t.Errorf("overrides %s; it must come from Globals.Function", d.key)
				}
			}
		})
	}

	dirs, err := os.ReadDir(filepath.Join(repoRoot, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && len(builtBy[d.Name()]) != 1 {
			t.Errorf("functions/%s is the CodeUri of %d function resources %q, want exactly 1",
				d.Name(), len(builtBy[d.Name()]), builtBy[d.Name()])
		}
	}
}

// TestTableSchema checks the DynamoDB table against the schema the store
// creates with dynamo.EnsureTable: billing mode, keys, attribute
// definitions, every global secondary index, and the TTL attribute.
func TestTableSchema(t *testing.T) {
	tmpl := loadTemplate(t)
	props := lookup(mustResource(t, tmpl, "Table", "AWS::DynamoDB::Table"), "Properties")
	want := dynamo.CreateTableInput("Table")
	keys := func(ks []types.KeySchemaElement) []string {
		var out []string
		for _, k := range ks {
			out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		return out
	}
	var wantAttrs, wantIndexes []string
	for _, d := range want.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(d.AttributeName)+" "+string(d.AttributeType))
	}
	for _, g := range want.GlobalSecondaryIndexes {
		wantIndexes = append(wantIndexes, aws.ToString(g.IndexName))
	}
	indexes := lookup(props, "GlobalSecondaryIndexes")
	var gotIndexes []string
	if seq := deref(indexes); seq != nil {
		for _, item := range seq.Content {
			gotIndexes = append(gotIndexes, value(lookup(item, "IndexName")))
		}
	}
	sorted := func(s []string) []string { return slices.Sorted(slices.Values(s)) }

	type check struct {
		name      string
		got, want []string
	}
	tests := []check{
		{"BillingMode", values(lookup(props, "BillingMode")), []string{string(want.BillingMode)}},
		{"KeySchema", pairs(lookup(props, "KeySchema"), "AttributeName", "KeyType"), keys(want.KeySchema)},
		{"AttributeDefinitions", sorted(pairs(lookup(props, "AttributeDefinitions"), "AttributeName", "AttributeType")), sorted(wantAttrs)},
		{"GlobalSecondaryIndexes", sorted(gotIndexes), sorted(wantIndexes)},
		{"TTL AttributeName", values(lookup(props, "TimeToLiveSpecification", "AttributeName")), []string{dynamo.AttrExpiresAt}},
		{"TTL Enabled", values(lookup(props, "TimeToLiveSpecification", "Enabled")), []string{"true"}},
	}
	for _, g := range want.GlobalSecondaryIndexes {
		name := aws.ToString(g.IndexName)
		index := findItem(indexes, "IndexName", name)
		tests = append(tests,
			check{name + " KeySchema", pairs(lookup(index, "KeySchema"), "AttributeName", "KeyType"), keys(g.KeySchema)},
			check{name + " ProjectionType", values(lookup(index, "Projection", "ProjectionType")), []string{string(g.Projection.ProjectionType)}},
		)
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("Table %s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	for _, name := range []string{dynamo.IndexFanout, dynamo.IndexDue} {
		if !slices.Contains(wantIndexes, name) {
			t.Errorf("dynamo.CreateTableInput lacks the %s index the store queries", name)
		}
	}
}

// TestDispatcherEventSource checks that the dispatcher reports partial batch
// failures, has bounded concurrency, and reads the queue the API enqueues to,
// and that this queue has a dead-letter queue and a visibility timeout of at
// least six times the dispatcher's timeout.
func TestDispatcherEventSource(t *testing.T) {
	tmpl := loadTemplate(t)
	fn := mustFunctionFor(t, tmpl, "dispatcher")

	var events []*yaml.Node
	for _, ev := range entries(lookup(fn.node, "Properties", "Events")) {
		if value(lookup(ev, "Type")) == "SQS" {
			events = append(events, lookup(ev, "Properties"))
		}
	}
	if len(events) != 1 {
		t.Fatalf("%s has %d SQS events, want 1", fn.name, len(events))
	}
	ev := events[0]
	if !slices.Contains(values(lookup(ev, "FunctionResponseTypes")), "ReportBatchItemFailures") {
		t.Errorf("%s SQS event: FunctionResponseTypes lacks ReportBatchItemFailures; one failed job would redeliver the whole batch", fn.name)
	}
	if lookup(ev, "ScalingConfig", "MaximumConcurrency") == nil {
		t.Errorf("%s SQS event: no ScalingConfig.MaximumConcurrency", fn.name)
	}

	queueID := refTarget(lookup(ev, "Queue"))
	queue := lookup(mustResource(t, tmpl, queueID, "AWS::SQS::Queue"), "Properties")
	if dlq := refTarget(lookup(queue, "RedrivePolicy", "deadLetterTargetArn")); dlq == "" {
		t.Errorf("%s has no RedrivePolicy.deadLetterTargetArn naming a queue of the template", queueID)
	} else {
		mustResource(t, tmpl, dlq, "AWS::SQS::Queue")
	}
	if got := refTarget(lookup(tmpl, "Globals", "Function", "Environment", "Variables", "PARLEY_JOBS_QUEUE_URL")); got != queueID {
		t.Errorf("Globals PARLEY_JOBS_QUEUE_URL refers to %q, but %s reads %q", got, fn.name, queueID)
	}

	visibility, err := strconv.Atoi(value(lookup(queue, "VisibilityTimeout")))
	if err != nil {
		t.Fatalf("%s VisibilityTimeout: %v", queueID, err)
	}
	timeout, err := strconv.Atoi(value(functionProperty(tmpl, fn.node, "Timeout")))
	if err != nil {
		t.Fatalf("%s Timeout: %v", fn.name, err)
	}
	if visibility < 6*timeout {
		t.Errorf("%s VisibilityTimeout = %d s, want at least 6 × %s Timeout (%d s)", queueID, visibility, fn.name, 6*timeout)
	}
}

// TestEnvDocumented checks that every environment variable the template
// declares is documented in README.md.
func TestEnvDocumented(t *testing.T) {
	tmpl := loadTemplate(t)
	names := envNames(tmpl)
	if len(names) == 0 {
		t.Fatal("template.yaml declares no environment variables")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatalf("every variable template.yaml declares must be documented in README.md: %v", err)
	}
	for _, name := range names {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).Match(readme) {
			t.Errorf("README.md does not document %s, which template.yaml declares", name)
		}
	}
}

// TestCfnLint runs cfn-lint on the template. A missing cfn-lint fails the
// test rather than skipping it, so a machine without it cannot pass silently.
func TestCfnLint(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint is not on PATH (%v); install it with `python3 -m pip install cfn-lint` (.ci/run installs it where it is missing)", err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "template.yaml")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// sandboxLister only makes the router list its sandbox route.
type sandboxLister struct{}

func (sandboxLister) Messages(context.Context, string) ([]parley.SentMessage, error) { return nil, nil }

// noDeadLetters only makes the router list its redrive route.
type noDeadLetters struct{}

func (noDeadLetters) Redrive(context.Context) (int, error) { return 0, nil }

// TestRoutesMatchRouter checks that API Gateway routes exactly the paths the
// router serves in Lambda (where sandbox faults are not offered), to the
// function that runs the router.
func TestRoutesMatchRouter(t *testing.T) {
	tmpl := loadTemplate(t)
	api := mustFunctionFor(t, tmpl, "api")
	var declared []string
	for _, ev := range entries(lookup(api.node, "Properties", "Events")) {
		if value(lookup(ev, "Type")) == "HttpApi" {
			declared = append(declared, value(lookup(ev, "Properties", "Method"))+" "+value(lookup(ev, "Properties", "Path")))
		}
	}
	var served []string
	for _, r := range (&httpapi.Server{Sandbox: sandboxLister{}, DeadLetters: noDeadLetters{}}).Routes() {
		served = append(served, r.Method+" "+strings.TrimSuffix(r.Pattern, "{$}")) // "/{$}" is the root alone
	}
	slices.Sort(declared)
	slices.Sort(served)
	if !slices.Equal(declared, served) {
		t.Errorf("template routes %v\nrouter routes   %v", declared, served)
	}
}

// TestSandboxNotPublicOnAWS is finding 1's regression test: the default
// deployment does not run the sandbox, and API Gateway lets no request
// past without the authorizer unless the route is public, a provider's
// webhook (signature-checked) or an operator's (whose token the function
// verifies itself). The sandbox routes are none of these.
func TestSandboxNotPublicOnAWS(t *testing.T) {
	tmpl := loadTemplate(t)
	if got := value(lookup(tmpl, "Parameters", "Gateway", "Default")); got != "providers" {
		t.Errorf("Gateway defaults to %q; want providers, so the sandbox is only where deployed on purpose", got)
	}
	api := mustFunctionFor(t, tmpl, "api")
	for _, ev := range entries(lookup(api.node, "Properties", "Events")) {
		props := lookup(ev, "Properties")
		method, path := value(lookup(props, "Method")), value(lookup(props, "Path"))
		pattern := path
		if strings.HasSuffix(path, "/") {
			pattern = path + "{$}" // that path alone, as the router spells it (the root, LivePerson's reporting routes)
		}
		access, ok := httpapi.AccessOf(method, pattern)
		if !ok {
			t.Errorf("%s %s has no access rule", method, path)
			continue
		}
		open := value(lookup(props, "Auth", "Authorizer")) == "NONE"
		mayBeOpen := access.Kind != httpapi.AccessToken || access.Permission == auth.Operate
		if open && !mayBeOpen {
			t.Errorf("%s %s skips the authorizer but needs a tenant's token", method, path)
		}
		if strings.HasPrefix(path, "/sandbox/") && open {
			t.Errorf("%s %s is public", method, path)
		}
	}
}

// sequence returns the items of a sequence node, none for anything else.
func sequence(n *yaml.Node) []*yaml.Node {
	if n = deref(n); n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// secretsFunctions are the functions that read or write channel
// configurations and account settings, whose secrets are sealed.
var secretsFunctions = []string{"api", "dispatcher", "eventpush", "webhooks"}

// secretsReaders are the secrets functions that only open secrets, never
// seal them: they may only decrypt.
var secretsReaders = []string{"eventpush"}

// TestSecretsKey checks the KMS key stored secrets are sealed under: a
// symmetric encryption key with an alias, given by PARLEY_SECRETS_KMS_KEY_ID
// to exactly the functions that handle secrets, each allowed only
// kms:GenerateDataKey and kms:Decrypt on it, with the encryption context
// the keyring sends.
func TestSecretsKey(t *testing.T) {
	tmpl := loadTemplate(t)
	const keyID = "SecretsKey"
	props := lookup(mustResource(t, tmpl, keyID, "AWS::KMS::Key"), "Properties")
	if spec, usage := value(lookup(props, "KeySpec")), value(lookup(props, "KeyUsage")); spec != "SYMMETRIC_DEFAULT" || usage != "ENCRYPT_DECRYPT" {
		t.Errorf("%s is %s %s; want SYMMETRIC_DEFAULT ENCRYPT_DECRYPT", keyID, spec, usage)
	}
	aliased := false
	for _, a := range resourcesOfType(tmpl, "AWS::KMS::Alias") {
		aliased = aliased || refTarget(lookup(a.node, "Properties", "TargetKeyId")) == keyID
	}
	if !aliased {
		t.Errorf("no AWS::KMS::Alias targets %s", keyID)
	}

	for _, fn := range resourcesOfType(tmpl, functionType) {
		t.Run(fn.name, func(t *testing.T) {
			want := slices.Contains(secretsFunctions, codeDir(fn.node))
			env := lookup(fn.node, "Properties", "Environment", "Variables", "PARLEY_SECRETS_KMS_KEY_ID")
			if got := env != nil && refTarget(env) == keyID; got != want {
				t.Errorf("PARLEY_SECRETS_KMS_KEY_ID naming %s: %t; want %t", keyID, got, want)
			}
			var kmsStatements []*yaml.Node
			for _, policy := range sequence(lookup(fn.node, "Properties", "Policies")) {
				for _, st := range sequence(lookup(policy, "Statement")) {
					// The token signing key's statements are TestSigningKeyInKMS's.
					if refTarget(lookup(st, "Resource")) == keyID {
						kmsStatements = append(kmsStatements, st)
					}
				}
			}
			if !want {
				if len(kmsStatements) > 0 {
					t.Errorf("%d statements allow the secrets key to a function that handles no secrets", len(kmsStatements))
				}
				return
			}
			if len(kmsStatements) != 1 {
				t.Fatalf("%d statements allow the secrets key; want 1", len(kmsStatements))
			}
			st := kmsStatements[0]
			wantActions := []string{"kms:Decrypt", "kms:GenerateDataKey"}
			if slices.Contains(secretsReaders, codeDir(fn.node)) {
				wantActions = []string{"kms:Decrypt"}
			}
			if got := slices.Sorted(slices.Values(values(lookup(st, "Action")))); !slices.Equal(got, wantActions) {
				t.Errorf("KMS actions %q; want %q only", got, wantActions)
			}
			if got := refTarget(lookup(st, "Resource")); got != keyID {
				t.Errorf("KMS actions on %q; want %s only", got, keyID)
			}
			if got := values(lookup(st, "Condition", "ForAllValues:StringEquals", "kms:EncryptionContextKeys")); !slices.Equal(got, []string{kms.ContextKey}) {
				t.Errorf("encryption context keys allowed %q; want %q, the keyring's", got, kms.ContextKey)
			}
		})
	}
}
