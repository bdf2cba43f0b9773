// Package directory is an account's contact directory: the people a brand
// calls and messages, each with a name, an email, a phone number and custom
// parameters; saved filters over them; and the mapping of an uploaded CSV
// file onto the directory's fields. It is pure: no I/O, no clock.
package directory

import (
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// Bounds of a contact.
const (
	MaxNameLength  = 200
	MaxEmailLength = 254
	MaxParams      = 50
	MaxParamName   = 64
	MaxParamValue  = 1000
)

// The directory's fields. A custom parameter is ParamPrefix + its name.
const (
	FieldName   = "name"
	FieldEmail  = "email"
	FieldPhone  = "phone"
	ParamPrefix = "param:"
)

// Contact is one person of the directory. Phone (E.164) is unique within
// the account when set. Version counts the contact's writes: 1 when it is
// created; each update is the stored version plus one.
type Contact struct {
	AccountID string            `json:"accountId"`
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Email     string            `json:"email,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Version   int               `json:"version"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// Value returns the contact's value of a directory field ("name", "email",
// "phone" or "param:<name>"); ok is false when the contact has none.
func (c Contact) Value(field string) (string, bool) {
	var v string
	switch field {
	case FieldName:
		v = c.Name
	case FieldEmail:
		v = c.Email
	case FieldPhone:
		v = c.Phone
	default:
		name, isParam := strings.CutPrefix(field, ParamPrefix)
		if !isParam {
			return "", false
		}
		v = c.Params[name]
	}
	return v, v != ""
}

// Draft is a contact as the API writes it. Phone may be national when
// Country names its country (ISO 3166 alpha-2).
type Draft struct {
	Name   string            `json:"name,omitempty"`
	Email  string            `json:"email,omitempty"`
	Phone  string            `json:"phone,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// Clean validates d and returns its fields trimmed, with the phone in E.164
// (read in country when it is national). Errors name the field, prefixed by
// field (a JSON path or a CSV line's column).
func (d Draft) Clean(field func(string) string, country string) (Draft, error) {
	out := Draft{Name: strings.TrimSpace(d.Name), Email: strings.TrimSpace(d.Email), Phone: strings.TrimSpace(d.Phone)}
	if n := utf8.RuneCountInString(out.Name); n > MaxNameLength {
		return Draft{}, parley.FieldErrorf(field(FieldName), "the name has %d characters; at most %d are allowed", n, MaxNameLength)
	}
	if out.Email != "" {
		a, err := mail.ParseAddress(out.Email)
		if err != nil || a.Address != out.Email || len(out.Email) > MaxEmailLength {
			return Draft{}, parley.FieldErrorf(field(FieldEmail), "%q is not an email address", out.Email)
		}
	}
	if out.Phone != "" {
		e164, _ := phone.Read(out.Phone, country)
		if e164 == "" {
			how := "in E.164 form (+ and country code)"
			if country != "" {
				how = "of " + country + " or in E.164 form"
			}
			return Draft{}, parley.FieldErrorf(field(FieldPhone), "%q is not a valid phone number %s", out.Phone, how)
		}
		out.Phone = e164
	}
	if len(d.Params) > MaxParams {
		return Draft{}, parley.FieldErrorf(field("params"), "%d parameters; at most %d are allowed", len(d.Params), MaxParams)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Params)) {
		if !ValidParamName(name) {
			return Draft{}, parley.FieldErrorf(field(ParamPrefix+name), "%q is not a parameter name: use 1 to %d letters, digits, '_', '-' or '.'", name, MaxParamName)
		}
		v := strings.TrimSpace(d.Params[name])
		if len(v) > MaxParamValue {
			return Draft{}, parley.FieldErrorf(field(ParamPrefix+name), "the value has %d bytes; at most %d are allowed", len(v), MaxParamValue)
		}
		if v == "" {
			continue
		}
		if out.Params == nil {
			out.Params = map[string]string{}
		}
		out.Params[name] = v
	}
	if out.Name == "" && out.Email == "" && out.Phone == "" && len(out.Params) == 0 {
		return Draft{}, parley.FieldErrorf(field(""), "a contact needs at least a name, an email, a phone or a parameter")
	}
	return out, nil
}

// JSONField prefixes a field name with a JSON path: JSONField("")("phone")
// is "phone", JSONField("contacts[2]")("param:tier") is
// "contacts[2].params.tier".
func JSONField(prefix string) func(string) string {
	return func(f string) string {
		if name, ok := strings.CutPrefix(f, ParamPrefix); ok {
			f = "params." + name
		}
		switch {
		case prefix == "":
			return f
		case f == "":
			return prefix
		}
		return prefix + "." + f
	}
}

// ValidParamName reports whether name may name a custom parameter.
func ValidParamName(name string) bool {
	if name == "" || len(name) > MaxParamName {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// ValidField checks a directory field name: name, email, phone or
// param:<name>.
func ValidField(field, name string) error {
	switch name {
	case FieldName, FieldEmail, FieldPhone:
		return nil
	}
	if p, ok := strings.CutPrefix(name, ParamPrefix); ok && ValidParamName(p) {
		return nil
	}
	return parley.FieldErrorf(field, "%q is not a directory field; use name, email, phone or param:<name>", name)
}

// New returns the contact d describes (d already Clean), as version 1.
func New(accountID, id string, d Draft, now time.Time) Contact {
	return Contact{AccountID: accountID, ID: id, Name: d.Name, Email: d.Email, Phone: d.Phone, Params: d.Params,
		Version: 1, CreatedAt: now, UpdatedAt: now}
}

// Replace returns c with d's fields (d already Clean), as its next version.
func (c Contact) Replace(d Draft, now time.Time) Contact {
	c.Name, c.Email, c.Phone, c.Params = d.Name, d.Email, d.Phone, d.Params
	c.Version++
	c.UpdatedAt = now
	return c
}

// Merge returns c with d's non-empty fields over its own (d already Clean),
// as its next version: an import line that names a known number updates
// that contact.
func (c Contact) Merge(d Draft, now time.Time) Contact {
	if d.Name != "" {
		c.Name = d.Name
	}
	if d.Email != "" {
		c.Email = d.Email
	}
	if d.Phone != "" {
		c.Phone = d.Phone
	}
	if len(d.Params) > 0 {
		params := maps.Clone(c.Params)
		if params == nil {
			params = map[string]string{}
		}
		maps.Copy(params, d.Params)
		c.Params = params
	}
	c.Version++
	c.UpdatedAt = now
	return c
}

// Where names a contact for messages: its id and masked phone.
func (c Contact) Where() string {
	if c.Phone == "" {
		return fmt.Sprintf("contact %s", c.ID)
	}
	return fmt.Sprintf("contact %s (%s)", c.ID, phone.Mask(c.Phone))
}
