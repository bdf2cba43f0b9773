// Package tz resolves the time zones a consumer's phone number may be in, as
// loaded time.Locations. The tz database is embedded (time/tzdata), so the
// functions behave the same in Lambda, whose image has no zoneinfo.
package tz

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 image has no zoneinfo

	"github.com/nyaruka/phonenumbers"

	"github.com/parleyhq/parley/internal/phone"
)

// unknown is phonenumbers' placeholder for "no zone data".
const unknown = "Etc/Unknown"

// Names returns the IANA zones of an E.164 number. When the number's own
// prefix has no zone data, the zones of its whole country calling code
// stand in (a stricter window, never a looser one). nil means none is known.
func Names(e164 string) []string {
	if zs := phone.Zones(e164); len(zs) > 0 {
		return zs
	}
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return nil
	}
	zs, err := phonenumbers.GetTimezonesForPrefix(fmt.Sprint(num.GetCountryCode()))
	if err == nil && known(zs) {
		return zs
	}
	return nil
}

func known(zs []string) bool {
	return len(zs) > 0 && !(len(zs) == 1 && zs[0] == unknown)
}

var cache sync.Map // zone name → *time.Location

// Locations loads the named zones, caching each.
func Locations(names []string) ([]*time.Location, error) {
	out := make([]*time.Location, 0, len(names))
	for _, n := range names {
		if l, ok := cache.Load(n); ok {
			out = append(out, l.(*time.Location))
			continue
		}
		l, err := time.LoadLocation(n)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", n, err)
		}
		cache.Store(n, l)
		out = append(out, l)
	}
	return out, nil
}

// Key identifies a zone set, for memoising per-set computations.
func Key(names []string) string { return strings.Join(names, ",") }
