package campaign

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/campaign/upload"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
)

// DefaultSMSMessage is the text of a plain SMS campaign (templateId
// parley.PlainSMSTemplateID) that gives no message: each consumer's
// variable 1 is its whole text. LivePerson's clients never send a message;
// its text comes from a template or API handoff, and plain SMS has neither.
const DefaultSMSMessage = "{{1}}"

// expected lists the distinct {{n}} placeholders of body, in order.
func expected(body string) []int {
	ps := slices.Clone(message.Placeholders(body))
	slices.Sort(ps)
	return slices.Compact(ps)
}

// checkVariables applies LivePerson's per-consumer rules to the variables
// of a consumers[] entry against the placeholders want: more variables than
// placeholders is TOO_MANY_VARIABLES, fewer is INSUFFICIENT_VARIABLES, and
// a placeholder without a value (absent or blank) is MISSING_VARIABLE=<n>.
func checkVariables(want []int, vars map[string]string, where string) (code, detail string) {
	switch n := len(vars); {
	case n > len(want):
		return upload.CodeTooManyVariables, fmt.Sprintf("%s has %d variables; the message takes %d (%s)", where, n, len(want), names(want))
	case n < len(want):
		return upload.CodeInsufficientVariables, fmt.Sprintf("%s has %d variables; the message takes %d (%s)", where, n, len(want), names(want))
	}
	for _, p := range want {
		if v, ok := vars[strconv.Itoa(p)]; !ok || strings.TrimSpace(v) == "" {
			return fmt.Sprintf("%s=%d", parley.CodeMissingVariable, p), fmt.Sprintf("%s has no value for {{%d}}", where, p)
		}
	}
	return "", ""
}

// names spells placeholders as {{1}}, {{2}}; "none" when there are none.
func names(ps []int) string {
	if len(ps) == 0 {
		return "none"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("{{%d}}", p)
	}
	return strings.Join(out, ", ")
}
