package detect

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/rules"
)

// maxKeywordHitsPerMB bounds how often a built-in rule's keyword may occur
// in ordinary code. Every hit costs a regex run over a line, so a keyword
// such as ":" or "ac" would make the prefilter useless.
const maxKeywordHitsPerMB = 500

// TestKeywordsAreSelective checks the built-in keywords against real code
// that every Go installation has: part of the standard library's source.
func TestKeywordsAreSelective(t *testing.T) {
	t.Parallel()
	d, err := New(rules.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.set.Rules {
		for _, k := range r.Keywords {
			if len(k) < 3 {
				t.Errorf("rule %s: keyword %q is shorter than 3 bytes", r.ID, k)
			}
		}
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	var total int
	hits := map[string]int{}
	for _, pkg := range []string{"net/http", "crypto", "encoding", "go/types", "runtime"} {
		root := filepath.Join(goroot, "src", pkg)
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil || len(data) == 0 {
				return err
			}
			total += len(data)
			d.kw.scan(data, func(id, _, _ int) bool {
				hits[d.patterns[id]]++
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("reading the standard library's source: %v", err)
		}
	}
	if total < 1<<20 {
		t.Fatalf("only %d bytes of standard library source found under %s", total, goroot)
	}
	mb := float64(total) / (1 << 20)
	var bad []string
	for k, n := range hits {
		if rate := float64(n) / mb; rate > maxKeywordHitsPerMB {
			var users []string
			for _, ri := range d.keywords[d.keywordID(k)] {
				users = append(users, d.set.Rules[ri].ID)
			}
			bad = append(bad, k+" ("+strings.Join(users, ", ")+")")
			t.Logf("keyword %q: %.0f hits per MB", k, rate)
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("keyword %s hits more than %d times per MB of ordinary code", b, maxKeywordHitsPerMB)
	}
}

// keywordID returns the automaton's pattern id of a keyword, or -1.
func (d *Detector) keywordID(k string) int {
	for id, kw := range d.patterns {
		if kw == k {
			return id
		}
	}
	return -1
}
