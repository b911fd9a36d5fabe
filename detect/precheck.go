package detect

import (
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// runCheck is a necessary condition for a rule's regex to match, derived
// from the regex: every match contains a run of at least min bytes that
// all belong to a byte class (for example the secret group
// [A-Za-z0-9][A-Za-z0-9+/_.~=-]{15,500} needs 16 such bytes in a row). A
// window without such a run cannot hold a match, so the regex is not run
// over it: a byte-table scan costs far less than Go's regexp engine.
type runCheck struct {
	min   int // 0: no useful check
	class [256]bool
}

// minRunWorthChecking is the shortest run worth a check in a rule's
// window: shorter runs are found in almost every window.
const minRunWorthChecking = 8

// newRunCheck derives the check from a regex in RE2 (Perl) syntax, as
// regexp.Compile parses it. The run is taken from the regex's top-level
// sequence (through capturing groups and repetitions that must occur at
// least once): consecutive elements that each match only characters of a
// class make one run, as long as the sum of their minimum lengths; of all
// such runs, the least likely in text is taken, if at least minRun long.
func newRunCheck(expr string, minRun int) runCheck {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return runCheck{}
	}
	// The top-level sequence, as runs of consecutive class-only elements
	// (their classes and minimum lengths); other elements split runs.
	type elem struct {
		min   int
		class [256]bool
	}
	var runs [][]elem
	var cur []elem
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, cur)
		}
		cur = nil
	}
	var walk func(re *syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		for re.Op == syntax.OpCapture {
			re = re.Sub[0]
		}
		switch re.Op {
		case syntax.OpConcat:
			for _, s := range re.Sub {
				walk(s)
			}
			return
		case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
			syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			// Zero-width: the bytes on either side are still consecutive.
			return
		}
		var e elem
		n, ok := classOf(re, &e.class)
		if !ok {
			flush()
			if re.Op == syntax.OpRepeat && re.Min >= 1 || re.Op == syntax.OpPlus {
				// The sub-expression occurs at least once: look inside it
				// for a run of its own.
				walk(re.Sub[0])
				flush()
			}
			return
		}
		e.min = n
		cur = append(cur, e)
	}
	walk(re)
	flush()
	// Any stretch of consecutive elements of a run is a run of its own:
	// take the one least likely to occur in text.
	var best runCheck
	bestScore := 0.0
	for _, run := range runs {
		for i := range run {
			var c runCheck
			for j := i; j < len(run); j++ {
				for b, in := range run[j].class {
					c.class[b] = c.class[b] || in
				}
				c.min += run[j].min
				if c.min < minRun {
					continue
				}
				if sc := score(&c); sc > bestScore {
					best, bestScore = c, sc
				}
			}
		}
	}
	return best
}

// score estimates how selective a check is: -log of the chance that a
// run of c.min bytes of text is all in the class, with a rough model of
// source text (letters and digits common, spaces more, other bytes rare).
func score(c *runCheck) float64 {
	p := 0.0
	for b, in := range c.class {
		if !in {
			continue
		}
		switch {
		case b == ' ':
			p += 0.15
		case b == '\n':
			p += 0.0
		case 'a' <= b && b <= 'z':
			p += 0.02
		case 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_':
			p += 0.005
		case b < 0x80:
			p += 0.003
		default:
			p += 0.0002
		}
	}
	p = min(p, 0.999)
	return -float64(c.min) * math.Log(p)
}

// classOf reports whether re matches only strings of characters from one
// class; if so it adds the bytes of the class to class (every byte >= 0x80
// when the class has a non-ASCII character, since any byte of its encoding
// may occur) and returns the minimum number of characters re matches,
// which is also a lower bound on its length in bytes.
func classOf(re *syntax.Regexp, class *[256]bool) (int, bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	addRange := func(lo, hi rune) {
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			class[r] = true
		}
		if hi >= utf8.RuneSelf {
			for b := utf8.RuneSelf; b < 256; b++ {
				class[b] = true
			}
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			addRange(r, r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					addRange(f, f)
				}
			}
		}
		return len(re.Rune), true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			addRange(re.Rune[i], re.Rune[i+1])
		}
		return 1, true
	case syntax.OpAnyCharNotNL:
		addRange(0, '\n'-1)
		addRange('\n'+1, unicode.MaxRune)
		return 1, true
	case syntax.OpAnyChar:
		addRange(0, unicode.MaxRune)
		return 1, true
	case syntax.OpStar, syntax.OpQuest:
		_, ok := classOf(re.Sub[0], class)
		return 0, ok
	case syntax.OpPlus:
		return classOf(re.Sub[0], class)
	case syntax.OpRepeat:
		n, ok := classOf(re.Sub[0], class)
		return n * re.Min, ok
	case syntax.OpConcat:
		total := 0
		for _, s := range re.Sub {
			n, ok := classOf(s, class)
			if !ok {
				return 0, false
			}
			total += n
		}
		return total, true
	case syntax.OpAlternate:
		least := -1
		for _, s := range re.Sub {
			n, ok := classOf(s, class)
			if !ok {
				return 0, false
			}
			if least < 0 || n < least {
				least = n
			}
		}
		return max(least, 0), true
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, true // zero-width
	}
	return 0, false
}

// ok reports whether b holds a run long enough for a match.
func (c *runCheck) ok(b []byte) bool { return hasRun(c, b) }

func hasRun[T string | []byte](c *runCheck, b T) bool {
	if c.min == 0 {
		return true
	}
	if len(b) < c.min {
		return false
	}
	n := 0
	for i := 0; i < len(b); i++ {
		if c.class[b[i]] {
			if n++; n >= c.min {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// startSet lets an unanchored search skip the positions where no match can
// start. Go's regexp only skips ahead to a literal prefix; a regex such as
// (?i)(?:<tag>|key=...) has none, and its search runs the full automaton
// from every position. When every match must start with one of a few
// bytes, trying the regex anchored at just those positions finds the same
// matches (leftmost first, then the regex's own preference) for much less.
type startSet struct {
	first [256]bool
	// boundary: the regex starts with \b and every first byte is a word
	// byte, so a start also needs a non-word byte (or nothing) before it.
	boundary bool
	anchored *regexp.Regexp // ^(?:expr), nil when the set is not usable
}

// maxStartTries bounds the anchored tries in one window: past it, the
// window is searched the usual way (each try may read far ahead, so many
// tries could cost more than one search).
const maxStartTries = 256

// newStartSet derives the set from a regex; it is usable only if every
// match consumes a character (no empty match) and no assertion is
// evaluated before the first character, other than one leading \b.
func newStartSet(expr string) startSet {
	var s startSet
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return s
	}
	seq := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat && len(re.Sub) > 1 && re.Sub[0].Op == syntax.OpWordBoundary {
		s.boundary = true
		seq = re.Sub[1:]
	}
	nullable := true
	for _, sub := range seq {
		n, ok := firstBytes(sub, &s.first)
		if !ok {
			return startSet{}
		}
		if !n {
			nullable = false
			break
		}
	}
	if nullable {
		return startSet{}
	}
	n := 0
	for b, in := range s.first {
		if !in {
			continue
		}
		if s.boundary && !isIdentByte(byte(b)) {
			return startSet{}
		}
		if b < utf8.RuneSelf || b == utf8.RuneSelf {
			n++ // the bytes of non-ASCII characters count as one
		}
	}
	if n > 16 {
		return startSet{} // too common a start to be worth it
	}
	s.anchored = regexp.MustCompile(`^(?:` + expr + `)`)
	return s
}

// firstBytes adds to set the bytes that a match of re can start with
// (every byte >= 0x80 for a non-ASCII character) and reports whether re
// can match the empty string; ok is false if an assertion may be
// evaluated before re's first character.
func firstBytes(re *syntax.Regexp, set *[256]bool) (nullable, ok bool) {
	add := func(r rune) {
		if r < utf8.RuneSelf {
			set[r] = true
			return
		}
		for b := utf8.RuneSelf; b < 256; b++ {
			set[b] = true
		}
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false, true
	case syntax.OpEmptyMatch:
		return true, true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true, true
		}
		r := re.Rune[0]
		add(r)
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				add(f)
			}
		}
		return false, true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && r < utf8.RuneSelf; r++ {
				add(r)
			}
			if re.Rune[i+1] >= utf8.RuneSelf {
				add(utf8.RuneSelf)
			}
		}
		return false, true
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		for b := range set {
			set[b] = set[b] || b != '\n' || re.Op == syntax.OpAnyChar
		}
		return false, true
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		_, ok := firstBytes(re.Sub[0], set)
		return true, ok
	case syntax.OpRepeat:
		n, ok := firstBytes(re.Sub[0], set)
		return n || re.Min == 0, ok
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			n, ok := firstBytes(sub, set)
			if !ok || !n {
				return false, ok
			}
		}
		return true, true
	case syntax.OpAlternate:
		nullable = false
		for _, sub := range re.Sub {
			n, ok := firstBytes(sub, set)
			if !ok {
				return false, false
			}
			nullable = nullable || n
		}
		return nullable, true
	}
	return false, false // an assertion
}

// findAll returns what re.FindAllSubmatchIndex(seg, -1) returns for the
// regex the set was derived from: it steps through seg a character at a
// time, as the regexp engine does, and tries the anchored regex where a
// match can start, if mayMatch (a necessary condition for the anchored
// regex: the rule's shape check and prefix regex) holds there.
func (s *startSet) findAll(re *regexp.Regexp, seg []byte, mayMatch func([]byte) bool) [][]int {
	var out [][]int
	tries := 0
	for pos := 0; pos < len(seg); {
		c := seg[pos]
		width := 1
		if c >= utf8.RuneSelf {
			_, width = utf8.DecodeRune(seg[pos:])
		}
		if !s.first[c] || s.boundary && pos > 0 && isIdentByte(seg[pos-1]) {
			pos += width
			continue
		}
		if tries++; tries > maxStartTries {
			return re.FindAllSubmatchIndex(seg, -1)
		}
		if !mayMatch(seg[pos:]) || !s.anchored.Match(seg[pos:]) {
			pos += width
			continue
		}
		m := s.anchored.FindSubmatchIndex(seg[pos:])
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		out = append(out, m)
		pos = m[1] // not empty: the regex cannot match the empty string
	}
	return out
}

// minLongRepeat is the spread (max - min) of a repetition that makes a
// regex worth a prefix regex: {15,500} compiles to ~500 instructions, which
// makes every step of Go's regexp engine slow and its fast backtracker
// usable only on short inputs.
const minLongRepeat = 32

// newPrefixRegex returns a regex that matches wherever the anchored form
// of expr matches (a necessary condition), but is much smaller: the
// top-level sequence of expr cut after its first long repetition (such as
// the secret group's [A-Za-z0-9+/=]{15,500}) at the last one, which keeps
// only its minimum count; earlier ones lose their maximum. A match of expr
// starts with a match of it. It returns nil when expr has no such
// repetition at the top level.
func newPrefixRegex(expr string) *regexp.Regexp {
	prefix := prefixSyntax(expr)
	if prefix == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString(`^(?:`)
	writeRegexp(&b, prefix)
	b.WriteString(`)`)
	p, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return p
}

// prefixSyntax returns the parsed form of newPrefixRegex's regex, without
// the leading ^, or nil.
func prefixSyntax(expr string) *syntax.Regexp {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	var seq []*syntax.Regexp
	var flatten func(re *syntax.Regexp)
	flatten = func(re *syntax.Regexp) {
		for re.Op == syntax.OpCapture {
			re = re.Sub[0]
		}
		if re.Op == syntax.OpConcat {
			for _, s := range re.Sub {
				flatten(s)
			}
			return
		}
		seq = append(seq, re)
	}
	flatten(re)
	long := func(e *syntax.Regexp) bool {
		return e.Op == syntax.OpRepeat && e.Min >= 1 && (e.Max < 0 || e.Max-e.Min >= minLongRepeat) || e.Op == syntax.OpPlus
	}
	last := -1
	for i, e := range seq {
		if long(e) {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	var subs []*syntax.Regexp
	for _, e := range seq[:last] {
		if long(e) && e.Op == syntax.OpRepeat && e.Max >= 0 {
			// {m,n} -> {m,}: matches more, and compiles small.
			e = &syntax.Regexp{Op: syntax.OpRepeat, Flags: e.Flags, Sub: e.Sub, Min: e.Min, Max: -1}
		}
		subs = append(subs, e)
	}
	e := seq[last]
	subs = append(subs, &syntax.Regexp{Op: syntax.OpRepeat, Flags: e.Flags, Sub: e.Sub, Min: max(e.Min, 1), Max: max(e.Min, 1)})
	return &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: subs}
}

// writeRegexp writes re in a syntax that parses back to the same regex
// whatever the flags around it: every flag-dependent piece carries its own
// flags. It stands in for (*syntax.Regexp).String, which works out the
// fewest flags to print by case-folding every character of every class:
// for classes such as [^\s:@], a million unicode.SimpleFold calls and
// milliseconds per rule, paid on each rule's first use.
func writeRegexp(b *strings.Builder, re *syntax.Regexp) {
	group := func(sub *syntax.Regexp) {
		b.WriteString(`(?:`)
		writeRegexp(b, sub)
		b.WriteString(`)`)
	}
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			b.WriteString(`(?i:`)
		} else {
			b.WriteString(`(?-i:`)
		}
		for _, r := range re.Rune {
			writeRune(b, r)
		}
		b.WriteString(`)`)
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			b.WriteString(`[^\x00-\x{10FFFF}]`)
			break
		}
		b.WriteString(`(?-i:[`)
		for i := 0; i+1 < len(re.Rune); i += 2 {
			writeRune(b, re.Rune[i])
			if re.Rune[i+1] != re.Rune[i] {
				b.WriteByte('-')
				writeRune(b, re.Rune[i+1])
			}
		}
		b.WriteString(`])`)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`(?-s:.)`)
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpBeginLine:
		b.WriteString(`(?m:^)`)
	case syntax.OpEndLine:
		b.WriteString(`(?m:$)`)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		b.WriteString(`\z`)
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		b.WriteString(`(`)
		if re.Name != "" {
			b.WriteString(`?P<` + re.Name + `>`)
		}
		writeRegexp(b, re.Sub[0])
		b.WriteString(`)`)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		group(re.Sub[0])
		switch re.Op {
		case syntax.OpStar:
			b.WriteByte('*')
		case syntax.OpPlus:
			b.WriteByte('+')
		case syntax.OpQuest:
			b.WriteByte('?')
		default:
			b.WriteString(`{` + strconv.Itoa(re.Min))
			if re.Max != re.Min {
				b.WriteByte(',')
				if re.Max >= 0 {
					b.WriteString(strconv.Itoa(re.Max))
				}
			}
			b.WriteString(`}`)
		}
		if re.Flags&syntax.NonGreedy != 0 {
			b.WriteByte('?')
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			group(sub)
		}
	case syntax.OpAlternate:
		b.WriteString(`(?:`)
		for i, sub := range re.Sub {
			if i > 0 {
				b.WriteByte('|')
			}
			writeRegexp(b, sub)
		}
		b.WriteString(`)`)
	default:
		// Not produced by syntax.Parse; an unparsable string makes
		// newPrefixRegex return nil (no prefilter), never a wrong one.
		b.WriteString(`(?P<`)
	}
}

func writeRune(b *strings.Builder, r rune) {
	b.WriteString(`\x{` + strconv.FormatInt(int64(r), 16) + `}`)
}
