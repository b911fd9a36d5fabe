package detect

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
)

func TestRunCheckDerived(t *testing.T) {
	for _, tc := range []struct {
		expr string
		min  int
		in   string
		out  string
	}{
		{`\b(SK[0-9a-f]{32})\b`, 34, "SKa", "["},
		{`(?i)token[ \t]*=[ \t]*([A-Za-z0-9][A-Za-z0-9+/=-]{15,500})(?:["']|$)`, 16, "a+=", " \"("},
		{`foo|bar`, 0, "", ""},
		{`(?:ab|cd)+[0-9]{8}`, 8, "0", "a"}, // the run inside the repetition is too short
		{`x{3}(?:\d{6,}|[a-f]{9})`, 9, "x0a", "g"},
	} {
		c := newRunCheck(tc.expr, minRunWorthChecking)
		if c.min != tc.min {
			t.Errorf("%s: min %d, want %d", tc.expr, c.min, tc.min)
		}
		for _, b := range []byte(tc.in) {
			if !c.class[b] {
				t.Errorf("%s: %q not in the class", tc.expr, b)
			}
		}
		for _, b := range []byte(tc.out) {
			if c.class[b] {
				t.Errorf("%s: %q in the class", tc.expr, b)
			}
		}
	}
}

// TestRunCheckNecessary: wherever a rule's regex matches, its runCheck
// passes and its prefix regex matches (over the rules' examples and counterexamples, with and without
// their lines around them, and generated text).
func TestRunCheckNecessary(t *testing.T) {
	set := rules.Default()
	d, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	random := bytes.Split(randomText(1<<16), []byte("\n"))
	matched := 0
	for ri, r := range set.Rules {
		inputs := random
		for _, e := range append(append([]string{}, r.Examples...), r.Counterexamples...) {
			inputs = append(inputs, []byte(e))
			inputs = append(inputs, bytes.Split([]byte(e), []byte("\n"))...)
		}
		re := r.Compiled()
		anchored := regexp.MustCompile(`^(?:` + r.Regex + `)`)
		c := d.check(ri)
		prefix := newPrefixRegex(r.Regex)
		for _, in := range inputs {
			if loc := re.FindIndex(in); loc != nil {
				matched++
				if !c.ok(in) || !c.ok(in[loc[0]:loc[1]]) {
					t.Errorf("%s: the regex matches %q, the run check (min %d) fails", r.ID, in[loc[0]:loc[1]], c.min)
				}
				if prefix != nil && anchored.Match(in[loc[0]:]) && !prefix.Match(in[loc[0]:]) {
					t.Errorf("%s: the regex matches %q, the prefix regex %s does not", r.ID, in[loc[0]:], prefix)
				}
			}
		}
	}
	if matched < len(set.Rules) {
		t.Fatalf("only %d matches: the test tests little", matched)
	}
}

// randomText is text with keywords, assignments and token-shaped values in
// it, where prefilter mistakes would show.
// It also holds invalid UTF-8, and the Kelvin sign and the long s, which
// case-fold to ASCII letters.
func randomText(size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"key", "Key", "KEY", "_key", "api_key", "secret", "token", "password", "<", ">", "=", ":", ":=",
		"\"", "'", " ", "\t", "\n", "(", ")", ",", "ghp_", "AKIA", "sk_live_", "xoxb-", "://", "@", "/", "-", "_", ".",
		"name=\"", "value=\"", "<password>", "</password>", "AC", "SK", "vault", "s.", "eyJ", "=>", "||", "??", "é", "aé", "_"}
	pieces = append(pieces, "\xff", "\xe2\x84", "\u212a", "ſ")
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b bytes.Buffer
	for b.Len() < size {
		if r.IntN(3) == 0 {
			for range 1 + r.IntN(48) {
				b.WriteByte(alnum[r.IntN(len(alnum))])
			}
		} else {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
	}
	return b.Bytes()
}

// TestPrefiltersChangeNothing compares the detector with its prefilters
// against the detector without them, over the rules' examples and
// counterexamples, generated text and, when $LEAKGATE_BENCH_CORPUS is set,
// every text file of the corpus.
func TestPrefiltersChangeNothing(t *testing.T) {
	set := rules.Default()
	fast, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exact.exact = true
	var chunks []leak.Chunk
	for _, r := range set.Rules {
		for _, e := range append(append([]string{}, r.Examples...), r.Counterexamples...) {
			chunks = append(chunks, leak.Chunk{Data: []byte(e), Origin: leak.Origin{Path: r.ExamplePath}})
		}
	}
	text := randomText(1 << 20)
	for i := 0; i < len(text); i += 4096 {
		chunks = append(chunks, leak.Chunk{Data: text[i:min(i+4096, len(text))], Origin: leak.Origin{Path: fmt.Sprint("gen/", i, ".txt")}})
	}
	if root := os.Getenv("LEAKGATE_BENCH_CORPUS"); root != "" {
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil || len(data) > source.DefaultMaxFileSize || source.IsBinary(data) {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			chunks = append(chunks, leak.Chunk{Data: data, Origin: leak.Origin{Path: filepath.ToSlash(rel)}})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, c := range chunks {
		got, want := fast.Detect(c), exact.Detect(c)
		total += len(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d findings with prefilters, %d without", c.Origin.Path, len(got), len(want))
		}
	}
	t.Logf("%d chunks, %d findings", len(chunks), total)
}

// TestStartSetFindsTheSameMatches: for every rule with a usable start set,
// the anchored tries find exactly what the regex's own search finds.
func TestStartSetFindsTheSameMatches(t *testing.T) {
	set := rules.Default()
	random := bytes.Split(randomText(1<<16), []byte("\n"))
	usable, matched := 0, 0
	for _, r := range set.Rules {
		s := newStartSet(r.Regex)
		if s.anchored == nil {
			continue
		}
		usable++
		inputs := random
		for _, e := range append(append([]string{}, r.Examples...), r.Counterexamples...) {
			inputs = append(inputs, []byte(e))
			inputs = append(inputs, bytes.Split([]byte(e), []byte("\n"))...)
			// Cut mid-character and behind a word byte.
			inputs = append(inputs, append([]byte("\xa9x"), e...), append([]byte("é_"), e...))
		}
		re := r.Compiled()
		c := &lazyCheck{prefix: newPrefixRegex(r.Regex), shape: newShapeCheck(r.Regex)}
		for _, in := range inputs {
			got, want := s.findAll(re, in, c.mayMatchAt), re.FindAllSubmatchIndex(in, -1)
			matched += len(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s over %q: %v, want %v", r.ID, in, got, want)
			}
		}
	}
	t.Logf("%d rules with a start set, %d matches compared", usable, matched)
	if usable < 50 || matched < 100 {
		t.Fatalf("too few rules or matches: the test tests little")
	}
}

func TestStartSetDerived(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		usable   bool
		boundary bool
		first    string
	}{
		{`\b(SK[0-9a-f]{32})\b`, true, true, "S"},
		{`(?i)(?:<a>|key=)`, true, false, "<kK"},
		{`(?i:vault)x`, true, false, "vV"},
		{`a*b`, true, false, "ab"},
		{`a*`, false, false, ""},
		{`\b[^a]x`, false, false, ""}, // \b before a non-word byte
		{`^abc`, false, false, ""},
		{`x?\bfoo`, false, false, ""},
		{`[a-z]{2}`, false, false, ""}, // too many first bytes
	} {
		s := newStartSet(tc.expr)
		if (s.anchored != nil) != tc.usable || s.boundary != tc.boundary && tc.usable {
			t.Errorf("%s: usable %v boundary %v, want %v %v", tc.expr, s.anchored != nil, s.boundary, tc.usable, tc.boundary)
			continue
		}
		for _, b := range []byte(tc.first) {
			if !s.first[b] {
				t.Errorf("%s: %q not a first byte", tc.expr, b)
			}
		}
	}
}

func TestPrefixRegex(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`key=([A-Za-z0-9]{16,500})["']`, `^(?:key=[0-9A-Za-z]{16})`},
		{`\b[a-z]{1,100}:([^@]{3,256})@`, `^(?:\b[a-z]{1,}:[^@]{3})`},
		{`\bAC[a-f0-9]{32}\b`, ``},
	} {
		got := ""
		if p := newPrefixRegex(tc.expr); p != nil {
			got = p.String()
		}
		if (got == "") != (tc.want == "") || got != "" && compiledProg(t, got) != compiledProg(t, tc.want) {
			t.Errorf("%s: %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestPathRunChecks: the run checks of the rules' path regexes pass
// wherever the regexes match.
func TestPathRunChecks(t *testing.T) {
	d, err := New(rules.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{".env", "a/.env.local", "b/prod.env", "x/.edgerc", "x/my.EDGERC", ".pgpass", "home/pgpass",
		"datadog/conf.yaml", "etc/datadog-agent/datadog.yml", "datadog.yaml", "src/events/env.go", "README.md"}
	for _, r := range d.set.Rules {
		if r.ExamplePath != "" {
			paths = append(paths, r.ExamplePath)
		}
	}
	checked := 0
	for k, re := range d.pathRes {
		for _, p := range paths {
			if re.MatchString(p) {
				checked++
				if !hasRun(&d.pathChecks[k], p) {
					t.Errorf("%s matches %q, its run check fails", re, p)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d matches checked", checked)
	}
}

// TestPrefixRegexPrinter: the prefix regexes that writeRegexp prints
// compile to the same programs as those (*syntax.Regexp).String prints.
func TestPrefixRegexPrinter(t *testing.T) {
	prog := func(expr string) string { return compiledProg(t, expr) }
	n := 0
	for _, r := range rules.Default().Rules {
		ps := prefixSyntax(r.Regex)
		if ps == nil {
			continue
		}
		n++
		want := prog(`^(?:` + ps.String() + `)`)
		got := newPrefixRegex(r.Regex)
		if got == nil {
			t.Errorf("%s: no prefix regex", r.ID)
			continue
		}
		if g := prog(got.String()); g != want {
			t.Errorf("%s: %s\ncompiles to\n%s\nwant (from %s)\n%s", r.ID, got, g, ps, want)
		}
	}
	if n < 100 {
		t.Errorf("only %d rules with prefix regexes", n)
	}
}

// compiledProg returns the program expr compiles to, as text.
func compiledProg(t *testing.T, expr string) string {
	t.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	p, err := syntax.Compile(re.Simplify())
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return p.String()
}

// TestShapeCheckNecessary: wherever an anchored rule's anchored regex
// matches the start of a text, its shape check passes (over the rules'
// examples and counterexamples, with and without their lines around them
// and behind other bytes, and generated text, from every position). It
// also asks that the check turn down most of the starts where the regex
// does not match: it should be worth its cost.
func TestShapeCheckNecessary(t *testing.T) {
	set := rules.Default()
	random := bytes.Split(randomText(1<<15), []byte("\n"))
	checked, matched, rejected, most := 0, 0, 0, 0
	for _, r := range set.Rules {
		// Rules tried anchored: with an Anchor, or with a start set.
		anchored := r.AnchoredRegex()
		if r.Anchor == "" {
			anchored = newStartSet(r.Regex).anchored
		}
		if anchored == nil {
			continue
		}
		s := newShapeCheck(r.Regex)
		if s.root == nil {
			t.Errorf("%s: no shape check", r.ID)
			continue
		}
		inputs := random
		for _, e := range append(append([]string{}, r.Examples...), r.Counterexamples...) {
			inputs = append(inputs, []byte(e))
			inputs = append(inputs, bytes.Split([]byte(e), []byte("\n"))...)
			// Case-folded to the Kelvin sign and the long s, behind
			// a word byte, with invalid UTF-8.
			inputs = append(inputs, bytes.ReplaceAll(bytes.ReplaceAll([]byte(e), []byte("k"), []byte("\u212a")), []byte("s"), []byte("ſ")))
			inputs = append(inputs, append([]byte("\xa9x"), e...), append([]byte("é_\xff"), e...))
		}
		for _, in := range inputs {
			for i := range len(in) + 1 {
				checked++
				may, steps := s.run(in[i:])
				most = max(most, steps)
				if anchored.Match(in[i:]) {
					matched++
					if !may {
						t.Errorf("%s: the regex matches at the start of %q, the shape check fails", r.ID, in[i:])
					}
				} else if !may {
					rejected++
				}
			}
		}
	}
	t.Logf("%d starts, %d matches, %d turned down, at most %d steps", checked, matched, rejected, most)
	if most > shapeBudget/4 {
		t.Errorf("a default rule's check took %d steps, near its budget of %d", most, shapeBudget)
	}
	if matched < 100 || rejected < (checked-matched)*9/10 {
		t.Fatalf("%d matches, %d of %d other starts turned down", matched, rejected, checked-matched)
	}
}

func TestShapeCheckCases(t *testing.T) {
	for _, tc := range []struct {
		expr, in string
		may      bool
	}{
		{`(?i)key[ \t]*=[ \t]*(\w{8})`, "KEY = abcdefgh", true},
		{`(?i)key[ \t]*=[ \t]*(\w{8})`, "\u212aey=abcdefgh", true}, // Kelvin sign: undecided
		{`(?i)key[ \t]*=[ \t]*(\w{8})`, "keys = abcdefgh", false},
		{`(?i)key[ \t]*=[ \t]*(\w{8})`, "key = abc", false},
		{`(?i)key[ \t]*=[ \t]*([^\s]{8})`, "key = abc\xffdefgh", true}, // a wide character may match
		{`key=([a-z]{8})`, "key=abc\xffdefgh", false},                  // no wide character matches
		{`aws[\w.-]{0,20}?secret`, "awsEc2query_deserializeOp", false},
		{`aws[\w.-]{0,20}?secret`, "aws_x_secret", true},
		{`[\w.-]*?(?:[_.-]key|[a-z]Key)=(\w+)`, "objectKey.String(", false},
		{`[\w.-]*?(?:[_.-]key|[a-z]Key)=(\w+)`, "object.api_key=x", true},
		{`(?:ab)*c`, "ababababc", true},
		{`(?:ab){2,3}c`, "abababababc", false},
		{`\bx$`, "x", true},                        // assertions are taken as true
		{`x{300}`, strings.Repeat("x", 300), true}, // past shapeLimit: undecided
		{`x{3}`, "xx", false},
	} {
		s := newShapeCheck(tc.expr)
		if got := s.mayMatch([]byte(tc.in)); got != tc.may {
			t.Errorf("%s over %q: %v, want %v", tc.expr, tc.in, got, tc.may)
		}
		if m := regexp.MustCompile(`^(?:` + tc.expr + `)`).MatchString(tc.in); m && !tc.may {
			t.Errorf("%s over %q: the case is wrong, the regex matches", tc.expr, tc.in)
		}
	}
}

// TestShapeCheckBudget: a rule's regex that nests repetitions of parts
// that match little (a reviewer's; the check followed the same positions
// again at each level, seconds a window) gives up within its budget:
// followed to the end, the check would say no (nothing ends in "c").
func TestShapeCheckBudget(t *testing.T) {
	s := newShapeCheck(`(?:(?:(?:(?:(?:(?:(?:(?:a|)+){5}b)*){3}a)+b|a)*b|a)+)c`)
	may, steps := s.run(bytes.Repeat([]byte{'a'}, 80))
	if !may || steps > shapeBudget+1 {
		t.Errorf("run = %v after %d steps, want a give-up (true) within %d", may, steps, shapeBudget)
	}
}
