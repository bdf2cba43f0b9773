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
// placeholders is TOO_MANY_VARIABLES; fewer is INSUFFICIENT_VARIABLES when
// none is given or one names no placeholder, and otherwise, as LivePerson
// answers four values for a five-variable template, MISSING_VARIABLE=<n>
// of the first placeholder without one; so is a placeholder whose value is
// blank.
func checkVariables(want []int, vars map[string]string, where string) (code, detail string) {
	switch n := len(vars); {
	case n > len(want):
		return upload.CodeTooManyVariables, fmt.Sprintf("%s has %d variables; the message takes %d (%s)", where, n, len(want), names(want))
	case n < len(want) && (n == 0 || !namesPlaceholders(want, vars)):
		return upload.CodeInsufficientVariables, fmt.Sprintf("%s has %d variables; the message takes %d (%s)", where, n, len(want), names(want))
	}
	for _, p := range want {
		if v, ok := vars[strconv.Itoa(p)]; !ok || strings.TrimSpace(v) == "" {
			return fmt.Sprintf("%s=%d", parley.CodeMissingVariable, p), fmt.Sprintf("%s has no value for {{%d}}", where, p)
		}
	}
	return "", ""
}

// namesPlaceholders reports whether every variable names one of want.
func namesPlaceholders(want []int, vars map[string]string) bool {
	for k := range vars {
		if n, err := strconv.Atoi(k); err != nil || !slices.Contains(want, n) {
			return false
		}
	}
	return true
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

// checkHeader applies LivePerson's rules to the header value of a
// consumers[] entry against template t: a media header needs one
// (INSUFFICIENT_HEADER_VARIABLES) of its type (MISSING_HEADER_VARIABLE=<type>);
// a template without one takes none (TOO_MANY_HEADER_VARIABLES). A list's
// line (H1) is checked by upload.Check.
func checkHeader(t parley.WhatsAppTemplate, cons Consumer, where string) (code, detail string) {
	h := t.MediaHeader()
	switch {
	case cons.Line > 0:
	case h == "" && cons.Header != "":
		return upload.CodeTooManyHeaderVariables, fmt.Sprintf("%s has a header value; template %s has no media header", where, t.ID)
	case h != "" && cons.Header == "":
		return upload.CodeInsufficientHeaderVariables, fmt.Sprintf("%s has no headerVariables; template %s's header takes the %s's https URL as headerVariables.%s", where, t.ID, h, h)
	case h != "" && cons.HeaderType != "" && cons.HeaderType != h:
		return upload.CodeMissingHeaderVariable + "=" + h, fmt.Sprintf("%s gives headerVariables.%s; template %s's header is a %s: give headerVariables.%s", where, cons.HeaderType, t.ID, h, h)
	}
	return "", ""
}
