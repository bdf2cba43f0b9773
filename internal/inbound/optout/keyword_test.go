package optout

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		body string
		want Keyword
	}{
		{"STOP", OptOut},
		{"stop", OptOut},
		{" stop ", OptOut},
		{"\tStop\r\n", OptOut},
		{"Stop!", OptOut},
		{"stop.", OptOut},
		{"STOPALL", OptOut},
		{"unsubscribe", OptOut},
		{"Cancel", OptOut},
		{"end", OptOut},
		{"quit", OptOut},
		{"revoke", OptOut},
		{"optout", OptOut},
		{"Opt-Out", OptOut},
		{"opt out", OptOut},
		{"OPT   OUT", OptOut},
		{"arret", OptOut},
		{"Arrêt", OptOut},
		{"remove", OptOut},
		{"td", OptOut},
		{"START", OptIn},
		{"unstop", OptIn},
		{"Yes", OptIn},
		{"yes!", OptIn},
		{"HELP", Help},
		{"info", Help},
		{" Info. ", Help},
		{"", None},
		{"   ", None},
		{"stop please", None},
		{"please stop", None},
		{"yes, tomorrow", None},
		{"stopp", None},
		{"s t o p", None},
		{"STOP?", None},
		{"opt-in", None},
		{"optin", None},
		{"stop\nstop", None},
		{strings.Repeat(" ", 100) + "stop", OptOut},
		{"stop" + strings.Repeat("!", 100), None}, // longer than any keyword message
		{"ＳＴＯＰ", None},                            // full-width letters are not the keyword
	}
	for _, tt := range tests {
		if got := Classify(tt.body); got != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.body, got, tt.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"STOP", " opt-out ", "yes", "stop please", "HELP!", "Arrêt", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		k := Classify(body)
		if k < None || k > Help {
			t.Fatalf("Classify(%q) = %d", body, k)
		}
		if k == None {
			return
		}
		// A keyword stays one whatever its case and padding.
		if got := Classify(" " + strings.ToLower(body) + " "); got != k && strings.ToUpper(strings.ToLower(body)) == strings.ToUpper(body) {
			t.Errorf("Classify(%q) = %s but padded lower case gives %s", body, k, got)
		}
		// Another word after it makes it an ordinary message.
		if got := Classify(body + " now"); got != None {
			t.Errorf("Classify(%q) = %s, want NONE", body+" now", got)
		}
	})
}
