package detect

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/coregx/ahocorasick"

	"github.com/leakgate/leakgate/rules"
)

// refHits is what the detector did before keywordDFA: lower-case a copy
// of data and run a coregx/ahocorasick automaton over it.
func refHits(ac *ahocorasick.Automaton, data []byte) []hit {
	lower := make([]byte, len(data))
	if len(data) > 0 {
		toLowerASCII(lower, data)
	}
	var out []hit
	for _, m := range ac.FindAllOverlapping(lower) {
		out = append(out, hit{m.PatternID, m.Start, m.End})
	}
	return out
}

func dfaHits(a *keywordDFA, data []byte) []hit {
	var out []hit
	a.scan(data, func(id, start, end int) bool {
		out = append(out, hit{id, start, end})
		return true
	})
	return out
}

var (
	refAutomatonOnce sync.Once
	refAutomaton     *ahocorasick.Automaton
	refDetector      *Detector
)

// refAutomata returns the default detector and a coregx automaton over
// its keywords.
func refAutomata(t testing.TB) (*Detector, *ahocorasick.Automaton) {
	refAutomatonOnce.Do(func() {
		d, err := New(rules.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pats [][]byte
		for _, k := range d.patterns {
			pats = append(pats, []byte(k))
		}
		ac, err := ahocorasick.NewBuilder().AddPatterns(pats).SetASCII(true).Build()
		if err != nil {
			t.Fatal(err)
		}
		refDetector, refAutomaton = d, ac
	})
	return refDetector, refAutomaton
}

func checkHits(t *testing.T, name string, d *Detector, ac *ahocorasick.Automaton, data []byte) {
	t.Helper()
	got, want := dfaHits(d.kw, data), refHits(ac, data)
	if !reflect.DeepEqual(got, want) {
		n := 0
		for n < min(len(got), len(want)) && got[n] == want[n] {
			n++
		}
		t.Fatalf("%s (%d bytes): %d hits, want %d; first difference at hit %d: got %v, want %v",
			name, len(data), len(got), len(want), n, got[n:min(n+3, len(got))], want[n:min(n+3, len(want))])
	}
}

// TestKeywordDFAMatchesReference holds keywordDFA (case-insensitive, on
// the input as it is) to the automaton it replaced (coregx/ahocorasick on a
// lower-cased copy): the same hits in the same order, on mixed-case
// keyword soup, on part of the standard library's source, and on every
// file of $LEAKGATE_BENCH_CORPUS when it is set.
func TestKeywordDFAMatchesReference(t *testing.T) {
	t.Parallel()
	d, ac := refAutomata(t)
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		var b []byte
		// Up to 30 pieces, or up to 600 to cross splitMin and put
		// keywords across the middle, where scan splits the input.
		for range rnd.IntN([]int{30, 600}[rnd.IntN(2)]) {
			k := d.patterns[rnd.IntN(len(d.patterns))]
			if rnd.IntN(3) == 0 {
				k = k[:rnd.IntN(len(k)+1)]
			}
			if rnd.IntN(2) == 0 {
				k = strings.ToUpper(k)
			}
			b = append(b, k...)
			if rnd.IntN(2) == 0 {
				const sep = " _-=:\n\x00\xffé"
				b = append(b, sep[rnd.IntN(len(sep))])
			}
		}
		checkHits(t, fmt.Sprintf("%q", b), d, ac, b)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	roots := []string{filepath.Join(strings.TrimSpace(string(out)), "src", "net", "http")}
	if c := os.Getenv("LEAKGATE_BENCH_CORPUS"); c != "" && !testing.Short() {
		roots = append(roots, c)
	}
	for _, root := range roots {
		files := 0
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			checkHits(t, p, d, ac, data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d files under %s", files, root)
	}
}

// A keyword with an upper-case letter never matched the lower-cased copy,
// and still never matches.
func TestKeywordDFAUpperCaseKeyword(t *testing.T) {
	t.Parallel()
	a := newKeywordDFA([]string{"Key", "token", ""})
	got := dfaHits(a, []byte("KEY key Key TOKEN"))
	want := []hit{{1, 12, 17}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// FuzzKeywordDFA compares keywordDFA with the automaton it replaced.
func FuzzKeywordDFA(f *testing.F) {
	for _, s := range []string{"", "api_key=SECRET", "AKIA ghp_ GHP_ sk_live_", "-----BEGIN RSA PRIVATE KEY-----"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ac := refAutomata(t)
		checkHits(t, "fuzz input", d, ac, data)
	})
}

// BenchmarkKeywordScan compares keywordDFA with the lower-cased copy and
// coregx/ahocorasick pass it replaced, on every tenth file of
// $LEAKGATE_BENCH_CORPUS (or on generated code).
func BenchmarkKeywordScan(b *testing.B) {
	d, ac := refAutomata(b)
	files, total := benchSample(b, func(i int) string {
		return fmt.Sprintf("\tclient.Config%d = request.Header.Get(%q) // token for the API key\n", i, "X-Value")
	})
	b.Run("dfa", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			for _, f := range files {
				d.kw.scan(f, func(int, int, int) bool { return true })
			}
		}
	})
	b.Run("lower+coregx", func(b *testing.B) {
		b.SetBytes(total)
		var lower []byte
		for b.Loop() {
			for _, f := range files {
				if len(f) == 0 {
					continue
				}
				lower = append(lower[:0], f...)
				toLowerASCII(lower, f)
				ac.FindAllOverlapping(lower)
			}
		}
	})
}

var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// toLowerASCII writes src with ASCII letters lowered into dst (same length).
func toLowerASCII(dst, src []byte) {
	_ = dst[len(src)-1]
	for i, b := range src {
		dst[i] = lowerTable[b]
	}
}
