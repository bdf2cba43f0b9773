package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/parleyhq/parley/internal/httpapi"
)

// decodeError reads an error answer into p, whichever its shape: a
// problem document (Parley's routes) or LivePerson's {code, message} with
// parleyCode and field (LivePerson's routes), which must carry nothing
// else. For LivePerson's shape p.Status is its code.
func decodeError(data []byte, p *httpapi.Problem) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	if _, lp := keys["parleyCode"]; !lp {
		return json.Unmarshal(data, p)
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains([]string{"code", "message", "parleyCode", "field"}, k) {
			return fmt.Errorf("LivePerson's error body has %s: %s", k, data)
		}
	}
	var e httpapi.LPError
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return err
	}
	*p = httpapi.Problem{Status: e.Code, Detail: e.Message, Code: e.ParleyCode, Field: e.Field}
	return nil
}
