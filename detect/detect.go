// Package detect turns bytes into findings. It is pure: no I/O, no globals
// that change, safe for concurrent use by many goroutines.
//
// One Aho-Corasick automaton over every rule's keywords finds where rules
// could match; each candidate rule's regex then runs only over a window
// around the keyword hit; candidates must pass entropy, checksum, allowlist
// and placeholder/reference filters. Base64 and percent-encoded text is
// decoded and scanned again (recursively, to a bounded depth) with positions
// mapped back to the original text.
package detect

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// Options tune a Detector.
type Options struct {
	// ReportExampleKeys reports documented example keys (such as AWS's
	// AKIAIOSFODNN7EXAMPLE), which are otherwise dropped.
	ReportExampleKeys bool
	// MaxDecodeDepth bounds recursive decoding (base64 inside base64 ...).
	// 0 means the default, 2; a negative value turns decoding off.
	MaxDecodeDepth int
}

const (
	defaultDecodeDepth = 2
	// windowBefore bounds how far before a keyword hit a match may start.
	windowBefore = 512
	// windowAfter bounds how far after a keyword hit a match may end, for
	// rules that do not set their own window.
	windowAfter = 1024
)

// Detector runs a rule set over chunks. Build it once with New and share it.
type Detector struct {
	set      *rules.Set
	kw       *keywordDFA // nil when no rule has keywords
	keywords [][]int     // keyword id -> indexes of the rules that use it
	patterns []string    // keyword id -> keyword
	windowOf []int       // keyword id -> the largest window of the rules that use it (0: none has one)
	noKw     []int       // rules without keywords: run over the whole chunk
	opts     Options
	checks   []lazyCheck // rule index -> its runCheck, derived on first use
	// pathSlot maps a rule to its index in pathFilters, or -1 when the
	// rule has neither a path filter nor a path allowlist.
	pathSlot    []int
	pathFilters []pathFilter
	pathRes     []*regexp.Regexp // the distinct path regexes of the rules
	pathChecks  []runCheck       // their run checks (".env" needs a run of 4 of [.env])
	// namedPaths are the rules that apply only to the paths their filters
	// name (see OnlyAt).
	namedPaths []int
	// reach is the largest rule window: Widen's look-back before a region
	// goes from the line start at or before reach bytes back (widen reads
	// only the part of it that its keywords' windows reach from).
	reach int
	// widen finds the keywords Widen looks for; nil when no rule with
	// keywords has a window.
	widen *widener
	// exact turns the prefilters off (every window goes to the regex), so
	// that tests can compare the two.
	exact bool
}

// lazyCheck derives a rule's prefilters on first use, as the rule's regex
// is compiled on first use: parsing every regex up front would slow down
// start-up for inputs that need few rules.
type lazyCheck struct {
	once   sync.Once
	check  runCheck
	start  startSet       // for rules without an Anchor
	prefix *regexp.Regexp // newPrefixRegex, or nil
	shape  shapeCheck     // for rules with an Anchor, or a start set
}

// mayMatchAt reports whether the rule's anchored regex may match b: its
// shape check passes and its prefix regex (much smaller) matches.
func (c *lazyCheck) mayMatchAt(b []byte) bool {
	return c.shape.mayMatch(b) && (c.prefix == nil || c.prefix.Match(b))
}

var noPrefilter lazyCheck

// prefilter returns rule ri's prefilters.
func (d *Detector) prefilter(ri int) *lazyCheck {
	if d.exact {
		return &noPrefilter
	}
	c := &d.checks[ri]
	c.once.Do(func() {
		r := d.set.Rules[ri]
		c.check = newRunCheck(r.Regex, minRunWorthChecking)
		if r.Anchor == "" {
			c.start = newStartSet(r.Regex)
		}
		if r.Anchor != "" || c.start.anchored != nil {
			// Both try the regex anchored where a match may start.
			c.prefix = newPrefixRegex(r.Regex)
			c.shape = newShapeCheck(r.Regex)
		}
	})
	return c
}

// check returns rule ri's runCheck.
func (d *Detector) check(ri int) *runCheck { return &d.prefilter(ri).check }

// New compiles a detector for a validated rule set.
func New(set *rules.Set, opts Options) (*Detector, error) {
	if opts.MaxDecodeDepth == 0 {
		opts.MaxDecodeDepth = defaultDecodeDepth
	}
	d := &Detector{set: set, opts: opts, checks: make([]lazyCheck, len(set.Rules)), pathSlot: make([]int, len(set.Rules))}
	for _, r := range set.Rules {
		d.reach = max(d.reach, r.Window)
	}
	resIndex := map[string]int{}
	indexes := func(res []*regexp.Regexp) []int {
		var ks []int
		for _, re := range res {
			k, ok := resIndex[re.String()]
			if !ok {
				k = len(d.pathRes)
				resIndex[re.String()] = k
				d.pathRes = append(d.pathRes, re)
				d.pathChecks = append(d.pathChecks, newRunCheck(re.String(), 4))
			}
			ks = append(ks, k)
		}
		return ks
	}
	for i, r := range set.Rules {
		d.pathSlot[i] = -1
		if paths, allow := r.PathRegexps(), r.Allowlist.PathRegexps(); len(paths) > 0 || len(allow) > 0 {
			d.pathSlot[i] = len(d.pathFilters)
			d.pathFilters = append(d.pathFilters, pathFilter{indexes(paths), indexes(allow)})
			if len(paths) > 0 {
				d.namedPaths = append(d.namedPaths, i)
			}
		}
	}
	ids := map[string]int{}
	for i, r := range set.Rules {
		if len(r.Keywords) == 0 {
			d.noKw = append(d.noKw, i)
			continue
		}
		for _, k := range r.Keywords {
			id, ok := ids[k]
			if !ok {
				id = len(d.patterns)
				ids[k] = id
				d.patterns = append(d.patterns, k)
				d.keywords = append(d.keywords, nil)
			}
			if !slices.Contains(d.keywords[id], i) {
				d.keywords[id] = append(d.keywords[id], i)
			}
			if len(d.windowOf) <= id {
				d.windowOf = append(d.windowOf, 0)
			}
			d.windowOf[id] = max(d.windowOf[id], r.Window)
		}
	}
	if len(d.patterns) > 0 {
		d.kw = newKeywordDFA(d.patterns)
	}
	d.widen = newWidener(set)
	return d, nil
}

// Rules returns the rule set the detector runs.
func (d *Detector) Rules() *rules.Set { return d.set }

// Detect returns the findings in one chunk, ordered by position. The
// chunk's Origin is copied into every finding, with Line and Column set.
func (d *Detector) Detect(c leak.Chunk) []leak.Finding {
	if d.set.Allowlist.AllowsPath(c.Origin.Path) {
		return nil
	}
	raw := d.detect(c.Data, &pathRules{path: c.Origin.Path}, 0)
	if len(raw) == 0 {
		return nil
	}
	return d.finish(c, raw)
}

// MayFind reports whether Detect could find something in data at some
// path, leaving out the rules that apply only to the paths their filters
// name (OnlyAt says where those apply): it applies no path allowlist, the
// rules' or the global one. A match of a rule with a window that spans
// lines and is turned down counts as found: it may hide a match inside it
// that a scan of part of data (a commit's changed lines, a piece of a
// large file) finds. A full-history git scan uses it to pass over
// the versions of files that cannot hold a finding (source.Screen).
func (d *Detector) MayFind(data []byte) bool {
	p := &pathRules{anyPath: true}
	return len(d.detect(data, p, 0)) > 0 || p.rejectedLines
}

// MayFindHits is MayFind, calling yield for each keyword of a rule with a
// window in data, with its window, as WindowHits does: the keywords are
// those MayFind reads anyway.
func (d *Detector) MayFindHits(data []byte, yield func(start, end, window int)) bool {
	p := &pathRules{anyPath: true, windowHits: yield}
	return len(d.detect(data, p, 0)) > 0 || p.rejectedLines
}

// MayFindWindowed is MayFind for the rules with a window only (a keyword
// that makes the rule search the lines below it), without decoding:
// what the others find in a line depends on that line alone, what these
// find on lines far from it.
func (d *Detector) MayFindWindowed(data []byte) bool {
	p := &pathRules{anyPath: true, windowed: true}
	return len(d.detect(data, p, max(d.opts.MaxDecodeDepth, 0))) > 0 || p.rejectedLines
}

// OnlyAt reports whether one of the rules that apply only to the paths
// their filters name (such as dotenv-secret, for .env files) applies to
// path: MayFind leaves those rules out.
func (d *Detector) OnlyAt(path string) bool {
	p := &pathRules{path: path}
	return slices.ContainsFunc(d.namedPaths, func(ri int) bool { return p.ok(d, ri) })
}

// candidate is a finding before positions are resolved to lines.
type candidate struct {
	rule       *rules.Rule
	secret     string
	start, end int // secret span in the scanned data
	entropy    float64
	decoded    []string
}

type window struct{ rule, start, end int }

// pathRules decides, once per chunk, which rules with path filters apply
// to the chunk's path: its decoded layers share the decisions. Each
// distinct path regex runs at most once per chunk, however many rules
// share it (the .env filters are on five rules).
type pathRules struct {
	path string
	// anyPath, for MayFind, applies every rule without a filter of the
	// paths it applies to, and no path allowlist.
	anyPath bool
	// windowed, for MayFindWindowed, applies only the rules with a window.
	windowed bool
	// rejectedLines, for MayFind, says a match of a rule with a window
	// that spans lines was turned down: it may hide a match that starts
	// inside it, which a scan of only part of the data (the lines a commit
	// changed, a piece of a large file) can find.
	rejectedLines bool
	// windowHits, for MayFindHits, is called with each keyword of a rule
	// with a window in the data (not in what is decoded from it).
	windowHits func(start, end, window int)
	decided    []uint8 // per path-filtered rule (Detector.pathSlot): 0 unknown, 1 applies, 2 not
	matched    []uint8 // per distinct path regex: 0 unknown, 1 matches, 2 not
}

// rejected notes a match of rule r turned down by its filters.
func (p *pathRules) rejected(r *rules.Rule, match []byte) {
	if p != nil && r.Window > 0 && bytes.IndexByte(match, '\n') >= 0 {
		p.rejectedLines = true
	}
}

// pathFilter is a rule's path filter and path allowlist, as indexes into
// Detector.pathRes.
type pathFilter struct{ paths, allow []int }

// ok reports whether rule ri applies to the path.
func (p *pathRules) ok(d *Detector, ri int) bool {
	if p.windowed && d.set.Rules[ri].Window <= 0 {
		return false
	}
	slot := d.pathSlot[ri]
	if slot < 0 {
		return true
	}
	if p.anyPath {
		return len(d.pathFilters[slot].paths) == 0
	}
	if p.decided == nil {
		p.decided = make([]uint8, len(d.pathFilters))
		p.matched = make([]uint8, len(d.pathRes))
	}
	if v := p.decided[slot]; v != 0 {
		return v == 1
	}
	match := func(k int) bool {
		if p.matched[k] == 0 {
			p.matched[k] = 2
			if hasRun(&d.pathChecks[k], p.path) && d.pathRes[k].MatchString(p.path) {
				p.matched[k] = 1
			}
		}
		return p.matched[k] == 1
	}
	f := d.pathFilters[slot]
	ok := len(f.paths) == 0 || slices.ContainsFunc(f.paths, match)
	ok = ok && !slices.ContainsFunc(f.allow, match)
	p.decided[slot] = 2
	if ok {
		p.decided[slot] = 1
	}
	return ok
}

// detect finds candidates in data at the given decoding depth.
func (d *Detector) detect(data []byte, path *pathRules, depth int) []candidate {
	var wins, anchors []window
	pathOK := func(ri int) bool { return path.ok(d, ri) }
	if d.kw != nil && len(data) > 0 {
		var lastWin map[int]int // rule -> index in wins of its latest window
		d.kw.scan(data, func(id, hitStart, hitEnd int) bool {
			if path.windowHits != nil && depth == 0 && d.windowOf[id] > 0 {
				path.windowHits(hitStart, hitEnd, d.windowOf[id])
			}
			for _, ri := range d.keywords[id] {
				if !pathOK(ri) {
					continue
				}
				w := d.windowFor(ri, data, hitStart, hitEnd)
				if d.set.Rules[ri].Anchor != "" {
					// Anchored rules keep one window per hit: the match
					// is tried only where the window starts.
					anchors = append(anchors, w)
					continue
				}
				// Merge with the rule's previous window as we go, so a
				// keyword-dense line costs one window, not one per hit.
				if i, ok := lastWin[ri]; ok && w.start <= wins[i].end {
					wins[i].start = min(wins[i].start, w.start)
					wins[i].end = max(wins[i].end, w.end)
					continue
				}
				if lastWin == nil {
					lastWin = map[int]int{}
				}
				lastWin[ri] = len(wins)
				wins = append(wins, w)
			}
			return true
		})
	}
	for _, ri := range d.noKw {
		if pathOK(ri) {
			wins = append(wins, window{ri, 0, len(data)})
		}
	}
	var out []candidate
	if len(wins) > 0 {
		out = d.runWindows(data, mergeWindows(wins), path)
	}
	if len(anchors) > 0 {
		out = append(out, d.runAnchored(data, anchors, path)...)
	}
	if depth < d.opts.MaxDecodeDepth {
		out = append(out, d.detectDecoded(data, path, depth)...)
	}
	return out
}

// windowFor is the text a rule's regex sees for a keyword hit: from the
// start of the hit's line (or, for anchored rules, exactly where the match
// must start) to the end of the line or the rule's window.
func (d *Detector) windowFor(ri int, data []byte, hitStart, hitEnd int) window {
	r := d.set.Rules[ri]
	var start int
	if r.Anchor != "" {
		start = anchorStart(r, data, hitStart)
	} else {
		before := windowBefore
		if r.Before > 0 {
			before = r.Before
		}
		lo := max(0, hitStart-before)
		start = hitStart
		for start > lo && data[start-1] != '\n' {
			start--
		}
	}
	var end int
	if r.Window > 0 {
		end = min(len(data), hitEnd+r.Window)
	} else {
		hi := min(len(data), hitEnd+windowAfter)
		end = hitEnd
		for end < hi && data[end] != '\n' {
			end++
		}
	}
	return window{ri, start, end}
}

// byRuleStart orders windows by rule, then start, the longest first
// among those that start together.
func byRuleStart(a, b window) int {
	if c := cmp.Compare(a.rule, b.rule); c != 0 {
		return c
	}
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(b.end, a.end)
}

// mergeWindows sorts windows by rule and start and merges overlapping ones
// of the same rule, so each byte is searched at most once per rule.
func mergeWindows(ws []window) []window {
	slices.SortFunc(ws, byRuleStart)
	out := ws[:1]
	for _, w := range ws[1:] {
		last := &out[len(out)-1]
		if w.rule == last.rule && w.start <= last.end {
			last.end = max(last.end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

func (d *Detector) runWindows(data []byte, wins []window, path *pathRules) []candidate {
	var out []candidate
	for _, w := range wins {
		r := d.set.Rules[w.rule]
		seg := data[w.start:w.end]
		pf := d.prefilter(w.rule)
		if !pf.check.ok(seg) {
			continue
		}
		re := r.Compiled()
		var ms [][]int
		if pf.start.anchored != nil {
			ms = pf.start.findAll(re, seg, pf.mayMatchAt)
		} else {
			ms = re.FindAllSubmatchIndex(seg, -1)
		}
		for _, m := range ms {
			g := r.SecretGroup
			s, e := m[2*g], m[2*g+1]
			if s < 0 || e <= s {
				continue
			}
			secret := string(seg[s:e])
			match := string(seg[m[0]:m[1]])
			ent := ShannonEntropy(secret)
			if !d.accept(r, secret, match, s-m[0], ent, lineBefore(data, w.start+m[0])) {
				path.rejected(r, seg[m[0]:m[1]])
				continue
			}
			out = append(out, candidate{rule: r, secret: secret, start: w.start + s, end: w.start + e, entropy: ent})
		}
	}
	return out
}

// anchorStart is where an anchored rule's match must start for a keyword
// hit at hit: the hit itself (or, tried first, the byte before it), or the
// start of the word (a run of letters, digits, '_', '.' and '-', at most 64
// bytes back) that contains it.
func anchorStart(r *rules.Rule, data []byte, hit int) int {
	if r.Anchor != rules.AnchorWord {
		return hit
	}
	s := hit
	for s > 0 && hit-s < 64 && isNameByte(data[s-1]) {
		s--
	}
	for s < hit && (data[s] == '.' || data[s] == '-') {
		s++
	}
	return s
}

func isNameByte(b byte) bool { return isIdentByte(b) || b == '.' || b == '-' }

// runAnchored tries each anchored rule's regex at the start of each of its
// windows, in order, skipping starts inside the previous match: the same
// matches as a leftmost search over the line, for rules whose match can
// only start at a keyword (or its word), at a fraction of the cost, since
// the regex engine follows one start instead of every position.
func (d *Detector) runAnchored(data []byte, ws []window, path *pathRules) []candidate {
	slices.SortFunc(ws, byRuleStart) // of windows that start together, the longest is tried
	var out []candidate
	rule, done := -1, 0
	for i, w := range ws {
		if w.rule != rule {
			rule, done = w.rule, 0
		}
		if w.start < done || i > 0 && ws[i-1].rule == w.rule && ws[i-1].start == w.start {
			continue
		}
		r := d.set.Rules[w.rule]
		start := w.start
		pf := d.prefilter(w.rule)
		if !pf.check.ok(data[max(start-1, 0):w.end]) {
			continue
		}
		var m []int
		// A keyword-anchored match may also start one byte early, at the
		// separator or boundary in front of the keyword ("_GITHUB_TOKEN").
		if r.Anchor == rules.AnchorKeyword && start > 0 && start-1 >= done && pf.mayMatchAt(data[start-1:w.end]) {
			m = r.AnchoredRegex().FindSubmatchIndex(data[start-1 : w.end])
			if m != nil {
				start--
			}
		}
		if m == nil && pf.mayMatchAt(data[start:w.end]) {
			m = r.AnchoredRegex().FindSubmatchIndex(data[start:w.end])
		}
		if m == nil && r.Anchor == rules.AnchorKeyword && start == 0 {
			// At the chunk's first byte no byte precedes the keyword: try
			// the match as if after a line break ([^a-z0-9]pwd: ...).
			buf := make([]byte, 1+w.end)
			buf[0] = '\n'
			copy(buf[1:], data[:w.end])
			if m = r.AnchoredRegex().FindSubmatchIndex(buf); m != nil {
				for k := range m {
					if m[k] > 0 {
						m[k]--
					}
				}
			}
		}
		if m == nil {
			continue
		}
		seg := data[start:w.end]
		w.start = start
		done = w.start + m[1]
		g := r.SecretGroup
		s, e := m[2*g], m[2*g+1]
		if s < 0 || e <= s {
			continue
		}
		secret := string(seg[s:e])
		ent := ShannonEntropy(secret)
		if !d.accept(r, secret, string(seg[m[0]:m[1]]), s-m[0], ent, lineBefore(data, w.start+m[0])) {
			path.rejected(r, seg[m[0]:m[1]])
			continue
		}
		out = append(out, candidate{rule: r, secret: secret, start: w.start + s, end: w.start + e, entropy: ent})
	}
	return out
}

// accept applies a rule's and the global filters to a candidate secret,
// which starts at byte at of the rule's match; before is the line before
// the match.
func (d *Detector) accept(r *rules.Rule, secret, match string, at int, ent float64, before []byte) bool {
	if ent < r.Entropy {
		return false
	}
	if r.Checksum != "" && !ValidChecksum(r.Checksum, secret) {
		return false
	}
	if IsReference(secret) {
		return false
	}
	// A documented example key passes the placeholder and weak-value
	// filters (and only the ReportExampleKeys option reports it).
	example := IsExampleKey(secret)
	if !example && (IsPlaceholder(secret) || r.Generic && (IsWeakValue(secret) || isVariable(match, at, len(secret)) ||
		spellsName(before, match[:at], secret))) {
		return false
	}
	// The allowlist regexes last: they cost more than the string filters
	// above, which turn down most candidates of the generic rules.
	if r.Allowlist.AllowsSecret(secret, match) || d.set.Allowlist.AllowsSecret(secret, match) {
		return false
	}
	return !example || d.opts.ReportExampleKeys
}

// lineBefore returns the part of data's line before offset off, at most
// maxNameLine bytes of it.
func lineBefore(data []byte, off int) []byte {
	from := max(0, off-maxNameLine)
	if i := bytes.LastIndexByte(data[from:off], '\n'); i >= 0 {
		from += i + 1
	}
	return data[from:off]
}

// lineAround returns the line of data that holds [start, end), cut to at
// most leak.MaxContext bytes centred on it; "" for a secret longer than
// half of that (a private key block), which no verifier reads around.
func lineAround(data []byte, start, end int) string {
	if start < 0 || end > len(data) || start > end || end-start > leak.MaxContext/2 {
		return ""
	}
	lo := max(0, start-(leak.MaxContext-(end-start))/2)
	if i := bytes.LastIndexByte(data[lo:start], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := min(len(data), lo+leak.MaxContext)
	if i := bytes.IndexByte(data[end:hi], '\n'); i >= 0 {
		hi = end + i
	}
	return string(data[lo:hi])
}

// finish drops duplicates and suppressed candidates, resolves positions and
// builds findings.
func (d *Detector) finish(c leak.Chunk, cands []candidate) []leak.Finding {
	slices.SortFunc(cands, func(a, b candidate) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		if (len(a.decoded) == 0) != (len(b.decoded) == 0) {
			return cmp.Compare(len(a.decoded), len(b.decoded)) // as written first
		}
		if a.rule.Generic != b.rule.Generic {
			if a.rule.Generic {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.rule.ID, b.rule.ID)
	})
	final := dropShadowed(cands)

	lines := newLineIndex(c.Data, c.Origin.Line, c.Origin.Column)
	out := make([]leak.Finding, 0, len(final))
	for _, cd := range final {
		if lines.lineAllowed(cd.start) {
			continue
		}
		f := leak.Finding{
			RuleID:      cd.rule.ID,
			Description: cd.rule.Description,
			Secret:      leak.NewSecret(cd.secret),
			Fingerprint: leak.Fingerprint(cd.rule.ID, cd.secret),
			Origin:      c.Origin,
			Offset:      cd.start,
			End:         cd.end,
			Entropy:     cd.entropy,
			Decoded:     cd.decoded,
			Tags:        cd.rule.Tags,
			Status:      leak.Unchecked,
		}
		f.Origin.Line, f.Origin.Column = lines.position(cd.start)
		if len(cd.decoded) == 0 {
			f.Context = leak.NewSecret(lineAround(c.Data, cd.start, cd.end))
		}
		out = append(out, f)
	}
	return out
}

// dropShadowed keeps one finding per secret: it removes exact duplicates
// (same rule, same span); generic candidates that overlap a specific rule's
// candidate (the specific rule names the secret better) or an earlier kept
// candidate; and decoded candidates that overlap a plain candidate of the
// same rule (the secret as written is the better report). cands must be
// sorted by start, plain before decoded, specific before generic.
func dropShadowed(cands []candidate) []candidate {
	var specStart, specMaxEnd []int // specific spans by start, running max of ends
	for _, c := range cands {
		if !c.rule.Generic && !c.rule.Companion {
			specStart = append(specStart, c.start)
			e := c.end
			if n := len(specMaxEnd); n > 0 && specMaxEnd[n-1] > e {
				e = specMaxEnd[n-1]
			}
			specMaxEnd = append(specMaxEnd, e)
		}
	}
	shadowed := func(c candidate) bool {
		// Specific spans starting before c.end; does any end after c.start?
		n, _ := slices.BinarySearch(specStart, c.end)
		return n > 0 && specMaxEnd[n-1] > c.start
	}
	keptEnd := -1                     // the furthest end of any kept candidate
	plainEnd := map[*rules.Rule]int{} // per rule, the furthest end of a kept plain candidate
	out := cands[:0]
	for i, c := range cands {
		if i > 0 {
			p := cands[i-1]
			if p.rule == c.rule && p.start == c.start && p.end == c.end {
				continue
			}
		}
		if c.rule.Generic && (shadowed(c) || c.start < keptEnd) {
			continue
		}
		if len(c.decoded) > 0 {
			if e, ok := plainEnd[c.rule]; ok && c.start < e {
				continue
			}
		} else {
			plainEnd[c.rule] = max(plainEnd[c.rule], c.end)
		}
		if !c.rule.Companion {
			keptEnd = max(keptEnd, c.end)
		}
		out = append(out, c)
	}
	return out
}

// lineIndex resolves byte offsets to 1-based lines and columns, scanning
// forward only as far as needed (offsets are asked for in ascending order),
// so that many findings on one long line cost one pass over it.
type lineIndex struct {
	data      []byte
	line      int
	lineStart int
	pos       int
	firstCol  int // column of data[0], for chunks that start mid-line

	colOff, col int // the last column computed on the current line
	allowLine   int // lineStart whose allow marker is known, or -1
	allowed     bool
}

func newLineIndex(data []byte, firstLine, firstCol int) *lineIndex {
	return &lineIndex{data: data, line: max(firstLine, 1), firstCol: max(firstCol, 1), allowLine: -1, colOff: -1}
}

func (li *lineIndex) advance(off int) {
	for li.pos < off {
		if li.data[li.pos] == '\n' {
			li.line++
			li.lineStart = li.pos + 1
		}
		li.pos++
	}
}

// position returns the line and the column (in characters, 1-based).
func (li *lineIndex) position(off int) (line, col int) {
	li.advance(off)
	if li.colOff < li.lineStart || li.colOff > off {
		li.colOff, li.col = li.lineStart, 1
		if li.lineStart == 0 {
			li.col = li.firstCol
		}
	}
	li.col += utf8.RuneCount(li.data[li.colOff:off])
	li.colOff = off
	return li.line, li.col
}

// lineAllowed reports whether the line holding off carries an inline
// "leakgate:allow" (or gitleaks' "gitleaks:allow") marker.
func (li *lineIndex) lineAllowed(off int) bool {
	li.advance(off)
	if li.allowLine != li.lineStart {
		end := li.lineStart + bytes.IndexByte(li.data[li.lineStart:], '\n')
		if end < li.lineStart {
			end = len(li.data)
		}
		li.allowLine, li.allowed = li.lineStart, containsAllowMarker(li.data[li.lineStart:end])
	}
	return li.allowed
}
