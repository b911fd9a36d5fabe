// Package rules is leakgate's rule model: what a rule is, how rule files and
// .leakgate.toml are loaded, merged and validated, and the embedded default
// rule set (rules/default/*.toml, one file per provider family).
//
// It knows nothing of how rules are executed (that is package detect) and
// does no I/O besides reading the files it is asked to load.
package rules

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"regexp/syntax"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"
)

// Rule is one detection rule.
type Rule struct {
	// ID names the rule in findings; lowercase words joined by '-'.
	ID          string `toml:"id"`
	Description string `toml:"description"`
	// Keywords gate the rule: its regex runs only near a case-insensitive
	// occurrence of one of them. A rule without keywords runs on every chunk.
	Keywords []string `toml:"keywords"`
	// Regex finds the secret; SecretGroup (or a group named "secret", or the
	// first group) captures the secret itself.
	Regex       string `toml:"regex"`
	SecretGroup int    `toml:"secret-group"`
	// Entropy is the minimum Shannon entropy (bits per byte) of the secret.
	Entropy float64 `toml:"entropy"`
	// Checksum names an offline validator ("github", "npm"); a candidate that
	// fails it is not a finding.
	Checksum string `toml:"checksum"`
	// Paths, when set, limits the rule to files whose path matches one of
	// these regular expressions.
	Paths []string `toml:"paths"`
	// Window is how many bytes after a keyword hit the regex may reach;
	// 0 means the rest of the line (bounded). Multi-line secrets (PEM keys)
	// set it larger.
	Window int `toml:"window"`
	// Before is how many bytes before a keyword hit a match may start;
	// 0 means the start of the line (at most 512 bytes back). Rules whose
	// match starts at the keyword set it small, which saves regex work on
	// long lines.
	Before int `toml:"before"`
	// Anchor, when set, says where a match must start: at a keyword hit or
	// the byte before it ("keyword"), or at the start of the word
	// containing the hit ("word").
	// The regex is then tried only there, which is much cheaper than a
	// search over the line; set it only when no match can start elsewhere.
	Anchor string `toml:"anchor"`
	// Generic rules (keyword-context assignments) yield to a specific rule
	// that finds the same secret.
	Generic bool `toml:"generic"`
	// Companion rules find the other part of a credential, which is not a
	// secret on its own (a shop's domain): their findings are never
	// reported, never shadow other findings, and serve only to verify the
	// secrets found near them.
	Companion bool      `toml:"companion"`
	Tags      []string  `toml:"tags"`
	Allowlist Allowlist `toml:"allowlist"`
	// Examples must each produce a finding of this rule; Counterexamples
	// must produce none. They run under go test and `leakgate rules test`.
	Examples        []string `toml:"examples"`
	Counterexamples []string `toml:"counterexamples"`
	// ExamplePath is the file path examples are checked under, for rules
	// with a path filter.
	ExamplePath string `toml:"example-path"`

	// Source is the file the rule was loaded from.
	Source string `toml:"-"`

	// lazy holds the compiled regexes, compiled on first use: compiling
	// all ~470 built-in regexes up front was most of a git hook's start-up,
	// and a small input needs only a few of them. Validate parses the
	// regex, so a bad one is still an error at load time.
	lazy  *lazyRegex
	paths []*regexp.Regexp
}

type lazyRegex struct {
	once     sync.Once
	expr     string
	anchor   bool
	re       *regexp.Regexp
	anchored *regexp.Regexp
}

func (l *lazyRegex) compile() {
	l.once.Do(func() {
		// Validate parsed expr, so compiling cannot fail.
		l.re = regexp.MustCompile(l.expr)
		if l.anchor {
			l.anchored = regexp.MustCompile(`^(?:` + l.expr + `)`)
		}
	})
}

// The values of Rule.Anchor.
const (
	AnchorKeyword = "keyword"
	AnchorWord    = "word"
)

// AnchoredRegex returns the rule's regex anchored at the start of the
// input, for rules with an Anchor. It is valid after Validate.
func (r *Rule) AnchoredRegex() *regexp.Regexp {
	if r.lazy == nil {
		return nil
	}
	r.lazy.compile()
	return r.lazy.anchored
}

// Allowlist suppresses candidates: by a regex over the secret (or, with
// Target "match", over the whole match), by path, or by stopwords that the
// secret contains (case-insensitive).
type Allowlist struct {
	Regexes   []string `toml:"regexes"`
	Target    string   `toml:"regex-target"`
	Paths     []string `toml:"paths"`
	Stopwords []string `toml:"stopwords"`

	regexes *allowRegexes // compiled from Regexes (at once, or on first use)
	paths   []*regexp.Regexp
}

// allowRegexes are an allowlist's secret regexes. The built-in rules'
// are compiled on first use: the package tests compile them all, and
// compiling them at every start was a tenth of loading the rules (a git
// hook pays that on every push).
type allowRegexes struct {
	once  sync.Once
	exprs []string
	res   []*regexp.Regexp
}

func (l *allowRegexes) get() []*regexp.Regexp {
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		for _, s := range l.exprs {
			l.res = append(l.res, regexp.MustCompile(s))
		}
	})
	return l.res
}

// Compiled returns the rule's compiled regex. It is valid after Validate.
func (r *Rule) Compiled() *regexp.Regexp {
	if r.lazy == nil {
		return nil
	}
	r.lazy.compile()
	return r.lazy.re
}

// AppliesToPath reports whether the rule's path filter admits p.
func (r *Rule) AppliesToPath(p string) bool {
	if len(r.paths) == 0 {
		return true
	}
	for _, re := range r.paths {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// PathRegexps returns the rule's compiled path filter (it admits a path
// that any of them matches). It is valid after Validate; do not modify.
func (r *Rule) PathRegexps() []*regexp.Regexp { return r.paths }

// PathRegexps returns the allowlist's compiled path regexes (it
// suppresses a path that any of them matches). Do not modify.
func (a *Allowlist) PathRegexps() []*regexp.Regexp { return a.paths }

// AllowsSecret reports whether the allowlist suppresses a secret, given
// the whole regex match it came from.
func (a *Allowlist) AllowsSecret(secret, match string) bool {
	target := secret
	if a.Target == "match" {
		target = match
	}
	for _, re := range a.regexes.get() {
		if re.MatchString(target) {
			return true
		}
	}
	if len(a.Stopwords) > 0 {
		lower := strings.ToLower(secret)
		for _, w := range a.Stopwords {
			if strings.Contains(lower, w) {
				return true
			}
		}
	}
	return false
}

// AllowsPath reports whether the allowlist suppresses every finding in p.
func (a *Allowlist) AllowsPath(p string) bool {
	for _, re := range a.paths {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// compile checks and compiles the allowlist; without parse (the built-in
// rules) its secret regexes are compiled on first use.
func (a *Allowlist) compile(where string, parse bool) error {
	a.regexes, a.paths = nil, nil
	switch a.Target {
	case "", "secret", "match":
	default:
		return fmt.Errorf("%s: allowlist regex-target %q: want \"secret\" or \"match\"", where, a.Target)
	}
	if len(a.Regexes) > 0 {
		l := &allowRegexes{exprs: a.Regexes}
		if parse {
			for _, s := range a.Regexes {
				re, err := regexp.Compile(s)
				if err != nil {
					return fmt.Errorf("%s: allowlist regex %q: %w", where, s, err)
				}
				l.res = append(l.res, re)
			}
			l.once.Do(func() {}) // compiled
		}
		a.regexes = l
	}
	for _, s := range a.Paths {
		re, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("%s: allowlist path %q: %w", where, s, err)
		}
		a.paths = append(a.paths, re)
	}
	for i, w := range a.Stopwords {
		a.Stopwords[i] = strings.ToLower(w)
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// MaxRegexLen bounds a rule's regex so that a hostile config cannot make
// compilation itself the attack.
const MaxRegexLen = 8192

// Validate compiles the rule and checks it for mistakes. Errors name the
// rule and where it came from.
func (r *Rule) Validate() error { return r.validate(true) }

// validate is Validate; without parse it does not parse the regex but only
// counts its groups (groups), which is for the built-in rules alone: their
// regexes are parsed by the package tests (TestDefaultRegexes), and parsing
// all ~470 of them was a quarter of loading them.
func (r *Rule) validate(parse bool) error {
	where := fmt.Sprintf("rule %q", r.ID)
	if r.Source != "" {
		where = r.Source + ": " + where
	}
	if !idPattern.MatchString(r.ID) {
		return fmt.Errorf("%s: id must be lowercase letters, digits, '.' and '-'", where)
	}
	if r.Regex == "" {
		return fmt.Errorf("%s: regex is empty", where)
	}
	if len(r.Regex) > MaxRegexLen {
		return fmt.Errorf("%s: regex is %d bytes, more than %d", where, len(r.Regex), MaxRegexLen)
	}
	// Parse, as regexp.Compile does first (same errors); compile on first use.
	numSubexp, secretGroup := groups(r.Regex)
	if parse {
		tree, err := syntax.Parse(r.Regex, syntax.Perl)
		if err != nil {
			return fmt.Errorf("%s: regex does not compile: %w", where, err)
		}
		// The detector runs it inside a group too (anchored at a
		// keyword, or at the bytes a match can start with), which a
		// \Q quote left open to the end would swallow.
		if _, err := syntax.Parse(`^(?:`+r.Regex+`)`, syntax.Perl); err != nil {
			return fmt.Errorf("%s: regex does not compile inside a group (a \\Q quote not ended with \\E?): %w", where, err)
		}
		numSubexp, secretGroup = tree.MaxCap(), max(slices.Index(tree.CapNames(), "secret"), 0)
	}
	r.lazy = &lazyRegex{expr: r.Regex}
	switch r.Anchor {
	case "":
	case AnchorKeyword, AnchorWord:
		if len(r.Keywords) == 0 {
			return fmt.Errorf("%s: anchor %q needs keywords", where, r.Anchor)
		}
		r.lazy.anchor = true
	default:
		return fmt.Errorf("%s: anchor %q: want \"keyword\" or \"word\"", where, r.Anchor)
	}
	if r.SecretGroup == 0 {
		if secretGroup > 0 {
			r.SecretGroup = secretGroup
		} else if numSubexp > 0 {
			r.SecretGroup = 1
		}
	}
	if r.SecretGroup < 0 || r.SecretGroup > numSubexp {
		return fmt.Errorf("%s: secret-group %d, but the regex has %d groups", where, r.SecretGroup, numSubexp)
	}
	if r.Entropy < 0 || r.Entropy > 8 {
		return fmt.Errorf("%s: entropy %v is outside 0..8 bits per byte", where, r.Entropy)
	}
	switch r.Checksum {
	case "", "github", "npm":
	default:
		return fmt.Errorf("%s: unknown checksum validator %q (known: github, npm)", where, r.Checksum)
	}
	if r.Before < 0 || r.Before > 1<<16 {
		return fmt.Errorf("%s: before %d is outside 0..65536", where, r.Before)
	}
	if r.Window < 0 || r.Window > 1<<20 {
		return fmt.Errorf("%s: window %d is outside 0..1048576", where, r.Window)
	}
	for i, k := range r.Keywords {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%s: keyword %d is empty", where, i+1)
		}
		r.Keywords[i] = strings.ToLower(k)
	}
	r.paths = nil
	for _, s := range r.Paths {
		pre, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("%s: path %q: %w", where, s, err)
		}
		r.paths = append(r.paths, pre)
	}
	if err := r.Allowlist.compile(where, parse); err != nil {
		return err
	}
	return nil
}

// groups returns the number of capturing groups of a regex in RE2 syntax
// and the index of the first one named "secret" (0 if none), without
// parsing it: a group is a '(' outside a character class, not escaped, and
// not followed by '?' unless it names the group ("(?P<name>" or
// "(?<name>"). The answer is right for valid regexes; an invalid one must
// be parsed. TestGroups checks it against regexp/syntax.
func groups(expr string) (n, secret int) {
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			if strings.HasPrefix(expr[i:], `\Q`) {
				// Literal text up to \E (or the end).
				end := strings.Index(expr[i+2:], `\E`)
				if end < 0 {
					return n, secret
				}
				i += 2 + end + 1
				continue
			}
			i++ // the escaped byte
		case '[':
			i = classEnd(expr, i)
		case '(':
			rest := expr[i+1:]
			var name string
			switch {
			case strings.HasPrefix(rest, "?P<"):
				name = rest[3:]
			case strings.HasPrefix(rest, "?<"):
				name = rest[2:]
			case strings.HasPrefix(rest, "?"):
				continue
			}
			n++
			if name != "" && secret == 0 {
				if end := strings.IndexByte(name, '>'); end >= 0 && name[:end] == "secret" {
					secret = n
				}
			}
		}
	}
	return n, secret
}

// classEnd returns the index of the ']' that closes the character class
// opened at expr[i] (or the last index, if none does).
func classEnd(expr string, i int) int {
	i++
	if i < len(expr) && expr[i] == '^' {
		i++
	}
	if i < len(expr) && expr[i] == ']' {
		i++ // a ']' first in a class is literal
	}
	for ; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			i++
		case '[':
			// A named ASCII class such as [:alpha:] inside the class.
			if strings.HasPrefix(expr[i:], "[:") {
				if end := strings.Index(expr[i+2:], ":]"); end >= 0 {
					i += 2 + end + 1
				}
			}
		case ']':
			return i
		}
	}
	return len(expr) - 1
}

// Set is a validated, ordered collection of rules plus the global allowlist.
type Set struct {
	Rules     []*Rule
	Allowlist Allowlist
	// Version identifies the rule set: a hash of what it was built from
	// (the embedded rule files' bytes, then each merged config file's
	// bytes), so it changes whenever any rule or allowlist changes, and
	// identical inputs give identical versions. It may also change for
	// edits that change no rule (a comment); that only costs a cache.
	Version string

	classOnce sync.Once
	classRes  []*regexp.Regexp // the distinct path regexes of the set
	classNeed []pathNeed       // per classRes: a literal a matching path must hold
	classBits [][]int          // per bit of PathClass: indexes into classRes (any matches)
}

// PathClass says how the set treats a path: one byte per allowlist or rule
// path filter ('1' where it matches). Two paths of the same class get the
// same findings for the same content. Each distinct path regex is tried
// once per call, however many rules share it.
func (s *Set) PathClass(path string) string {
	s.classOnce.Do(s.buildPathClass)
	hit := make([]bool, len(s.classRes))
	lower := ""
	for i, re := range s.classRes {
		need := s.classNeed[i]
		if need.fold && lower == "" {
			lower = strings.ToLower(path)
		}
		switch {
		case need.lit == "":
		case need.fold && !strings.Contains(lower, need.lit), !need.fold && !strings.Contains(path, need.lit):
			continue // cannot match: no need to run the regex
		}
		hit[i] = re.MatchString(path)
	}
	b := make([]byte, len(s.classBits))
	for i, bit := range s.classBits {
		b[i] = '0'
		for _, k := range bit {
			if hit[k] {
				b[i] = '1'
				break
			}
		}
	}
	return string(b)
}

func (s *Set) buildPathClass() {
	index := map[string]int{}
	bit := func(res []*regexp.Regexp) {
		var ks []int
		for _, re := range res {
			k, ok := index[re.String()]
			if !ok {
				k = len(s.classRes)
				index[re.String()] = k
				s.classRes = append(s.classRes, re)
				s.classNeed = append(s.classNeed, neededLiteral(re))
			}
			ks = append(ks, k)
		}
		s.classBits = append(s.classBits, ks)
	}
	bit(s.Allowlist.paths)
	for _, r := range s.Rules {
		if len(r.paths) > 0 {
			bit(r.paths)
		}
		if len(r.Allowlist.paths) > 0 {
			bit(r.Allowlist.paths)
		}
	}
}

// pathNeed is a literal that every string a path regex matches contains
// (lower-cased when fold is set); empty when there is none to rely on.
type pathNeed struct {
	lit  string
	fold bool
}

// neededLiteral finds the longest literal that a regex's matches must
// contain: a literal at the top of the regex, or in a concatenation,
// capture or "+" there (never under an alternation or an optional part).
// Case-insensitive literals are used only when they are ASCII.
func neededLiteral(re *regexp.Regexp) pathNeed {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return pathNeed{}
	}
	var walk func(r *syntax.Regexp) pathNeed
	walk = func(r *syntax.Regexp) pathNeed {
		switch r.Op {
		case syntax.OpLiteral:
			lit := string(r.Rune)
			if r.Flags&syntax.FoldCase == 0 {
				return pathNeed{lit: lit}
			}
			for _, c := range lit {
				if c >= 0x80 {
					return pathNeed{}
				}
			}
			return pathNeed{lit: strings.ToLower(lit), fold: true}
		case syntax.OpCapture, syntax.OpPlus:
			return walk(r.Sub[0])
		case syntax.OpConcat:
			var best pathNeed
			for _, sub := range r.Sub {
				if n := walk(sub); len(n.lit) > len(best.lit) {
					best = n
				}
			}
			return best
		}
		return pathNeed{}
	}
	n := walk(parsed.Simplify())
	if len(n.lit) < 2 {
		return pathNeed{}
	}
	return n
}

// ruleFile is the TOML shape of a rule file and of .leakgate.toml.
type ruleFile struct {
	// UseDefault, in .leakgate.toml, says whether the built-in rules are
	// kept (true, the default) or replaced by the file's rules.
	UseDefault *bool     `toml:"use-default"`
	Disable    []string  `toml:"disable"`
	Allowlist  Allowlist `toml:"allowlist"`
	Rules      []*Rule   `toml:"rules"`
	// Verify and Remediate are settings of other stages; package settings
	// reads and checks them.
	Verify    toml.Primitive `toml:"verify"`
	Remediate toml.Primitive `toml:"remediate"`
}

// settingsTables are the .leakgate.toml tables this package leaves to
// package settings.
var settingsTables = map[string]bool{"verify": true, "remediate": true}

//go:embed default/*.toml
var defaultFS embed.FS

// Default returns the built-in rule set. It panics only if the embedded
// rules are broken, which the package tests rule out.
func Default() *Set {
	s, err := loadFS(defaultFS, false, false)
	if err != nil {
		panic(err)
	}
	return s
}

// Lean returns the built-in rule set without the rules' examples and
// counterexamples, which only checking the rules reads (`leakgate rules
// test`): it loads in about half the time of Default. Its Version is
// Default's.
func Lean() *Set {
	if s := generatedLean(defaultFS, leanGenVersion, leanGenRules); s != nil {
		return s
	}
	s, err := loadFS(defaultFS, false, true)
	if err != nil {
		panic(err)
	}
	return s
}

// loadFS loads the rule files default/*.toml of fsys as the built-in set.
// The files are decoded and their rules validated concurrently (that is
// most of a git hook's start-up); with parseRegexes false, the rules'
// regexes are not parsed (see validate); with lean, their examples and
// counterexamples are left out (see stripExamples), otherwise each rule
// must have an example.
func loadFS(fsys fs.FS, parseRegexes, lean bool) (*Set, error) {
	files, err := fs.Glob(fsys, "default/*.toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	type loaded struct {
		data []byte
		f    *ruleFile
		err  error
	}
	done := make([]loaded, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				l := &done[i]
				if l.data, l.err = fs.ReadFile(fsys, files[i]); l.err != nil {
					continue
				}
				text := l.data
				if lean {
					text = stripExamples(text)
				}
				if l.f, l.err = parse(files[i], text); l.err != nil {
					continue
				}
				for _, r := range l.f.Rules {
					if r == nil {
						continue // newSet reports it
					}
					if l.err = r.validate(parseRegexes); l.err != nil {
						break
					}
					if !lean && len(r.Examples) == 0 {
						l.err = fmt.Errorf("%s: rule %q: built-in rules need at least one example", files[i], r.ID)
						break
					}
				}
			}
		})
	}
	wg.Wait()
	var all []*Rule
	var allow Allowlist
	data := make([][]byte, len(files))
	for i := range files {
		l := done[i]
		if l.err != nil {
			return nil, l.err
		}
		data[i] = l.data
		all = append(all, l.f.Rules...)
		allow = mergeAllowlists(allow, l.f.Allowlist)
	}
	return newSet(all, allow, filesVersion(files, data))
}

// filesVersion is the Version of the built-in rules read from the files
// named (in order) with those contents. It hashes the files' names and
// bytes, which costs far less than hashing an encoding of the decoded
// rules (that was a fifth of a git hook's start-up).
func filesVersion(names []string, data [][]byte) string {
	h := sha256.New()
	io.WriteString(h, "leakgate default rules\x00")
	for i, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data[i]))
		h.Write(data[i])
	}
	return digest(h)
}

func digest(h hash.Hash) string {
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ParseError is a TOML syntax or type error in a rule or config file.
type ParseError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func parse(name string, data []byte) (*ruleFile, error) {
	var f ruleFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ParseError{File: name, Line: pe.Position.Line, Column: pe.Position.Col, Msg: pe.Message}
		}
		return nil, &ParseError{File: name, Msg: err.Error()}
	}
	for _, k := range md.Undecoded() {
		if !settingsTables[k[0]] {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("unknown key %q", k.String())}
		}
	}
	for _, r := range f.Rules {
		if r == nil {
			continue
		}
		r.Source = name
	}
	return &f, nil
}

func mergeAllowlists(a, b Allowlist) Allowlist {
	a.Regexes = append(a.Regexes, b.Regexes...)
	a.Paths = append(a.Paths, b.Paths...)
	a.Stopwords = append(a.Stopwords, b.Stopwords...)
	return a
}

// newSet validates the rules and the allowlist and builds a set; version
// identifies the inputs the rules were built from.
func newSet(all []*Rule, allow Allowlist, version string) (*Set, error) {
	seen := map[string]string{}
	for _, r := range all {
		if r == nil {
			return nil, errors.New("empty [[rules]] entry")
		}
		if prev, ok := seen[r.ID]; ok {
			return nil, fmt.Errorf("%s: rule %q is defined twice (first in %s)", r.Source, r.ID, prev)
		}
		seen[r.ID] = r.Source
		if r.lazy != nil {
			continue // validated already: a merged base rule, or a built-in one
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	if err := allow.compile("allowlist", true); err != nil {
		return nil, err
	}
	return &Set{Rules: all, Allowlist: allow, Version: version}, nil
}

// Lookup returns the rule with the given id, or nil.
func (s *Set) Lookup(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Load reads a rules/config file (such as .leakgate.toml) and merges it with
// base (normally Default()): the file's rules are added, a rule with the id
// of a base rule replaces it, `disable` removes rules, the allowlist is
// added to base's, and `use-default = false` drops base altogether.
func Load(file string, base *Set) (*Set, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(file, data, base)
}

// Parse is Load for bytes already read; name is used in error messages.
func Parse(name string, data []byte, base *Set) (*Set, error) {
	f, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	var rulesOut []*Rule
	var allow Allowlist
	// The version hashes the base set's version (when the base is kept)
	// and the file's bytes: together they determine the merged rules. The
	// file's name does not change any rule, so it is left out.
	h := sha256.New()
	useBase := base != nil && (f.UseDefault == nil || *f.UseDefault)
	if useBase {
		fmt.Fprintf(h, "leakgate merged rules\x00%s\x00", base.Version)
	} else {
		io.WriteString(h, "leakgate rules\x00")
	}
	h.Write(data)
	if useBase {
		override := map[string]bool{}
		for _, r := range f.Rules {
			if r != nil {
				override[r.ID] = true
			}
		}
		for _, r := range base.Rules {
			if !override[r.ID] {
				rulesOut = append(rulesOut, r)
			}
		}
		allow = cloneAllowlist(base.Allowlist)
	}
	rulesOut = append(rulesOut, f.Rules...)
	allow = mergeAllowlists(allow, f.Allowlist)
	for _, id := range f.Disable {
		i := slices.IndexFunc(rulesOut, func(r *Rule) bool { return r != nil && r.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("%s: disable: no rule %q", name, id)
		}
		rulesOut = slices.Delete(rulesOut, i, i+1)
	}
	return newSet(rulesOut, allow, digest(h))
}

func cloneAllowlist(a Allowlist) Allowlist {
	return Allowlist{
		Regexes:   slices.Clone(a.Regexes),
		Target:    a.Target,
		Paths:     slices.Clone(a.Paths),
		Stopwords: slices.Clone(a.Stopwords),
	}
}

// ParseRules parses a stand-alone rule file (as `leakgate rules test` reads
// it) into a Set of just its rules.
func ParseRules(name string, data []byte) (*Set, error) {
	return Parse(name, data, nil)
}

// DefaultFiles lists the embedded default rule files, for documentation.
func DefaultFiles() []string {
	files, _ := fs.Glob(defaultFS, "default/*.toml")
	for i, f := range files {
		files[i] = path.Base(f)
	}
	return files
}
