package phone

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
)

// dfa is a deterministic automaton over the ten ASCII digits, compiled from
// one of the regular expressions in phonenumbers' metadata. It decides the
// same language Go's regexp engine would, because it is built from the very
// program regexp runs (regexp/syntax), by subset construction.
type dfa struct {
	// next[s*10+d] is the state reached from s on digit d, or dead.
	next []int32
	// accept[s] says whether a match may end in state s.
	accept []uint8
}

// Accept flags of a state.
const (
	// acceptHere: a match ends here, whatever follows.
	acceptHere uint8 = 1 << iota
	// acceptAtEnd: a match ends here only if the input ends here too (the
	// path crossed a $).
	acceptAtEnd
)

const (
	// dead is the state with no way to a match.
	dead = -1
	// maxStates bounds the subset construction; a pattern needing more is
	// reported as unsupported and left to phonenumbers.
	maxStates = 1 << 14
)

// errUnsupported reports a pattern the automaton cannot express exactly.
var errUnsupported = errors.New("pattern not expressible as a digit automaton")

// compileDFA builds the automaton of pattern, read as Go's regexp package
// reads it (Perl syntax).
func compileDFA(pattern string) (*dfa, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", pattern, err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", pattern, err)
	}
	b := newBuilder(prog)
	if err := b.run(); err != nil {
		return nil, fmt.Errorf("%q: %w", pattern, err)
	}
	return &b.d, nil
}

// nothingDFA returns an automaton with an empty language.
func nothingDFA() *dfa {
	next := make([]int32, 10)
	for i := range next {
		next[i] = dead
	}
	return &dfa{next: next, accept: []uint8{0}}
}

// root is a program counter to take a closure from; pastEnd marks paths
// that crossed an end-of-text assertion.
type root struct {
	pc      uint32
	pastEnd bool
}

// builder runs the subset construction. A state is the set of the
// program's rune instructions that may consume the next digit, plus whether
// a match is reachable without consuming one.
type builder struct {
	prog   *syntax.Prog
	digits []uint16 // digits[pc]: bit d is set when instruction pc consumes digit d
	d      dfa
	sets   [][]uint32
	index  map[string]int32
	mark   []uint32 // mark[2*pc+pastEnd] == gen: seen in the current closure
	gen    uint32
	stack  []root
	pcs    []uint32
	key    []byte
}

func newBuilder(prog *syntax.Prog) *builder {
	b := &builder{
		prog:   prog,
		digits: make([]uint16, len(prog.Inst)),
		index:  map[string]int32{},
		mark:   make([]uint32, 2*len(prog.Inst)),
	}
	for pc := range prog.Inst {
		for d := range 10 {
			if consumes(&prog.Inst[pc], rune('0'+d)) {
				b.digits[pc] |= 1 << d
			}
		}
	}
	return b
}

// run builds every state reachable from the start.
func (b *builder) run() error {
	b.stack = append(b.stack[:0], root{pc: uint32(b.prog.Start)})
	accept, err := b.closure(true)
	if err != nil {
		return err
	}
	if b.state(accept) == dead {
		b.d = *nothingDFA()
		return nil
	}
	for s := 0; s < len(b.sets); s++ {
		if err := b.expand(s); err != nil {
			return err
		}
		if len(b.sets) > maxStates {
			return fmt.Errorf("more than %d states: %w", maxStates, errUnsupported)
		}
	}
	return nil
}

// expand fills in the transitions of state s. Digits that the same
// instructions consume lead to the same state, which is computed once.
func (b *builder) expand(s int) error {
	var done uint16 // digits whose transition is known
	for d := range 10 {
		if done&(1<<d) != 0 {
			continue
		}
		b.stack = b.stack[:0]
		var like uint16 = 1<<10 - 1 // digits consumed by exactly the instructions d is
		for _, pc := range b.sets[s] {
			if m := b.digits[pc]; m&(1<<d) != 0 {
				b.stack = append(b.stack, root{pc: b.prog.Inst[pc].Out})
				like &= m
			} else {
				like &^= m
			}
		}
		next := int32(dead)
		if len(b.stack) > 0 {
			accept, err := b.closure(false)
			if err != nil {
				return err
			}
			next = b.state(accept)
		}
		for e := range 10 {
			if like&(1<<e) != 0 {
				b.d.next[s*10+e] = next
			}
		}
		done |= like
	}
	return nil
}

// state returns the number of the state made of b.pcs and accept, adding
// it when new.
func (b *builder) state(accept uint8) int32 {
	if len(b.pcs) == 0 && accept == 0 {
		return dead
	}
	b.key = append(b.key[:0], accept)
	for _, pc := range b.pcs {
		b.key = binary.AppendUvarint(b.key, uint64(pc))
	}
	if n, ok := b.index[string(b.key)]; ok {
		return n
	}
	n := int32(len(b.sets))
	b.index[string(b.key)] = n
	b.sets = append(b.sets, slices.Clone(b.pcs))
	b.d.accept = append(b.d.accept, accept)
	b.d.next = append(b.d.next, make([]int32, 10)...)
	return n
}

// consumes reports whether instruction in consumes r.
func consumes(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		return true
	case syntax.InstRune, syntax.InstRune1:
		return in.MatchRune(r)
	}
	return false
}

// closure follows the empty transitions from the roots on b.stack, leaving
// the rune instructions reached, sorted, in b.pcs. atStart says the
// position is the beginning of the text, where ^ holds.
func (b *builder) closure(atStart bool) (accept uint8, err error) {
	b.gen++
	b.pcs = b.pcs[:0]
	for len(b.stack) > 0 {
		r := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]
		seen := 2 * r.pc
		if r.pastEnd {
			seen++
		}
		if b.mark[seen] == b.gen {
			continue
		}
		b.mark[seen] = b.gen
		in := &b.prog.Inst[r.pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			b.stack = append(b.stack, root{in.Out, r.pastEnd}, root{in.Arg, r.pastEnd})
		case syntax.InstCapture, syntax.InstNop:
			b.stack = append(b.stack, root{in.Out, r.pastEnd})
		case syntax.InstEmptyWidth:
			pastEnd, ok, err := assert(syntax.EmptyOp(in.Arg), atStart)
			if err != nil {
				return 0, err
			}
			if ok {
				b.stack = append(b.stack, root{in.Out, r.pastEnd || pastEnd})
			}
		case syntax.InstMatch:
			accept |= acceptFor(r.pastEnd)
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if !r.pastEnd { // nothing can be consumed after the end of the text
				b.pcs = append(b.pcs, r.pc)
			}
		case syntax.InstFail:
		default:
			return 0, fmt.Errorf("instruction %v: %w", in.Op, errUnsupported)
		}
	}
	slices.Sort(b.pcs)
	b.pcs = slices.Compact(b.pcs)
	return accept, nil
}

// acceptFor returns the accept flag of a match reached with or without
// crossing a $.
func acceptFor(pastEnd bool) uint8 {
	if pastEnd {
		return acceptAtEnd
	}
	return acceptHere
}

// assert evaluates an empty-width assertion on digit input: ^ holds only at
// the start; $ holds only at the end, so passing it marks the path pastEnd.
// Word-boundary assertions depend on the neighbouring digits and are not
// supported.
func assert(op syntax.EmptyOp, atStart bool) (pastEnd, ok bool, err error) {
	if op&(syntax.EmptyWordBoundary|syntax.EmptyNoWordBoundary) != 0 {
		return false, false, fmt.Errorf("word boundary: %w", errUnsupported)
	}
	if op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) != 0 && !atStart {
		return false, false, nil
	}
	return op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0, true, nil
}

// full reports whether the whole of digits is in the language, as the
// anchored pattern ^(?:p)$ would.
func (m *dfa) full(digits []byte) bool {
	s := int32(0)
	for i := 0; i < len(digits); i++ {
		s = m.next[int(s)*10+int(digits[i]-'0')]
		if s == dead {
			return false
		}
	}
	return m.accept[s] != 0
}

// prefixes reports whether the empty prefix of digits and whether some
// non-empty prefix of it is in the language, as ^(?:p) matching would find.
func (m *dfa) prefixes(digits []byte) (empty, nonEmpty bool) {
	empty = m.accept[0]&acceptHere != 0 || (len(digits) == 0 && m.accept[0] != 0)
	s := int32(0)
	for i := 0; i < len(digits); i++ {
		s = m.next[int(s)*10+int(digits[i]-'0')]
		if s == dead {
			return empty, false
		}
		if m.accept[s]&acceptHere != 0 || (i == len(digits)-1 && m.accept[s] != 0) {
			return empty, true
		}
	}
	return empty, false
}

// prefix reports whether some prefix of digits, the empty one included, is
// in the language.
func (m *dfa) prefix(digits []byte) bool {
	empty, nonEmpty := m.prefixes(digits)
	return empty || nonEmpty
}
