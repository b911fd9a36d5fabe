package detect

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

func TestWiden(t *testing.T) {
	d := detectorFrom(t, "w.toml", `
[[rules]]
id = "far"
keywords = ["[section]"]
window = 60
regex = '''(?m)^token = (tk_[a-z0-9]{8})$'''

[[rules]]
id = "line"
keywords = ["near"]
regex = '''near (x+)'''
`)
	// Lines of 10 bytes; "[section]" on line 3 (offset 20); "near" on line 6.
	lines := []string{"aaaaaaaaa", "bbbbbbbbb", "[section]", "ccccccccc", "ddddddddd", "near xxxx", "eeeeeeeee", "fffffffff",
		"ggggggggg", "hhhhhhhhh", "iiiiiiiii", "jjjjjjjjj"}
	data := []byte(strings.Join(lines, "\n") + "\n")
	region := func(fromLine, toLine int) leak.Region { // 1-based, inclusive
		return leak.Region{Start: (fromLine - 1) * 10, End: toLine * 10, Line: fromLine}
	}
	for _, tc := range []struct {
		name     string
		in, want []leak.Region
	}{
		// Line 7 is within 60 bytes of the keyword's end (offset 29): back to line 3.
		{"reached", []leak.Region{region(7, 8)}, []leak.Region{region(3, 8)}},
		// Line 11 starts at 100 > 29+60: out of reach; "near" (line 6,
		// within the look-back) has no window and never widens.
		{"out of reach", []leak.Region{region(11, 12)}, []leak.Region{region(11, 12)}},
		// Two regions: the second, widened, overlaps the first: merged.
		{"merged", []leak.Region{region(1, 4), region(6, 7)}, []leak.Region{region(1, 7)}},
		// The keyword inside the first region reaches the second.
		{"from a region", []leak.Region{region(3, 3), region(8, 8)}, []leak.Region{region(3, 8)}},
	} {
		got := d.Widen(data, slices.Clone(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Widen(%v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
	// No rule with a window: regions come back as they are.
	dp := detectorFrom(t, "p.toml", "[[rules]]\nid = \"x\"\nkeywords = [\"section\"]\nregex = '''section'''\n")
	if got := dp.Widen(data, []leak.Region{region(7, 8)}); !slices.Equal(got, []leak.Region{region(7, 8)}) {
		t.Errorf("no windows: %v", got)
	}
}

// widenBenchFiles are Go sources of the toolchain, of the sizes of most
// files in a repository (3 KB to 40 KB), some of them about keys.
var widenBenchFiles = []string{
	"errors/errors.go", "strings/builder.go", "io/pipe.go", "encoding/pem/pem.go", "sort/sort.go",
	"text/tabwriter/tabwriter.go", "crypto/ecdsa/ecdsa.go", "bufio/bufio.go", "os/file.go",
	"fmt/print.go", "encoding/json/decode.go", "net/url/url.go", "crypto/tls/handshake_client.go",
}

// widenRegions returns 5-line regions (a changed line and its context)
// starting at the first line start at or after each multiple of every.
func widenRegions(data []byte, first, every int) []leak.Region {
	var out []leak.Region
	for at := first; at < len(data); at += every {
		start := at
		if at > 0 {
			i := bytes.IndexByte(data[at-1:], '\n')
			if i < 0 {
				break
			}
			start = at + i
		}
		end := start
		for range 5 {
			if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(data)
			}
		}
		if len(out) > 0 && start < out[len(out)-1].End {
			continue
		}
		out = append(out, leak.Region{Start: start, End: end, Line: 1 + bytes.Count(data[:start], []byte{'\n'})})
	}
	return out
}

// BenchmarkWiden runs Widen with the default rules over real Go sources:
// "concat" is the files end to end with a region every 2 KB; "files" is
// each file on its own with one region in its middle, as for a commit
// that changed one place of each.
func BenchmarkWiden(b *testing.B) {
	d, err := New(rules.Default(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("go env GOROOT: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	var files [][]byte
	var all []byte
	for _, f := range widenBenchFiles {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			b.Skip(err)
		}
		files = append(files, data)
		all = append(all, data...)
	}
	b.Run("concat", func(b *testing.B) {
		regions := widenRegions(all, 1024, 2048)
		in := make([]leak.Region, len(regions))
		b.SetBytes(int64(len(all)))
		for b.Loop() {
			copy(in, regions)
			d.Widen(all, in)
		}
	})
	b.Run("files", func(b *testing.B) {
		var regions [][]leak.Region
		total := 0
		for _, f := range files {
			regions = append(regions, widenRegions(f, len(f)/2, len(f)))
			total += len(f)
		}
		in := make([]leak.Region, 1)
		b.SetBytes(int64(total))
		for b.Loop() {
			for i, f := range files {
				in = append(in[:0], regions[i]...)
				d.Widen(f, in)
			}
		}
	})
}

// widenRef is Widen as it was before it had an automaton of its own: the
// full keyword automaton over everything up to the largest window before
// each region, every rule of each hit checked. TestWidenSameAsRef holds
// Widen to its results.
func widenRef(d *Detector, data []byte, regions []leak.Region) []leak.Region {
	reach := d.reach
	if reach == 0 || d.kw == nil || len(regions) == 0 {
		return regions
	}
	out := make([]leak.Region, 0, len(regions))
	seen := 0 // data[:seen] was looked at for earlier regions
	for _, r := range regions {
		lo := max(seen, r.Start-reach)
		if i := bytes.LastIndexByte(data[seen:lo], '\n'); lo > seen {
			lo = seen + i + 1 // from a line start, so that no keyword is cut
		}
		start := r.Start
		if lo < r.Start {
			d.kw.scan(data[lo:r.Start], func(id, hs, he int) bool {
				for _, ri := range d.keywords[id] {
					if w := d.set.Rules[ri].Window; w > 0 && lo+he+w > r.Start && lo+hs < start {
						start = lo + hs
					}
				}
				return true
			})
		}
		seen = max(seen, r.Start)
		if start < r.Start {
			start = bytes.LastIndexByte(data[:start], '\n') + 1
			r.Line -= bytes.Count(data[start:r.Start], []byte{'\n'})
			r.Start = start
		}
		if k := len(out) - 1; k >= 0 && r.Start <= out[k].End {
			out[k].End = max(out[k].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// widenCase is random data with keywords of the detector's rules in it
// (in random case, some cut short), and random regions, some of which
// have a windowed keyword ending right about its window before them.
func widenCase(rnd *rand.Rand, d *Detector, filler string, size int) ([]byte, []leak.Region) {
	var windowed, other []string
	for id, k := range d.patterns {
		w := 0
		for _, ri := range d.keywords[id] {
			w = max(w, d.set.Rules[ri].Window)
		}
		if w > 0 {
			windowed = append(windowed, k)
		} else {
			other = append(other, k)
		}
	}
	word := func() string {
		var k string
		switch n := rnd.IntN(10); {
		case n < 4 && len(windowed) > 0:
			k = windowed[rnd.IntN(len(windowed))]
		case n < 6 && len(other) > 0:
			k = other[rnd.IntN(len(other))]
		default:
			i := rnd.IntN(len(filler))
			return filler[i:min(len(filler), i+1+rnd.IntN(12))]
		}
		b := []byte(k)
		for i := range b {
			if 'a' <= b[i] && b[i] <= 'z' && rnd.IntN(3) == 0 {
				b[i] -= 'a' - 'A'
			}
		}
		// Pieces of keywords: almost keywords, and the two halves of
		// one apart, which an automaton resumed in the wrong state
		// would join.
		switch rnd.IntN(8) {
		case 0:
			b = b[:rnd.IntN(len(b)+1)]
		case 1:
			b = b[rnd.IntN(len(b)+1):]
		}
		return string(b)
	}
	var data []byte
	for len(data) < size {
		data = append(data, word()...)
		if rnd.IntN(4) == 0 {
			data = append(data, "\n\n \t="[rnd.IntN(5)])
		}
	}
	data = data[:size]
	regions := make([]leak.Region, rnd.IntN(7))
	for i := range regions {
		regions[i].Start = rnd.IntN(size + 1)
	}
	slices.SortFunc(regions, func(a, b leak.Region) int { return a.Start - b.Start })
	for i := range regions {
		r := &regions[i]
		r.End = min(size, r.Start+rnd.IntN(3000))
		r.Line = 1 + bytes.Count(data[:r.Start], []byte{'\n'})
		// A windowed keyword whose end is about its window before the region.
		if len(windowed) > 0 && rnd.IntN(2) == 0 {
			k := windowed[rnd.IntN(len(windowed))]
			id := slices.Index(d.patterns, k)
			w := 0
			for _, ri := range d.keywords[id] {
				w = max(w, d.set.Rules[ri].Window)
			}
			if at := r.Start - w + rnd.IntN(7) - 3 - len(k); at >= 0 && at+len(k) <= size {
				copy(data[at:], k)
			}
		}
	}
	return data, regions
}

func TestWidenSameAsRef(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	rnd := rand.New(rand.NewPCG(7, 11))
	check := func(t *testing.T, d *Detector, data []byte, regions []leak.Region) {
		t.Helper()
		want := widenRef(d, data, slices.Clone(regions))
		got := d.Widen(data, slices.Clone(regions))
		if !slices.Equal(got, want) {
			t.Fatalf("Widen(%d bytes, %v) = %v, want %v\ndata: %q", len(data), regions, got, want, data)
		}
	}
	t.Run("default", func(t *testing.T) {
		d, err := New(rules.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		const filler = "func (d *Detector) scan(data []byte) error {\n\treturn nil\n}\n// the key and the token\n"
		for i := range n {
			size := rnd.IntN(40000)
			if i%4 == 0 {
				size = rnd.IntN(3000)
			}
			data, regions := widenCase(rnd, d, filler, size)
			check(t, d, data, regions)
		}
	})
	// Small random rule sets over a small alphabet, so that keywords are
	// everywhere: short and long ones, some with a newline in them, and
	// windows around the ones of the default rules.
	t.Run("random rules", func(t *testing.T) {
		const alphabet = "ab-\n"
		for range n / 4 {
			// Rules share keywords, with different windows.
			pool := make([]string, 1+rnd.IntN(8))
			for i := range pool {
				b := make([]byte, 3+rnd.IntN(20))
				for j := range b {
					b[j] = alphabet[rnd.IntN(len(alphabet)-1)]
					if rnd.IntN(40) == 0 {
						b[j] = '\n'
					}
				}
				pool[i] = string(b)
			}
			var toml strings.Builder
			for i := range 1 + rnd.IntN(6) {
				fmt.Fprintf(&toml, "[[rules]]\nid = \"rule-%d\"\nregex = '''zz'''\n", i)
				if w := []int{0, 0, 3, 40, 300, 768, 2048, 4096, 9000}[rnd.IntN(9)]; w > 0 {
					fmt.Fprintf(&toml, "window = %d\n", w)
				}
				var kws []string
				for range rnd.IntN(4) {
					if k := pool[rnd.IntN(len(pool))]; !slices.Contains(kws, k) {
						kws = append(kws, k)
					}
				}
				if len(kws) > 0 {
					fmt.Fprintf(&toml, "keywords = [")
					for j, k := range kws {
						if j > 0 {
							toml.WriteString(", ")
						}
						toml.WriteString(strconv.Quote(k))
					}
					toml.WriteString("]\n")
				}
			}
			d := detectorFrom(t, "random.toml", toml.String())
			for range 8 {
				data, regions := widenCase(rnd, d, alphabet, rnd.IntN(20000))
				check(t, d, data, regions)
			}
		}
	})
}

// TestWidenSampledGap checks that the automaton run around a sample does
// not go on in the state it was left in by the run around an earlier
// sample, after a gap: the first half of a keyword that ends one run,
// and the second half that starts the next, are no keyword.
func TestWidenSampledGap(t *testing.T) {
	d := detectorFrom(t, "gap.toml", `
[[rules]]
id = "far"
keywords = ["0123456789abcdef"]
window = 5000
regex = '''0123456789abcdef(x+)'''
`)
	if w := d.widen; w == nil || len(w.zones) != 1 || w.zones[0].step != 13 || w.near != 0 {
		t.Fatalf("want one sampled zone, step 13, reaching the region: %+v", w)
	}
	data := bytes.Repeat([]byte{'x'}, 6000)
	region := leak.Region{Start: 5900, End: 6000, Line: 1}
	// The samples are at a, a+13, ...; the run around one at p reads
	// data[p-12 : p+16].
	a := region.Start - 5000 - 15
	p1 := a + 13*10
	copy(data[p1:], "cdef")        // a sample on a piece of the keyword
	copy(data[p1+8:], "01234567")  // the first half, at the end of the run
	p2 := p1 + 13*5                // the next sample on a piece, after a gap
	copy(data[p2-12:], "89abcdef") // the second half, at the start of its run
	copy(data[p2:], "cdef")
	want := []leak.Region{region}
	if got := widenRef(d, data, slices.Clone(want)); !slices.Equal(got, want) {
		t.Fatalf("the reference widens %v to %v", want, got)
	}
	if got := d.Widen(data, slices.Clone(want)); !slices.Equal(got, want) {
		t.Errorf("Widen(%v) = %v: a keyword made of two runs' halves", want, got)
	}
}

// detectorFrom builds a detector from a TOML rule set.
func detectorFrom(t *testing.T, name, toml string) *Detector {
	t.Helper()
	set, err := rules.ParseRules(name, []byte(toml))
	if err != nil {
		t.Fatalf("%v\n%s", err, toml)
	}
	d, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestScreenKeywords checks the keywords the screen of a git scan asks
// for against those WindowHits finds in the whole data: WindowHitsAcross,
// which passes over most places by their 4-byte pieces, against those
// that start before a place and end after it, at every place; and
// MayFindHits, against all of them (and MayFind). The data is dense with
// keywords, in random case and cut short; the rules are the default ones
// and random sets (some with keywords shorter than 4 bytes, which are
// never passed over).
func TestScreenKeywords(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 5))
	check := func(t *testing.T, d *Detector, data []byte) {
		t.Helper()
		var all, also []windowHitRef
		d.WindowHits(data, 0, len(data), func(s, e, w int) { all = append(all, windowHitRef{s, e, w}) })
		found := d.MayFindHits(data, func(s, e, w int) { also = append(also, windowHitRef{s, e, w}) })
		slices.SortFunc(all, compareHitRef)
		slices.SortFunc(also, compareHitRef)
		if !slices.Equal(also, all) || found != d.MayFind(data) {
			t.Fatalf("MayFindHits = %v, %v; want %v, %v\ndata: %q", found, also, d.MayFind(data), all, data)
		}
		for at := 0; at <= len(data); at++ {
			var want, got []windowHitRef
			for _, h := range all {
				if h.start < at && h.end > at {
					want = append(want, h)
				}
			}
			d.WindowHitsAcross(data, at, func(s, e, w int) { got = append(got, windowHitRef{s, e, w}) })
			slices.SortFunc(got, compareHitRef)
			slices.SortFunc(want, compareHitRef)
			if !slices.Equal(got, want) {
				t.Fatalf("WindowHitsAcross(at %d) = %v, want %v\ndata: %q", at, got, want, data)
			}
		}
	}
	t.Run("default", func(t *testing.T) {
		d, err := New(rules.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		const filler = "func (d *Detector) scan(data []byte) error {\n\treturn nil\n}\n// the key and the token\n"
		for range 200 {
			data, _ := widenCase(rnd, d, filler, rnd.IntN(3000))
			check(t, d, data)
		}
		// Keywords in what is decoded from the data are not the data's.
		for range 20 {
			data, _ := widenCase(rnd, d, filler, rnd.IntN(3000))
			check(t, d, []byte("value: "+base64.StdEncoding.EncodeToString(data)+"\n"))
		}
	})
	t.Run("random rules", func(t *testing.T) {
		const alphabet = "ab-\n"
		for range 100 {
			var toml strings.Builder
			for i := range 1 + rnd.IntN(4) {
				fmt.Fprintf(&toml, "[[rules]]\nid = \"rule-%d\"\nregex = '''zz'''\nwindow = %d\nkeywords = [", i, 1+rnd.IntN(5000))
				for j := range 1 + rnd.IntN(3) {
					b := make([]byte, 2+rnd.IntN(10))
					for k := range b {
						b[k] = "ab-"[rnd.IntN(3)]
					}
					if j > 0 {
						toml.WriteString(", ")
					}
					toml.WriteString(strconv.Quote(string(b)))
				}
				toml.WriteString("]\n")
			}
			d := detectorFrom(t, "random.toml", toml.String())
			for range 4 {
				data, _ := widenCase(rnd, d, alphabet, rnd.IntN(2000))
				check(t, d, data)
			}
		}
	})
}

type windowHitRef struct{ start, end, window int }

func compareHitRef(a, b windowHitRef) int {
	return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end), cmp.Compare(a.window, b.window))
}
