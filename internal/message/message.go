// Package message renders outbound message text: {{n}} variables filled from
// a recipient's values, and the account's opt-out text, which is always
// appended to SMS.
package message

import (
	"strconv"
	"strings"
)

// DefaultOptOut is the opt-out text of an account that has not set its own.
const DefaultOptOut = "Reply STOP to opt out"

// MaxLength bounds a rendered message in characters.
const MaxLength = 1600

// Render fills each {{n}} placeholder of tpl (n a positive integer) with
// vars[n]. It returns the numbers of placeholders without a value, in order
// of first appearance; those placeholders are left as written.
func Render(tpl string, vars map[string]string) (string, []int) {
	var b strings.Builder
	var missing []int
	rest := tpl
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			b.WriteString(rest)
			return b.String(), missing
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			b.WriteString(rest)
			return b.String(), missing
		}
		name := rest[open+2 : open+end]
		n, err := strconv.Atoi(name)
		b.WriteString(rest[:open])
		switch v, ok := vars[name]; {
		case err != nil || n < 1 || name != strconv.Itoa(n):
			b.WriteString(rest[open : open+end+2])
		case ok:
			b.WriteString(v)
		default:
			b.WriteString(rest[open : open+end+2])
			if !containsInt(missing, n) {
				missing = append(missing, n)
			}
		}
		rest = rest[open+end+2:]
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Placeholders returns the distinct variable numbers tpl uses, in order.
func Placeholders(tpl string) []int {
	_, missing := Render(tpl, nil)
	return missing
}

// WithOptOut appends the opt-out text on a line of its own. An empty optOut
// means DefaultOptOut: SMS never goes out without one.
func WithOptOut(body, optOut string) string {
	if strings.TrimSpace(optOut) == "" {
		optOut = DefaultOptOut
	}
	return body + "\n" + optOut
}
