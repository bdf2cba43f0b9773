package parley

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SDEs (LivePerson's engagement attributes) are what a brand tells the
// agent about a consumer when it creates a campaign: an array of typed
// objects, such as
//
//	[{"type": "ctmrinfo", "info": {"customerId": "C-1", "cstatus": "gold"}},
//	 {"type": "personal", "personal": {"firstname": "Jane"}}]
//
// Parley keeps them flat, as the agent reads them: each value under its
// type and path (ctmrinfo.customerId, personal.firstname,
// personal.contacts.0.email; an object whose only other field is one
// object, as info and personal above, is read through). They stay with
// the recipient and are shown on the conversation a reply opens.

// SDE bounds: the attributes kept of one consumer, attribute by attribute
// in the order given and field by field in name order; those past them,
// and those nested deeper, are left out, as are empty values and any with
// control characters.
const (
	MaxSDEBytes   = 512 // bytes of keys and values
	MaxSDEEntries = 32
	maxSDEDepth   = 4
)

// FlattenSDEs reads LivePerson's sdes of one consumer (nil or JSON null:
// none) into their flat form within the SDE bounds. An sdes that is not an
// array of objects each with a string type is EINVALID naming field.
func FlattenSDEs(field string, raw json.RawMessage) (map[string]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, FieldErrorf(field, "%s is LivePerson's engagement attributes: an array of objects with a type, such as [{\"type\":\"ctmrinfo\",\"info\":{\"customerId\":\"C-1\"}}]", field)
	}
	f := sdeFlattener{out: map[string]string{}}
	for i, sde := range list {
		var typ string
		if err := json.Unmarshal(sde["type"], &typ); err != nil || strings.TrimSpace(typ) == "" {
			return nil, FieldErrorf(fmt.Sprintf("%s[%d].type", field, i), "each engagement attribute needs its type as a string (ctmrinfo, personal, ...)")
		}
		delete(sde, "type")
		if len(sde) == 1 {
			for _, inner := range sde {
				var obj map[string]json.RawMessage
				if json.Unmarshal(inner, &obj) == nil && obj != nil {
					sde = obj // {"type": "personal", "personal": {...}}
				}
			}
		}
		f.object(typ, sde, 1)
	}
	if len(f.out) == 0 {
		return nil, nil
	}
	return f.out, nil
}

type sdeFlattener struct {
	out  map[string]string
	used int
}

func (f *sdeFlattener) object(prefix string, obj map[string]json.RawMessage, depth int) {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		f.value(prefix+"."+k, obj[k], depth)
	}
}

func (f *sdeFlattener) value(key string, raw json.RawMessage, depth int) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > maxSDEDepth {
		return
	}
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			f.object(key, obj, depth+1)
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for i, v := range list {
				f.value(key+"."+strconv.Itoa(i), v, depth+1)
			}
		}
	case 'n': // null
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			f.add(key, s)
		}
	default: // a number or a boolean, as written
		f.add(key, string(raw))
	}
}

func (f *sdeFlattener) add(key, v string) {
	v = strings.TrimSpace(v)
	if v == "" || len(f.out) >= MaxSDEEntries || f.used+len(key)+len(v) > MaxSDEBytes ||
		!utf8.ValidString(key+v) || strings.ContainsFunc(key+v, unicode.IsControl) {
		return
	}
	f.out[key] = v
	f.used += len(key) + len(v)
}
