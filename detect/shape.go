package detect

import (
	"math/bits"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// shapeCheck is a necessary condition for an anchored rule's regex to
// match at the start of a window, cheaper than any run of Go's regexp
// engine: it follows the regex over the window's bytes with the set of
// positions where the part of the regex followed so far may end (rather
// than one thread per instruction), a literal or a class repetition at a
// time. A keyword hit in an identifier ("CredentialSource(", "awsEc2query_")
// is turned down after a few bytes. It errs only towards a match: it
// treats every assertion (\b, ^, $) as true, and gives up (the regex
// decides) at a byte >= 0x80 that a character of the regex might match, or
// where a match would run past shapeLimit bytes.
type shapeCheck struct{ root *shapeNode }

// shapeLimit is how far into a window the check follows a regex.
const shapeLimit = 256

// posSet is a set of positions 0..shapeLimit-1 in a window.
type posSet [shapeLimit / 64]uint64

func (s *posSet) add(p int)        { s[p>>6] |= 1 << (p & 63) }
func (s *posSet) empty() bool      { return s[0]|s[1]|s[2]|s[3] == 0 }
func (s *posSet) or(t *posSet)     { s[0] |= t[0]; s[1] |= t[1]; s[2] |= t[2]; s[3] |= t[3] }
func (s *posSet) andNot(t *posSet) { s[0] &^= t[0]; s[1] &^= t[1]; s[2] &^= t[2]; s[3] &^= t[3] }

// addRange adds the positions lo..hi.
func (s *posSet) addRange(lo, hi int) {
	for w := lo >> 6; w <= hi>>6; w++ {
		m := ^uint64(0)
		if w == lo>>6 {
			m &= ^uint64(0) << (lo & 63)
		}
		if w == hi>>6 {
			m &= ^uint64(0) >> (63 - hi&63)
		}
		s[w] |= m
	}
}

func (s *posSet) each(f func(int) bool) bool {
	for w, x := range s {
		for x != 0 {
			if !f(w<<6 + bits.TrailingZeros64(x)) {
				return false
			}
			x &= x - 1
		}
	}
	return true
}

type shapeKind uint8

const (
	shapeEmpty  shapeKind = iota // the empty string (and, over-approximated, every assertion)
	shapeNone                    // nothing
	shapeLit                     // a sequence of characters, one per chars entry
	shapeRepeat                  // subs[0], min to max times (max -1: no limit)
	shapeConcat
	shapeAlt
)

// charMatch is the set of characters one regex character matches, as seen
// by its first byte: ascii holds the ASCII characters; wide says it may
// match a character >= 0x80 (or an invalid byte, which the regexp engine
// reads as U+FFFD), whose width and identity the check does not work out.
type charMatch struct {
	ascii [utf8.RuneSelf]bool
	wide  bool
}

type shapeNode struct {
	kind     shapeKind
	chars    []charMatch
	min, max int
	subs     []*shapeNode
}

// newShapeCheck derives the check from a regex in RE2 (Perl) syntax, as
// regexp.Compile parses it; root is nil (no check) if it does not parse.
func newShapeCheck(expr string) shapeCheck {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return shapeCheck{}
	}
	return shapeCheck{newShapeNode(re)}
}

func newShapeNode(re *syntax.Regexp) *shapeNode {
	switch re.Op {
	case syntax.OpNoMatch:
		return &shapeNode{kind: shapeNone}
	case syntax.OpLiteral:
		n := &shapeNode{kind: shapeLit, chars: make([]charMatch, len(re.Rune))}
		for i, r := range re.Rune {
			n.chars[i].addRune(r)
			// As the regexp compiler does: a literal character
			// folds case under (?i); a class never does (the parser
			// has put the folded characters in it).
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					n.chars[i].addRune(f)
				}
			}
		}
		return n
	case syntax.OpCharClass:
		var c charMatch
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && r < utf8.RuneSelf; r++ {
				c.ascii[r] = true
			}
			if re.Rune[i+1] >= utf8.RuneSelf {
				c.wide = true
			}
		}
		return &shapeNode{kind: shapeLit, chars: []charMatch{c}}
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		c := charMatch{wide: true}
		for b := range c.ascii {
			c.ascii[b] = b != '\n' || re.Op == syntax.OpAnyChar
		}
		return &shapeNode{kind: shapeLit, chars: []charMatch{c}}
	case syntax.OpCapture:
		return newShapeNode(re.Sub[0])
	case syntax.OpStar:
		return &shapeNode{kind: shapeRepeat, min: 0, max: -1, subs: []*shapeNode{newShapeNode(re.Sub[0])}}
	case syntax.OpPlus:
		return &shapeNode{kind: shapeRepeat, min: 1, max: -1, subs: []*shapeNode{newShapeNode(re.Sub[0])}}
	case syntax.OpQuest:
		return &shapeNode{kind: shapeRepeat, min: 0, max: 1, subs: []*shapeNode{newShapeNode(re.Sub[0])}}
	case syntax.OpRepeat:
		return &shapeNode{kind: shapeRepeat, min: re.Min, max: re.Max, subs: []*shapeNode{newShapeNode(re.Sub[0])}}
	case syntax.OpConcat, syntax.OpAlternate:
		n := &shapeNode{kind: shapeConcat}
		if re.Op == syntax.OpAlternate {
			n.kind = shapeAlt
		}
		for _, s := range re.Sub {
			n.subs = append(n.subs, newShapeNode(s))
		}
		return n
	}
	// OpEmptyMatch and the assertions (taken as always true).
	return &shapeNode{kind: shapeEmpty}
}

func (c *charMatch) addRune(r rune) {
	if r < utf8.RuneSelf {
		c.ascii[r] = true
	} else {
		c.wide = true
	}
}

// match reports whether b's character at its first byte c may be matched:
// ok false means the check cannot tell (c >= 0x80 and the regex character
// may match a wide one).
func (c *charMatch) match(b byte) (in, ok bool) {
	if b < utf8.RuneSelf {
		return c.ascii[b], true
	}
	return false, !c.wide
}

// mayMatch reports whether the regex may match at the start of b (as the
// rule's anchored regex, run over b, sees it): false only if it cannot.
func (s *shapeCheck) mayMatch(b []byte) bool {
	if s.root == nil {
		return true
	}
	may, _ := s.run(b)
	return may
}

// run is mayMatch, also returning the steps it took.
func (s *shapeCheck) run(b []byte) (may bool, steps int) {
	var in posSet
	in.add(0)
	budget := shapeBudget
	out, ok := s.root.step(b, &in, &budget)
	return !ok || !out.empty(), shapeBudget - budget
}

// shapeBudget bounds the steps (a node over a set of positions) of one
// check: nested repetitions of parts that may match little can make the
// check follow the same positions again at each level (a hostile rule
// took seconds a window), where the regexp engine runs once over the
// input. Past it the check gives up. The default rules take far fewer
// (TestShapeCheckBudget).
const shapeBudget = 512

// step returns the positions where n may end a match that starts at one
// of in; ok false means the check cannot tell (or its budget ran out).
func (n *shapeNode) step(b []byte, in *posSet, budget *int) (out posSet, ok bool) {
	if *budget--; *budget < 0 {
		return out, false
	}
	switch n.kind {
	case shapeEmpty:
		return *in, true
	case shapeNone:
		return out, true
	case shapeLit:
		ok = true
		in.each(func(p int) bool {
			if p+len(n.chars) > len(b) {
				return true
			}
			for i := range n.chars {
				m, sure := n.chars[i].match(b[p+i])
				if !sure {
					ok = false
					return false
				}
				if !m {
					return true
				}
			}
			if p+len(n.chars) >= shapeLimit {
				ok = false
				return false
			}
			out.add(p + len(n.chars))
			return true
		})
		return out, ok
	case shapeConcat:
		out = *in
		for _, s := range n.subs {
			if out.empty() {
				break
			}
			if out, ok = s.step(b, &out, budget); !ok {
				return out, false
			}
		}
		return out, true
	case shapeAlt:
		for _, s := range n.subs {
			o, ok := s.step(b, in, budget)
			if !ok {
				return out, false
			}
			out.or(&o)
		}
		return out, true
	}
	// shapeRepeat.
	sub := n.subs[0]
	if sub.kind == shapeLit && len(sub.chars) == 1 {
		// A run of one class: from each start, every length from min
		// to the longest run (at most max). Starts inside one run share
		// its end, found once.
		c := &sub.chars[0]
		ok = true
		end, unsure := -1, false // the run's end; unsure: a byte there may be in the class
		in.each(func(p int) bool {
			if p > end {
				end, unsure = p, false
				for end < len(b) && end < shapeLimit {
					m, sure := c.match(b[end])
					if !sure {
						unsure = true
					}
					if !m {
						break
					}
					end++
				}
				unsure = unsure || end == shapeLimit && end < len(b)
			}
			hi := end
			if n.max >= 0 && p+n.max <= hi {
				hi = p + n.max
			} else if unsure {
				ok = false
				return false
			}
			if hi-p < n.min {
				return true
			}
			if hi >= shapeLimit {
				ok = false
				return false
			}
			out.addRange(p+n.min, hi)
			return true
		})
		return out, ok
	}
	cur := *in
	for range n.min {
		if cur.empty() {
			return cur, true
		}
		if cur, ok = sub.step(b, &cur, budget); !ok {
			return cur, false
		}
	}
	// Then up to max - min more: a breadth-first search, in which a
	// position found again later (with fewer repetitions left) adds
	// nothing.
	out, front := cur, cur
	for k := n.min; (n.max < 0 || k < n.max) && !front.empty(); k++ {
		next, ok := sub.step(b, &front, budget)
		if !ok {
			return out, false
		}
		next.andNot(&out)
		out.or(&next)
		front = next
	}
	return out, true
}
