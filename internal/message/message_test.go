package message

import (
	"slices"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name, tpl string
		vars      map[string]string
		want      string
		missing   []int
	}{
		{"plain", "Hello", nil, "Hello", nil},
		{"one", "Hi {{1}}!", map[string]string{"1": "Jane"}, "Hi Jane!", nil},
		{"two and repeat", "{{1}} {{2}} {{1}}", map[string]string{"1": "a", "2": "b"}, "a b a", nil},
		{"missing", "Hi {{1}}, card {{2}}", map[string]string{"1": "Jane"}, "Hi Jane, card {{2}}", []int{2}},
		{"missing once", "{{3}}{{3}}", nil, "{{3}}{{3}}", []int{3}},
		{"not a number", "Hi {{name}}", map[string]string{"name": "x"}, "Hi {{name}}", nil},
		{"zero and leading zero", "{{0}} {{01}}", map[string]string{"0": "x", "01": "y"}, "{{0}} {{01}}", nil},
		{"unclosed", "Hi {{1", map[string]string{"1": "x"}, "Hi {{1", nil},
		{"value with braces is not re-expanded", "{{1}}", map[string]string{"1": "{{2}}"}, "{{2}}", nil},
		{"unicode", "Olá {{1}} 👋", map[string]string{"1": "Zoë"}, "Olá Zoë 👋", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, missing := Render(tt.tpl, tt.vars)
			if got != tt.want || !slices.Equal(missing, tt.missing) {
				t.Errorf("Render(%q) = %q, %v; want %q, %v", tt.tpl, got, missing, tt.want, tt.missing)
			}
		})
	}
}

func TestWithOptOut(t *testing.T) {
	if got := WithOptOut("Hi", ""); got != "Hi\n"+DefaultOptOut {
		t.Errorf("default opt-out: %q", got)
	}
	if got := WithOptOut("Hi", "Text STOP to quit"); got != "Hi\nText STOP to quit" {
		t.Errorf("custom opt-out: %q", got)
	}
	if got := WithOptOut("Hi", "   "); got != "Hi\n"+DefaultOptOut {
		t.Errorf("blank opt-out must fall back to the default: %q", got)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("Hi {{1}} {{2}} {{x}} {{", "Jane")
	f.Fuzz(func(t *testing.T, tpl, v string) {
		got, missing := Render(tpl, map[string]string{"1": v})
		for _, n := range missing {
			if n < 1 {
				t.Fatalf("missing variable %d is not positive", n)
			}
		}
		if len(missing) == 0 && v == "" && got != tpl && !slices.Contains(Placeholders(tpl), 1) {
			t.Fatalf("render changed %q to %q with nothing to fill", tpl, got)
		}
	})
}
