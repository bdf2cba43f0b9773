package phone

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The national significant number lengths phonenumbers accepts when parsing.
const (
	minNSN = phonenumbers.MIN_LENGTH_FOR_NSN
	maxNSN = phonenumbers.MAX_LENGTH_FOR_NSN
)

// tables index phonenumbers' metadata the way the fast path reads it. They
// are built on first use, not at init, to keep cold starts short.
type tables struct {
	callingCode [1000]bool
	regions     map[string]*phonenumbers.PhoneMetadata
	nonGeo      map[int]*phonenumbers.PhoneMetadata
}

var loadTables = sync.OnceValue(func() *tables {
	t := &tables{
		regions: map[string]*phonenumbers.PhoneMetadata{},
		nonGeo:  map[int]*phonenumbers.PhoneMetadata{},
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc > 0 && cc < len(t.callingCode) {
			t.callingCode[cc] = true
		}
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil { // cannot happen: phonenumbers loaded the same data at init
		return t
	}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			t.nonGeo[int(m.GetCountryCode())] = m
		} else {
			t.regions[m.GetId()] = m
		}
	}
	return t
})

// countryCode returns the country calling code digits start with and its
// length, the shortest known one as phonenumbers picks it, or 0.
func (t *tables) countryCode(digits []byte) (cc, n int) {
	if len(digits) == 0 || digits[0] == '0' {
		return 0, 0
	}
	for i := 0; i < 3 && i < len(digits); i++ {
		cc = cc*10 + int(digits[i]-'0')
		if t.callingCode[cc] {
			return cc, i + 1
		}
	}
	return 0, 0
}

// metadata returns the metadata phonenumbers uses for region id of calling
// code cc.
func (t *tables) metadata(cc int, id string) *phonenumbers.PhoneMetadata {
	if id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return t.nonGeo[cc]
	}
	return t.regions[id]
}

// plan is everything needed to parse and validate the numbers of one country
// calling code without the regexp engine.
type plan struct {
	// library sends every number of the code to phonenumbers itself: some
	// pattern could not be compiled exactly.
	library bool
	// strip recognises the national prefix phonenumbers strips when parsing
	// (nil when the main region has none). Numbers starting with one are
	// left to the library.
	strip *dfa
	// stripNoop says an empty national-prefix match leaves the number as it
	// is, so numbers matching only that way stay on the fast path.
	stripNoop bool
	regions   []*regionPlan
}

// regionPlan validates numbers of one region. Its number types are compiled
// when a number first needs them: a brand writing to one region of a shared
// calling code (the United States of +1, say) never pays for the others.
type regionPlan struct {
	set  *planSet
	meta *phonenumbers.PhoneMetadata
	// leading picks the region among those sharing a calling code; nil when
	// the metadata has no leading digits and full validation decides.
	leading *dfa
	once    sync.Once
	types   *numberTypes // nil when a pattern cannot be compiled exactly
}

// numberTypes mirrors the number-type decision phonenumbers makes: a number
// is valid when it fits the general description and one of the types.
type numberTypes struct {
	general desc
	// any holds the descriptions of anyTypes, in that order, which is the
	// order phonenumbers tries them in; the last is the fixed-line one.
	any []desc
	// mobile is consulted only when the metadata says its pattern differs
	// from the fixed-line one; nil otherwise.
	mobile *desc
}

// desc is one number description: the lengths it allows and its pattern.
type desc struct {
	anyLength bool
	lengths   uint64 // bit n: length n is possible
	pattern   *dfa
}

// planSet holds the plans built so far and the automata they share.
type planSet struct {
	slots [1000]struct {
		once sync.Once
		p    *plan
	}
	mu       sync.Mutex
	patterns map[string]*dfa
}

var plans = newPlanSet()

func newPlanSet() *planSet { return &planSet{patterns: map[string]*dfa{}} }

// planFor returns the plan of calling code cc, building it on first use.
func planFor(cc int) *plan {
	set := plans
	slot := &set.slots[cc]
	slot.once.Do(func() {
		p, err := set.build(cc)
		if err != nil {
			p = &plan{library: true}
		}
		slot.p = p
	})
	return slot.p
}

func (set *planSet) build(cc int) (*plan, error) {
	t := loadTables()
	ids := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(ids) == 0 {
		return nil, fmt.Errorf("calling code %d has no region", cc)
	}
	main := t.metadata(cc, ids[0])
	if main == nil {
		return nil, fmt.Errorf("calling code %d has no metadata", cc)
	}
	p := &plan{}
	if np := main.GetNationalPrefixForParsing(); np != "" {
		var err error
		if p.strip, err = set.pattern(np); err != nil {
			return nil, err
		}
		if p.stripNoop, err = emptyStripIsNoop(np, main.GetNationalPrefixTransformRule()); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		r, err := set.region(t, cc, id, len(ids) > 1)
		if err != nil {
			return nil, err
		}
		p.regions = append(p.regions, r)
	}
	return p, nil
}

func (set *planSet) region(t *tables, cc int, id string, shared bool) (*regionPlan, error) {
	m := t.metadata(cc, id)
	if m == nil || int(m.GetCountryCode()) != cc || (shared && id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY) {
		return nil, fmt.Errorf("region %s of calling code %d: no usable metadata", id, cc)
	}
	r := &regionPlan{set: set, meta: m}
	if ld := m.GetLeadingDigits(); shared && ld != "" {
		var err error
		if r.leading, err = set.pattern(ld); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// numberType returns nsn's type in the region, as phonenumbers'
// GetNumberType gives it (UNKNOWN: not a valid number of the region); exact
// is false when only phonenumbers can tell.
func (r *regionPlan) numberType(nsn []byte) (typ phonenumbers.PhoneNumberType, exact bool) {
	r.once.Do(func() {
		if nt, err := r.set.types(r.meta); err == nil {
			r.types = &nt
		}
	})
	if r.types == nil {
		return phonenumbers.UNKNOWN, false
	}
	return r.types.numberType(nsn), true
}

// buildTypes compiles the descriptions IsValidNumber consults, in its order.
func (set *planSet) types(m *phonenumbers.PhoneMetadata) (numberTypes, error) {
	var nt numberTypes
	var err error
	if nt.general, err = set.desc(m.GetGeneralDesc()); err != nil {
		return nt, err
	}
	for _, d := range []*phonenumbers.PhoneNumberDesc{
		m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail(), m.GetFixedLine(),
	} { // the order of anyTypes
		c, err := set.desc(d)
		if err != nil {
			return nt, err
		}
		nt.any = append(nt.any, c)
	}
	if !m.GetSameMobileAndFixedLinePattern() {
		c, err := set.desc(m.GetMobile())
		if err != nil {
			return nt, err
		}
		nt.mobile = &c
	}
	return nt, nil
}

var errNoDesc = errors.New("number description missing")

func (set *planSet) desc(d *phonenumbers.PhoneNumberDesc) (desc, error) {
	if d == nil {
		return desc{}, errNoDesc
	}
	pat, err := set.pattern(d.GetNationalNumberPattern())
	if err != nil {
		return desc{}, err
	}
	c := desc{anyLength: len(d.PossibleLength) == 0, pattern: pat}
	for _, l := range d.PossibleLength {
		if l >= 0 && l < 64 {
			c.lengths |= 1 << uint(l)
		}
	}
	return c, nil
}

// emptyStripIsNoop reports whether, when the national prefix pattern np
// matches only the empty string at the start of a number, phonenumbers
// leaves the number unchanged. It asks the regexp engine once, on the empty
// string: without assertions, the same alternative wins on any number whose
// only match is empty.
func emptyStripIsNoop(np, transform string) (bool, error) {
	re, err := syntax.Parse(np, syntax.Perl)
	if err != nil {
		return false, fmt.Errorf("parse %q: %w", np, err)
	}
	if hasAssertion(re) {
		return false, nil
	}
	re2, err := regexp.Compile("^(?:" + np + ")")
	if err != nil {
		return false, fmt.Errorf("compile %q: %w", np, err)
	}
	m := re2.FindStringSubmatchIndex("")
	if m == nil {
		return true, nil
	}
	groups := len(m)/2 - 1
	return transform == "" || m[groups*2] < 0, nil
}

func hasAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasAssertion(s) {
			return true
		}
	}
	return false
}

// anyTypes are the types of numberTypes.any, in order.
var anyTypes = [...]phonenumbers.PhoneNumberType{
	phonenumbers.PREMIUM_RATE, phonenumbers.TOLL_FREE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL,
	phonenumbers.FIXED_LINE,
}

// numberType returns nsn's type in the region, deciding as phonenumbers'
// getNumberTypeHelper does; UNKNOWN means nsn is not a valid number.
func (nt *numberTypes) numberType(nsn []byte) phonenumbers.PhoneNumberType {
	if !nt.general.match(nsn) {
		return phonenumbers.UNKNOWN
	}
	for i := range nt.any {
		if !nt.any[i].match(nsn) {
			continue
		}
		if typ := anyTypes[i]; typ != phonenumbers.FIXED_LINE {
			return typ
		}
		if nt.mobile == nil || nt.mobile.match(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if nt.mobile != nil && nt.mobile.match(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

func (d *desc) match(nsn []byte) bool {
	if !d.anyLength && (len(nsn) >= 64 || d.lengths&(1<<uint(len(nsn))) == 0) {
		return false
	}
	return d.pattern.full(nsn)
}

// numberType returns the type of the national significant number nsn of
// the plan's calling code, choosing the region as phonenumbers does
// (UNKNOWN: not a valid number); exact is false when only phonenumbers can
// tell.
func (p *plan) numberType(nsn []byte) (typ phonenumbers.PhoneNumberType, exact bool) {
	if len(p.regions) == 1 {
		return p.regions[0].numberType(nsn)
	}
	for _, r := range p.regions {
		if r.leading != nil {
			if r.leading.prefix(nsn) {
				return r.numberType(nsn)
			}
			continue
		}
		if typ, exact := r.numberType(nsn); typ != phonenumbers.UNKNOWN || !exact {
			return typ, exact
		}
	}
	return phonenumbers.UNKNOWN, true
}

// pattern returns the automaton of a metadata pattern, compiling it once
// however many descriptions share it.
func (set *planSet) pattern(p string) (*dfa, error) {
	set.mu.Lock()
	defer set.mu.Unlock()
	if d, ok := set.patterns[p]; ok {
		return d, nil
	}
	d, err := compileDFA(p)
	if err != nil {
		return nil, err
	}
	set.patterns[p] = d
	return d, nil
}
