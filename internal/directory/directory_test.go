package directory

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestClean(t *testing.T) {
	d, err := Draft{Name: " Ann ", Email: "ann@example.com", Phone: "(202) 555-0142", Params: map[string]string{"tier": " gold ", "empty": " "}}.Clean(JSONField(""), "US")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Ann" || d.Phone != "+12025550142" || d.Params["tier"] != "gold" || len(d.Params) != 1 {
		t.Errorf("clean draft %+v", d)
	}
	cases := []struct {
		d       Draft
		country string
		field   string
	}{
		{Draft{Phone: "(202) 555-0142"}, "", "contact.phone"},
		{Draft{Phone: "12"}, "US", "contact.phone"},
		{Draft{Email: "not an address"}, "", "contact.email"},
		{Draft{Email: "Ann <ann@example.com>"}, "", "contact.email"},
		{Draft{Name: strings.Repeat("n", MaxNameLength+1)}, "", "contact.name"},
		{Draft{Name: "x", Params: map[string]string{"bad name": "1"}}, "", "contact.params.bad name"},
		{Draft{Name: "x", Params: map[string]string{"p": strings.Repeat("v", MaxParamValue+1)}}, "", "contact.params.p"},
		{Draft{Name: " "}, "", "contact"},
	}
	for _, c := range cases {
		_, err := c.d.Clean(JSONField("contact"), c.country)
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != c.field {
			t.Errorf("%+v: %v, want invalid %s", c.d, err, c.field)
		}
	}
}

func TestMergeAndReplace(t *testing.T) {
	now := time.Now()
	c := New("a", "k1", Draft{Name: "Ann", Phone: "+12025550142", Params: map[string]string{"tier": "gold"}}, now)
	m := c.Merge(Draft{Email: "ann@example.com", Params: map[string]string{"city": "DC"}}, now.Add(time.Second))
	if m.Name != "Ann" || m.Email != "ann@example.com" || m.Params["tier"] != "gold" || m.Params["city"] != "DC" || m.Version != 2 {
		t.Errorf("merged %+v", m)
	}
	if c.Params["city"] != "" {
		t.Error("Merge changed the original's parameters")
	}
	r := m.Replace(Draft{Name: "Anne"}, now)
	if r.Phone != "" || r.Email != "" || r.Params != nil || r.Version != 3 {
		t.Errorf("replaced %+v", r)
	}
}

func TestFilter(t *testing.T) {
	ann := Contact{Name: "Ann Lee", Email: "ann@example.com", Phone: "+12025550142", Params: map[string]string{"tier": "Gold"}}
	bob := Contact{Name: "Bob", Phone: "+442079460123"}
	cases := []struct {
		f        Filter
		ann, bob bool
	}{
		{Filter{Conditions: []Condition{{Field: "param:tier", Op: OpEquals, Value: "gold"}}}, true, false},
		{Filter{Conditions: []Condition{{Field: "param:tier", Op: OpNotEquals, Value: "gold"}}}, false, true},
		{Filter{Conditions: []Condition{{Field: "phone", Op: OpStartsWith, Value: "+1"}}}, true, false},
		{Filter{Conditions: []Condition{{Field: "name", Op: OpContains, Value: "LEE"}}}, true, false},
		{Filter{Conditions: []Condition{{Field: "email", Op: OpMissing}}}, false, true},
		{Filter{Match: MatchAll, Conditions: []Condition{{Field: "phone", Op: OpExists}, {Field: "email", Op: OpExists}}}, true, false},
		{Filter{Match: MatchAny, Conditions: []Condition{{Field: "email", Op: OpExists}, {Field: "phone", Op: OpStartsWith, Value: "+44"}}}, true, true},
	}
	for i, c := range cases {
		c.f.Name = "f"
		if err := c.f.Validate(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if c.f.Matches(ann) != c.ann || c.f.Matches(bob) != c.bob {
			t.Errorf("case %d: ann %v bob %v, want %v %v", i, c.f.Matches(ann), c.f.Matches(bob), c.ann, c.bob)
		}
	}
	bad := []struct {
		f     Filter
		field string
	}{
		{Filter{Conditions: []Condition{{Field: "phone", Op: OpExists}}}, "name"},
		{Filter{Name: "f", Match: "xor", Conditions: []Condition{{Field: "phone", Op: OpExists}}}, "match"},
		{Filter{Name: "f"}, "conditions"},
		{Filter{Name: "f", Conditions: []Condition{{Field: "age", Op: OpExists}}}, "conditions[0].field"},
		{Filter{Name: "f", Conditions: []Condition{{Field: "phone", Op: "like"}}}, "conditions[0].op"},
		{Filter{Name: "f", Conditions: []Condition{{Field: "phone", Op: OpExists, Value: "x"}}}, "conditions[0].value"},
		{Filter{Name: "f", Conditions: []Condition{{Field: "phone", Op: OpContains}}}, "conditions[0].value"},
	}
	for _, b := range bad {
		if err := b.f.Validate(); parley.ErrorField(err) != b.field {
			t.Errorf("%+v: %v, want invalid %s", b.f, err, b.field)
		}
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping([]byte(`{"Full Name":"name","Mobile":"phone","Tier":"param:tier"}`))
	if err != nil {
		t.Fatal(err)
	}
	if m["full name"] != "name" || m["mobile"] != "phone" || m["tier"] != "param:tier" {
		t.Errorf("mapping %v", m)
	}
	bad := map[string]string{
		`[]`:                                "mapping",
		`{}`:                                "mapping",
		`{"a":"name"} {}`:                   "mapping",
		`{"a":"age"}`:                       "mapping.a",
		`{"a":"phone","b":"phone"}`:         "mapping.b",
		`{"Phone":"phone","phone ":"name"}`: "mapping.phone ",
	}
	for in, field := range bad {
		if _, err := ParseMapping([]byte(in)); parley.ErrorField(err) != field {
			t.Errorf("%s: %v, want invalid %s", in, err, field)
		}
	}
}

func TestReadImport(t *testing.T) {
	m, _ := ParseMapping([]byte(`{"Name":"name","Phone":"phone","Email":"email","Tier":"param:tier"}`))
	csv := "\uFEFFName,Phone,Email,Tier,Ignored\n" +
		"Ann,(202) 555-0142,ann@example.com,gold,x\n" +
		"\n" +
		"Bob,12,,silver,\n" +
		"Ann again,+1 202 555 0142,,,\n" +
		"Cy,,cy@@example,,\n" +
		"Di,+442079460123,,,\n"
	lines, err := ReadImport(strings.NewReader(csv), m, "US")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		code  string
		field string
	}{
		{2, "", ""},
		{4, CodeInvalidNumber, `line 4, column 2 "Phone" (phone)`},
		{5, CodeDuplicateNumber, `line 5, column 2 "Phone" (phone)`},
		{6, CodeInvalidField, `line 6, column 3 "Email" (email)`},
		{7, "", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for i, w := range want {
		l := lines[i]
		if l.Line != w.line || l.Code != w.code || parley.ErrorField(l.Err) != w.field {
			t.Errorf("line %d: %+v, want %+v", i, l, w)
		}
	}
	if d := lines[0].Draft; d.Name != "Ann" || d.Phone != "+12025550142" || d.Params["tier"] != "gold" {
		t.Errorf("line 2 draft %+v", d)
	}
	if !strings.Contains(lines[2].Err.Error(), "line 2") {
		t.Errorf("duplicate line does not name the first: %v", lines[2].Err)
	}

	fileErrors := map[string]string{
		"":                          "contacts",
		"Name,Email\nAnn,a@b.c\n":   "mapping.phone",
		"Name,Phone,Phone\nA,1,2\n": "line 1, column 3",
		"Name,Phone\n\"Ann,1\n":     "line 2",
	}
	for in, field := range fileErrors {
		m, _ := ParseMapping([]byte(`{"name":"name","phone":"phone"}`))
		if _, err := ReadImport(strings.NewReader(in), m, ""); parley.ErrorCode(err) != parley.EINVALID || !strings.HasPrefix(parley.ErrorField(err), field) {
			t.Errorf("%q: %v, want invalid %s", in, err, field)
		}
	}
}

func FuzzReadImport(f *testing.F) {
	f.Add(`{"Name":"name","Phone":"phone"}`, "Name,Phone\nAnn,+12025550142\nBob,bad\n")
	f.Add(`{"a":"param:x"}`, "a;b\n1;2\n")
	f.Fuzz(func(t *testing.T, mapping, file string) {
		m, err := ParseMapping([]byte(mapping))
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("mapping error %v is not EINVALID", err)
			}
			return
		}
		lines, err := ReadImport(strings.NewReader(file), m, "US")
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("import error %v is not EINVALID", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, l := range lines {
			if (l.Err == nil) != (l.Code == "") {
				t.Fatalf("line %d: code %q with error %v", l.Line, l.Code, l.Err)
			}
			if l.Err == nil && l.Draft.Phone != "" {
				if seen[l.Draft.Phone] {
					t.Fatalf("line %d: %s accepted twice", l.Line, l.Draft.Phone)
				}
				seen[l.Draft.Phone] = true
			}
		}
	})
}
