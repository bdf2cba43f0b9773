package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// decodeJSON decodes a JSON body into v, naming the offending field. A
// field v does not have is refused, so that a misspelt one is never
// silently dropped.
func decodeJSON(data []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return unknownFieldError(data, reflect.TypeOf(v), prefix, strings.Trim(name, `"`))
		}
		return jsonError(data, err, prefix)
	}
	if dec.More() {
		return parley.FieldErrorf(prefix, "trailing data after the JSON value")
	}
	return nil
}

// jsonError names what in data (decoded into a field named prefix) did not
// decode: the field, and for a value of a map such as a consumer's
// variables, its key.
func jsonError(data []byte, err error, prefix string) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := strings.TrimPrefix(prefix+"."+typeErr.Field, ".")
		want := jsonType(typeErr.Type.Kind().String())
		if field == "" && (want == "object" || want == "array") {
			return parley.FieldErrorf("", "the request body must be a JSON %s, not %s", want, typeErr.Value)
		}
		if key, ok := mapKeyAt(data, typeErr.Offset); ok && !strings.HasSuffix(typeErr.Field, key) {
			field += "." + key
			if strings.HasSuffix(field, "variables."+key) {
				return parley.FieldErrorf(field, "variable %s (%s) must be a JSON %s, not %s: quote it", key, field, want, typeErr.Value)
			}
		}
		return parley.FieldErrorf(field, "%s must be a JSON %s, not %s", field, want, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return &parley.Error{Code: parley.EINVALID, Field: prefix, Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &parley.Error{Code: parley.EINVALID, Field: prefix, Message: "the JSON body is empty or cut short"}
	default:
		return &parley.Error{Code: parley.EINVALID, Field: prefix, Message: "malformed JSON: " + err.Error()}
	}
}

// mapKeyAt returns the object key whose value ends at byte offset of data,
// as json.UnmarshalTypeError.Offset reports it; ok is false when that value
// is not an object member.
func mapKeyAt(data []byte, offset int64) (key string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		key    string
		isKey  bool // the next token of the object is a key
	}
	var stack []frame
	for dec.InputOffset() < offset {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				if top >= 0 && stack[top].object {
					stack[top].isKey = true
				}
				stack = append(stack, frame{object: t == '{', isKey: true})
				continue
			}
			stack = stack[:top]
			continue
		case string:
			if top >= 0 && stack[top].object && stack[top].isKey {
				stack[top].key, stack[top].isKey = t, false
				continue
			}
		}
		if top >= 0 && stack[top].object {
			stack[top].isKey = true
		}
	}
	if top := len(stack) - 1; top > 0 && stack[top].key == "" {
		stack = stack[:top] // the value is the container just opened
	}
	if top := len(stack) - 1; top >= 0 && stack[top].object && stack[top].key != "" {
		return stack[top].key, true
	}
	return "", false
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "number"
	}
}

// unknownFieldError names the field of data that t, the type data was
// decoded into, does not have: its JSON path after prefix, and the fields
// that are known where it stands. name is the field as the decoder named
// it, for when the path cannot be found.
func unknownFieldError(data []byte, t reflect.Type, prefix, name string) error {
	path, known := unknownField(data, t)
	if path == "" {
		path = name
	}
	field := strings.TrimPrefix(prefix+"."+path, ".")
	return parley.FieldErrorf(field, "%s is not a field this route takes (check its spelling); the fields there are %s", field, strings.Join(known, ", "))
}

// unknownField walks the JSON value data alongside t and returns the path
// of the first object member t has no field for, with the names of t's
// fields at that place; "" when there is none.
func unknownField(data []byte, t reflect.Type) (path string, known []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "", nil
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return "", nil
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(members)) { // a stable choice when several are unknown
			f, ok := fields[strings.ToLower(k)] // as encoding/json matches names
			if !ok {
				names := make([]string, 0, len(fields))
				for _, f := range fields {
					names = append(names, f.name)
				}
				slices.Sort(names)
				return k, names
			}
			if p, known := unknownField(members[k], f.t); p != "" {
				return join(k, p), known
			}
		}
	case reflect.Map:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) == nil {
			for _, k := range slices.Sorted(maps.Keys(members)) {
				if p, known := unknownField(members[k], t.Elem()); p != "" {
					return join(k, p), known
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "", nil // []byte and json.RawMessage take anything
		}
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) == nil {
			for i, e := range elems {
				if p, known := unknownField(e, t.Elem()); p != "" {
					return join(fmt.Sprintf("[%d]", i), p), known
				}
			}
		}
	}
	return "", nil
}

// join joins JSON path segments: a.b, a[0].
func join(parent, child string) string {
	if strings.HasPrefix(child, "[") {
		return parent + child
	}
	return parent + "." + child
}

// jsonField is a struct field as JSON names it.
type jsonField struct {
	name string
	t    reflect.Type
}

// jsonFields maps the lower-cased JSON names of a struct's fields (embedded
// structs' included) to the fields.
func jsonFields(t reflect.Type) map[string]jsonField {
	fields := map[string]jsonField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Tag.Get("json") == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[strings.ToLower(name)] = jsonField{name: name, t: f.Type}
	}
	return fields
}
