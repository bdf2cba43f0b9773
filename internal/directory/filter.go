package directory

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// Filter operators.
const (
	OpEquals     = "eq"         // the value equals (case-insensitively)
	OpNotEquals  = "ne"         // the value is absent or differs
	OpContains   = "contains"   // the value contains (case-insensitively)
	OpStartsWith = "startswith" // the value starts with (case-insensitively)
	OpExists     = "exists"     // the field has a value
	OpMissing    = "missing"    // the field has none
)

// How a filter combines its conditions.
const (
	MatchAll = "and" // every condition holds
	MatchAny = "or"  // at least one holds
)

// Bounds of a filter.
const (
	MaxConditions     = 20
	MaxConditionValue = 200
	MaxFilterName     = 100
)

// Filter is a saved selection of the directory's contacts, used by
// campaigns to choose whom they call.
type Filter struct {
	AccountID  string      `json:"accountId"`
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Match      string      `json:"match"` // MatchAll or MatchAny
	Conditions []Condition `json:"conditions"`
	CreatedAt  time.Time   `json:"createdAt"`
	UpdatedAt  time.Time   `json:"updatedAt"`
}

// Condition is one test of a contact's field.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value,omitempty"`
}

// Validate checks f's name, match and conditions; errors name the field as
// the API spells it.
func (f *Filter) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		return parley.FieldErrorf("name", "a filter needs a name")
	case n > MaxFilterName:
		return parley.FieldErrorf("name", "the name has %d characters; at most %d are allowed", n, MaxFilterName)
	}
	switch f.Match {
	case "":
		f.Match = MatchAll
	case MatchAll, MatchAny:
	default:
		return parley.FieldErrorf("match", "%q is not a way to combine conditions; use and or or", f.Match)
	}
	switch n := len(f.Conditions); {
	case n == 0:
		return parley.FieldErrorf("conditions", "a filter needs at least one condition")
	case n > MaxConditions:
		return parley.FieldErrorf("conditions", "%d conditions; at most %d are allowed", n, MaxConditions)
	}
	for i := range f.Conditions {
		c := &f.Conditions[i]
		at := fmt.Sprintf("conditions[%d]", i)
		if err := ValidField(at+".field", c.Field); err != nil {
			return err
		}
		switch c.Op {
		case OpEquals, OpNotEquals, OpContains, OpStartsWith:
			if len(c.Value) > MaxConditionValue {
				return parley.FieldErrorf(at+".value", "the value has %d bytes; at most %d are allowed", len(c.Value), MaxConditionValue)
			}
			if c.Op != OpEquals && c.Op != OpNotEquals && c.Value == "" {
				return parley.FieldErrorf(at+".value", "%s needs a value", c.Op)
			}
		case OpExists, OpMissing:
			if c.Value != "" {
				return parley.FieldErrorf(at+".value", "%s takes no value", c.Op)
			}
		default:
			return parley.FieldErrorf(at+".op", "%q is not an operator; use eq, ne, contains, startswith, exists or missing", c.Op)
		}
	}
	return nil
}

// Matches reports whether the contact passes the filter.
func (f Filter) Matches(c Contact) bool {
	any := f.Match == MatchAny
	for _, cond := range f.Conditions {
		if cond.holds(c) == any {
			return any
		}
	}
	return !any
}

func (cond Condition) holds(c Contact) bool {
	v, ok := c.Value(cond.Field)
	switch cond.Op {
	case OpExists:
		return ok
	case OpMissing:
		return !ok
	case OpEquals:
		return strings.EqualFold(v, cond.Value)
	case OpNotEquals:
		return !strings.EqualFold(v, cond.Value)
	case OpContains:
		return ok && strings.Contains(strings.ToLower(v), strings.ToLower(cond.Value))
	case OpStartsWith:
		return ok && strings.HasPrefix(strings.ToLower(v), strings.ToLower(cond.Value))
	}
	return false
}
