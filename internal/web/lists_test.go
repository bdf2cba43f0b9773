package web_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/parley"
)

var (
	listEnd   = regexp.MustCompile(`\]\]|\n\];`)
	pairFirst = regexp.MustCompile(`\["([^"]*)",`)
)

// jsList returns the first strings of the pairs of the JavaScript array
// that starts after start in the asset file ([["a", "A"], ["b", "B"]] is
// a, b), on one line or one pair a line.
func jsList(t *testing.T, file, start string) []string {
	t.Helper()
	data, err := os.ReadFile("static/assets/" + file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	i := strings.Index(src, start)
	if i < 0 {
		t.Fatalf("%s has no %q", file, start)
	}
	src = src[i+len(start):]
	end := listEnd.FindStringIndex(src)
	if end == nil {
		t.Fatalf("%s: the list after %q does not end", file, start)
	}
	var out []string
	for _, m := range pairFirst.FindAllStringSubmatch(src[:end[0]+1], -1) {
		out = append(out, m[1])
	}
	return out
}

// TestEventTypesAreTheAPIs: the event subscriptions page offers every
// event type the API takes, in its order, and no other.
func TestEventTypesAreTheAPIs(t *testing.T) {
	got := jsList(t, "eventsubs.js", "export const eventTypes = [")
	var want []string
	for _, e := range parley.EventTypes {
		want = append(want, string(e))
	}
	if !slices.Equal(got, want) {
		t.Errorf("eventsubs.js offers %q, the API takes %q", got, want)
	}
}

// TestChannelProvidersAreTheAPIs: the channel form offers, for each
// channel, the providers that send on it, in the registry's order.
func TestChannelProvidersAreTheAPIs(t *testing.T) {
	for _, ch := range []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelInApp} {
		got := jsList(t, "channels.js", "  "+string(ch)+": [")
		var want []string
		for _, p := range providers.ForChannel(ch) {
			want = append(want, string(p.Name()))
		}
		if !slices.Equal(got, want) {
			t.Errorf("channels.js offers %s %q, the API takes %q", ch, got, want)
		}
	}
}
