package source

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
)

// testRepo builds a git repository with fixed identities and dates, so
// that commit hashes are the same on every run.
type testRepo struct {
	t    *testing.T
	dir  string
	tick int
}

func gitTestEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com",
	)
}

func newTestRepo(t *testing.T, args ...string) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git(append([]string{"-c", "init.defaultBranch=main", "init", "-q"}, args...)...)
	return r
}

// git runs git in the repository and returns its trimmed output.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return gitIn(r.t, r.dir, r.tick, args...)
}

func gitIn(t *testing.T, dir string, tick int, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(tick) * time.Hour).Format(time.RFC3339)
	cmd.Env = append(gitTestEnv(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits; it returns the commit hash.
func (r *testRepo) commit(msg string) string {
	r.t.Helper()
	r.tick++
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func (r *testRepo) blob(content string) string {
	r.t.Helper()
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// gotBlob is what a scan yielded for one blob.
type gotBlob struct {
	Data   string
	Places []string // "path@commit" (commit "" for staged)
	Known  bool
	// Scanned is what Narrow said to scan (the regions joined by "|"),
	// or all of Data when the chunk had no Narrow.
	Scanned string
	// Kept reports, for the span of each of Data's lines, whether a
	// finding there would be kept.
	Kept []bool
}

// keptLines returns the 1-based numbers of the lines where a finding
// would be kept.
func (b *gotBlob) keptLines() []int {
	var out []int
	for i, k := range b.Kept {
		if k {
			out = append(out, i+1)
		}
	}
	return out
}

type gitResult struct {
	blobs  map[string]*gotBlob
	bases  []string // contents read only as parents
	errs   []error
	fatal  error
	source *Git
}

func scanGit(t *testing.T, g *Git) gitResult {
	t.Helper()
	return scanGitCtx(context.Background(), t, g)
}

func scanGitCtx(ctx context.Context, t *testing.T, g *Git) gitResult {
	t.Helper()
	res := gitResult{blobs: map[string]*gotBlob{}, source: g}
	for c, err := range g.Chunks(ctx) {
		if err != nil {
			if errors.Is(err, ErrFatal) {
				res.fatal = err
			} else {
				res.errs = append(res.errs, err)
			}
			continue
		}
		// A consumer calls Narrow once per chunk, in order.
		var regions []leak.Region
		var keep func(start, end int) bool
		if c.Narrow != nil {
			regions, keep = c.Narrow()
		} else {
			regions = []leak.Region{{Start: 0, End: len(c.Data), Line: 1}}
		}
		if c.Blob == "" {
			if c.Narrow == nil || regions != nil {
				t.Fatalf("git chunk without blob id: %+v", c)
			}
			res.bases = append(res.bases, string(c.Data))
			continue
		}
		b := res.blobs[c.Blob]
		if b == nil {
			b = &gotBlob{Known: c.Data == nil}
			for _, o := range append([]leak.Origin{c.Origin}, c.Also...) {
				b.Places = append(b.Places, o.Path+"@"+o.Commit)
			}
			res.blobs[c.Blob] = b
		}
		b.Data += string(c.Data)
		var scanned []string
		for _, r := range regions {
			scanned = append(scanned, string(c.Data[r.Start:r.End]))
		}
		b.Scanned = strings.Join(scanned, "|")
		for off := 0; off < len(c.Data); {
			end := bytes.IndexByte(c.Data[off:], '\n') + off + 1
			if end == off {
				end = len(c.Data)
			}
			b.Kept = append(b.Kept, keep == nil || keep(off, end))
			off = end
		}
	}
	return res
}

// byContent finds the blob with the given content.
func (r gitResult) byContent(t *testing.T, content string) *gotBlob {
	t.Helper()
	for _, b := range r.blobs {
		if b.Data == content {
			return b
		}
	}
	t.Fatalf("no blob with content %q among %d", content, len(r.blobs))
	return nil
}

// at finds the chunk of the blob with the given content that is reported
// at path (a blob at several places may come in several chunks, one per
// group of places that replaced the same versions).
func (r gitResult) at(t *testing.T, content, path string) *gotBlob {
	t.Helper()
	for _, b := range r.blobs {
		if b.Data != content {
			continue
		}
		for _, p := range b.Places {
			if strings.HasPrefix(p, path+"@") {
				return b
			}
		}
	}
	t.Fatalf("no blob with content %q at %s among %d", content, path, len(r.blobs))
	return nil
}

func (r gitResult) contents() []string {
	var out []string
	for _, b := range r.blobs {
		out = append(out, b.Data)
	}
	slices.Sort(out)
	return out
}

func TestGitHistoryAttribution(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("README", "hello\n")
	c1 := r.commit("first")
	r.write("config/app.env", "KEY=added-then-deleted\n")
	c2 := r.commit("add a secret")
	os.Remove(filepath.Join(r.dir, "config/app.env"))
	r.commit("delete it")
	// The same content again, in another file: one blob, two places.
	r.write("other/copy.env", "KEY=added-then-deleted\n")
	c4 := r.commit("copy it elsewhere")
	// A branch that adds the same blob at the first path again: the earlier
	// commit keeps it.
	r.git("checkout", "-q", "-b", "feature")
	r.write("config/app.env", "KEY=added-then-deleted\n")
	r.write("feature.txt", "feature work\n")
	cf := r.commit("feature")
	r.git("checkout", "-q", "main")
	r.write("main.txt", "main work\n")
	r.commit("main work")
	// A merge that adds a file of its own (an "evil merge").
	r.tick++
	r.git("merge", "-q", "--no-ff", "--no-commit", "feature")
	r.write("merge-only.txt", "added in the merge\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "merge feature")
	cm := r.git("rev-parse", "HEAD")
	// A renamed file: the blob keeps its first path and commit, and gets the
	// new path with the renaming commit.
	r.git("mv", "README", "README.md")
	cr := r.commit("rename")

	res := scanGit(t, &Git{Dir: r.dir})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	want := []string{"added in the merge\n", "feature work\n", "hello\n", "KEY=added-then-deleted\n", "main work\n"}
	slices.Sort(want)
	if diff := cmp.Diff(want, res.contents()); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	check := func(content string, places ...string) {
		t.Helper()
		if diff := cmp.Diff(places, res.byContent(t, content).Places); diff != "" {
			t.Errorf("places of %q (-want +got):\n%s", content, diff)
		}
	}
	check("KEY=added-then-deleted\n", "config/app.env@"+c2, "other/copy.env@"+c4)
	check("feature work\n", "feature.txt@"+cf)
	check("added in the merge\n", "merge-only.txt@"+cm)
	check("hello\n", "README@"+c1, "README.md@"+cr)

	st, gs := res.source.Stats(), res.source.GitStats()
	if st.Files != 5 || gs.Blobs != 5 || gs.Commits != 8 {
		t.Errorf("stats %+v %+v", st, gs)
	}
	if len(res.source.Notes()) != 0 {
		t.Errorf("notes %q", res.source.Notes())
	}
}

func TestGitOrigin(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "content\n")
	c := r.commit("one")
	var got leak.Chunk
	for ch, err := range (&Git{Dir: r.dir}).Chunks(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = ch
	}
	want := leak.Origin{Repo: r.dir, Commit: c, Author: "Ada Author", Email: "ada@example.com",
		Time: time.Date(2020, 1, 1, 1, 0, 0, 0, time.UTC), Path: "a.txt", Line: 1, Column: 1}
	if diff := cmp.Diff(want, got.Origin, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("origin (-want +got):\n%s", diff)
	}
	if got.Blob != r.blob("content\n") {
		t.Errorf("blob %s", got.Blob)
	}
}

func TestGitAllRefKinds(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "on main\n")
	r.commit("main")
	// A commit reachable only from an annotated tag.
	r.git("checkout", "-q", "--detach")
	r.write("tagged.txt", "only in a tag\n")
	r.commit("tagged")
	r.git("tag", "-a", "-m", "release", "v1")
	r.git("checkout", "-q", "main")
	// A remote-tracking ref.
	r.git("checkout", "-q", "--detach")
	r.write("remote.txt", "only on a remote\n")
	r.commit("remote")
	r.git("update-ref", "refs/remotes/origin/topic", "HEAD")
	r.git("checkout", "-q", "main")
	// A stash, with a staged change and an untracked file.
	r.write("a.txt", "stashed change\n")
	r.git("add", "a.txt")
	r.write("untracked.txt", "stashed untracked\n")
	r.git("stash", "push", "-q", "--include-untracked")
	// Two stashes more: the first is now stash@{2}, in refs/stash's
	// reflog only.
	r.write("a.txt", "stashed again\n")
	r.git("stash", "push", "-q")
	r.write("a.txt", "stashed last\n")
	r.git("stash", "push", "-q")
	// A note.
	r.git("notes", "add", "-m", "a note", "HEAD")

	res := scanGit(t, &Git{Dir: r.dir})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	for _, c := range []string{"on main\n", "only in a tag\n", "only on a remote\n", "stashed change\n", "stashed untracked\n", "stashed again\n", "stashed last\n", "a note\n"} {
		res.byContent(t, c)
	}
}

// A refs/replace/ ref does not hide the commit it replaces: git would show
// the replacement's files in its place, and the real commit (which every
// clone has) would go unscanned. Both are scanned.
func TestGitReplaceRefs(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "kept\n")
	r.write("secret.txt", "in the replaced commit\n")
	c1 := r.commit("one")
	r.git("rm", "-q", "secret.txt")
	r.commit("two")
	r.git("checkout", "-q", "--orphan", "other")
	r.git("rm", "-rqf", ".")
	r.write("a.txt", "in the replacement\n")
	repl := r.commit("replacement")
	r.git("checkout", "-q", "main")
	r.git("branch", "-D", "other")
	r.git("replace", c1, repl)

	res := scanGit(t, &Git{Dir: r.dir})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"secret.txt@" + c1}, res.byContent(t, "in the replaced commit\n").Places); diff != "" {
		t.Errorf("places (-want +got):\n%s", diff)
	}
	res.byContent(t, "in the replacement\n")
}

// Blobs that a ref reaches without a commit (a tag of a blob, an annotated
// tag of a blob, a tag of a tree) are scanned too, placed at the ref's
// name, after any commit that has them.
func TestGitRefsToBlobsAndTrees(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "in a commit\n")
	c := r.commit("one")
	hashObject := func(content string) string {
		cmd := exec.Command("git", "hash-object", "-w", "--stdin")
		cmd.Dir = r.dir
		cmd.Stdin = strings.NewReader(content)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	r.git("tag", "key-blob", hashObject("only tagged\n"))
	r.git("tag", "-a", "-m", "a key", "signed-key", hashObject("only in an annotated tag\n"))
	r.git("tag", "again", r.blob("in a commit\n"))
	r.git("update-index", "--add", "--cacheinfo", "100644,"+hashObject("in a tagged tree\n")+",dir/f.txt")
	tree := r.git("write-tree")
	r.git("read-tree", "HEAD")
	r.git("tag", "a-tree", tree)
	// A tag of a tag of a blob, whose inner tag is gone: for-each-ref
	// peels one level only.
	r.git("tag", "-a", "-m", "inner", "inner", hashObject("behind two tags\n"))
	r.git("tag", "-a", "-m", "outer", "outer", "inner")
	r.git("tag", "-d", "inner")

	for _, n := range []int{1, 2} {
		saved := listParts
		listParts = n
		res := scanGit(t, &Git{Dir: r.dir})
		listParts = saved
		if res.fatal != nil || res.errs != nil {
			t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
		}
		check := func(content string, places ...string) {
			t.Helper()
			if diff := cmp.Diff(places, res.byContent(t, content).Places); diff != "" {
				t.Errorf("places of %q (-want +got):\n%s", content, diff)
			}
		}
		check("only tagged\n", "refs/tags/key-blob@")
		check("only in an annotated tag\n", "refs/tags/signed-key@")
		check("in a commit\n", "a.txt@"+c, "refs/tags/a-tree:a.txt@", "refs/tags/again@")
		check("in a tagged tree\n", "refs/tags/a-tree:dir/f.txt@")
		check("behind two tags\n", "refs/tags/outer@")
		if gs := res.source.GitStats(); gs.Blobs != 5 {
			t.Errorf("%d blobs, want 5", gs.Blobs)
		}
	}
}

func TestGitSkips(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("text.txt", "plain text\n")
	r.write("image.bin", "GIF89a\x00\x01\x02binary")
	r.write("big.txt", strings.Repeat("x", 200)+"\n")
	r.write("model.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
	if err := os.Symlink("text.txt", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.git("add", "-A")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("1", 40)+",vendor/sub")
	r.git("commit", "-q", "-m", "all kinds")
	var skipped []string
	res := scanGit(t, &Git{Dir: r.dir, MaxFileSize: 180, Skip: func(b string) { skipped = append(skipped, b) }})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"plain text\n"}, res.contents()); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	st, gs := res.source.Stats(), res.source.GitStats()
	if st.Files != 1 || st.Binary != 1 || st.TooLarge != 1 || st.Symlinks != 1 || gs.LFS != 1 || gs.Submodules != 1 {
		t.Errorf("stats %+v %+v", st, gs)
	}
	if len(skipped) != 2 {
		t.Errorf("Skip told of %d blobs, want 2 (binary, LFS)", len(skipped))
	}
}

func TestLFSPointer(t *testing.T) {
	const oid = "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
	const v1 = "version https://git-lfs.github.com/spec/v1\n"
	for _, c := range []struct {
		data string
		want bool
	}{
		{v1 + oid + "size 12345\n", true},
		{"version https://hawser.github.com/spec/v1\n" + oid + "size 0\n", true},
		{v1 + "ext-0-foo sha256:" + strings.Repeat("ab", 32) + "\n" + oid + "size 1\n", true},
		{v1 + "ext-0-foo sha256:abc\n" + oid + "size 1\n", false},
		{v1 + "ext-0-x password = \"Xk3#9vLq!2mZ8w11\"\n" + oid + "size 1\n", false},
		// Not pointers: scanned.
		{v1 + oid + "size 12345\npassword = \"x\"\n", false},
		{v1 + oid + "size 12345\nzz secret\n", false},
		{v1 + oid + "size 12345", false},          // no final newline
		{v1 + "size 1\n" + oid, false},            // keys out of order
		{v1 + oid + "size 1x\n", false},           // size not a number
		{v1 + "oid sha256:4D7A\nsize 1\n", false}, // not 64 lower-case hex
		{v1 + oid, false},                         // no size
		{v1 + oid + "size 1\n" + strings.Repeat("x", 1024), false},
		{"version https://git-lfs.github.com/spec/v1 " + oid + "size 1\n", false},
	} {
		if got := lfsPointer([]byte(c.data)); got != c.want {
			t.Errorf("lfsPointer(%q) = %v, want %v", c.data, got, c.want)
		}
	}
}

// An empty blob has nothing to scan at any path: it is told to Skip, so
// that a cache knows it next time.
func TestGitEmptyBlobSkipped(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("empty.txt", "")
	r.write("a.txt", "text\n")
	r.commit("one")
	var skipped []string
	scanGit(t, &Git{Dir: r.dir, Skip: func(b string) { skipped = append(skipped, b) }})
	if !slices.Equal(skipped, []string{r.blob("")}) {
		t.Errorf("skipped %v, want the empty blob", skipped)
	}
}

func TestGitLargeBlobChunks(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	line := strings.Repeat("y", 99) + "\n"
	big := strings.Repeat(line, (ChunkSize/len(line))+500)
	r.write("big.txt", big)
	r.commit("big")
	// The blob comes whole (Narrow needs all its lines); the scanner cuts
	// it with Split.
	var blob []byte
	for c, err := range (&Git{Dir: r.dir}).Chunks(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if blob != nil || c.Offset != 0 {
			t.Fatalf("more than one chunk, or one at offset %d", c.Offset)
		}
		blob = c.Data
	}
	n := 0
	var data strings.Builder
	Split(blob, 1, func(piece []byte, off int64, line, col int) bool {
		if int64(data.Len()) != off || col != 1 || line != 1+strings.Count(data.String(), "\n") {
			t.Fatalf("piece %d at offset %d, line %d, column %d; want offset %d", n, off, line, col, data.Len())
		}
		data.Write(piece)
		n++
		return true
	})
	if n != 2 || data.String() != big {
		t.Errorf("%d pieces, %d bytes; want 2 pieces, %d bytes", n, data.Len(), len(big))
	}
}

func TestGitBareAndShallow(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "one\n")
	r.commit("one")
	r.write("a.txt", "two\n")
	r.commit("two")
	r.git("gc", "-q") // packed objects
	r.write("a.txt", "three\n")
	head := r.commit("three") // and a loose one

	bare := filepath.Join(t.TempDir(), "bare.git")
	gitIn(t, r.dir, 0, "clone", "-q", "--bare", r.dir, bare)
	res := scanGit(t, &Git{Dir: bare})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("bare: fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"one\n", "three\n", "two\n"}, res.contents()); diff != "" {
		t.Errorf("bare (-want +got):\n%s", diff)
	}

	// A clone that borrows its objects through alternates.
	shared := filepath.Join(t.TempDir(), "shared")
	gitIn(t, r.dir, 0, "clone", "-q", "--shared", r.dir, shared)
	res = scanGit(t, &Git{Dir: shared})
	if res.fatal != nil || res.errs != nil || len(res.blobs) != 3 {
		t.Fatalf("alternates: fatal %v, errors %v, %d blobs", res.fatal, res.errs, len(res.blobs))
	}

	shallow := filepath.Join(t.TempDir(), "shallow")
	gitIn(t, r.dir, 0, "clone", "-q", "--depth", "1", "file://"+r.dir, shallow)
	g := &Git{Dir: shallow}
	res = scanGit(t, g)
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("shallow: fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"three\n"}, res.contents()); diff != "" {
		t.Errorf("shallow (-want +got):\n%s", diff)
	}
	if b := res.byContent(t, "three\n"); b.Places[0] != "a.txt@"+head {
		t.Errorf("shallow places %q", b.Places)
	}
	if notes := g.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "shallow") {
		t.Errorf("notes %q, want one about the shallow clone", notes)
	}
}

func TestGitMissingAndCorruptObjects(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "first file\n")
	r.write("b.txt", "second file\n")
	r.write("c.txt", "third file\n")
	r.write("d.txt", "fourth file\n")
	r.write("e.txt", "fifth file\n")
	r.write("f.txt", "sixth file\n")
	r.commit("files")
	object := func(id string) string { return filepath.Join(r.dir, ".git", "objects", id[:2], id[2:]) }
	missing := r.blob("second file\n")
	if err := os.Remove(object(missing)); err != nil {
		t.Fatal(err)
	}
	corrupt := r.blob("third file\n")
	os.Chmod(object(corrupt), 0o644)
	if err := os.WriteFile(object(corrupt), []byte("not zlib at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A well-formed object whose content is shorter than its header says:
	// git cat-file stops short, and a new one takes over after it.
	truncated := r.blob("fifth file\n")
	os.Chmod(object(truncated), 0o644)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("blob 40\x00short"))
	zw.Close()
	if err := os.WriteFile(object(truncated), z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &Git{Dir: r.dir}
	res := scanGit(t, g)
	if res.fatal != nil {
		t.Fatal(res.fatal)
	}
	if diff := cmp.Diff([]string{"first file\n", "fourth file\n", "sixth file\n"}, res.contents()); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if len(res.errs) != 3 {
		t.Fatalf("errors %v, want 3", res.errs)
	}
	all := fmt.Sprint(res.errs)
	for _, want := range []string{missing, "b.txt", corrupt, "c.txt", truncated, "e.txt"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors %q do not name %s", all, want)
		}
	}
	if gs := g.GitStats(); gs.Missing != 3 || g.Stats().Unreadable != 3 {
		t.Errorf("stats %+v", gs)
	}
}

func TestGitRange(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "base\n")
	base := r.commit("base")
	r.git("checkout", "-q", "-b", "pr")
	r.write("b.txt", "pr one\n")
	c2 := r.commit("pr one")
	r.write("a.txt", "pr two\n")
	c3 := r.commit("pr two")
	r.git("checkout", "-q", "main")
	r.write("m.txt", "main moves on\n")
	r.commit("main")

	res := scanGit(t, &Git{Dir: r.dir, Range: base + "..pr"})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"pr one\n", "pr two\n"}, res.contents()); diff != "" {
		t.Errorf("range blobs (-want +got):\n%s", diff)
	}
	if p := res.byContent(t, "pr two\n").Places; p[0] != "a.txt@"+c3 {
		t.Errorf("places %q", p)
	}
	if p := res.byContent(t, "pr one\n").Places; p[0] != "b.txt@"+c2 {
		t.Errorf("places %q", p)
	}

	res = scanGit(t, &Git{Dir: r.dir, Range: "main...pr"})
	if diff := cmp.Diff([]string{"main moves on\n", "pr one\n", "pr two\n"}, res.contents()); diff != "" {
		t.Errorf("symmetric range blobs (-want +got):\n%s", diff)
	}

	for _, bad := range []string{"nosuchref..main", "main", "--all..main"} {
		res = scanGit(t, &Git{Dir: r.dir, Range: bad})
		if res.fatal == nil {
			t.Errorf("range %q: no fatal error", bad)
		}
	}
}

// A listing begun before Chunks (StartListing) gives what Chunks finds
// itself: for a range, the index, a bad range and a directory that is not
// a repository. One stopped before Chunks leaves Chunks to list.
func TestGitStartListing(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "base\n")
	base := r.commit("base")
	r.write("a.txt", "base\nadded\n")
	r.write("b.txt", "new file\n")
	r.commit("more")
	r.write("c.txt", "staged\n")
	r.git("add", "c.txt")
	notRepo := t.TempDir()
	for _, g := range []func() *Git{
		func() *Git { return &Git{Dir: r.dir, Range: base + "..HEAD"} },
		func() *Git { return &Git{Dir: r.dir, Staged: true} },
		func() *Git { return &Git{Dir: r.dir, Range: "nosuchref..HEAD"} },
		func() *Git { return &Git{Dir: notRepo, Range: "a..b"} },
	} {
		want := scanGit(t, g())
		early := g()
		early.StartListing(t.Context())
		if early.pending == nil {
			t.Fatal("nothing started")
		}
		got := scanGit(t, early)
		if early.pending != nil {
			t.Error("the listing begun is still pending after Chunks")
		}
		stopped := g()
		stopped.StartListing(t.Context())
		stopped.StopListing()
		again := scanGit(t, stopped)
		for _, res := range []gitResult{got, again} {
			if diff := cmp.Diff(want.contents(), res.contents()); diff != "" {
				t.Errorf("%s %v: blobs (-Chunks alone +begun before):\n%s", g().Range, g().Staged, diff)
			}
			if (want.fatal == nil) != (res.fatal == nil) || want.fatal != nil && want.fatal.Error() != res.fatal.Error() {
				t.Errorf("%s %v: fatal %v, want %v", g().Range, g().Staged, res.fatal, want.fatal)
			}
		}
		if g().Range == base+"..HEAD" && len(want.contents()) != 2 || g().Staged && len(want.contents()) != 1 {
			t.Errorf("%s %v: %d blobs", g().Range, g().Staged, len(want.contents()))
		}
	}
	full := &Git{Dir: r.dir}
	full.StartListing(t.Context())
	if full.pending != nil {
		t.Error("a full history's listing was begun before the rules")
	}
}

func TestGitStaged(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	// No commits yet.
	r.write("new.txt", "staged before any commit\n")
	r.write("unstaged.txt", "not added\n")
	r.git("add", "new.txt")
	res := scanGit(t, &Git{Dir: r.dir, Staged: true})
	if res.fatal != nil || res.errs != nil {
		t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
	}
	if diff := cmp.Diff([]string{"staged before any commit\n"}, res.contents()); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if p := res.byContent(t, "staged before any commit\n").Places; !slices.Equal(p, []string{"new.txt@"}) {
		t.Errorf("places %q", p)
	}

	r.commit("first")
	r.write("new.txt", "changed and staged\n")
	r.write("other.txt", "also staged\n")
	r.git("add", "new.txt", "other.txt")
	r.write("new.txt", "changed again, not staged\n")
	res = scanGit(t, &Git{Dir: r.dir, Staged: true})
	if diff := cmp.Diff([]string{"also staged\n", "changed and staged\n"}, res.contents()); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

func TestGitKnown(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.write("a.txt", "known\n")
	r.write("b.txt", "new\n")
	c := r.commit("one")
	known := r.blob("known\n")
	var asked []string
	g := &Git{Dir: r.dir, Known: func(b string, places []leak.Origin) bool {
		asked = append(asked, b)
		return b == known
	}}
	res := scanGit(t, g)
	if len(asked) != 2 {
		t.Errorf("Known asked %d times", len(asked))
	}
	b := res.blobs[known]
	if b == nil || !b.Known || b.Data != "" || b.Places[0] != "a.txt@"+c {
		t.Errorf("known blob: %+v", b)
	}
	if g.Stats().Files != 1 || g.GitStats().Known != 1 {
		t.Errorf("stats %+v %+v", g.Stats(), g.GitStats())
	}
}

func TestGitNotARepository(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	res := scanGit(t, &Git{Dir: t.TempDir()})
	if res.fatal == nil || !strings.Contains(res.fatal.Error(), "not a git repository") {
		t.Errorf("fatal = %v", res.fatal)
	}
}

func TestGitEmptyRepository(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	g := &Git{Dir: r.dir}
	res := scanGit(t, g)
	if res.fatal != nil || res.errs != nil || len(res.blobs) != 0 {
		t.Errorf("fatal %v, errors %v, %d blobs", res.fatal, res.errs, len(res.blobs))
	}
	if n := g.Notes(); len(n) != 1 || !strings.Contains(n[0], "has no commits") {
		t.Errorf("notes %q, want one saying there are no commits", n)
	}
}

func TestGitCancel(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	for i := range 50 {
		r.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("file %d\n", i))
	}
	r.commit("many")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for _, err := range (&Git{Dir: r.dir}).Chunks(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 3 {
			cancel()
		}
	}
	if n > 4 {
		t.Errorf("%d chunks after cancel at 3", n)
	}
	// Stopping the iteration early is fine too.
	for range (&Git{Dir: r.dir}).Chunks(context.Background()) {
		break
	}
}

func TestParseRaw(t *testing.T) {
	t.Parallel()
	z := strings.Repeat("0", 40)
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	c := strings.Repeat("c", 40)
	for _, tc := range []struct {
		line, mode, id string
		parents        []string
	}{
		{":000000 100644 " + z + " " + a + " A", "100644", a, nil},
		{":100644 000000 " + a + " " + z + " D", "000000", z, []string{a}},
		{"::100644 100644 100755 " + a + " " + a + " " + b + " MM", "100755", b, []string{a}},
		{"::100644 100644 100644 " + a + " " + c + " " + b + " MM", "100644", b, []string{a, c}},
		{"::120000 100644 100644 " + a + " " + c + " " + b + " MM", "100644", b, []string{c}}, // a symlink is no version
		{"::100644 000000 100644 " + a + " " + z + " " + b + " MA", "100644", b, []string{a}},
	} {
		// The parents are appended to the slice given, as parseLog reuses one.
		mode, id, parents, err := parseRaw([]byte(tc.line), [][]byte{[]byte("before")}[:0])
		var got []string
		for _, p := range parents {
			got = append(got, string(p))
		}
		if err != nil || string(mode) != tc.mode || string(id) != tc.id || !slices.Equal(got, tc.parents) {
			t.Errorf("parseRaw(%q) = %q, %q, %q, %v", tc.line, mode, id, got, err)
		}
	}
	// An octopus merge of 70 parents (the Linux kernel has one of 66).
	octopus := strings.Repeat(":", 70) + strings.Repeat("100644 ", 71) + strings.Repeat(a+" ", 70) + b + " " + strings.Repeat("M", 70)
	if mode, id, parents, err := parseRaw([]byte(octopus), nil); err != nil || string(mode) != "100644" || string(id) != b || len(parents) != 1 || string(parents[0]) != a {
		t.Errorf("octopus merge line: %q, %q, %v, %v", mode, id, parents, err)
	}
	for _, bad := range []string{":100644 A", ":100644 100644 " + a + " " + b, ":100644 100644 " + a + " " + b + " M extra", "::100644 100644 " + a + " " + b + " M", ":100644  100644 " + a + " M", "100644 " + a + " M"} {
		if _, _, _, err := parseRaw([]byte(bad), nil); err == nil {
			t.Errorf("malformed line %q accepted", bad)
		}
	}
}

// Reading blobs in pack order (full-history scans of large repositories)
// yields the same blobs, contents and places as reading them oldest first.
func TestGitPackOrderSameResult(t *testing.T) {
	r := newTestRepo(t)
	for i := range 12 {
		r.write(fmt.Sprintf("f%d.txt", i%5), fmt.Sprintf("version %d of file %d\n", i, i%5))
		r.write("same.txt", "unchanging\n")
		r.commit(fmt.Sprintf("c%d", i))
	}
	r.git("gc", "-q")
	saved := packOrderMin
	defer func() { packOrderMin = saved }()
	packOrderMin = 1 << 30
	listed := scanGit(t, &Git{Dir: r.dir})
	packOrderMin = 1
	packed := scanGit(t, &Git{Dir: r.dir})
	if len(listed.errs)+len(packed.errs) != 0 || listed.fatal != nil || packed.fatal != nil {
		t.Fatalf("errors: %v %v", listed.errs, packed.errs)
	}
	if len(listed.blobs) < 12 {
		t.Fatalf("only %d blobs", len(listed.blobs))
	}
	if diff := cmp.Diff(listed.blobs, packed.blobs); diff != "" {
		t.Errorf("pack order changed the result (-oldest first +pack order):\n%s", diff)
	}
}

// Reading through two git cat-file processes (readParallel) yields the
// same blobs, contents, places and errors as reading through one, and
// stops when the consumer does.
func TestGitParallelReadSameResult(t *testing.T) {
	r := newTestRepo(t)
	base := r.commit("base")
	for i := range 12 {
		r.write(fmt.Sprintf("f%d.txt", i%5), fmt.Sprintf("version %d of file %d\n", i, i%5))
		r.write("same.txt", "unchanging\n")
		r.write(fmt.Sprintf("big%d.txt", i), strings.Repeat(fmt.Sprintf("line %d\n", i), 1+i*(ChunkSize/40)))
		r.commit(fmt.Sprintf("c%d", i))
	}
	r.write("gone.txt", "this blob goes missing\n")
	r.commit("last")
	gone := r.blob("this blob goes missing\n")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", gone[:2], gone[2:])); err != nil {
		t.Fatal(err)
	}
	saved := parallelReadMin
	defer func() { parallelReadMin = saved }()
	for _, rng := range []string{"", base + "..HEAD"} {
		parallelReadMin = 1 << 30
		one := scanGit(t, &Git{Dir: r.dir, Range: rng})
		parallelReadMin = 1
		two := scanGit(t, &Git{Dir: r.dir, Range: rng})
		if one.fatal != nil || two.fatal != nil {
			t.Fatalf("fatal: %v %v", one.fatal, two.fatal)
		}
		if len(one.blobs) < 20 || len(one.errs) != 1 {
			t.Fatalf("range %q: %d blobs, errors %v", rng, len(one.blobs), one.errs)
		}
		if diff := cmp.Diff(one.blobs, two.blobs); diff != "" {
			t.Errorf("range %q: two readers changed the blobs (-one +two):\n%s", rng, diff)
		}
		if fmt.Sprint(one.errs) != fmt.Sprint(two.errs) {
			t.Errorf("range %q: errors %v, with two readers %v", rng, one.errs, two.errs)
		}
		if one.source.Stats() != two.source.Stats() || one.source.GitStats() != two.source.GitStats() {
			t.Errorf("range %q: stats %+v %+v, with two readers %+v %+v", rng,
				one.source.Stats(), one.source.GitStats(), two.source.Stats(), two.source.GitStats())
		}
	}
	n := 0
	for range (&Git{Dir: r.dir}).Chunks(context.Background()) {
		if n++; n == 3 {
			break
		}
	}
}

// Listing a history in parts (git diff-tree processes on contiguous runs
// of commits, merged; or one diff-tree) gives what one git log gives: blobs, places, what is
// compared with what, stats. The history has branches, an evil merge, an
// octopus merge, a merge that resolves a conflict, renames, a deleted and
// re-added secret, one blob at two paths, a symbolic link, and versions
// that replace earlier ones across the cuts, and a submodule; the
// repository's diff.orderFile changes nothing (without "-c
// diff.orderFile=/dev/null" git log would list twin.txt first).
func TestGitListInPartsSameResult(t *testing.T) {
	r := newTestRepo(t)
	r.write("README", "hello\n")
	r.commit("first")
	r.write("config/app.env", "KEY=added-then-deleted\n")
	r.commit("add a secret")
	os.Remove(filepath.Join(r.dir, "config/app.env"))
	r.commit("delete it")
	r.write("other/copy.env", "KEY=added-then-deleted\n")
	r.write("twin.txt", "KEY=added-then-deleted\n")
	if err := os.Symlink("README", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.write(".gitmodules", "[submodule \"sub\"]\n\tpath = vendor/sub\n\turl = ../sub\n")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("1", 40)+",vendor/sub") // a submodule
	r.commit("copies, a link and a submodule")
	order := filepath.Join(t.TempDir(), "order")
	if err := os.WriteFile(order, []byte("twin.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.git("config", "diff.orderFile", order)
	r.git("config", "diff.ignoreSubmodules", "all")
	for _, b := range []string{"a", "b", "c"} {
		r.git("checkout", "-q", "-b", b, "main")
		for i := range 3 {
			r.write("shared.txt", fmt.Sprintf("line 1\n%s %d\nline 3\n", b, i))
			r.write(b+".txt", fmt.Sprintf("branch %s version %d\n", b, i))
			r.commit(fmt.Sprintf("%s %d", b, i))
		}
	}
	r.git("checkout", "-q", "main")
	for i := range 6 {
		r.write("main.txt", fmt.Sprintf("main\nversion %d\nend\n", i))
		r.commit(fmt.Sprintf("main %d", i))
	}
	// a and b both change shared.txt: the second merge takes neither.
	r.tick++
	r.git("merge", "-q", "--no-ff", "--no-commit", "a")
	r.write("merge-only.txt", "added in the merge\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "merge a")
	r.tick++
	r.git("merge", "-q", "--no-ff", "--no-commit", "-X", "ours", "b")
	r.write("shared.txt", "line 1\nresolved\nline 3\n") // neither side's
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "merge b")
	r.git("checkout", "-q", "-b", "d", "main~3")
	r.write("d.txt", "d\n")
	r.commit("d")
	r.git("checkout", "-q", "-b", "e", "main~4")
	r.write("e.txt", "e\n")
	r.commit("e")
	r.git("checkout", "-q", "main")
	r.tick++
	r.git("merge", "-q", "--no-ff", "-m", "octopus", "d", "e")
	r.git("mv", "README", "README.md")
	r.write("main.txt", "main\nversion 6\nend\n")
	r.commit("rename and edit")
	r.write("config/app.env", "KEY=added-then-deleted\n")
	r.commit("re-added")

	savedMin, savedParts := parallelListMin, listParts
	defer func() { parallelListMin, listParts = savedMin, savedParts }()
	// Revs lists through git log (a full history goes through diff-tree).
	one := scanGit(t, &Git{Dir: r.dir, Revs: []string{"--all"}})
	if one.fatal != nil || len(one.errs) != 0 || len(one.blobs) < 20 {
		t.Fatalf("git log: %d blobs, errors %v %v", len(one.blobs), one.errs, one.fatal)
	}
	parallelListMin = 1
	for _, n := range []int{1, 2, 3, 7, 100} {
		listParts = n
		got := scanGit(t, &Git{Dir: r.dir})
		if got.fatal != nil || len(got.errs) != 0 {
			t.Fatalf("%d parts: errors %v %v", n, got.errs, got.fatal)
		}
		if diff := cmp.Diff(one.blobs, got.blobs); diff != "" {
			t.Errorf("%d parts changed the blobs (-git log +parts):\n%s", n, diff)
		}
		if one.source.Stats() != got.source.Stats() || one.source.GitStats() != got.source.GitStats() {
			t.Errorf("%d parts: stats %+v %+v, git log %+v %+v", n, got.source.Stats(), got.source.GitStats(),
				one.source.Stats(), one.source.GitStats())
		}
	}
}

// A history that git can list only in part (a tree is missing) is scanned
// as far as it goes, in parts as with git log, and says so.
// git diff-tree writes a merge's header before it fails on a parent's
// missing tree: the merge is the commit named, and its files are listed
// whole (not the next commit's).
func TestGitListMissingTreeAtMerge(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "base\n")
	r.commit("base")
	r.git("checkout", "-q", "-b", "side")
	r.write("s.txt", "side\n")
	side := r.commit("side")
	r.git("checkout", "-q", "main")
	r.write("m.txt", "main\n")
	r.commit("main1")
	r.git("merge", "-q", "--no-commit", "side")
	r.write("evil.txt", "added in the merge\n")
	merge := r.commit("merge")
	r.git("rm", "-q", "evil.txt")
	last := r.commit("remove")
	tree := r.git("rev-parse", side+"^{tree}")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", tree[:2], tree[2:])); err != nil {
		t.Fatal(err)
	}
	savedMin, savedParts := parallelListMin, listParts
	defer func() { parallelListMin, listParts = savedMin, savedParts }()
	for _, n := range []int{1, 2, 4} {
		parallelListMin, listParts = 1, n
		got := scanGit(t, &Git{Dir: r.dir})
		var msgs []string
		for _, err := range got.errs {
			msgs = append(msgs, err.Error())
		}
		all := strings.Join(msgs, "\n")
		if got.fatal != nil || len(got.errs) != 2 || !strings.Contains(all, "commit "+side+" (its files not listed)") ||
			!strings.Contains(all, "commit "+merge+" (its files listed whole, as new)") || strings.Contains(all, last) {
			t.Fatalf("%d parts: fatal %v, errors:\n%s", n, got.fatal, all)
		}
		if diff := cmp.Diff([]string{"evil.txt@" + merge}, got.byContent(t, "added in the merge\n").Places); diff != "" {
			t.Errorf("%d parts: evil.txt (-want +got):\n%s", n, diff)
		}
	}
}

func TestGitListInPartsMissingTree(t *testing.T) {
	r := newTestRepo(t)
	var commits []string
	for i := range 10 {
		r.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("file %d\n", i))
		commits = append(commits, r.commit(fmt.Sprintf("c%d", i)))
	}
	tree := r.git("rev-parse", "HEAD~2^{tree}")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", tree[:2], tree[2:])); err != nil {
		t.Fatal(err)
	}
	savedMin, savedParts, savedMax := parallelListMin, listParts, maxUnlisted
	defer func() { parallelListMin, listParts, maxUnlisted = savedMin, savedParts, savedMax }()
	one := scanGit(t, &Git{Dir: r.dir, Revs: []string{"--all"}}) // git log stops at c7
	if len(one.errs) != 1 || len(one.blobs) != 7 {
		t.Fatalf("git log: %d blobs, errors %v %v", len(one.blobs), one.errs, one.fatal)
	}
	// git diff-tree cannot diff c7 (its tree is gone) nor c8 (its parent's
	// is): c7 is named, c8's files are listed whole, and c9 is listed as
	// usual.
	for _, n := range []int{1, 2, 5} {
		parallelListMin, listParts = 1, n
		got := scanGit(t, &Git{Dir: r.dir})
		if got.fatal != nil || len(got.errs) != 2 ||
			!strings.Contains(got.errs[0].Error(), "commit "+commits[7]+" (its files not listed)") ||
			!strings.Contains(got.errs[1].Error(), "commit "+commits[8]+" (its files listed whole, as new)") {
			t.Fatalf("%d parts: errors %v %v", n, got.errs, got.fatal)
		}
		if len(got.blobs) != 10 {
			t.Errorf("%d parts: %d blobs, want 10", n, len(got.blobs))
		}
		for i, want := range map[int]string{6: "f6.txt@" + commits[6], 7: "f7.txt@" + commits[8], 8: "f8.txt@" + commits[8], 9: "f9.txt@" + commits[9]} {
			if diff := cmp.Diff([]string{want}, got.byContent(t, fmt.Sprintf("file %d\n", i)).Places); diff != "" {
				t.Errorf("%d parts: file %d (-want +got):\n%s", n, i, diff)
			}
		}
	}
	// Past maxUnlisted failures, the rest of the part is counted.
	parallelListMin, listParts, maxUnlisted = 1, 1, 1
	got := scanGit(t, &Git{Dir: r.dir})
	if got.fatal != nil || len(got.errs) != 2 || !strings.Contains(got.errs[1].Error(), "2 more commits not listed") || len(got.blobs) != 7 {
		t.Fatalf("%d blobs, errors %v %v", len(got.blobs), got.errs, got.fatal)
	}
}

// A blob that replaced an earlier version of its file is narrowed to the
// lines it changed (with context), in full history, in a range (whose
// parents are read only for their lines), staged, and through two
// readers; --all-lines (AllLines) is not. A blob at several places is
// compared at each with what that place replaced (one chunk per group of
// places that replaced the same versions; a new path whole).
func TestGitNarrowsChangedBlobs(t *testing.T) {
	r := newTestRepo(t)
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf("setting %d = %d", i, i))
	}
	v1 := joinLines(lines, true)
	r.write("app.conf", v1)
	twins := []string{"a/svc.conf", "b/svc.conf", "c/svc.conf"}
	twin := make([]string, 12)
	for i := range twin {
		twin[i] = fmt.Sprintf("twin %d = %d", i, i)
	}
	t1 := joinLines(twin, true)
	for _, p := range twins {
		r.write(p, t1)
	}
	first := r.commit("add")
	lines[9] = "setting 9 = nine"
	v2 := joinLines(lines, true)
	r.write("app.conf", v2)
	r.write("copy.conf", v2) // the same blob at a second place
	twin[6] = "twin 6 = six"
	t2 := joinLines(twin, true)
	t2Changed := joinLines(twin[4:9], true) // line 7, two lines of context
	for _, p := range twins[:2] {
		r.write(p, t2) // copies edited alike: each place replaced t1
	}
	twin[6] = "twin 6 = 6"
	twin[11] = "twin 11 = eleven"
	t3 := joinLines(twin, true)
	t3Tail, t3FromLine5 := joinLines(twin[9:], true), joinLines(twin[4:], true)
	r.write(twins[2], t3)
	r.commit("edit line 10")
	r.write(twins[0], t3) // t3 at two places that replaced different versions
	r.commit("twin a like c")
	lines[1] = "setting 1 = one"
	v3 := joinLines(lines, true)
	r.write("app.conf", v3)
	r.commit("edit line 2")
	r.write("app.conf", v3+"tail\n")
	r.git("add", "app.conf")

	for _, reads := range []int{1 << 30, 1} {
		saved := parallelReadMin
		parallelReadMin = reads
		full := scanGit(t, &Git{Dir: r.dir})
		rng := scanGit(t, &Git{Dir: r.dir, Range: "HEAD~1..HEAD"}) // v2, its parent, is outside
		staged := scanGit(t, &Git{Dir: r.dir, Staged: true})
		all := scanGit(t, &Git{Dir: r.dir, AllLines: true})
		parallelReadMin = saved
		for _, res := range []gitResult{full, rng, staged, all} {
			if res.fatal != nil || len(res.errs) > 0 {
				t.Fatalf("fatal %v, errors %v", res.fatal, res.errs)
			}
		}
		if b := full.byContent(t, v1); b.Scanned != v1 || b.Kept != nil && slices.Contains(b.Kept, false) {
			t.Errorf("an added file is scanned whole: %q", b.Scanned)
		}
		// v2 is at two places: app.conf replaced v1 (compared with it),
		// copy.conf is new (whole).
		if b := full.at(t, v2, "copy.conf"); b.Scanned != v2 || len(b.Places) != 1 {
			t.Errorf("a copy at a new path: scanned %q at %v", b.Scanned, b.Places)
		}
		if b := full.at(t, v2, "app.conf"); b.Scanned != joinLines(lines[7:12], true) || !slices.Equal(b.keptLines(), []int{10}) || len(b.Places) != 1 {
			t.Errorf("the edit a copy was made of: scanned %q, kept %v at %v", b.Scanned, b.keptLines(), b.Places)
		}
		// t2 is at two places that both replaced t1: one chunk, compared.
		if b := full.at(t, t2, "a/svc.conf"); len(b.Places) != 2 || b.Scanned != t2Changed || !slices.Equal(b.keptLines(), []int{7}) {
			t.Errorf("copies edited alike: %d places, scanned %q, kept %v", len(b.Places), b.Scanned, b.keptLines())
		}
		// t3 replaced t1 at c/svc.conf and t2 at a/svc.conf: each place
		// compared with its own.
		if b := full.at(t, t3, "c/svc.conf"); len(b.Places) != 1 || b.Scanned != t3Tail || !slices.Equal(b.keptLines(), []int{12}) {
			t.Errorf("t3 at c/svc.conf: %v, scanned %q, kept %v", b.Places, b.Scanned, b.keptLines())
		}
		if b := full.at(t, t3, "a/svc.conf"); len(b.Places) != 1 || b.Scanned != t3FromLine5 || !slices.Equal(b.keptLines(), []int{7, 12}) {
			t.Errorf("t3 at a/svc.conf: %v, scanned %q, kept %v", b.Places, b.Scanned, b.keptLines())
		}
		for name, res := range map[string]gitResult{"full": full, "range": rng} {
			b := res.byContent(t, v3)
			if want := joinLines(lines[:4], true); b.Scanned != want || !slices.Equal(b.keptLines(), []int{2}) {
				t.Errorf("%s: v3 scanned %q, kept lines %v; want %q, [2]", name, b.Scanned, b.keptLines(), want)
			}
		}
		if len(rng.bases) != 0 || len(rng.blobs) != 1 {
			// The parent outside is hashed as it is read, not yielded.
			t.Errorf("range: %d blobs, parents yielded %q", len(rng.blobs), rng.bases)
		}
		if b := full.byContent(t, v1); !strings.HasSuffix(b.Places[0], first) {
			t.Errorf("v1 at %v", b.Places)
		}
		if b := staged.byContent(t, v3+"tail\n"); !strings.HasSuffix(b.Scanned, "tail\n") || strings.HasPrefix(b.Scanned, "setting 0") ||
			!slices.Equal(b.keptLines(), []int{13}) {
			t.Errorf("staged: scanned %q, kept %v", b.Scanned, b.keptLines())
		}
		if b := all.byContent(t, v3); b.Scanned != v3 || b.Kept != nil && slices.Contains(b.Kept, false) {
			t.Errorf("AllLines: v3 scanned %q", b.Scanned)
		}
	}
}

// A blob whose version at one path cannot be compared with (binary there)
// is scanned whole at that path only: at another path that it edited, it
// is still compared with what that path had (a full history, a range, and
// the same packed).
func TestGitUnusableParentOneGroup(t *testing.T) {
	r := newTestRepo(t)
	r.write("x", "binary\x00data\n")
	r.write("y", "first\nold = 1\n")
	r.commit("add")
	both := "first\nold = 1\nnew = 2\n"
	r.write("x", both)
	r.write("y", both)
	r.commit("same text at both")
	for _, packed := range []bool{false, true} {
		if packed {
			r.git("repack", "-adq")
		}
		for name, g := range map[string]*Git{"full": {Dir: r.dir}, "range": {Dir: r.dir, Range: "HEAD~1..HEAD"}} {
			res := scanGit(t, g)
			if res.fatal != nil || len(res.errs) > 0 {
				t.Fatalf("%s: %v %v", name, res.fatal, res.errs)
			}
			if b := res.at(t, both, "x"); b.Scanned != both || len(b.Places) != 1 || slices.Contains(b.Kept, false) {
				t.Errorf("%s, packed %v: at x (binary before): scanned %q, kept %v at %v", name, packed, b.Scanned, b.keptLines(), b.Places)
			}
			if b := res.at(t, both, "y"); !slices.Equal(b.keptLines(), []int{3}) || len(b.Places) != 1 {
				t.Errorf("%s, packed %v: at y: scanned %q, kept %v at %v", name, packed, b.Scanned, b.keptLines(), b.Places)
			}
		}
	}
}

// A blob at many paths (past manyPlaces) is reported once per path, at the
// commit that first put it there.
func TestGitBlobAtManyPaths(t *testing.T) {
	r := newTestRepo(t)
	for i := range 2 * manyPlaces {
		r.write(fmt.Sprintf("d%d/LICENSE", i), "same text\n")
		r.commit(fmt.Sprint("add ", i))
	}
	r.write("d0/LICENSE", "changed\n")
	r.commit("change")
	r.write("d0/LICENSE", "same text\n") // back: not a new place
	r.commit("revert")
	res := scanGit(t, &Git{Dir: r.dir})
	b := res.byContent(t, "same text\n")
	if len(b.Places) != 2*manyPlaces {
		t.Fatalf("%d places, want %d: %v", len(b.Places), 2*manyPlaces, b.Places)
	}
	seen := map[string]bool{}
	for _, p := range b.Places {
		path, _, _ := strings.Cut(p, "@")
		if seen[path] {
			t.Errorf("path %s twice: %v", path, b.Places)
		}
		seen[path] = true
	}
}

func TestGitErrorMessage(t *testing.T) {
	failed := errors.New("exit status 128")
	for _, c := range []struct{ stderr, want string }{
		{"", "git log: exit status 128"},
		{"fatal: bad object abc\n", "git log: fatal: bad object abc"},
		// Hints and usage lines after the conclusion are dropped.
		{"fatal: ambiguous argument 'x..y': unknown revision or path not in the working tree.\nUse '--' to separate paths from revisions, like this:\n'git <command> [<revision>...] -- [<file>...]'\n",
			"git log: fatal: ambiguous argument 'x..y': unknown revision or path not in the working tree."},
		{"error: object file .git/objects/ab/cd is empty\nerror: object file .git/objects/ab/cd is empty\nfatal: loose object abcd is corrupt\n",
			"git log: error: object file .git/objects/ab/cd is empty; fatal: loose object abcd is corrupt"},
		{"warning: something\nhint: more\n", "git log: warning: something"},
	} {
		if got := gitError("log", failed, []byte(c.stderr)).Error(); got != c.want {
			t.Errorf("gitError(%q) = %q, want %q", c.stderr, got, c.want)
		}
	}
}

// A blob read before the versions it replaced waits for them; past
// maxHeld it waits without its content and is read again then, from the
// packs or through git: the result is that of waiting with it (before,
// it was scanned whole, and what the versions it replaced held was
// reported again; which blobs went past the bound depended on the
// readers' timing).
func TestGitHeldPastBoundReadAgain(t *testing.T) {
	savedMin, savedHeld := packOrderMin, maxHeld
	defer func() { packOrderMin, maxHeld = savedMin, savedHeld }()
	packOrderMin = 1
	for _, layout := range []string{"packed", "loose"} {
		r := newTestRepo(t)
		evolveFile(r, 3, 400, 30)
		if layout == "packed" {
			r.git("gc", "-q", "--aggressive")
		}
		maxHeld = savedHeld
		g := &Git{Dir: r.dir}
		held := scanGit(t, g)
		if st := g.GitStats(); st.Reread != 0 {
			t.Fatalf("%s: read again with room to hold: %+v", layout, st)
		}
		maxHeld = 1
		g = &Git{Dir: r.dir}
		reread := scanGit(t, g)
		if st := g.GitStats(); st.Reread < 5 {
			t.Fatalf("%s: %d blobs read again, want several of the 30 versions: %+v", layout, st.Reread, st)
		}
		if len(held.errs)+len(reread.errs) != 0 || held.fatal != nil || reread.fatal != nil {
			t.Fatalf("%s: errors: %v %v", layout, held.errs, reread.errs)
		}
		if diff := cmp.Diff(held.blobs, reread.blobs); diff != "" {
			t.Errorf("%s: read again differs from held (-held +read again):\n%s", layout, diff)
		}
	}
}
