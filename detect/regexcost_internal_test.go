package detect

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
)

// BenchmarkRegexCost attributes the time spent in rule regexes to rules:
// over the text files of $LEAKGATE_BENCH_CORPUS (undecoded layer only), it
// collects each chunk's windows as the detector does and times every
// regex call, then logs the rules whose regexes cost most, with the bytes
// they searched and the matches they found.
//
//	LEAKGATE_BENCH_CORPUS=/tmp/leakgate-bench/corpus/half \
//	  go test ./detect -run '^$' -bench RegexCost -benchtime 1x
func BenchmarkRegexCost(b *testing.B) {
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" {
		b.Skip("LEAKGATE_BENCH_CORPUS is not set (bench/corpus.sh builds a corpus)")
	}
	d, err := New(rules.Default(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	type file struct {
		path string
		data []byte
	}
	var files []file
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > source.DefaultMaxFileSize || source.IsBinary(data) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, file{filepath.ToSlash(rel), data})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range d.set.Rules {
		r.Compiled()
		r.AnchoredRegex()
	}
	type cost struct {
		t             time.Duration
		calls, bytes  int
		found         int
		passed, match int
	}
	costs := make([]cost, len(d.set.Rules))
	for b.Loop() {
		clear(costs)
		for _, f := range files {
			path := &pathRules{path: f.path}
			var wins, anchors []window
			d.kw.scan(f.data, func(id, hs, he int) bool {
				for _, ri := range d.keywords[id] {
					if !path.ok(d, ri) {
						continue
					}
					w := d.windowFor(ri, f.data, hs, he)
					if d.set.Rules[ri].Anchor != "" {
						anchors = append(anchors, w)
					} else {
						wins = append(wins, w)
					}
				}
				return true
			})
			for _, ri := range d.noKw {
				if path.ok(d, ri) {
					wins = append(wins, window{ri, 0, len(f.data)})
				}
			}
			if len(wins) > 0 {
				for _, w := range mergeWindows(wins) {
					c := &costs[w.rule]
					if d.check(w.rule).ok(f.data[w.start:w.end]) {
						c.passed++
						if d.set.Rules[w.rule].Compiled().Match(f.data[w.start:w.end]) {
							c.match++
						}
					}
					t0 := time.Now()
					n := len(d.runWindows(f.data, []window{w}, nil))
					c.t += time.Since(t0)
					c.calls++
					c.bytes += w.end - w.start
					c.found += n
				}
			}
			if len(anchors) > 0 {
				// runAnchored skips starts inside earlier matches of the
				// same rule: run each rule's windows together.
				mergeAnchors := slices.Clone(anchors)
				slices.SortFunc(mergeAnchors, func(a, b window) int { return a.rule - b.rule })
				for i := 0; i < len(mergeAnchors); {
					j := i
					for j < len(mergeAnchors) && mergeAnchors[j].rule == mergeAnchors[i].rule {
						j++
					}
					c := &costs[mergeAnchors[i].rule]
					for _, w := range mergeAnchors[i:j] {
						if d.check(w.rule).ok(f.data[max(w.start-1, 0):w.end]) {
							c.passed++
							if d.set.Rules[w.rule].AnchoredRegex().Match(f.data[w.start:w.end]) {
								c.match++
							}
						}
					}
					t0 := time.Now()
					n := len(d.runAnchored(f.data, mergeAnchors[i:j], nil))
					c.t += time.Since(t0)
					c.calls += j - i
					c.found += n
					i = j
				}
			}
		}
	}
	idx := make([]int, len(costs))
	var sum time.Duration
	for i := range idx {
		idx[i] = i
		sum += costs[i].t
	}
	slices.SortFunc(idx, func(a, b int) int { return int(costs[b].t - costs[a].t) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d files; time in rule regexes (and their filters): %v\n", len(files), sum.Round(time.Millisecond))
	for k, i := range idx[:min(30, len(idx))] {
		c := costs[i]
		r := d.set.Rules[i]
		fmt.Fprintf(&sb, "%3d. %-40s %-7s %8v %5.1f%% calls %7d bytes %10d found %d passed %d matched %d min %d\n", k+1, r.ID, r.Anchor,
			c.t.Round(time.Millisecond), 100*c.t.Seconds()/sum.Seconds(), c.calls, c.bytes, c.found, c.passed, c.match, d.check(i).min)
	}
	fmt.Print(sb.String())
}
