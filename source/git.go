package source

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// Git scans git history through the git command line: every blob reachable
// from every ref (branches, tags, remote-tracking refs, stash, notes), a
// commit range, or the staged changes. Each unique blob is read once and
// yielded once to be scanned, attributed to the earliest commit (in
// topological order) that introduced it at each of its paths: the first
// place is the chunk's Origin, the others are in Chunk.Also. A blob that
// replaced an earlier version of its file comes with a Narrow to what it
// changed (see lines.go; AllLines turns that off); a blob whose places
// replaced different versions is yielded once per group of places that
// replaced the same ones (see diffPlan), the content shared. Chunks
// without a Blob only hash a parent's lines for its children (Narrow
// gives no regions).
//
// "git log --raw" lists what every commit added or changed (blob ids and
// paths, no content; for a full history, "git rev-list" then "git
// diff-tree --stdin", two of them on the two halves of a long history),
// then long-lived "git cat-file --batch" processes stream the content of
// each unique blob; a full-history scan reads the packed ones from the
// pack files itself (packs.go).
// Memory holds the list of unique (blob, path) places and the commits that
// introduced them, the line hashes of blobs whose later versions are still
// to come, and the blobs read before the version they replaced (at most
// maxHeld bytes), and, in a full-history scan that reads the packs in
// process, each reader's cache of delta bases (baseCacheSize): never the
// contents of the history.
//
// Binary blobs, blobs over MaxFileSize, symbolic links, submodule gitlinks
// and Git LFS pointer files are skipped and counted. A missing or corrupt
// blob is a per-item error naming its id; the scan goes on.
type Git struct {
	// Dir is the repository: a work tree (or any directory in it) or a bare
	// repository.
	Dir string
	// Range, when set, limits the scan to what the commits in "A..B" or
	// "A...B" added or changed.
	Range string
	// Staged, when set, scans the staged changes: the index against HEAD
	// (against the empty tree in a repository with no commits yet).
	Staged bool
	// Revs, when set, lists the commits to scan as git rev-list arguments:
	// object ids, then optionally "--not" and "--all" (so "<new> --not
	// --all" is what a push brings that no ref reaches yet). Only package
	// code sets it (see Push); the values are not checked for options.
	Revs []string
	// MaxFileSize is the size above which blobs are skipped (and counted);
	// 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Known, when set, is asked about each unique blob with all its places
	// (each group of them that replaced the same versions) before it is
	// read. When it returns true for every group the blob is not read: a
	// chunk with Blob and Origin (and Also) but no Data is yielded for each
	// instead, so a cache can report the blob's findings at those places.
	// It is given the group's cache key, which is the blob id, followed for
	// a group compared with the versions it replaced by "^" and 12 hex
	// digits of each of theirs (what it reports depends on them);
	// Chunk.Blob is that key too.
	Known func(blob string, places []leak.Origin) bool
	// Skip, when set, is told of each blob skipped for its content (binary,
	// or a Git LFS pointer), so that a cache can remember it.
	Skip func(blob string)
	// AllLines, when set, scans every line of every blob. By default a blob
	// that replaced an earlier version of its file is scanned only where
	// its lines changed (see leak.Chunk.Narrow), so that a secret is
	// reported by the commit that added it and not again by every commit
	// that later edits the file.
	AllLines bool
	// Screen, when set, lets a full-history scan that reads the packs pass
	// over the versions that cannot hold a finding (see screen.go): they
	// are counted as scanned but neither compared nor yielded. It is not
	// used with Known (a cache records what each blob's places hold).
	Screen Screen

	objectsDir   string // the object directory, as rev-parse gave it (relative to Dir)
	trackDeleted bool   // list the paths each commit deletes (listing.deleted), for a push

	c  counters
	gc gitCounters
	// screening is the screen of the packs while it runs (for Progress).
	screening atomic.Pointer[packScreen]
	mu        sync.Mutex
	notes     []string
	skipMu    sync.Mutex
	// pending is the listing StartListing began, for Chunks.
	pending *pendingListing
}

// pendingListing is what StartListing finds, once done is closed.
type pendingListing struct {
	done    chan struct{}
	cancel  context.CancelFunc
	info    string // rev-parse's answer
	infoErr error
	l       *listing
	err     error
}

// sparse says the scan reads few blobs: a range, the index or pushed
// commits (not a full history).
func (g *Git) sparse() bool { return g.Range != "" || g.Staged || g.Revs != nil }

// StartListing begins in the background what Chunks does first for a
// range, the index or pushed commits: asking git about the repository and
// listing what to read. Chunks, called next with ctx or a context that
// ctx outlives, takes the result. The command line calls it before it
// loads the rules, so that git works meanwhile (about 5 ms of a 10-commit
// range's 170 ms on the benchmark history). StopListing ends it when
// Chunks will not be called. It does nothing for a full history, whose
// listing runs beside the screen of the packs (which needs the rules).
func (g *Git) StartListing(ctx context.Context) {
	if g.pending != nil || !g.sparse() {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &pendingListing{done: make(chan struct{}), cancel: cancel}
	g.pending = p
	go func() {
		defer close(p.done)
		p.info, p.infoErr, p.l, p.err = g.listSparse(ctx)
	}()
}

// StopListing ends what StartListing began, if Chunks did not take it.
func (g *Git) StopListing() {
	if p := g.pending; p != nil {
		p.cancel()
		<-p.done
		g.pending = nil
	}
}

// repoInfo asks git whether the history is shallow, and where the
// repository and its objects are.
func (g *Git) repoInfo(ctx context.Context) (string, error) {
	return g.output(ctx, "rev-parse", "--is-shallow-repository", "--git-dir", "--git-path", "objects")
}

// listSparse runs repoInfo beside the listing of a range, the index or
// pushed commits: neither needs the other.
func (g *Git) listSparse(ctx context.Context) (info string, infoErr error, l *listing, err error) {
	var wg sync.WaitGroup
	wg.Go(func() { info, infoErr = g.repoInfo(ctx) })
	l, err = g.list(ctx)
	wg.Wait()
	return info, infoErr, l, err
}

// GitStats counts what a Git source found besides what Stats says.
type GitStats struct {
	Commits    int64 // commits listed
	Blobs      int64 // unique blobs found (read, known, skipped or missing)
	Known      int64 // blobs not read because Known said they were scanned
	Submodules int64 // skipped: submodule gitlinks
	LFS        int64 // skipped: Git LFS pointer files
	Missing    int64 // blobs that could not be read (each also yields an error)
	Packed     int64 // blobs (and versions compared with) read from the packs in process, not through git cat-file
	Screened   int64 // blobs that Screen found cannot hold a finding, not compared or scanned further
	Reread     int64 // blobs read from the packs before the versions they replaced, past what may wait in memory: read again after them
}

type gitCounters struct {
	commits, blobs, known, submodules, lfs, missing, packed atomic.Int64
	throughDelta                                            atomic.Int64 // blobs whose child compares through their delta
	screened                                                atomic.Int64 // blobs the screen found cannot hold a finding
	reread                                                  atomic.Int64 // blobs held without their content (maxHeld), read again
}

// Stats implements Source.
func (g *Git) Stats() Stats {
	st := g.c.stats()
	st.Cached = g.gc.known.Load()
	return st
}

// GitStats says what the git listing found; complete once Chunks is done.
func (g *Git) GitStats() GitStats {
	return GitStats{
		Commits: g.gc.commits.Load(), Blobs: g.gc.blobs.Load(), Known: g.gc.known.Load(),
		Submodules: g.gc.submodules.Load(), LFS: g.gc.lfs.Load(), Missing: g.gc.missing.Load(),
		Packed: g.gc.packed.Load(), Screened: g.gc.screened.Load(), Reread: g.gc.reread.Load(),
	}
}

// Notes returns remarks about the scan that are not errors, such as a
// shallow clone whose history is partial; complete once Chunks is done.
// Progress says how many unique blobs have been dealt with (read, skipped,
// known or missing) out of how many the listing found; total is 0 until
// the listing is done.
func (g *Git) Progress() (done, total int64) {
	c := &g.c
	done = c.files.Load() + c.binary.Load() + c.tooLarge.Load() +
		g.gc.known.Load() + g.gc.missing.Load() + g.gc.lfs.Load()
	total = g.gc.blobs.Load()
	if s := g.screening.Load(); s != nil {
		// Blobs screened clean, before they are known to be listed.
		done = min(done+s.clean.Load(), max(total, done))
	}
	return done, total
}

func (g *Git) Notes() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.notes...)
}

// skip tells Skip of a blob; the readers of readParallel call it from two
// goroutines.
func (g *Git) skip(blob string) {
	if g.Skip != nil {
		g.skipMu.Lock()
		g.Skip(blob)
		g.skipMu.Unlock()
	}
}

func (g *Git) note(format string, args ...any) {
	g.mu.Lock()
	g.notes = append(g.notes, fmt.Sprintf(format, args...))
	g.mu.Unlock()
}

// ValidateRange checks the form of a --range value: "A..B" or "A...B",
// neither side starting with "-".
func ValidateRange(r string) error {
	a, b, ok := strings.Cut(r, "..")
	b = strings.TrimPrefix(b, ".")
	if !ok || strings.HasPrefix(a, "-") || strings.HasPrefix(b, "-") || strings.ContainsAny(r, " \t\n") {
		return fmt.Errorf("range %q: want A..B or A...B", r)
	}
	return nil
}

func (g *Git) origin(l *listing, p place) leak.Origin { return l.origin(g.Dir, p) }

// packOrderMin is the number of blobs from which a full-history scan reads
// them in pack order: reading oldest first made git rebuild delta chains,
// 4.5x the CPU of reading in pack order on the benchmark history.
var packOrderMin = 1000

// packOrder sorts todo (indexes into l.blobs) in the order the objects lie
// in the repository's packs: by pack and offset from store, else as `git
// cat-file --batch-all-objects --unordered` lists them. The order of
// reading does not change what is reported: attribution comes from the
// listing, and scan sorts findings. If the listing fails, todo keeps its
// order.
func (g *Git) packOrder(ctx context.Context, l *listing, store *objectStore, todo []int32) {
	if store != nil {
		store.locate(l, todo)
		slices.SortStableFunc(todo, func(a, b int32) int {
			pa, pb := store.blobPos[a], store.blobPos[b]
			return cmp.Or(cmp.Compare(pa.pack, pb.pack), cmp.Compare(pa.off, pb.off))
		})
		return
	}
	pos := make(map[objectID]int32, len(todo))
	for _, i := range todo {
		pos[l.idOf(i)] = -1
	}
	cmd := g.command(ctx, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)", "--unordered")
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		return
	}
	sc := bufio.NewScanner(out)
	var rank int32
	for sc.Scan() {
		id, ok := l.parseID(sc.Bytes())
		if !ok {
			continue
		}
		if r, ok := pos[id]; ok && r < 0 {
			pos[id] = rank
			rank++
		}
	}
	if cmd.Wait() != nil || sc.Err() != nil {
		return
	}
	key := func(i int32) int32 {
		if r := pos[l.idOf(i)]; r >= 0 {
			return r
		}
		return math.MaxInt32 // not in the object store: read (and report) last
	}
	slices.SortStableFunc(todo, func(a, b int32) int { return cmp.Compare(key(a), key(b)) })
}

func gitEnv() []string {
	// GIT_NO_REPLACE_OBJECTS: a refs/replace/ ref would have git show
	// another commit's content in place of the real one, which a clone
	// (not fetching replace refs) still has; the replacement is scanned
	// as a ref of its own.
	return append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_NO_LAZY_FETCH=1", "LC_ALL=C", "GIT_PAGER=cat", "GIT_NO_REPLACE_OBJECTS=1")
}

func (g *Git) command(ctx context.Context, args ...string) *exec.Cmd {
	// The repository's diff settings do not change what is listed: git log
	// follows diff.orderFile and diff.ignoreSubmodules, diff-tree does not.
	full := append([]string{"-C", g.Dir, "-c", "core.quotePath=false", "-c", "log.showSignature=false",
		"-c", "diff.orderFile=" + os.DevNull, "-c", "diff.ignoreSubmodules=none"}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = gitEnv()
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// output runs a short git command and returns its trimmed stdout.
func (g *Git) output(ctx context.Context, args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := g.command(ctx, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", gitError(args[0], err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

func gitError(what string, err error, stderr []byte) error {
	msg := strings.TrimSpace(string(stderr))
	if strings.Contains(msg, "\n") {
		// git's "error: ..." and "fatal: ..." lines say what went wrong
		// (the first often names the object); hints and usage lines
		// after them do not.
		var said []string
		for _, line := range strings.Split(msg, "\n") {
			if (strings.HasPrefix(line, "fatal: ") || strings.HasPrefix(line, "error: ")) && !slices.Contains(said, line) {
				said = append(said, line)
			}
		}
		if len(said) == 0 {
			said = append(said, msg[:strings.IndexByte(msg, '\n')])
		}
		if len(said) > 2 {
			said = append(said[:1], said[len(said)-1])
		}
		msg = strings.Join(said, "; ")
	}
	if msg == "" {
		return fmt.Errorf("git %s: %w", what, err)
	}
	return fmt.Errorf("git %s: %s", what, msg)
}

// Chunks implements Source.
func (g *Git) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if _, err := exec.LookPath("git"); err != nil {
			yield(leak.Chunk{}, fmt.Errorf("source git: %w: %w", err, ErrFatal))
			return
		}
		var (
			info    string
			infoErr error
			l       *listing
			lerr    error
		)
		switch p := g.pending; {
		case p != nil:
			defer g.StopListing()
			select {
			case <-p.done:
			case <-ctx.Done():
				return
			}
			info, infoErr, l, lerr = p.info, p.infoErr, p.l, p.err
		case g.sparse():
			info, infoErr, l, lerr = g.listSparse(ctx)
		default:
			info, infoErr = g.repoInfo(ctx) // listed below, beside the screen
		}
		if ctx.Err() != nil {
			return
		}
		if infoErr != nil {
			yield(leak.Chunk{}, fmt.Errorf("source git: %s is not a git repository: %w: %w", g.Dir, infoErr, ErrFatal))
			return
		}
		if lines := strings.Split(info, "\n"); len(lines) == 3 {
			g.objectsDir = strings.TrimSpace(lines[2]) // for openObjectStore
		}
		if strings.HasPrefix(info, "true") && !g.Staged {
			g.note("%s is a shallow clone: history before its oldest commits is not there to scan, and those commits are credited with everything they contain", g.Dir)
		}
		// A full history's packs are screened while it is listed (see
		// packScreen).
		var early *packScreen
		if g.Screen != nil && g.Known == nil && g.Range == "" && !g.Staged && g.Revs == nil {
			if store := g.openObjectStore(ctx); store != nil {
				early = g.startScreen(ctx, store, g.maxSize())
				g.screening.Store(early)
				defer func() {
					early.close()
					g.screening.Store(nil)
					store.close()
				}()
			}
		}
		if l == nil {
			l, lerr = g.list(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		if err := lerr; err != nil {
			if errors.Is(err, ErrFatal) || len(l.commits) == 0 && !g.Staged {
				if !errors.Is(err, ErrFatal) {
					err = fmt.Errorf("%w: %w", err, ErrFatal)
				}
				yield(leak.Chunk{}, err)
				return
			}
			// A history that could be listed only in part: scan that part.
			if !yield(leak.Chunk{}, err) {
				return
			}
		}
		for _, err := range l.unlisted {
			if !yield(leak.Chunk{}, fmt.Errorf("source git: history listed in part: %w", err)) {
				return
			}
		}
		if len(l.commits) == 0 && l.found == 0 && g.Range == "" && !g.Staged && g.Revs == nil {
			g.note("%s has no commits: there is no history to scan (--staged scans what is staged, --no-git the files on disk)", g.Dir)
		}
		g.gc.commits.Store(int64(len(l.commits)))
		g.gc.blobs.Store(int64(l.found))
		g.read(ctx, l, early, yield)
	}
}

// maxSize is the size above which blobs are skipped.
func (g *Git) maxSize() int64 {
	if g.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return g.MaxFileSize
}

// logFormat is the commit header that parseLog reads.
const logFormat = "--format=%x01%H%x00%an%x00%ae%x00%aI"

// list runs the first phase.
func (g *Git) list(ctx context.Context) (*listing, error) {
	var stashed []string
	if g.Range == "" && !g.Staged && g.Revs == nil {
		stashed = g.olderStashes(ctx)
		// A full history: in parts when it is long. (No commits, or a
		// history rev-list cannot walk: git log says what is wrong.)
		if commits, err := g.revList(ctx, stashed); err == nil && len(commits) > 0 {
			n := 1
			if len(commits) >= parallelListMin {
				n = listParts
			}
			l, err := g.listInParts(ctx, commits, n)
			if ctx.Err() == nil {
				err = errors.Join(err, g.listRefObjects(ctx, l))
			}
			return l, err
		}
		if ctx.Err() != nil {
			return newListing(), ctx.Err()
		}
	}
	l := newListing()
	if g.trackDeleted {
		l.deleted = map[deletion][]string{}
	}
	if g.Staged {
		return l, g.listStaged(ctx, l)
	}
	args := []string{"log", "--topo-order", "--reverse", "--raw", "-c", "--no-abbrev", "--no-renames",
		"--root", "-z", "--no-color", "--no-mailmap", logFormat}
	if g.Range != "" {
		if err := ValidateRange(g.Range); err != nil {
			return l, fmt.Errorf("source git: %w: %w", err, ErrFatal)
		}
		args = append(args, "--end-of-options", g.Range)
	} else if len(g.Revs) > 0 {
		args = append(append(args, g.Revs...), "--")
	} else {
		args = append(append(args, "--all"), stashed...)
	}
	cmd := g.command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return l, fmt.Errorf("source git: %w: %w", err, ErrFatal)
	}
	if err := cmd.Start(); err != nil {
		return l, fmt.Errorf("source git: %w: %w", err, ErrFatal)
	}
	perr := g.parseLog(bufio.NewReaderSize(out, 256<<10), l)
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return l, ctx.Err()
	}
	if werr != nil && perr == nil { // (after a parse error git was killed: say what was wrong)
		err := gitError("log", werr, stderr.Bytes())
		if g.Range != "" && len(l.commits) == 0 {
			return l, fmt.Errorf("source git: range %s: %w: %w", g.Range, err, ErrFatal)
		}
		if g.Revs != nil && len(l.commits) == 0 {
			return l, fmt.Errorf("source git: list commits: %w: %w", err, ErrFatal)
		}
		return l, fmt.Errorf("source git: history listed only in part: %w", err)
	}
	if perr != nil {
		return l, fmt.Errorf("source git: read git log: %w", perr)
	}
	return l, nil
}

// parallelListMin is the number of commits from which a full history is
// listed in parts (listInParts); below it one git diff-tree lists it.
var parallelListMin = 4096

// listParts is the number of git diff-tree processes of listInParts for a
// long history.
var listParts = min(2, runtime.NumCPU())

// olderStashes returns the stash entries below the newest (stash@{1} and
// on): they live only in refs/stash's reflog, which --all does not walk.
// Nothing when there is no stash (or its reflog names a commit that is
// gone: git log -g fails, and rev-list would too).
func (g *Git) olderStashes(ctx context.Context) []string {
	out, err := g.output(ctx, "log", "-g", "--format=%H", "refs/stash", "--")
	if err != nil {
		return nil
	}
	ids := strings.Fields(out)
	if len(ids) <= 1 {
		return nil
	}
	return ids[1:]
}

// revList returns every commit reachable from a ref (and from the commits
// in also), oldest first in topological order, as git log --topo-order
// --reverse --all lists them.
func (g *Git) revList(ctx context.Context, also []string) ([]string, error) {
	out, err := g.output(ctx, append([]string{"rev-list", "--topo-order", "--reverse", "--all"}, also...)...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// listInParts lists commits (in topological order) through n git diff-tree
// --stdin processes, each given a contiguous part, into a listing each;
// the listings are then merged in order. git's tree diffs are most of a
// listing's time, and one git log runs them on one CPU: a synthetic
// history of 200,000 commits took 20 s to list that way, before any blob
// was read. diff-tree given the same commits writes what git log writes.
func (g *Git) listInParts(ctx context.Context, commits []string, n int) (*listing, error) {
	n = max(1, min(n, len(commits)))
	ls := make([]*listing, n)
	errs := make([]error, n)
	unlisted := make([][]error, n)
	var wg sync.WaitGroup
	for k := range n {
		part := commits[k*len(commits)/n : (k+1)*len(commits)/n]
		ls[k] = newListing()
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlisted[k], errs[k] = g.diffTree(ctx, part, ls[k])
		}()
	}
	wg.Wait()
	l := ls[0]
	for k := 1; k < n; k++ {
		if errs[k-1] != nil {
			break // a part listed only in part: what follows would skip commits
		}
		l.merge(ls[k])
	}
	if ctx.Err() != nil {
		return l, ctx.Err()
	}
	for k, u := range unlisted {
		if k > 0 && errs[k-1] != nil {
			break // not merged
		}
		l.unlisted = append(l.unlisted, u...)
	}
	for _, err := range errs {
		if err != nil {
			if len(l.commits) == 0 {
				return l, fmt.Errorf("source git: list commits: %w: %w", err, ErrFatal)
			}
			return l, fmt.Errorf("source git: history listed only in part: %w", err)
		}
	}
	if len(l.commits) == 0 && len(l.unlisted) > 0 {
		err := l.unlisted[0]
		if k := len(l.unlisted); k > 1 {
			err = fmt.Errorf("%w; and %d more: %w", err, k-1, l.unlisted[k-1])
		}
		return l, fmt.Errorf("source git: list commits: %w: %w", err, ErrFatal)
	}
	return l, nil
}

// listRefObjects adds to l the blobs that refs point at without a commit:
// a tag of a blob or of a tree (git.git's junio-gpg-pub is one). They are
// reachable from a ref, but no commit lists them. Their place is the ref's
// name (with ":" and the path in a tree), and no commit.
func (g *Git) listRefObjects(ctx context.Context, l *listing) error {
	out, err := g.output(ctx, "for-each-ref", "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)")
	if err != nil {
		return fmt.Errorf("source git: refs to blobs and trees not listed: %w", err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, " ", 5)
		if len(f) != 5 {
			continue
		}
		typ, id, ref := f[0], f[1], f[4]
		if typ == "tag" && f[2] != "" {
			typ, id = f[2], f[3] // an annotated tag: what it tags
		}
		if typ == "tag" {
			// A tag of a tag: %(*objecttype) peels one level only.
			var err error
			if typ, id, err = g.peel(ctx, id); err != nil {
				return fmt.Errorf("source git: %s not peeled: %w", ref, err)
			}
		}
		if err := g.addRefObject(ctx, l, typ, id, ref); err != nil {
			return err
		}
	}
	return nil
}

// peel returns the type and id of what the tag id ends at, through any
// number of tags.
func (g *Git) peel(ctx context.Context, id string) (typ, peeled string, err error) {
	var stderr bytes.Buffer
	cmd := g.command(ctx, "cat-file", "--batch-check=%(objecttype) %(objectname)")
	cmd.Stdin = strings.NewReader(id + "^{}\n")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", "", gitError("cat-file", err, stderr.Bytes())
	}
	typ, peeled, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok || typ == "tag" {
		return "", "", fmt.Errorf("git cat-file: %s^{}: %s", id, strings.TrimSpace(string(out)))
	}
	return typ, peeled, nil
}

// addRefObject adds to l what ref points at when that is a blob (at the
// ref's name) or a tree (each of its files at ref:path), with no commit.
// Other types add nothing.
func (g *Git) addRefObject(ctx context.Context, l *listing, typ, id, ref string) error {
	switch typ {
	case "blob":
		if err := g.addEntry(l, []byte("100644"), []byte(id), nil, []byte(ref), -1); err != nil {
			return fmt.Errorf("source git: %s: %w", ref, err)
		}
	case "tree":
		files, err := g.lsTree(ctx, id)
		if err != nil {
			return fmt.Errorf("source git: tree of %s not listed: %w", ref, err)
		}
		for _, f := range files {
			if err := g.addEntry(l, []byte(f.mode), []byte(f.id), nil, []byte(ref+":"+f.path), -1); err != nil {
				return fmt.Errorf("source git: %s: %w", ref, err)
			}
		}
	}
	return nil
}

// treeFile is one file of git ls-tree -r.
type treeFile struct{ mode, id, path string }

// lsTree lists the files of a tree (or of a commit's tree), at any depth.
func (g *Git) lsTree(ctx context.Context, treeish string) ([]treeFile, error) {
	var stderr bytes.Buffer
	cmd := g.command(ctx, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", treeish)
	cmd.Stderr = &stderr
	out, err := cmd.Output() // (not trimmed: a path may end in spaces)
	if err != nil {
		return nil, gitError("ls-tree", err, stderr.Bytes())
	}
	var files []treeFile
	for _, e := range strings.Split(string(out), "\x00") {
		// "<mode> <type> <id>\t<path>"
		meta, path, ok := strings.Cut(e, "\t")
		m := strings.Fields(meta)
		if ok && len(m) == 3 {
			files = append(files, treeFile{m[0], m[2], path})
		}
	}
	return files, nil
}

// diffTree lists what the commits changed into l, through git diff-tree
// --stdin.
//
// A commit git cannot diff (its tree, or a parent's, missing or damaged)
// stops git diff-tree. git writes an ordinary commit only once its diff is
// made, so the one it stopped at follows the last it wrote; but it writes a
// merge's header before the combined diff, so when the last commit written
// is one that git cannot diff on its own, that is the one (its header is
// listed, with no files). That commit's files are then listed whole when
// its own tree can be read (as new: there is nothing readable to compare
// with), it is named in unlisted, and the listing goes on with the next
// commit. After maxUnlisted such commits (a treeless clone has a missing
// tree at every commit) the rest are counted, not listed. err says why the
// listing stopped short, if it did.
func (g *Git) diffTree(ctx context.Context, commits []string, l *listing) (unlisted []error, err error) {
	for len(commits) > 0 {
		before := len(l.commits)
		err := g.diffTreeRun(ctx, commits, l)
		if err == nil || ctx.Err() != nil {
			return unlisted, err
		}
		done := len(l.commits) - before
		var gerr *gitFailure
		if !errors.As(err, &gerr) || done > len(commits) ||
			done > 0 && hex.EncodeToString(l.commits[len(l.commits)-1].hash[:l.idLen]) != commits[done-1] {
			return unlisted, err
		}
		at := int32(-1) // the failed commit's index in l, if its header is there
		if done > 0 && g.diffTreeRun(ctx, commits[done-1:done], newListing()) != nil {
			done--
			at = int32(len(l.commits) - 1)
		} else if done == len(commits) {
			return unlisted, err // git failed after its last commit: not a commit's fault
		}
		failed := commits[done]
		commits = commits[done+1:]
		if len(unlisted) == maxUnlisted {
			unlisted = append(unlisted, fmt.Errorf("%d more commits not listed", len(commits)+1))
			return unlisted, nil
		}
		whole := "its files not listed"
		if g.listWhole(ctx, failed, l, at) == nil {
			whole = "its files listed whole, as new"
		}
		unlisted = append(unlisted, fmt.Errorf("commit %s (%s): %w", failed, whole, err))
	}
	return unlisted, nil
}

// maxUnlisted is how many commits git diff-tree may fail on before the
// rest of a listing's part is given up (see diffTree).
var maxUnlisted = 100

// listWhole adds commit's whole tree to l as files it added; at is the
// commit's index in l when its header is listed already, else -1.
func (g *Git) listWhole(ctx context.Context, commit string, l *listing, at int32) error {
	files, err := g.lsTree(ctx, commit)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if at < 0 {
		header, err := g.output(ctx, "log", "-1", "--no-walk", "--no-mailmap", logFormat, "--end-of-options", commit)
		if err != nil {
			return err
		}
		buf.WriteString(header)
		buf.WriteByte(0)
	}
	for _, f := range files { // written as git log writes an added file
		fmt.Fprintf(&buf, ":000000 %s %s %s A\x00%s\x00", f.mode, strings.Repeat("0", len(f.id)), f.id, f.path)
	}
	return g.parseLogAt(bufio.NewReader(&buf), l, at)
}

// diffTreeRun runs one git diff-tree --stdin over commits into l.
func (g *Git) diffTreeRun(ctx context.Context, commits []string, l *listing) error {
	cmd := g.command(ctx, "diff-tree", "--stdin", "--always", "-r", "--raw", "-c", "--no-abbrev", "--no-renames",
		"--root", "-z", "--no-color", logFormat)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		defer in.Close()
		w := bufio.NewWriterSize(in, 64<<10)
		for _, c := range commits {
			w.WriteString(c)
			if w.WriteByte('\n') != nil {
				return
			}
		}
		w.Flush()
	}()
	perr := g.parseLog(bufio.NewReaderSize(out, 256<<10), l)
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if perr != nil { // git was killed after it: the parse error says what was wrong
		return fmt.Errorf("read git diff-tree: %w", perr)
	}
	if werr != nil {
		return &gitFailure{gitError("diff-tree", werr, stderr.Bytes())}
	}
	return nil
}

// gitFailure is git exiting with an error (not a failure to run it or to
// read what it wrote).
type gitFailure struct{ err error }

func (e *gitFailure) Error() string { return e.err.Error() }
func (e *gitFailure) Unwrap() error { return e.err }

// parseLog reads the output of git log -z --raw with the format of list:
// "\x01<hash>\0<name>\0<email>\0<date>\0" then, for each changed file,
// ":<modes> <ids> <status>\0<path>\0" (with one more colon, mode and id per
// further parent for a merge's combined diff).
func (g *Git) parseLog(r *bufio.Reader, l *listing) error { return g.parseLogAt(r, l, -1) }

// parseLogAt is parseLog where the files before the first commit header
// belong to l's commit at (none if at < 0).
func (g *Git) parseLogAt(r *bufio.Reader, l *listing, at int32) error {
	var field [4][]byte
	var line []byte
	var parents [][]byte
	commit := at
	for {
		tok, err := r.ReadSlice(0)
		if err == bufio.ErrBufferFull {
			// Only a path or a name can be this long; keep it whole.
			buf := append([]byte(nil), tok...)
			for err == bufio.ErrBufferFull {
				tok, err = r.ReadSlice(0)
				buf = append(buf, tok...)
			}
			tok = buf
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(tok)) != 0 {
				return fmt.Errorf("unexpected end of output")
			}
			return nil
		}
		if err != nil {
			return err
		}
		tok = bytes.TrimLeft(tok[:len(tok)-1], "\n")
		switch {
		case len(tok) > 0 && tok[0] == 1:
			field[0] = append(field[0][:0], tok[1:]...)
			for i := 1; i < 4; i++ {
				t, err := r.ReadBytes(0)
				if err != nil {
					return fmt.Errorf("commit %s: %w", field[0], err)
				}
				field[i] = append(field[i][:0], t[:len(t)-1]...)
			}
			hash, ok := l.parseID(field[0])
			if !ok {
				return fmt.Errorf("malformed commit id %q", field[0])
			}
			commit = l.addCommit(hash, field[1], field[2], field[3])
		case len(tok) > 0 && tok[0] == ':':
			// A copy: reading the path below may reuse tok's buffer.
			line = append(line[:0], tok...)
			mode, id, ps, err := parseRaw(line, parents[:0])
			if err != nil {
				return err
			}
			parents = ps
			path, err := r.ReadBytes(0)
			if err != nil {
				return fmt.Errorf("raw line %q: no path: %w", tok, err)
			}
			path = path[:len(path)-1]
			if commit < 0 {
				return fmt.Errorf("raw line %q before any commit", tok)
			}
			if err := g.addEntry(l, mode, id, parents, path, commit); err != nil {
				return err
			}
		case len(tok) == 0:
		default:
			return fmt.Errorf("unexpected git log output %q", tok)
		}
	}
}

// parseRaw returns the result mode and blob id of one raw diff line (n
// colons, n+1 modes, n+1 ids, then the status), and the ids of the regular
// files it replaced, appended to parents. mode, id and the parents are
// parts of line. (It cuts the line itself: strings.Fields alone was an
// eighth of parsing git log's 73,609 raw lines on the benchmark history,
// and each line was copied to a string first.)
func parseRaw(line []byte, parents [][]byte) (mode, id []byte, _ [][]byte, err error) {
	n := 0
	for n < len(line) && line[n] == ':' {
		n++
	}
	var fields [2*4 + 3][]byte // room for merges of up to 4 parents without allocating
	f, rest := fields[:0], line[n:]
	for len(rest) > 0 && len(f) < 2*n+3 {
		field := rest
		if i := bytes.IndexByte(rest, ' '); i >= 0 {
			field, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		f = append(f, field)
	}
	if n == 0 || len(f) != 2*n+3 || len(rest) > 0 || slices.ContainsFunc(f, func(b []byte) bool { return len(b) == 0 }) {
		return nil, nil, nil, fmt.Errorf("malformed raw diff line %q", line)
	}
	for k := range n {
		if pm, pid := f[k], f[n+1+k]; isRegular(pm) && !isZeroID(pid) && !slices.ContainsFunc(parents, func(p []byte) bool { return bytes.Equal(p, pid) }) {
			parents = append(parents, pid)
		}
	}
	return f[n], f[2*n+1], parents, nil
}

// isRegular reports whether a git file mode is a regular file's.
func isRegular(mode []byte) bool { return bytes.HasPrefix(mode, []byte("10")) }

const (
	modeGitlink = "160000"
	modeSymlink = "120000"
)

func isZeroID(id []byte) bool { return len(bytes.Trim(id, "0")) == 0 }

// addEntry records one changed file of a raw diff (see parseRaw).
func (g *Git) addEntry(l *listing, mode, id []byte, parents [][]byte, path []byte, commit int32) error {
	switch {
	case isZeroID(id): // deleted
		if l.deleted != nil && commit >= 0 {
			for _, pid := range parents {
				k := deletion{commit, string(pid)}
				l.deleted[k] = append(l.deleted[k], string(path))
			}
		}
	case string(mode) == modeGitlink:
		g.gc.submodules.Add(1)
	case string(mode) == modeSymlink:
		g.c.symlinks.Add(1)
	case isRegular(mode):
		bid, ok := l.parseID(id)
		if !ok {
			return fmt.Errorf("malformed blob id %q", id)
		}
		var buf [4]objectID
		pids := buf[:0]
		for _, p := range parents {
			pid, ok := l.parseID(p)
			if !ok {
				return fmt.Errorf("malformed blob id %q", p)
			}
			pids = append(pids, pid)
		}
		l.add(bid, path, commit, pids)
	}
	return nil
}

func (g *Git) listStaged(ctx context.Context, l *listing) error {
	base := "HEAD"
	if _, err := g.output(ctx, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		// No commits yet: diff against the empty tree (of this repository's
		// hash algorithm).
		empty, err := g.output(ctx, "hash-object", "-t", "tree", "/dev/null")
		if err != nil {
			return fmt.Errorf("source git: staged: %w: %w", err, ErrFatal)
		}
		base = empty
	}
	cmd := g.command(ctx, "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-color", "--end-of-options", base)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("source git: staged: %w: %w", gitError("diff", err, stderr.Bytes()), ErrFatal)
	}
	toks := bytes.Split(out, []byte{0})
	for i := 0; i+1 < len(toks); i += 2 {
		tok := bytes.TrimLeft(toks[i], "\n")
		if len(tok) == 0 {
			i--
			continue
		}
		mode, id, parents, err := parseRaw(tok, nil)
		if err == nil {
			err = g.addEntry(l, mode, id, parents, toks[i+1], -1)
		}
		if err != nil {
			return fmt.Errorf("source git: staged: %w: %w", err, ErrFatal)
		}
	}
	return nil
}

// lfsPointer reports whether data is a Git LFS pointer file, as the
// specification (git-lfs docs/spec.md) defines one: under 1024 bytes, a
// version line, then "key value" lines sorted by key, among them an oid
// (sha256:<64 hex>) and a size, every other key an extension (ext-N-name)
// with an oid of its own.
// Anything else is scanned: a pointer's first line followed by a secret is
// not a pointer.
func lfsPointer(data []byte) bool {
	if len(data) >= 1024 {
		return false
	}
	rest, ok := bytes.CutPrefix(data, []byte("version https://git-lfs.github.com/spec/v1\n"))
	if !ok {
		if rest, ok = bytes.CutPrefix(data, []byte("version https://hawser.github.com/spec/v1\n")); !ok {
			return false
		}
	}
	var oid, size bool
	var prev []byte
	for len(rest) > 0 {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		key, value, sp := bytes.Cut(line, []byte(" "))
		if !ok || !sp || bytes.Compare(key, prev) <= 0 {
			return false
		}
		switch {
		case string(key) == "oid":
			hex, ok := bytes.CutPrefix(value, []byte("sha256:"))
			oid = ok && len(hex) == 64 && isLowerHex(hex)
		case string(key) == "size":
			size = len(value) > 0 && len(value) <= 20 && isDigits(value)
		case bytes.HasPrefix(key, []byte("ext-")):
			// ext-<n>-<name> sha256:<64 hex>
			hex, ok := bytes.CutPrefix(value, []byte("sha256:"))
			if !ok || len(hex) != 64 || !isLowerHex(hex) {
				return false
			}
		default:
			return false
		}
		prev, rest = key, after
	}
	return oid && size
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// read runs the second phase: known blobs are yielded without content, the
// others are read through git cat-file --batch, with the parents that a
// changed blob is compared with (see Chunk.Narrow).
func (g *Git) read(ctx context.Context, l *listing, early *packScreen, yield func(leak.Chunk, error) bool) {
	places := func(ks []int32) (leak.Origin, []leak.Origin) {
		first := g.origin(l, l.places[ks[0]])
		first.Line, first.Column = 1, 1
		also := make([]leak.Origin, 0, len(ks)-1)
		for _, k := range ks[1:] {
			also = append(also, g.origin(l, l.places[k]))
		}
		return first, also
	}
	listed := len(l.blobs)
	diff := diffPlan{l, g.AllLines}
	// The listing's lookup maps are no longer needed; let them go.
	l.dropLookups()

	d := &delivery{g: g, l: l, yield: yield, places: places, diff: diff,
		state: make([]uint8, len(l.blobs)), lines: make([]*priorLines, len(l.blobs)), hashed: make([]bool, len(l.blobs)),
		published: make([]bool, len(l.blobs)),
		held:      map[int32]*heldBlob{}, waiting: map[int32][]int32{}, order: map[int32]binary.AppendByteOrder{}}
	todo := make([]int32, 0, listed)
	for i := range listed {
		b := &l.blobs[i]
		if b.first < 0 {
			continue // only a version that others replaced
		}
		if g.Known != nil {
			if known := d.known(int32(i)); known != nil {
				g.gc.known.Add(1)
				for _, c := range known {
					if !d.send(c, nil) {
						return
					}
				}
				continue
			}
		}
		todo = append(todo, int32(i))
		d.state[i] = stateToScan
	}
	limit := g.maxSize()
	// A full history: read what the packs hold in process, in pack order.
	// Fewer blobs (a range) are read from the packs too, further below,
	// grouped with the versions they replaced.
	full := g.Range == "" && !g.Staged && g.Revs == nil && len(todo) >= packOrderMin
	var store *objectStore
	switch {
	case early != nil && full:
		// Only the blobs that may hold a finding are read and scanned
		// below, with the versions they replaced (see screen.go).
		store = early.store
		before := todo
		todo = early.finish(g, l, slices.Clone(todo))
		for _, i := range before {
			d.state[i] = stateOther
		}
		for _, i := range todo {
			d.state[i] = stateToScan
		}
		if ctx.Err() != nil {
			return
		}
	case early != nil:
		early.close() // too few blobs to read in process
	case full:
		if store = g.openObjectStore(ctx); store != nil {
			defer store.close()
		}
	}
	// Parents of the blobs to scan keep their lines for them; those that
	// are not scanned themselves (known, or outside a range) are read for
	// their lines only, first.
	children := make([]int32, len(l.blobs))
	for _, i := range todo {
		diff.uses(i, func(p int32) { children[p]++ })
	}
	var bases []int32
	parents := 0
	for _, n := range children {
		if n > 0 {
			parents++
		}
	}
	slab := make([]priorLines, 0, parents) // one allocation for all
	for i, n := range children {
		if n == 0 {
			continue
		}
		slab = slab[:len(slab)+1]
		d.lines[i] = &slab[len(slab)-1]
		d.lines[i].init(n)
		if d.state[i] != stateToScan {
			bases = append(bases, int32(i))
		}
	}
	got := d.deliver
	// The parents that are not scanned are only hashed, as they are read.
	// (The readers may run in parallel with deliver, which changes a blob's
	// state only once the blob has been read.)
	hashOnly := func(i int32) bool { return d.state[i] != stateToScan }
	// A blob held past maxHeld is read again: from the packs (a reader of
	// the delivery's own: deliver runs in one goroutine), or through git.
	var again *packReader
	ask := &blobAsker{g: g, ctx: ctx}
	defer ask.close()
	d.reread = func(i int32) ([]byte, bool) {
		if store != nil && store.blobPos != nil && store.blobPos[i].pack < len(store.packs) {
			if again == nil {
				again = store.reader()
			}
			if data, _, status, ok := again.readBlobAt(store.blobPos[i], limit); ok && status == "" {
				return data, true
			}
		}
		return ask.read(l.blobHex(i), limit)
	}
	if full {
		if store != nil && compareByDelta {
			// A version read from a delta against its only child serves
			// that child through the delta (see markCopied).
			store.onlyChild = map[int32]int32{}
			for _, c := range todo {
				diff.onlyParents(c, func(p int32) {
					if children[p] == 1 {
						store.onlyChild[p] = c
					}
				})
			}
		}
		todo = append(bases, todo...)
		g.packOrder(ctx, l, store, todo)
		if runtime.NumCPU() > 1 {
			// Two readers, each on a contiguous half of the packs (a cache
			// of delta bases needs the locality): one git cat-file alone
			// left the CPUs idle part of the time (6.0-6.6 s against
			// 6.8-7.1 s on the benchmark history, alternating).
			k := splitPoint(todo, diff.of, len(l.blobs))
			g.readParallel(ctx, l, store, [][]int32{todo[:k], todo[k:]}, limit, hashOnly, got)
		} else {
			g.readPart(ctx, l, store, todo, limit, hashOnly, got)
		}
	} else {
		// A range, the index or pushed commits: a few blobs spread over
		// the packs, read there in process too (see objectStore.sparse),
		// and through git cat-file what the packs do not hold. On a
		// 10-commit range of the benchmark history this took 0.29 s of CPU
		// against 0.31 s through two git cat-file (C's zlib inflates
		// faster than Go's, but the blobs no longer go through pipes), and
		// no longer sorts the whole index (sparse).
		if store = g.openObjectStore(ctx); store != nil {
			defer store.close()
			store.sparse = true
		}
		if g.Range != "" && len(bases) > 0 && compareByDelta && store != nil {
			// A version the packs store as a delta against its only
			// child need not be read: the readers publish that delta
			// (deltaAgainst), and the child is compared with it through
			// it (markCopied).
			store.onlyChild = map[int32]int32{}
			for _, c := range todo {
				diff.onlyParents(c, func(p int32) {
					if children[p] == 1 && d.state[p] != stateToScan {
						store.onlyChild[p] = c
					}
				})
			}
		}
		// Each blob right after the parents it is compared with: they are
		// versions of one file, so git's delta cache serves the second.
		groups := make([][]int32, 0, len(todo))
		isBase := make(map[int32]bool, len(bases))
		for _, b := range bases {
			isBase[b] = true
		}
		for _, i := range todo {
			var grp []int32
			for _, p := range diff.of(i) {
				if isBase[p] {
					grp = append(grp, p)
					delete(isBase, p)
				}
			}
			groups = append(groups, append(grp, i))
		}
		if store != nil {
			store.locate(l, slices.Concat(groups...))
		}
		if len(todo) >= parallelReadMin && runtime.NumCPU() > 1 {
			parts := make([][]int32, gitReaders)
			for k, grp := range groups {
				parts[k%gitReaders] = append(parts[k%gitReaders], grp...)
			}
			g.readParallel(ctx, l, store, parts, limit, hashOnly, got)
		} else {
			g.readPart(ctx, l, store, slices.Concat(groups...), limit, hashOnly, got)
		}
	}
	if ctx.Err() == nil && !d.stopped {
		d.flush()
	}
}

// compareByDelta turns comparing through deltas on (tests compare with it
// off).
var compareByDelta = true

func abs(x int) int { return max(x, -x) }

// splitPoint returns where to cut blobs in pack order in two for two
// readers: near the middle (40-60%), where the fewest blobs and the
// versions they are compared with fall on different sides. Versions of a
// file lie together in the packs, so there is usually a cut with none; a
// pair across the cut would keep a blob held until the other reader gets
// to its parent.
func splitPoint(order []int32, diff func(int32) []int32, blobs int) int {
	n := len(order)
	pos := make([]int32, blobs)
	for i := range pos {
		pos[i] = -1
	}
	for k, i := range order {
		pos[i] = int32(k)
	}
	delta := make([]int, n+2) // pairs crossing a cut at k: lo < k <= hi
	for k, i := range order {
		for _, p := range diff(i) {
			if q := int(pos[p]); q >= 0 {
				lo, hi := min(k, q), max(k, q)
				delta[lo+1]++
				delta[hi+1]--
			}
		}
	}
	best, fewest, crossing := n/2, -1, 0
	for k := 1; k < n; k++ {
		crossing += delta[k]
		if 5*k < 2*n || 5*k > 3*n {
			continue
		}
		if fewest < 0 || crossing < fewest || crossing == fewest && abs(2*k-n) < abs(2*best-n) {
			best, fewest = k, crossing
		}
	}
	return best
}

// diffPlan says which blobs each blob is compared with: at each of its
// places, the blobs that place replaced (parents not listed themselves,
// outside a --range say, are entries without places). The places of a
// blob that replaced the same versions form a group, yielded as one chunk
// compared with them; a blob at one place, or at several that all
// replaced the same versions (copies of a file edited alike), has one. A
// group of places that replaced nothing (new files, new paths) is scanned
// whole. It is computed from the listing on each call, not kept per blob.
type diffPlan struct {
	l   *listing
	off bool // AllLines: compare nothing
}

// placeGroup is places of one blob that replaced the same versions.
type placeGroup struct {
	parents []int32 // indexes in the listing's blobs
	places  []int32 // indexes in the listing's places, in order
}

// maxGroups bounds the groups of one blob (each is scanned on its own):
// places past it whose versions differ from every group's are scanned
// whole, with those that replaced nothing.
const maxGroups = 8

// groups returns blob i's places grouped by the versions they replaced,
// in the order of their first places.
func (p diffPlan) groups(i int32) []placeGroup {
	b := &p.l.blobs[i]
	if b.first < 0 {
		return nil
	}
	first := p.group(b.first)
	if b.count == 1 {
		return []placeGroup{{parents: first, places: []int32{b.first}}}
	}
	gs := []placeGroup{{parents: first, places: []int32{b.first}}}
	whole := -1 // the group scanned whole, once there is one
	if len(first) == 0 {
		whole = 0
	}
	for k := p.l.places[b.first].next; k >= 0; k = p.l.places[k].next {
		ps := p.group(k)
		at := -1
		for g := range gs {
			if sameSet(gs[g].parents, ps) {
				at = g
				break
			}
		}
		if at < 0 && len(ps) > 0 && len(gs) >= maxGroups {
			at, ps = whole, nil // past the bound: scanned whole
		}
		if at < 0 {
			at = len(gs)
			gs = append(gs, placeGroup{parents: ps})
			if len(ps) == 0 {
				whole = at
			}
		}
		gs[at].places = append(gs[at].places, k)
	}
	return gs
}

// group returns the versions place k replaced, nil when they are not
// compared (AllLines).
func (p diffPlan) group(k int32) []int32 {
	if p.off {
		return nil
	}
	return p.l.parentsOf(k)
}

// groupParents calls f with the versions each group of blob i's places
// replaced (none when nothing is compared); a blob at one place takes no
// allocation.
func (p diffPlan) groupParents(i int32, f func(parents []int32)) {
	b := &p.l.blobs[i]
	switch {
	case p.off || b.first < 0:
	case b.count == 1:
		f(p.l.parentsOf(b.first))
	default:
		for _, g := range p.groups(i) {
			f(g.parents)
		}
	}
}

// of returns the blobs that blob i waits for: the versions its places
// replaced, each once (those of its only place as they are).
func (p diffPlan) of(i int32) []int32 {
	if b := &p.l.blobs[i]; b.count == 1 && !p.off {
		return p.l.parentsOf(b.first)
	}
	var out []int32
	p.groupParents(i, func(ps []int32) {
		for _, q := range ps {
			if !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	})
	return out
}

// uses calls f for each use of a parent by blob i: once per group it is a
// parent of (the count its lines are kept for, and released by).
func (p diffPlan) uses(i int32, f func(parent int32)) {
	p.groupParents(i, func(ps []int32) {
		for _, q := range ps {
			f(q)
		}
	})
}

// onlyParents calls f with the parent of each group of blob i that has
// one (a version the packs may store as a delta against the blob).
func (p diffPlan) onlyParents(i int32, f func(parent int32)) {
	p.groupParents(i, func(ps []int32) {
		if len(ps) == 1 {
			f(ps[0])
		}
	})
}

// sameSet says whether a and b hold the same blobs (a merge's parents
// can name one twice).
func sameSet(a, b []int32) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// Blob states during the read phase.
const (
	stateOther  uint8 = iota // not read in this scan (known), or not read yet
	stateToScan              // to be read and scanned, not read yet
	stateLines               // read: a chunk that fills its lines (if wanted) is yielded
	stateNoUse               // read and found unusable (missing, binary, too large...)
)

// maxHeld bounds the bytes of blobs held back until a parent is read: in
// pack order a blob usually comes just before the version it replaced
// (one pass in pack order over the 1.6 GB benchmark history would hold
// 13 MB at most). Past the bound a blob is held without its content, and
// read again (from the packs, or through git) once its parents are read.
var maxHeld int64 = 64 << 20

// delivery turns what cat-file read into chunks, in the reading goroutine.
// A chunk compared with its parents waits (in Narrow) for their lines, so
// a chunk that fills a blob's lines is always yielded before the chunks
// that use them: a blob read before its parents is held back until they
// are read, and a blob that is held but is itself a parent gets a
// lines-only chunk at once, so that its children need not wait for it.
type delivery struct {
	g      *Git
	l      *listing
	yield  func(leak.Chunk, error) bool
	places func(places []int32) (leak.Origin, []leak.Origin)
	diff   diffPlan
	state  []uint8
	lines  []*priorLines                    // per blob: its lines, for its children
	order  map[int32]binary.AppendByteOrder // blobs whose data is UTF-16 decoded
	hashed []bool                           // per blob: its lines came from a lines-only chunk
	// published, per blob: its priorLines holds its delta against its
	// only child, published when it was read.
	published []bool
	held      map[int32]*heldBlob
	waiting   map[int32][]int32 // parent -> held children
	heldSum   int64
	stopped   bool // the consumer stopped
	// knownChunks is known's result, reused from blob to blob.
	knownChunks []leak.Chunk
	// reread reads blob i again, for blobs held past maxHeld.
	reread func(i int32) ([]byte, bool)
}

type heldBlob struct {
	data    []byte // nil when reread
	missing int    // parents not read yet
	reread  bool   // held without its content, read again when woken
}

// known returns, when the cache knows every group of blob i's places, a
// chunk without content for each, for the cache to report its findings
// there (valid until the next call); else nil.
func (d *delivery) known(i int32) []leak.Chunk {
	d.knownChunks = d.knownChunks[:0]
	for _, gr := range d.diff.groups(i) {
		first, also := d.places(gr.places)
		key := d.key(i, gr.parents)
		if !d.g.Known(key, append([]leak.Origin{first}, also...)) {
			return nil
		}
		d.knownChunks = append(d.knownChunks, leak.Chunk{Blob: key, Origin: first, Also: also})
	}
	return d.knownChunks
}

// key is the id under which a blob's findings at a group of its places
// are cached: the blob id, and for a group compared with parents ps, the
// first 12 hex digits of theirs too (what it reports depends on them).
func (d *delivery) key(i int32, ps []int32) string {
	l := d.l
	if len(ps) == 0 {
		return l.blobHex(i)
	}
	k := make([]byte, 0, 2*l.idLen+13*len(ps))
	k = hex.AppendEncode(k, l.blobID(i))
	for _, p := range ps {
		k = hex.AppendEncode(append(k, '^'), l.blobID(p)[:6]) // 12 hex digits
	}
	return string(k)
}

// blobRead is one answer of git cat-file: the content, or why there is
// none ("missing", "large", "binary", or "failed" with err).
type blobRead struct {
	i      int32
	data   []byte
	lines  *lineHashes // instead of data, for a blob read only for its lines
	size   int64
	status string
	err    error
	// order is set when data is the blob's UTF-16 decoded: the byte
	// order that encodes it back (see markUTF16Prior).
	order binary.AppendByteOrder
	// delta, when set, is the blob as a delta against its only child,
	// which is compared with it through the delta (markCopied, markAssembled).
	delta *priorDelta
}

// deliver handles one blob read; it returns false when the consumer
// stopped.
func (d *delivery) deliver(r blobRead) bool {
	g, b := d.g, &d.l.blobs[r.i]
	scan := d.state[r.i] == stateToScan
	if r.status == "" && lfsPointer(r.data) {
		r.status = "lfs"
	}
	switch r.status {
	case "missing", "failed":
		if scan {
			g.gc.missing.Add(1)
			g.c.unreadable.Add(1)
			first, _ := d.places([]int32{b.first})
			id := d.l.blobHex(r.i)
			where := short(first.Commit, g.Staged)
			err := fmt.Errorf("source git: blob %s (%s in %s) is missing or corrupt", id, first.Path, where)
			if r.err != nil {
				err = fmt.Errorf("source git: read blob %s (%s in %s): %w", id, first.Path, where, r.err)
			}
			if !d.send(leak.Chunk{Blob: id, Origin: first}, err) {
				return false
			}
		}
		return d.unusable(r.i)
	case "large":
		if scan {
			g.c.tooLarge.Add(1)
		}
		return d.unusable(r.i)
	case "binary", "lfs":
		if scan {
			if r.status == "lfs" {
				g.gc.lfs.Add(1)
			} else {
				g.c.binary.Add(1)
			}
			g.skip(d.l.blobHex(r.i))
		}
		return d.unusable(r.i)
	}
	if own := d.lines[r.i]; own != nil && r.delta != nil {
		// Its child is compared with it through its delta: publish that
		// now (the blob itself, if scanned, goes on below).
		own.delta = r.delta
		own.fill(&lineHashes{})
		d.published[r.i] = true
		g.gc.throughDelta.Add(1)
		if !d.ready(r.i) {
			return false
		}
	}
	if !scan {
		if d.published[r.i] {
			return true
		}
		// A parent read for its lines only.
		if own := d.lines[r.i]; own != nil && r.lines != nil {
			own.fill(r.lines)
			return d.ready(r.i)
		}
		return d.linesOnly(r.i, r.data)
	}
	g.c.files.Add(1)
	g.c.bytes.Add(r.size)
	if r.order != nil {
		d.order[r.i] = r.order
	}
	ps := d.diff.of(r.i)
	missing := 0
	for _, p := range ps {
		if !settled(d.state[p]) {
			missing++
		}
	}
	if missing == 0 {
		return d.emit(r.i, r.data)
	}
	over := d.heldSum+int64(len(r.data)) > maxHeld
	if d.lines[r.i] != nil && !d.published[r.i] {
		// Its children need not wait for its parents.
		d.lines[r.i].refs.Add(1) // its own chunk, later, uses the lines too
		d.hashed[r.i] = true
		if !d.linesOnly(r.i, r.data) {
			return false
		}
	}
	if over {
		d.held[r.i] = &heldBlob{missing: missing, reread: true}
		g.gc.reread.Add(1)
	} else {
		d.held[r.i] = &heldBlob{data: r.data, missing: missing}
		d.heldSum += int64(len(r.data))
	}
	for _, p := range ps {
		if !settled(d.state[p]) {
			d.waiting[p] = append(d.waiting[p], r.i)
		}
	}
	return true
}

// settled says whether a blob in state s was read: its lines yielded, or
// found unusable (a blob that waited for it is scanned whole where it
// replaced it).
func settled(s uint8) bool { return s == stateLines || s == stateNoUse }

// linesOnly yields a chunk that only fills blob i's lines (if anyone needs
// them), and emits the blobs that waited only for them.
func (d *delivery) linesOnly(i int32, data []byte) bool {
	if own := d.lines[i]; own != nil {
		if !d.send(leak.Chunk{Data: data, Narrow: narrower(data, own, false, nil, false, nil)}, nil) {
			return false
		}
	}
	return d.ready(i)
}

// emit yields the chunks of blob i, then what waited for it: one for each
// group of its places whose versions it replaced are all read and usable,
// compared with them, and one for the other places (new paths, or a
// version that is binary, missing, too large or not read yet), scanned
// whole.
func (d *delivery) emit(i int32, data []byte) bool {
	var groups []placeGroup
	var whole []int32
	for _, gr := range d.diff.groups(i) {
		compare := len(gr.parents) > 0 && len(data) > 0
		for _, p := range gr.parents {
			compare = compare && d.state[p] == stateLines
		}
		if compare {
			groups = append(groups, gr)
			continue
		}
		for _, p := range gr.parents {
			d.lines[p].release() // it will not compare with them
		}
		whole = append(whole, gr.places...)
	}
	if whole != nil {
		slices.Sort(whole) // places are listed in order
		groups = append(groups, placeGroup{places: whole})
	}
	own, hashed := d.lines[i], d.hashed[i]
	if d.published[i] {
		own = nil // its child compares through its delta
	}
	if len(data) > 0 {
		fills, filled := own, hashed // the first group fills (or waits for) the blob's lines
		for _, gr := range groups {
			var parents []*priorLines
			for _, p := range gr.parents {
				parents = append(parents, d.lines[p])
			}
			c := leak.Chunk{Data: data, Blob: d.key(i, gr.parents)}
			c.Origin, c.Also = d.places(gr.places)
			if fills != nil || len(parents) > 0 {
				c.Narrow = narrower(data, fills, filled, parents, true, d.order[i])
				fills, filled = nil, false
			}
			if !d.send(c, nil) {
				return false
			}
		}
		delete(d.order, i)
	} else {
		switch {
		case own != nil && hashed:
			own.release() // the reference its own chunk would have used
		case own != nil:
			own.fill(&lineHashes{})
		}
		d.g.skip(d.l.blobHex(i)) // nothing to scan at any path: the cache need not ask again
	}
	if hashed || d.published[i] {
		return true // its lines (or delta) were published when it was read
	}
	return d.ready(i)
}

// ready marks blob i's lines yielded and emits the blobs that waited only
// for them.
func (d *delivery) ready(i int32) bool {
	d.state[i] = stateLines
	return d.wake(i)
}

// unusable marks blob i as one that cannot serve as a parent, and emits
// the blobs that waited only for it (scanned whole where they replaced it).
func (d *delivery) unusable(i int32) bool {
	if d.state[i] == stateToScan {
		d.diff.uses(i, func(p int32) { d.lines[p].release() }) // it will not compare with them
	}
	d.state[i] = stateNoUse
	if own := d.lines[i]; own != nil {
		own.fill(nil)
	}
	return d.wake(i)
}

// wake emits the held blobs that waited for blob i, now read, and for no
// other.
func (d *delivery) wake(i int32) bool {
	kids := d.waiting[i]
	delete(d.waiting, i)
	for _, k := range kids {
		h := d.held[k]
		if h == nil {
			continue // already emitted whole
		}
		h.missing--
		if h.missing > 0 {
			continue
		}
		delete(d.held, k)
		d.heldSum -= int64(len(h.data))
		if !d.emitHeld(k, h) {
			return false
		}
	}
	return true
}

// blobAsker reads blobs again one at a time, as the readers read them,
// through a git cat-file of its own, started on first use and kept (see
// maxHeld).
type blobAsker struct {
	g      *Git
	ctx    context.Context
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	failed bool
}

// read returns blob id's content, or false if it cannot.
func (a *blobAsker) read(id string, limit int64) ([]byte, bool) {
	if a.failed {
		return nil, false
	}
	if a.cmd == nil {
		cmd := a.g.command(a.ctx, "cat-file", "--batch")
		in, err := cmd.StdinPipe()
		if err != nil {
			a.failed = true
			return nil, false
		}
		out, err := cmd.StdoutPipe()
		if err != nil || cmd.Start() != nil {
			a.failed = true
			return nil, false
		}
		a.cmd, a.in, a.out = cmd, in, bufio.NewReaderSize(out, 64<<10)
	}
	if _, err := io.WriteString(a.in, id+"\n"); err != nil {
		a.failed = true
		return nil, false
	}
	var order binary.AppendByteOrder
	data, _, status, err := readObject(a.out, id, limit, nil, &order)
	if err != nil {
		a.failed = true // out of step: ask no more
		return nil, false
	}
	return data, status == ""
}

// close ends the git process, if started.
func (a *blobAsker) close() {
	if a.cmd != nil {
		a.in.Close()
		_ = a.cmd.Wait()
	}
}

// emitHeld emits held blob k, read again if it was held without its
// content.
func (d *delivery) emitHeld(k int32, h *heldBlob) bool {
	if !h.reread {
		return d.emit(k, h.data)
	}
	data, ok := d.reread(k)
	if !ok {
		// It was read before from the same packs: a damaged entry that
		// got past its checks, or a failed read. Nothing to scan now.
		first, _ := d.places([]int32{d.l.blobs[k].first})
		d.g.gc.missing.Add(1)
		d.g.c.unreadable.Add(1)
		id := d.l.blobHex(k)
		return d.send(leak.Chunk{Blob: id, Origin: first}, fmt.Errorf("source git: blob %s (%s in %s) could not be read again", id, first.Path, short(first.Commit, d.g.Staged)))
	}
	return d.emit(k, data)
}

// flush scans whole whatever is still held (a parent that was never read).
func (d *delivery) flush() {
	for _, k := range slices.Sorted(maps.Keys(d.held)) {
		h := d.held[k]
		if h == nil {
			continue // emitted meanwhile, when a blob it waited for was
		}
		delete(d.held, k)
		if !d.emitHeld(k, h) {
			return
		}
	}
}

func (d *delivery) send(c leak.Chunk, err error) bool {
	if d.stopped {
		return false
	}
	if !d.yield(c, err) {
		d.stopped = true
		return false
	}
	return true
}

// parallelReadMin is the number of blobs from which a scan that does not
// read in pack order (a --range, say) reads them with two readers: one
// git cat-file inflating blobs was the slowest stage of a 10-commit range
// on the benchmark repository (1,098 blobs, 34.6 MB: 135 ms for one
// cat-file, 88 ms for two on half the blobs each). A full-history scan
// splits the pack order in two contiguous halves instead.
var parallelReadMin = 256

// gitReaders is the number of readers (of the packs, or git cat-file
// processes) of a parallel read (three or four were no faster than two on
// a 2-CPU machine).
const gitReaders = 2

// readParallel reads lists of blobs in parallel (see readPart), and hands
// what all read to got from this goroutine.
func (g *Git) readParallel(ctx context.Context, l *listing, store *objectStore, halves [][]int32, limit int64, hashOnly func(int32) bool, got func(blobRead) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan blobRead, 4)
	send := func(r blobRead) bool {
		select {
		case items <- r:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	for _, h := range halves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.readPart(ctx, l, store, h, limit, hashOnly, send)
		}()
	}
	go func() {
		wg.Wait()
		close(items)
	}()
	for it := range items {
		if !got(it) {
			cancel()
			for range items {
				// Let the readers see the cancellation and stop.
			}
			return
		}
	}
}

// readPart reads todo in that order from the packs (store, when not nil),
// then what they did not give through git cat-file.
func (g *Git) readPart(ctx context.Context, l *listing, store *objectStore, todo []int32, limit int64, hashOnly func(int32) bool, got func(blobRead) bool) {
	rest := todo
	if store != nil {
		rest = nil
		r := store.reader()
		for _, i := range todo {
			if ctx.Err() != nil {
				return
			}
			if c, ok := store.onlyChild[i]; ok && store.sparse {
				// Not read if stored as a delta against its child.
				if pd, ok := r.deltaAgainst(store.blobPos[i], store.blobPos[c]); ok {
					g.gc.packed.Add(1)
					if !got(blobRead{i: i, delta: pd}) {
						return
					}
					continue
				}
			}
			data, size, status, ok := r.readBlobAt(store.blobPos[i], limit)
			if !ok {
				rest = append(rest, i)
				continue
			}
			g.gc.packed.Add(1)
			var delta *priorDelta
			if c, ok := store.onlyChild[i]; ok && status == "" {
				delta, _ = r.lastDeltaAgainst(store.blobPos[c])
			}
			if !got(blobRead{i: i, data: data, size: size, status: status, delta: delta, order: r.lastOrder}) {
				return
			}
		}
	}
	if len(rest) > 0 {
		g.readAll(ctx, l, rest, limit, hashOnly, got)
	}
}

// readAll reads todo through git cat-file, starting a new process after a
// blob that made one fail.
func (g *Git) readAll(ctx context.Context, l *listing, todo []int32, limit int64, hashOnly func(int32) bool, got func(blobRead) bool) {
	for len(todo) > 0 {
		done, err := g.catFile(ctx, l, todo, limit, hashOnly, got)
		if done < 0 || ctx.Err() != nil {
			return
		}
		todo = todo[done:]
		if err == nil {
			return
		}
		// git cat-file died on todo[0] (a corrupt object, say): report it
		// and start a new one after it.
		if !got(blobRead{i: todo[0], status: "failed", err: err}) {
			return
		}
		todo = todo[1:]
	}
}

// short names where a blob was found: a commit, the index (staged), or a
// ref that points at it without a commit (see listRefObjects).
func short(commit string, staged bool) string {
	switch {
	case commit == "" && staged:
		return "the index"
	case commit == "":
		return "no commit"
	}
	return "commit " + commit[:min(len(commit), 12)]
}

// catFile reads the blobs todo through one git cat-file --batch process and
// hands each to got. It returns how many blobs it got through, and a
// non-nil error when the process failed on todo[done]; done < 0 means the
// consumer stopped.
func (g *Git) catFile(ctx context.Context, l *listing, todo []int32, limit int64, hashOnly func(int32) bool, got func(blobRead) bool) (int, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := g.command(ctx, "cat-file", "--batch", "--buffer")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer in.Close()
		w := bufio.NewWriterSize(in, 64<<10)
		for _, i := range todo {
			if ctx.Err() != nil {
				return
			}
			w.WriteString(l.blobHex(i))
			if w.WriteByte('\n') != nil {
				return
			}
		}
		w.Flush()
	}()
	finish := func() error {
		cancel()
		wg.Wait()
		return cmd.Wait()
	}
	widenPipe(outPipe)
	out := bufio.NewReaderSize(outPipe, 256<<10)
	for n, i := range todo {
		if ctx.Err() != nil {
			finish()
			return -1, nil
		}
		var lines *lineHashes
		if hashOnly(i) {
			lines = &lineHashes{}
		}
		var order binary.AppendByteOrder
		data, size, status, err := readObject(out, l.blobHex(i), limit, lines, &order)
		if err != nil {
			_ = finish()
			if parent.Err() != nil {
				return -1, nil
			}
			return n, gitError("cat-file", err, stderr.Bytes())
		}
		if status != "" {
			lines = nil
		}
		if !got(blobRead{i: i, data: data, lines: lines, size: size, status: status, order: order}) {
			finish()
			return -1, nil
		}
	}
	if err := finish(); err != nil && ctx.Err() == nil {
		// Every blob was read; a late failure changes nothing.
		_ = err
	}
	return len(todo), nil
}

// readObject reads one cat-file --batch answer for id. status is "missing",
// "large" or "binary" for objects whose content is not returned, "" when
// data holds the content. Only a broken stream is an error.
//
// With lines set, the content is not returned: its lines' hashes are
// appended to lines instead (a parent read only to compare with).
func readObject(r *bufio.Reader, id string, limit int64, lines *lineHashes, decoded *binary.AppendByteOrder) (data []byte, size int64, status string, err error) {
	hdr, err := r.ReadString('\n')
	if err != nil {
		return nil, 0, "", fmt.Errorf("reading %s: %w", id, io.ErrUnexpectedEOF)
	}
	f := strings.Fields(hdr)
	if len(f) == 2 && f[1] == "missing" {
		return nil, 0, "missing", nil
	}
	if len(f) != 3 || f[0] != id {
		// Never quote the line: out of step with git, it may be blob
		// content, and blob content may be a secret.
		return nil, 0, "", fmt.Errorf("git cat-file answered out of step for %s (%d-byte header)", id, len(hdr))
	}
	size, err = strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return nil, 0, "", fmt.Errorf("git cat-file gave a bad size for %s", id)
	}
	if f[1] != "blob" {
		// Not a blob: skip it, as if binary.
		_, err := r.Discard(int(size) + 1)
		return nil, size, "binary", err
	}
	if size > limit {
		_, err := io.CopyN(io.Discard, r, size+1)
		return nil, size, "large", err
	}
	if lines != nil {
		// Hash the lines as they stream by: no copy of the content.
		head, err := r.Peek(int(min(size, 8000)))
		if err != nil {
			return nil, 0, "", err
		}
		status = ""
		if hasUTF16BOM(head) {
			// UTF-16 text: its lines are those of its UTF-8 text, as
			// when it is scanned.
			data := make([]byte, size+1)
			if _, err := io.ReadFull(r, data); err != nil {
				return nil, 0, "", err
			}
			if data[size] != '\n' {
				return nil, 0, "", fmt.Errorf("object %s: no newline after content", id)
			}
			text, ok := DecodeUTF16(data[:size])
			switch {
			case ok:
			case IsBinary(head):
				return nil, size, "binary", nil
			default:
				text = data[:size]
			}
			lines.hashes = append(lines.hashes, hashLines(text).hashes...) // (hashStream gives no starts either)
			return nil, size, "", nil
		} else if IsBinary(head) {
			status = "binary"
		} else if lfsPointer(head) {
			status = "lfs"
		}
		if status != "" {
			_, err := io.CopyN(io.Discard, r, size+1)
			return nil, size, status, err
		}
		if err := hashStream(r, size, lines); err != nil {
			return nil, 0, "", err
		}
		if b, err := r.ReadByte(); err != nil || b != '\n' {
			return nil, 0, "", fmt.Errorf("object %s: no newline after content", id)
		}
		return nil, size, "", nil
	}
	data = make([]byte, size+1)
	head := min(size, 8000)
	if _, err := io.ReadFull(r, data[:head]); err != nil {
		return nil, 0, "", err
	}
	utf16 := hasUTF16BOM(data[:head])
	if IsBinary(data[:head]) && !utf16 {
		_, err := io.CopyN(io.Discard, r, size-head+1)
		return nil, size, "binary", err
	}
	if _, err := io.ReadFull(r, data[head:]); err != nil {
		return nil, 0, "", err
	}
	if data[size] != '\n' {
		return nil, 0, "", fmt.Errorf("object %s: no newline after content", id)
	}
	if utf16 {
		if text, order, ok := decodeUTF16(data[:size]); ok {
			*decoded = order
			return text, size, "", nil
		}
		if IsBinary(data[:head]) {
			return nil, size, "binary", nil
		}
	}
	return data[:size], size, "", nil
}
