package scan

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/source"
)

// pathDetector has one rule for every path and one for .env files only.
func pathDetector(t *testing.T) *detect.Detector {
	t.Helper()
	return detectorFor(t, `
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''

[[rules]]
id = "aws-in-env"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''
paths = ['''\.env$''']
`)
}

type place struct {
	Rule, Path, Commit string
	Line, Column       int
	Fingerprint        string
}

func places(fs []leak.Finding) []place {
	var out []place
	for _, f := range fs {
		out = append(out, place{f.RuleID, f.Origin.Path, f.Origin.Commit, f.Origin.Line, f.Origin.Column, f.Fingerprint})
	}
	return out
}

func blobChunk() leak.Chunk {
	return leak.Chunk{
		Data:   []byte("first line\nkey = " + key + "\n"),
		Blob:   "1111111111111111111111111111111111111111",
		Origin: leak.Origin{Path: "a.txt", Commit: "c1", Author: "Ada", Line: 1, Column: 1},
		Also: []leak.Origin{
			{Path: "b.txt", Commit: "c2", Author: "Bo"},
			{Path: "conf/c.env", Commit: "c3", Author: "Cy"},
		},
	}
}

func TestRunReportsEveryPlace(t *testing.T) {
	t.Parallel()
	src := &fakeSource{items: []item{{chunk: blobChunk()}}}
	res, err := Run(context.Background(), Config{Source: src, Detector: pathDetector(t)})
	if err != nil {
		t.Fatal(err)
	}
	fp := leak.Fingerprint("aws", key)
	want := []place{
		{"aws", "a.txt", "c1", 2, 7, fp},
		{"aws", "b.txt", "c2", 2, 7, fp},
		{"aws", "conf/c.env", "c3", 2, 7, fp},
		{"aws-in-env", "conf/c.env", "c3", 2, 7, leak.Fingerprint("aws-in-env", key)},
	}
	if diff := cmp.Diff(want, places(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Findings[1].Origin.Author != "Bo" || res.Findings[1].Offset != 17 {
		t.Errorf("replicated finding %+v", res.Findings[1])
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	det := pathDetector(t)
	file := filepath.Join(t.TempDir(), "cache")
	c, err := OpenCache(file, "v1", det.Rules())
	if err != nil || c.Reset != "" || c.Len() != 0 {
		t.Fatalf("new cache: %v, %q, %d", err, c.Reset, c.Len())
	}
	ch := blobChunk()
	clean := leak.Chunk{Data: []byte("nothing\n"), Blob: "2222222222222222222222222222222222222222", Origin: leak.Origin{Path: "x.txt", Commit: "c1"}}
	src := &fakeSource{items: []item{{chunk: ch}, {chunk: clean}}}
	first, err := Run(context.Background(), Config{Source: src, Detector: det, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	c.Skip("3333333333333333333333333333333333333333")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, %v", fi, err)
	}

	c, err = OpenCache(file, "v1", det.Rules())
	if err != nil || c.Reset != "" || c.Len() != 3 {
		t.Fatalf("reopened cache: %v, %q, %d", err, c.Reset, c.Len())
	}
	all := append([]leak.Origin{ch.Origin}, ch.Also...)
	for _, tc := range []struct {
		blob   string
		places []leak.Origin
		want   bool
	}{
		{ch.Blob, all, true},
		{ch.Blob, []leak.Origin{{Path: "other/place.txt"}}, true},    // same path class as a.txt
		{ch.Blob, []leak.Origin{{Path: "other/place.env"}}, true},    // same class as conf/c.env
		{clean.Blob, []leak.Origin{{Path: "y.txt"}}, true},           // clean, same class
		{clean.Blob, []leak.Origin{{Path: "y.env"}}, false},          // a class never scanned
		{"3333333333333333333333333333333333333333", nil, true},      // skipped: binary
		{"4444444444444444444444444444444444444444", all[:1], false}, // new
	} {
		if got := c.Known(tc.blob, tc.places); got != tc.want {
			t.Errorf("Known(%s, %v) = %v", tc.blob[:4], tc.places, got)
		}
	}

	// A second run yields known chunks only: same findings, nothing read.
	known := ch
	known.Data = nil
	src = &fakeSource{items: []item{{chunk: known}, {chunk: leak.Chunk{Blob: clean.Blob, Origin: clean.Origin}}}}
	second, err := Run(context.Background(), Config{Source: src, Detector: det, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.Findings, second.Findings, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b leak.Secret) bool { return a.Reveal() == b.Reveal() })); diff != "" {
		t.Errorf("cached findings (-first +second):\n%s", diff)
	}

	// Another rule set (or other options): the cache starts afresh.
	c, err = OpenCache(file, "v2", det.Rules())
	if err != nil || c.Reset == "" || c.Len() != 0 {
		t.Fatalf("cache of another version: %v, %q, %d", err, c.Reset, c.Len())
	}
	// A damaged file too.
	os.WriteFile(file, []byte(cacheMagic+" v1\nnot a line\n"), 0o600)
	c, err = OpenCache(file, "v1", det.Rules())
	if err != nil || c.Reset == "" || c.Len() != 0 {
		t.Fatalf("damaged cache: %v, %q, %d", err, c.Reset, c.Len())
	}
}

// A blob the cache knows, found at a path of a class it does not know, is
// read and scanned again: its findings at the classes the cache knew are
// replaced, not added a second time (the file grew with every such scan).
// Three rounds, each recording the blob anew.
func TestCacheRescanReplaces(t *testing.T) {
	t.Parallel()
	det := pathDetector(t)
	file := filepath.Join(t.TempDir(), "cache")
	ch := blobChunk()
	ch.Also = nil // a.txt only
	for round := range 3 {
		c, err := OpenCache(file, "v1", det.Rules())
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 {
			// A place of a class the cache does not know: scanned again.
			ch.Also = []leak.Origin{{Path: "conf/c.env", Commit: "c2"}}
			if c.Known(ch.Blob, append([]leak.Origin{ch.Origin}, ch.Also...)) {
				t.Fatal("a blob at a path of a new class is known")
			}
		}
		if _, err := Run(context.Background(), Config{Source: &fakeSource{items: []item{{chunk: ch}}}, Detector: det, Cache: c}); err != nil {
			t.Fatal(err)
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		// Every round records the blob again. a.txt: rule aws; a .env
		// path (from round 1): aws and aws-in-env.
		want := map[string]int{"a.txt": 1}
		if round > 0 {
			want["conf/c.env"] = 2
		}
		for path, n := range want {
			if got := len(c.replay(leak.Chunk{Blob: ch.Blob, Origin: leak.Origin{Path: path}})); got != n {
				t.Errorf("round %d: %s replays %d findings, want %d", round, path, got, n)
			}
		}
	}
}

// savedCache writes a cache of blobChunk, a clean blob and a binary one to
// a file, and returns the file's name and content.
func savedCache(t *testing.T) (string, []byte) {
	t.Helper()
	det := pathDetector(t)
	file := filepath.Join(t.TempDir(), "cache")
	c, err := OpenCache(file, "v1", det.Rules())
	if err != nil {
		t.Fatal(err)
	}
	clean := leak.Chunk{Data: []byte("nothing\n"), Blob: "2222222222222222222222222222222222222222", Origin: leak.Origin{Path: "x.txt", Commit: "c1"}}
	if _, err := Run(context.Background(), Config{Source: &fakeSource{items: []item{{chunk: blobChunk()}, {chunk: clean}}}, Detector: det, Cache: c}); err != nil {
		t.Fatal(err)
	}
	c.Skip("3333333333333333333333333333333333333333")
	c.Repo = "/srv/one"
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, data
}

// A cache cut short at any byte, or with any line changed, is started
// afresh: never read as a cache that knows a blob without its findings.
func TestCacheDamaged(t *testing.T) {
	t.Parallel()
	file, data := savedCache(t)
	det := pathDetector(t)
	open := func() *Cache {
		t.Helper()
		c, err := OpenCache(file, "v1", det.Rules())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := open(); c.Reset != "" || c.Len() != 3 {
		t.Fatalf("whole cache: %q, %d blobs", c.Reset, c.Len())
	}
	header := bytes.IndexByte(data, '\n') + 1
	for n := header; n < len(data); n++ {
		os.WriteFile(file, data[:n], 0o600)
		if c := open(); c.Reset == "" || c.Len() != 0 {
			t.Errorf("cut at %d of %d bytes: reset %q, %d blobs", n, len(data), c.Reset, c.Len())
		}
	}
	for n := 1; n < header; n++ { // cut in its first line: still a cache
		os.WriteFile(file, data[:n], 0o600)
		if c := open(); c.Reset == "" || c.Len() != 0 {
			t.Errorf("cut at %d of %d bytes: reset %q, %d blobs", n, len(data), c.Reset, c.Len())
		}
	}
	os.WriteFile(file, append(slices.Clip(data), "more\n"...), 0o600)
	if c := open(); !strings.Contains(c.Reset, "more after its end") || c.Len() != 0 {
		t.Errorf("more after the end line: reset %q, %d blobs", c.Reset, c.Len())
	}
	// A findings line cut before its findings (the line count unchanged).
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if f := strings.SplitN(l, " ", 3); len(f) == 3 && strings.HasPrefix(f[2], "[") {
			lines[i] = f[0] + " " + f[1]
		}
	}
	os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600)
	if c := open(); !strings.Contains(c.Reset, "damaged") || c.Len() != 0 {
		t.Errorf("findings cut from a line: reset %q, %d blobs", c.Reset, c.Len())
	}
}

// A file that is not a cache is refused, not overwritten; an empty one
// is a new cache.
func TestCacheNotACache(t *testing.T) {
	t.Parallel()
	det := pathDetector(t)
	file := filepath.Join(t.TempDir(), "go.mod")
	os.WriteFile(file, []byte("module example.com/x\n"), 0o644)
	if _, err := OpenCache(file, "v1", det.Rules()); !errors.Is(err, ErrNotCache) {
		t.Errorf("OpenCache(go.mod) = %v, want ErrNotCache", err)
	}
	os.WriteFile(file, nil, 0o644)
	if c, err := OpenCache(file, "v1", det.Rules()); err != nil || c.Reset != "" {
		t.Errorf("OpenCache(empty file) = %v, %q", err, c.Reset)
	}
	if _, err := OpenCache(t.TempDir(), "v1", det.Rules()); err == nil {
		t.Error("OpenCache(a directory) succeeded")
	}
}

// Prune drops the blobs a scan did not use, unless another repository
// used the cache too.
func TestCachePrune(t *testing.T) {
	t.Parallel()
	det := pathDetector(t)
	open := func(file, repo string) *Cache {
		t.Helper()
		c, err := OpenCache(file, "v1", det.Rules())
		if err != nil || c.Reset != "" {
			t.Fatalf("%v, %q", err, c.Reset)
		}
		c.Repo = repo
		return c
	}
	save := func(c *Cache) {
		t.Helper()
		c.dirty = true
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
	}
	const clean = "2222222222222222222222222222222222222222"
	// Used by /srv/one only: pruned.
	file, _ := savedCache(t) // for /srv/one
	c := open(file, "/srv/one")
	if !c.Known(clean, []leak.Origin{{Path: "x.txt"}}) {
		t.Fatal("clean blob not known")
	}
	c.Prune()
	save(c)
	if c := open(file, "/srv/one"); c.Len() != 1 {
		t.Errorf("after Prune: %d blobs, want 1", c.Len())
	}
	// Used by another repository too (a path with quotes and spaces): never pruned, whoever scans next.
	file, _ = savedCache(t)
	c = open(file, "/srv/o \"th\" er")
	c.Prune()
	save(c)
	for _, repo := range []string{"/srv/one", "/srv/one", "/srv/o \"th\" er"} {
		c = open(file, repo)
		c.Known(clean, []leak.Origin{{Path: "x.txt"}})
		c.Prune()
		save(c)
		if c := open(file, repo); c.Len() != 3 {
			t.Errorf("shared cache pruned by %s: %d blobs, want 3", repo, c.Len())
		}
	}
}

// A cache behind a chain of symbolic links, the last one dangling, is
// written at the chain's end.
func TestCacheSymlinkChain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, "b"), 0o755)
	os.Symlink("a/link2", filepath.Join(dir, "link1"))
	os.Symlink("../b/target", filepath.Join(dir, "a", "link2"))
	c, err := OpenCache(filepath.Join(dir, "link1"), "v1", pathDetector(t).Rules())
	if err != nil {
		t.Fatal(err)
	}
	c.Skip("3333333333333333333333333333333333333333")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "a", "link2")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("a/link2 is no longer a link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "target")); err != nil {
		t.Errorf("the chain's target was not written: %v", err)
	}
}

// cancelingSource cancels the scan after its first chunk, in the middle of
// a blob.
type cancelingSource struct {
	fakeSource
	cancel func()
}

func (s *cancelingSource) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		for i, it := range s.items {
			if ctx.Err() != nil {
				return
			}
			if !yield(it.chunk, it.err) {
				return
			}
			if i == 0 {
				s.cancel()
			}
		}
	}
}

func TestCacheForgetsPartialBlob(t *testing.T) {
	t.Parallel()
	det := pathDetector(t)
	c, _ := OpenCache(filepath.Join(t.TempDir(), "cache"), "v1", det.Rules())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	part1 := leak.Chunk{Data: []byte("part one\n"), Blob: "5555555555555555555555555555555555555555", Origin: leak.Origin{Path: "big.txt"}}
	part2 := part1
	part2.Data, part2.Offset = []byte("key = "+key+"\n"), 9
	src := &cancelingSource{fakeSource: fakeSource{items: []item{{chunk: part1}, {chunk: part2}}}, cancel: cancel}
	res, err := Run(ctx, Config{Source: src, Detector: det, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Summary.Canceled || res.Summary.Complete {
		t.Errorf("summary %+v", res.Summary)
	}
	if c.Known(part1.Blob, []leak.Origin{part1.Origin}) {
		t.Error("a blob cut short by cancellation is in the cache")
	}
}

// TestRunGitCanceled scans a real repository with a canceled context: the
// git processes stop and the report is partial.
func TestRunGitCanceled(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com",
			"GIT_AUTHOR_DATE=2020-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2020-01-01T00:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("-c", "init.defaultBranch=main", "init", "-q")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("key = "+key+"\n"), 0o644)
	run("add", "-A")
	run("commit", "-q", "-m", "one")

	res, err := Run(context.Background(), Config{Source: &source.Git{Dir: dir}, Detector: testDetector(t)})
	if err != nil || len(res.Findings) != 1 || !res.Summary.Complete || res.Findings[0].Origin.Commit == "" {
		t.Fatalf("full scan: %v, %+v", err, res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = Run(ctx, Config{Source: &source.Git{Dir: dir}, Detector: testDetector(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Summary.Canceled || res.Summary.Complete {
		t.Errorf("canceled scan summary %+v", res.Summary)
	}
}
