package tz

import (
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		e164 string
		want []string
	}{
		{"+12025550123", []string{"America/New_York"}},
		{"+16505550123", []string{"America/Los_Angeles"}},
		{"+4930901820", []string{"Europe/Berlin"}},
		{"+447911123456", []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"}}, // a mobile: all of +44
		{"+61412345678", []string{"Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"}},
		{"not a number", nil},
	}
	for _, tt := range tests {
		if got := Names(tt.e164); !slices.Equal(got, tt.want) {
			t.Errorf("Names(%s) = %v, want %v", tt.e164, got, tt.want)
		}
	}
	if got := Names("+18005550123"); len(got) < 20 {
		t.Errorf("a toll-free NANP number may be anywhere in the plan; got %v", got)
	}
}

func TestLocations(t *testing.T) {
	locs, err := Locations([]string{"America/New_York", "Asia/Kolkata", "America/New_York"})
	if err != nil || len(locs) != 3 || locs[0] != locs[2] || locs[1].String() != "Asia/Kolkata" {
		t.Fatalf("Locations = %v, %v", locs, err)
	}
	if _, err := Locations([]string{"Mars/Olympus_Mons"}); err == nil {
		t.Error("an unknown zone loaded")
	}
}
