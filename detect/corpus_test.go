package detect

import (
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// The detection-quality corpus lives in testdata/corpus (see its README.md
// for the format). Every archive is a set of realistic files whose secrets
// are written as generator tokens (⟪+ghp⟫), expanded here into fresh fake
// values, so that no secret-shaped string is committed (the repository must
// scan itself clean, and code hosts refuse pushes of checksummed tokens).
//
// A positive token (⟪+…⟫) or a "want" line in the archive comment must be
// reported; a "maybe" token (⟪~…⟫) or line may be; every other finding is a
// false positive.

const (
	// corpusMinPrecision is the precision the default rules must keep on
	// the corpus: a gate that cries wolf gets switched off.
	corpusMinPrecision = 0.95
	// corpusMinRecall is set just below the recall achieved when the corpus
	// was written (see the -v output), so that a regression fails the test
	// while provider rules that do not exist yet do not. Raise it as rules
	// are added; never lower it to make a change pass.
	corpusMinRecall = 0.99
)

var corpusDump = flag.String("corpus.dump", "", "write the expanded corpus files under this directory")

const corpusDir = "../testdata/corpus"

// corpusWant is one secret that must (or, with maybe, may) be found.
type corpusWant struct {
	archive    string
	file       string
	line, last int // line range, 1-based, inclusive
	start, end int // byte span in the expanded file; -1 when unknown
	rule       string
	provider   string
	maybe      bool
	found      []string // rule ids that found it
}

type corpusFile struct {
	name string
	data []byte
}

// expandedArchive is one corpus archive after token expansion.
type expandedArchive struct {
	name  string
	files []corpusFile
	wants []*corpusWant
}

func TestCorpus(t *testing.T) {
	gens, err := loadGenerators(filepath.Join(corpusDir, "generators.txt"))
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(corpusDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no corpus archives")
	}
	d, err := New(rules.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}

	type fpInfo struct {
		where, rule, secret string
	}
	var (
		totTP, totFP, totWant, totFound, totDup int
		fps                                     []fpInfo
		dups                                    []string
		fns                                     []*corpusWant
		allWants                                []*corpusWant
	)
	for _, name := range names {
		ar, err := expandArchive(name, gens)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if *corpusDump != "" {
			for _, f := range ar.files {
				p := filepath.Join(*corpusDump, strings.TrimSuffix(ar.name, ".txtar"), f.name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		var tp, fp, dup int
		for _, f := range ar.files {
			findings := d.Detect(leak.Chunk{Data: f.data, Origin: leak.Origin{Path: f.name}})
			for _, fd := range findings {
				checkFindingBounds(t, ar.name+"/"+f.name, f.data, fd)
				if r := d.Rules().Lookup(fd.RuleID); r != nil && r.Companion {
					continue // not a secret: never reported (scan keeps it for verification)
				}
				w := matchWant(ar.wants, f.name, fd)
				switch {
				case w == nil:
					fp++
					fps = append(fps, fpInfo{fmt.Sprintf("%s/%s:%d:%d", ar.name, f.name, fd.Origin.Line, fd.Origin.Column), fd.RuleID, fd.Secret.Reveal()})
				case w.maybe:
					w.found = append(w.found, fd.RuleID)
				case len(w.found) > 0:
					dup++
					dups = append(dups, fmt.Sprintf("%s/%s:%d %s after %s", ar.name, f.name, fd.Origin.Line, fd.RuleID, strings.Join(w.found, ",")))
					w.found = append(w.found, fd.RuleID)
				default:
					tp++
					w.found = append(w.found, fd.RuleID)
				}
			}
		}
		nwant, nfound := 0, 0
		for _, w := range ar.wants {
			if w.maybe {
				continue
			}
			allWants = append(allWants, w)
			nwant++
			if len(w.found) > 0 {
				nfound++
			} else {
				fns = append(fns, w)
			}
		}
		t.Logf("%-34s files %2d  positives %3d  found %3d  fp %2d  dup %2d  precision %s  recall %s",
			ar.name, len(ar.files), nwant, nfound, fp, dup, ratio(tp, tp+fp), ratio(nfound, nwant))
		totTP += tp
		totFP += fp
		totDup += dup
		totWant += nwant
		totFound += nfound
	}

	// Per provider: how many positives, found by which rules.
	type provStat struct {
		want, found int
		rules       map[string]int
	}
	provs := map[string]*provStat{}
	for _, w := range allWants {
		p := provs[w.provider]
		if p == nil {
			p = &provStat{rules: map[string]int{}}
			provs[w.provider] = p
		}
		p.want++
		if len(w.found) > 0 {
			p.found++
			p.rules[w.found[0]]++
		}
	}
	var pnames []string
	for p := range provs {
		pnames = append(pnames, p)
	}
	sort.Strings(pnames)
	var genericOnly, missed []string
	for _, p := range pnames {
		s := provs[p]
		var rs []string
		onlyGeneric := s.found > 0
		for r, n := range s.rules {
			rs = append(rs, fmt.Sprintf("%s×%d", r, n))
			if rl := d.Rules().Lookup(r); rl == nil || !rl.Generic {
				onlyGeneric = false
			}
		}
		sort.Strings(rs)
		t.Logf("provider %-24s %2d/%-2d %s", p, s.found, s.want, strings.Join(rs, " "))
		if onlyGeneric {
			genericOnly = append(genericOnly, p)
		}
		if s.found < s.want {
			missed = append(missed, fmt.Sprintf("%s(%d/%d)", p, s.found, s.want))
		}
	}

	for _, fp := range fps {
		t.Logf("FALSE POSITIVE %s rule %s secret %q", fp.where, fp.rule, abbreviate(fp.secret))
	}
	for _, d := range dups {
		t.Logf("DUPLICATE %s", d)
	}
	for _, w := range fns {
		t.Logf("FALSE NEGATIVE %s/%s:%d provider %s%s", w.archive, w.file, w.line, w.provider, ruleNote(w.rule))
	}
	t.Logf("providers found only by generic rules: %s", strings.Join(genericOnly, " "))
	t.Logf("providers with misses: %s", strings.Join(missed, " "))

	precision := frac(totTP, totTP+totFP)
	recall := frac(totFound, totWant)
	t.Logf("CORPUS %d archives, %d positives over %d providers; findings: %d true, %d false, %d duplicate; precision %.3f recall %.3f",
		len(names), totWant, len(provs), totTP, totFP, totDup, precision, recall)
	if precision < corpusMinPrecision {
		t.Errorf("precision %.3f below %.2f", precision, corpusMinPrecision)
	}
	if recall < corpusMinRecall {
		t.Errorf("recall %.3f below %.2f", recall, corpusMinRecall)
	}
}

func ruleNote(r string) string {
	if r == "" || r == "*" {
		return ""
	}
	return " rule " + r
}

func ratio(a, b int) string {
	if b == 0 {
		return "  -  "
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

func frac(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func checkFindingBounds(t *testing.T, where string, data []byte, f leak.Finding) {
	t.Helper()
	if f.Offset < 0 || f.End > len(data) || f.Offset > f.End || f.Origin.Line < 1 || f.Origin.Column < 1 {
		t.Errorf("%s: finding %s out of bounds: offset %d end %d len %d line %d col %d",
			where, f.RuleID, f.Offset, f.End, len(data), f.Origin.Line, f.Origin.Column)
	}
}

// matchWant returns the want a finding satisfies, preferring one whose span
// overlaps the finding and that is not yet found, then a span-less want on
// the finding's line. A finding on a positive's line that overlaps no
// positive's span is a false positive.
func matchWant(wants []*corpusWant, file string, f leak.Finding) *corpusWant {
	var best *corpusWant
	score := func(w *corpusWant) int {
		s := 0
		if len(w.found) == 0 {
			s += 2
		}
		if w.rule == "" || w.rule == "*" {
			s++
		} else if ok, _ := path.Match(w.rule, f.RuleID); ok {
			s += 4
		}
		return s
	}
	for _, w := range wants {
		if w.file != file {
			continue
		}
		if w.start >= 0 {
			if f.Offset >= w.end || f.End <= w.start {
				continue
			}
		} else if f.Origin.Line < w.line || f.Origin.Line > w.last {
			continue
		}
		if best == nil || score(w) > score(best) {
			best = w
		}
	}
	return best
}

// --- generators ---------------------------------------------------------

// corpusGen is a named value generator: a provider label and a spec.
type corpusGen struct {
	provider, spec string
}

func loadGenerators(file string) (map[string]corpusGen, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	gens := map[string]corpusGen{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("%s:%d: want NAME PROVIDER SPEC", file, i+1)
		}
		name := f[0]
		rest := strings.TrimSpace(strings.TrimPrefix(line, name))
		prov := f[1]
		spec := strings.TrimSpace(strings.TrimPrefix(rest, prov))
		if _, dup := gens[name]; dup {
			return nil, fmt.Errorf("%s:%d: generator %s defined twice", file, i+1, name)
		}
		gens[name] = corpusGen{prov, spec}
	}
	return gens, nil
}

// Character classes for [class:n] runs.
var corpusClasses = map[string]string{
	"b62":   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	"hex":   "0123456789abcdef",
	"HEX":   "0123456789ABCDEF",
	"num":   "0123456789",
	"lower": "abcdefghijklmnopqrstuvwxyz",
	"upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	"alnum": "abcdefghijklmnopqrstuvwxyz0123456789",
	"ALNUM": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	"b32":   "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	"b32l":  "abcdefghijklmnopqrstuvwxyz234567",
	"b64":   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	"b64u":  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
	"w":     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
	"pw":    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%^*-_+=",
	"bech":  "qpzry9x8gf2tvdw0s3jn54khce6mua7l",
	"BECH":  "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}

// corpusBadWords must not appear in a random run of a positive: the
// global placeholder and weak-value filters would (rightly) drop it.
var corpusBadWords = []string{
	"example", "sample", "dummy", "fake", "test", "xxx", "foo", "bar", "baz", "demo", "mock",
	"stub", "null", "none", "true", "admin", "pass", "secret", "token", "lorem", "hello", "world",
	"value", "string", "default", "public", "private", "config", "invalid", "welcome", "qwerty",
	"asdf", "1234", "0000", "abcd", "changeme", "placeholder", "redacted", "your", "key", "api",
	"todo", "false", "undefined", "local", "hunter", "letmein", "...", "***", "aaa",
}

type expander struct {
	gens   map[string]corpusGen
	rng    *rand.Rand
	labels map[string]string // "name#k" -> value
}

// run returns n random characters of class cls.
func (x *expander) run(cls string, n int, positive bool) string {
	chars := corpusClasses[cls]
	for try := 0; ; try++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[x.rng.IntN(len(chars))]
		}
		s := string(b)
		if !positive || try > 100 || !containsBadWord(s) {
			return s
		}
	}
}

func containsBadWord(s string) bool {
	l := strings.ToLower(s)
	for _, w := range corpusBadWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// expandSpec expands a generator spec:
//
//	[class:n] or [class:n-m]  random run (classes: corpusClasses)
//	{fn:spec}                 a function of the expanded spec: b64, b64raw,
//	                          b64url, crc (append base62 CRC-32), hex, pct,
//	                          upper, lower, json (escape as in a JSON string),
//	                          pem (a PEM block of that type),
//	                          ref (the value of an earlier labelled token)
//	\c                        a literal c
//
// Anything else is literal.
func (x *expander) expandSpec(spec string, positive bool) (string, error) {
	out, rest, err := x.expandUntil(spec, positive, false)
	if err != nil {
		return "", err
	}
	if rest != "" {
		return "", fmt.Errorf("unbalanced '}' in %q", spec)
	}
	return out, nil
}

var corpusFuncs = []string{"b64", "b64raw", "b64url", "crc", "hex", "pct", "upper", "lower", "pem", "ref", "json"}

func (x *expander) expandUntil(s string, positive, inFunc bool) (string, string, error) {
	var b strings.Builder
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == '\\' && len(s) > 1:
			b.WriteByte(s[1])
			s = s[2:]
		case c == '}' && inFunc:
			return b.String(), s[1:], nil
		case c == '[':
			end := strings.IndexByte(s, ']')
			cls, num, ok := "", "", false
			if end > 0 {
				cls, num, ok = strings.Cut(s[1:end], ":")
			}
			if _, known := corpusClasses[cls]; !ok || !known {
				b.WriteByte(c) // a literal '['
				s = s[1:]
				continue
			}
			lo, hi, isRange := strings.Cut(num, "-")
			n, err := strconv.Atoi(lo)
			if err != nil {
				return "", "", fmt.Errorf("bad run %q", s[:end+1])
			}
			if isRange {
				m, err := strconv.Atoi(hi)
				if err != nil || m < n {
					return "", "", fmt.Errorf("bad run %q", s[:end+1])
				}
				n += x.rng.IntN(m - n + 1)
			}
			b.WriteString(x.run(cls, n, positive))
			s = s[end+1:]
		case c == '{':
			fn, _, ok := strings.Cut(s[1:], ":")
			known := false
			for _, f := range corpusFuncs {
				known = known || fn == f
			}
			if !ok || !known {
				b.WriteByte(c)
				s = s[1:]
				continue
			}
			inner, rest, err := x.expandUntil(s[len(fn)+2:], positive, true)
			if err != nil {
				return "", "", err
			}
			v, err := x.apply(fn, inner, positive)
			if err != nil {
				return "", "", err
			}
			b.WriteString(v)
			s = rest
		default:
			b.WriteByte(c)
			s = s[1:]
		}
	}
	if inFunc {
		return "", "", fmt.Errorf("unterminated {")
	}
	return b.String(), "", nil
}

func (x *expander) apply(fn, v string, positive bool) (string, error) {
	switch fn {
	case "b64":
		return base64.StdEncoding.EncodeToString([]byte(v)), nil
	case "b64raw":
		return base64.RawStdEncoding.EncodeToString([]byte(v)), nil
	case "b64url":
		return base64.RawURLEncoding.EncodeToString([]byte(v)), nil
	case "crc":
		return v + Base62CRC32(v), nil
	case "hex":
		return hex.EncodeToString([]byte(v)), nil
	case "upper":
		return strings.ToUpper(v), nil
	case "json":
		q := strconv.Quote(v)
		return q[1 : len(q)-1], nil
	case "lower":
		return strings.ToLower(v), nil
	case "pct":
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			c := v[i]
			if isIdentByte(c) && c != '_' || c == '-' || c == '.' || c == '~' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String(), nil
	case "pem":
		// A PEM block with a random body of about 1200 bytes.
		body := make([]byte, 900+x.rng.IntN(300))
		for i := range body {
			body[i] = byte(x.rng.IntN(256))
		}
		if v == "OPENSSH PRIVATE KEY" {
			body = append([]byte("openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none"), body...)
		}
		enc := base64.StdEncoding.EncodeToString(body)
		var b strings.Builder
		fmt.Fprintf(&b, "-----BEGIN %s-----\n", v)
		for len(enc) > 64 {
			b.WriteString(enc[:64])
			b.WriteByte('\n')
			enc = enc[64:]
		}
		b.WriteString(enc)
		fmt.Fprintf(&b, "\n-----END %s-----", v)
		return b.String(), nil
	case "ref":
		val, ok := x.labels[v]
		if !ok {
			return "", fmt.Errorf("{ref:%s}: no such labelled token before", v)
		}
		return val, nil
	}
	return "", fmt.Errorf("unknown function %s", fn)
}

const (
	tokOpen  = "⟪"
	tokClose = "⟫"
)

// expandArchive reads a corpus archive, expands its tokens and collects the
// positives.
func expandArchive(file string, gens map[string]corpusGen) (*expandedArchive, error) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(file)
	h := fnv.New64a()
	h.Write([]byte(name))
	x := &expander{gens: gens, rng: rand.New(rand.NewPCG(h.Sum64(), 0x1eaf6a7e)), labels: map[string]string{}}
	out := &expandedArchive{name: name}
	for _, f := range ar.Files {
		data, wants, err := x.expandFile(f.Name, string(f.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		out.files = append(out.files, corpusFile{f.Name, []byte(data)})
		for _, w := range wants {
			w.archive = name
		}
		out.wants = append(out.wants, wants...)
	}
	// Explicit "want FILE:LINE[-LAST] [RULE] [PROVIDER]" and "maybe FILE:LINE[-LAST]" lines.
	for i, line := range strings.Split(string(ar.Comment), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "want" && f[0] != "maybe" {
			continue
		}
		file, lines, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("comment line %d: want FILE:LINE", i+1)
		}
		lo, hi, isRange := strings.Cut(lines, "-")
		l, err1 := strconv.Atoi(lo)
		last := l
		var err2 error
		if isRange {
			last, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || last < l {
			return nil, fmt.Errorf("comment line %d: bad line %q", i+1, lines)
		}
		found := false
		for _, cf := range out.files {
			found = found || cf.name == file
		}
		if !found {
			return nil, fmt.Errorf("comment line %d: no file %s", i+1, file)
		}
		w := &corpusWant{archive: name, file: file, line: l, last: last, start: -1, end: -1, rule: "*", maybe: f[0] == "maybe", provider: "literal"}
		if len(f) > 2 {
			w.rule = f[2]
		}
		if len(f) > 3 {
			w.provider = f[3]
		}
		out.wants = append(out.wants, w)
	}
	return out, nil
}

// expandFile replaces the tokens of one file:
//
//	⟪+NAME⟫  ⟪+NAME#k⟫   a positive from generator NAME (#k: reuse the value)
//	⟪~NAME⟫              a value that may be reported
//	⟪NAME⟫               a value that must not be reported
//	⟪+PROVIDER SPEC⟫     an inline spec instead of a named generator
func (x *expander) expandFile(name, text string) (string, []*corpusWant, error) {
	var b strings.Builder
	var wants []*corpusWant
	line := 1
	for {
		i := strings.Index(text, tokOpen)
		if i < 0 {
			break
		}
		b.WriteString(text[:i])
		line += strings.Count(text[:i], "\n")
		text = text[i+len(tokOpen):]
		j := strings.Index(text, tokClose)
		if j < 0 {
			return "", nil, fmt.Errorf("line %d: unterminated token", line)
		}
		tok := text[:j]
		text = text[j+len(tokClose):]

		kind := byte(0)
		if tok != "" && (tok[0] == '+' || tok[0] == '~') {
			kind, tok = tok[0], tok[1:]
		}
		head, spec, inline := strings.Cut(tok, " ")
		gname, label, _ := strings.Cut(head, "#")
		prov := gname
		if !inline {
			g, ok := x.gens[gname]
			if !ok {
				return "", nil, fmt.Errorf("line %d: no generator %q", line, gname)
			}
			prov, spec = g.provider, g.spec
		}
		var val string
		key := gname + "#" + label
		if v, ok := x.labels[key]; ok && label != "" {
			val = v
		} else {
			v, err := x.expandSpec(spec, kind != 0)
			if err != nil {
				return "", nil, fmt.Errorf("line %d: token %s: %v", line, tok, err)
			}
			val = v
			if label != "" {
				x.labels[key] = val
			}
		}
		start := b.Len()
		b.WriteString(val)
		nl := strings.Count(val, "\n")
		if kind != 0 {
			wants = append(wants, &corpusWant{file: name, line: line, last: line + nl, start: start, end: b.Len(),
				rule: "*", provider: prov, maybe: kind == '~'})
		}
		line += nl
	}
	b.WriteString(text)
	return b.String(), wants, nil
}
