package scan

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/source"
)

// Scanning only what each commit changed finds the same secrets at the
// same paths as scanning every line of every version (--all-lines), each
// credited to the same first commit, on random histories of edits; the
// findings it drops are copies in later versions. With a cache, cold and
// warm runs agree with it.
func TestChangedLinesDifferential(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	nAll, nChanged := 0, 0
	var changedAll []leak.Finding
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 99))
		tokens := make([]string, 5)
		for i := range tokens {
			b := []byte("AKIA")
			for range 16 {
				b = append(b, alphabet[rng.IntN(len(alphabet))])
			}
			tokens[i] = string(b)
		}
		dir := t.TempDir()
		tick := 0
		git := func(args ...string) {
			t.Helper()
			cmd := exec.Command("git", args...)
			cmd.Dir = dir
			date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(tick) * time.Hour).Format(time.RFC3339)
			cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
				"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com",
				"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		git("-c", "init.defaultBranch=main", "init", "-q")
		files := map[string][]string{}
		for c := range 30 {
			name := fmt.Sprintf("f%d.txt", rng.IntN(4))
			ls := files[name]
			for range 1 + rng.IntN(3) {
				switch k := rng.IntN(5); {
				case k <= 1 || len(ls) == 0: // insert filler or a secret
					line := fmt.Sprintf("filler %d", rng.IntN(40))
					switch rng.IntN(5) {
					case 0:
						line = fmt.Sprintf("key%d = %s", rng.IntN(3), tokens[rng.IntN(len(tokens))])
					case 1: // a rule whose keyword is the file's first line
						line = fmt.Sprintf("far = ft_%s", strings.ToLower(tokens[rng.IntN(len(tokens))][4:14]))
					}
					ls = slices.Insert(ls, rng.IntN(len(ls)+1), line)
				case k == 2: // delete
					i := rng.IntN(len(ls))
					ls = slices.Delete(ls, i, i+1)
				default: // replace
					ls[rng.IntN(len(ls))] = fmt.Sprintf("changed %d", rng.IntN(40))
				}
			}
			files[name] = ls
			text := "[vault]\n" + strings.Join(ls, "\n") + "\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			tick++
			git("add", "-A")
			git("commit", "-q", "--allow-empty", "-m", fmt.Sprint("c", c))
		}

		run := func(all bool, cache *Cache) []leak.Finding {
			t.Helper()
			g := &source.Git{Dir: dir, AllLines: all}
			if cache != nil {
				g.Known, g.Skip = cache.Known, cache.Skip
			}
			res, err := Run(context.Background(), Config{Source: g, Detector: windowDetector(t), Cache: cache})
			if err != nil || !res.Summary.Complete {
				t.Fatalf("seed %d: %v %+v", seed, err, res)
			}
			return res.Findings
		}
		type key struct{ rule, path, fp string }
		first := func(fs []leak.Finding) map[key]time.Time {
			m := map[key]time.Time{}
			for _, f := range fs {
				k := key{f.RuleID, f.Origin.Path, f.Fingerprint}
				if t0, ok := m[k]; !ok || f.Origin.Time.Before(t0) {
					m[k] = f.Origin.Time
				}
			}
			return m
		}
		all := run(true, nil)
		changed := run(false, nil)
		nAll += len(all)
		nChanged += len(changed)
		changedAll = append(changedAll, changed...)
		if len(all) == 0 {
			t.Fatalf("seed %d: no secrets planted", seed)
		}
		fa, fc := first(all), first(changed)
		if !maps.Equal(fa, fc) {
			t.Errorf("seed %d: secrets and first commits differ:\nall lines %v\nchanged   %v", seed, fa, fc)
		}
		type at struct {
			k    key
			when time.Time
			line int
		}
		inAll := map[at]bool{}
		for _, f := range all {
			inAll[at{key{f.RuleID, f.Origin.Path, f.Fingerprint}, f.Origin.Time, f.Origin.Line}] = true
		}
		for _, f := range changed {
			if !inAll[at{key{f.RuleID, f.Origin.Path, f.Fingerprint}, f.Origin.Time, f.Origin.Line}] {
				t.Errorf("seed %d: %s:%d at %v is not an --all-lines finding", seed, f.Origin.Path, f.Origin.Line, f.Origin.Time)
			}
		}
		cachePath := filepath.Join(t.TempDir(), "cache")
		for round := range 2 {
			c, err := OpenCache(cachePath, "v", windowDetector(t).Rules())
			if err != nil {
				t.Fatal(err)
			}
			got := run(false, c)
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(places(got)) != fmt.Sprint(places(changed)) {
				t.Errorf("seed %d, cache round %d: %v\nwithout cache: %v", seed, round, places(got), places(changed))
			}
		}
	}
	if far := nFar(changedAll); far == 0 {
		t.Error("no finding of the rule with a window: the histories did not test it")
	}
	if nChanged >= nAll {
		t.Errorf("%d findings, as many as with --all-lines (%d): later versions still report old secrets", nChanged, nAll)
	}
}

// windowDetector has an AWS-style rule and one whose keyword, "[vault]",
// is lines above its secrets (a window).
func windowDetector(t *testing.T) *detect.Detector {
	t.Helper()
	return detectorFor(t, `
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''

[[rules]]
id = "far"
keywords = ["[vault]"]
window = 16384
regex = '''(?m)^far = (ft_[a-z2-7]{10})$'''
`)
}

func nFar(fs []leak.Finding) int {
	n := 0
	for _, f := range fs {
		if f.RuleID == "far" {
			n++
		}
	}
	return n
}
