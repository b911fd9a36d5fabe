package source

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
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
// commit range, or the staged changes. Each unique blob is read and yielded
// once, attributed to the earliest commit (in topological order) that
// introduced it at each of its paths: the first place is the chunk's
// Origin, the others are in Chunk.Also.
//
// Two git processes do the work: one "git log --raw" lists what every
// commit added or changed (blob ids and paths, no content), then one
// long-lived "git cat-file --batch" streams the content of each unique blob.
// Memory holds the list of unique (blob, path) places and the commits that
// introduced them, never blob contents beyond the one being yielded.
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
	// before it is read. When it returns true the blob is not read: a chunk
	// with Blob and Origin (and Also) but no Data is yielded instead, so a
	// cache can report the blob's findings at those places.
	Known func(blob string, places []leak.Origin) bool
	// Skip, when set, is told of each blob skipped for its content (binary,
	// or a Git LFS pointer), so that a cache can remember it.
	Skip func(blob string)

	c      counters
	gc     gitCounters
	mu     sync.Mutex
	notes  []string
	skipMu sync.Mutex
}

// GitStats counts what a Git source found besides what Stats says.
type GitStats struct {
	Commits    int64 // commits listed
	Blobs      int64 // unique blobs found (read, known, skipped or missing)
	Known      int64 // blobs not read because Known said they were scanned
	Submodules int64 // skipped: submodule gitlinks
	LFS        int64 // skipped: Git LFS pointer files
	Missing    int64 // blobs that could not be read (each also yields an error)
}

type gitCounters struct {
	commits, blobs, known, submodules, lfs, missing atomic.Int64
}

// Stats implements Source.
func (g *Git) Stats() Stats { return g.c.stats() }

// GitStats says what the git listing found; complete once Chunks is done.
func (g *Git) GitStats() GitStats {
	return GitStats{
		Commits: g.gc.commits.Load(), Blobs: g.gc.blobs.Load(), Known: g.gc.known.Load(),
		Submodules: g.gc.submodules.Load(), LFS: g.gc.lfs.Load(), Missing: g.gc.missing.Load(),
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
	return done, g.gc.blobs.Load()
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

// commitInfo is one commit that introduced something.
type commitInfo struct {
	hash, author, email string
	time                time.Time
}

// place is a blob at a path, introduced by commits[commit] (-1: staged).
type place struct {
	path   string
	commit int32
}

type blobEntry struct {
	id     string
	places []place
}

type placeKey struct {
	blob int32
	path string
}

// listing is the result of the first phase: unique blobs, in the order they
// were first introduced, with their places.
type listing struct {
	commits []commitInfo
	blobs   []blobEntry
	index   map[string]int32
	seen    map[placeKey]struct{}
	strs    map[string]string // interned paths, names and emails
}

func newListing() *listing {
	return &listing{index: map[string]int32{}, seen: map[placeKey]struct{}{}, strs: map[string]string{}}
}

func (l *listing) intern(b []byte) string {
	if s, ok := l.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	l.strs[s] = s
	return s
}

func (l *listing) add(blob []byte, path []byte, commit int32) {
	i, ok := l.index[string(blob)]
	if !ok {
		i = int32(len(l.blobs))
		id := string(blob)
		l.index[id] = i
		l.blobs = append(l.blobs, blobEntry{id: id})
	}
	p := l.intern(path)
	k := placeKey{i, p}
	if _, dup := l.seen[k]; dup {
		return
	}
	l.seen[k] = struct{}{}
	l.blobs[i].places = append(l.blobs[i].places, place{path: p, commit: commit})
}

func (g *Git) origin(l *listing, p place) leak.Origin {
	o := leak.Origin{Repo: g.Dir, Path: p.path}
	if p.commit >= 0 {
		c := l.commits[p.commit]
		o.Commit, o.Author, o.Email, o.Time = c.hash, c.author, c.email, c.time
	}
	return o
}

// packOrderMin is the number of blobs from which a full-history scan reads
// them in pack order: reading oldest first made git rebuild delta chains,
// 4.5x the CPU of reading in pack order on the benchmark history.
var packOrderMin = 1000

// packOrder sorts todo (indexes into l.blobs) in the order the objects lie
// in the repository's packs, as `git cat-file --batch-all-objects
// --unordered` lists them. The order of reading does not change what is
// reported: attribution comes from the listing, and scan sorts findings.
// If the listing fails, todo keeps its order.
func (g *Git) packOrder(ctx context.Context, l *listing, todo []int32) {
	pos := make(map[string]int32, len(todo))
	for _, i := range todo {
		pos[l.blobs[i].id] = -1
	}
	cmd := g.command(ctx, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)", "--unordered")
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		return
	}
	sc := bufio.NewScanner(out)
	var rank int32
	for sc.Scan() {
		if r, ok := pos[string(sc.Bytes())]; ok && r < 0 {
			pos[string(sc.Bytes())] = rank
			rank++
		}
	}
	if cmd.Wait() != nil || sc.Err() != nil {
		return
	}
	key := func(i int32) int32 {
		if r := pos[l.blobs[i].id]; r >= 0 {
			return r
		}
		return math.MaxInt32 // not in the object store: read (and report) last
	}
	slices.SortStableFunc(todo, func(a, b int32) int { return cmp.Compare(key(a), key(b)) })
}

func gitEnv() []string {
	return append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_NO_LAZY_FETCH=1", "LC_ALL=C", "GIT_PAGER=cat")
}

func (g *Git) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"-C", g.Dir, "-c", "core.quotePath=false", "-c", "log.showSignature=false"}, args...)
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
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		// The last line is git's conclusion ("fatal: ..."); keep the
		// first too when it names the object.
		first := msg[:strings.IndexByte(msg, '\n')]
		msg = first + "; " + msg[i+1:]
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
		info, err := g.output(ctx, "rev-parse", "--is-shallow-repository", "--git-dir")
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			yield(leak.Chunk{}, fmt.Errorf("source git: %s is not a git repository: %w: %w", g.Dir, err, ErrFatal))
			return
		}
		if strings.HasPrefix(info, "true") && !g.Staged {
			g.note("%s is a shallow clone: history before its oldest commits is not there to scan, and those commits are credited with everything they contain", g.Dir)
		}
		l, err := g.list(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
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
		g.gc.commits.Store(int64(len(l.commits)))
		g.gc.blobs.Store(int64(len(l.blobs)))
		g.read(ctx, l, yield)
	}
}

// list runs the first phase.
func (g *Git) list(ctx context.Context) (*listing, error) {
	l := newListing()
	if g.Staged {
		return l, g.listStaged(ctx, l)
	}
	args := []string{"log", "--topo-order", "--reverse", "--raw", "-c", "--no-abbrev", "--no-renames",
		"--root", "-z", "--no-color", "--no-mailmap", "--format=%x01%H%x00%an%x00%ae%x00%aI"}
	if g.Range != "" {
		if err := ValidateRange(g.Range); err != nil {
			return l, fmt.Errorf("source git: %w: %w", err, ErrFatal)
		}
		args = append(args, "--end-of-options", g.Range)
	} else if len(g.Revs) > 0 {
		args = append(append(args, g.Revs...), "--")
	} else {
		args = append(args, "--all")
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
	if werr != nil {
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

// parseLog reads the output of git log -z --raw with the format of list:
// "\x01<hash>\0<name>\0<email>\0<date>\0" then, for each changed file,
// ":<modes> <ids> <status>\0<path>\0" (with one more colon, mode and id per
// further parent for a merge's combined diff).
func (g *Git) parseLog(r *bufio.Reader, l *listing) error {
	var field [4][]byte
	commit := int32(-1)
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
			when, _ := time.Parse(time.RFC3339, string(field[3]))
			l.commits = append(l.commits, commitInfo{
				hash: string(field[0]), author: l.intern(field[1]), email: l.intern(field[2]), time: when,
			})
			commit = int32(len(l.commits) - 1)
		case len(tok) > 0 && tok[0] == ':':
			mode, id, err := parseRaw(string(tok))
			if err != nil {
				return err
			}
			path, err := r.ReadBytes(0)
			if err != nil {
				return fmt.Errorf("raw line %q: no path: %w", tok, err)
			}
			path = path[:len(path)-1]
			if commit < 0 {
				return fmt.Errorf("raw line %q before any commit", tok)
			}
			g.addEntry(l, mode, id, path, commit)
		case len(tok) == 0:
		default:
			return fmt.Errorf("unexpected git log output %q", tok)
		}
	}
}

// parseRaw returns the result mode and blob id of one raw diff line: n
// colons, n+1 modes, n+1 ids, then the status.
func parseRaw(line string) (mode, id string, err error) {
	n := 0
	for n < len(line) && line[n] == ':' {
		n++
	}
	f := strings.Fields(line[n:])
	if len(f) != 2*n+3 {
		return "", "", fmt.Errorf("malformed raw diff line %q", line)
	}
	return f[n], f[2*n+1], nil
}

const (
	modeGitlink = "160000"
	modeSymlink = "120000"
)

func isZeroID(id string) bool { return strings.Trim(id, "0") == "" }

func (g *Git) addEntry(l *listing, mode, id string, path []byte, commit int32) {
	switch {
	case isZeroID(id): // deleted
	case mode == modeGitlink:
		g.gc.submodules.Add(1)
	case mode == modeSymlink:
		g.c.symlinks.Add(1)
	case strings.HasPrefix(mode, "10"):
		l.add([]byte(id), path, commit)
	}
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
		mode, id, err := parseRaw(string(tok))
		if err != nil {
			return fmt.Errorf("source git: staged: %w: %w", err, ErrFatal)
		}
		g.addEntry(l, mode, id, toks[i+1], -1)
	}
	return nil
}

// lfsPointer reports whether data is a Git LFS pointer file.
func lfsPointer(data []byte) bool {
	return len(data) < 1024 && (bytes.HasPrefix(data, []byte("version https://git-lfs.github.com/spec/v1")) ||
		bytes.HasPrefix(data, []byte("version https://hawser.github.com/spec/v1")))
}

// read runs the second phase: known blobs are yielded without content, the
// others are read through git cat-file --batch in the order they were
// introduced.
func (g *Git) read(ctx context.Context, l *listing, yield func(leak.Chunk, error) bool) {
	places := func(b *blobEntry) (leak.Origin, []leak.Origin) {
		first := g.origin(l, b.places[0])
		var also []leak.Origin
		for _, p := range b.places[1:] {
			also = append(also, g.origin(l, p))
		}
		return first, also
	}
	todo := make([]int32, 0, len(l.blobs))
	for i := range l.blobs {
		b := &l.blobs[i]
		if g.Known != nil {
			first, also := places(b)
			if g.Known(b.id, append([]leak.Origin{first}, also...)) {
				g.gc.known.Add(1)
				if !yield(leak.Chunk{Blob: b.id, Origin: first, Also: also}, nil) {
					return
				}
				continue
			}
		}
		todo = append(todo, int32(i))
	}
	// The listing's lookup maps are no longer needed; let them go.
	l.index, l.seen, l.strs = nil, nil, nil

	limit := g.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	if g.Range == "" && !g.Staged && g.Revs == nil && len(todo) >= packOrderMin {
		g.packOrder(ctx, l, todo)
	} else if len(todo) >= parallelReadMin && runtime.NumCPU() > 1 {
		g.readParallel(ctx, l, todo, limit, places, yield)
		return
	}
	g.readAll(ctx, l, todo, limit, places, yield)
}

// parallelReadMin is the number of blobs from which a scan that does not
// read in pack order (a --range, say) reads them through two git cat-file
// processes: one git inflating blobs was the slowest stage of a 10-commit
// range on the benchmark repository (1,098 blobs, 34.6 MB: 135 ms for one
// cat-file, 88 ms for two on half the blobs each). A full-history scan
// keeps one process reading in pack order, which git's delta cache needs.
var parallelReadMin = 256

// readParallel reads todo through two git cat-file processes, each on
// every other blob, and yields what both read from this goroutine.
func (g *Git) readParallel(ctx context.Context, l *listing, todo []int32, limit int64,
	places func(*blobEntry) (leak.Origin, []leak.Origin), yield func(leak.Chunk, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		c   leak.Chunk
		err error
	}
	items := make(chan item, 16)
	send := func(c leak.Chunk, err error) bool {
		select {
		case items <- item{c, err}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var halves [2][]int32
	for k, i := range todo {
		halves[k%2] = append(halves[k%2], i)
	}
	var wg sync.WaitGroup
	for _, h := range halves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.readAll(ctx, l, h, limit, places, send)
		}()
	}
	go func() {
		wg.Wait()
		close(items)
	}()
	for it := range items {
		if !yield(it.c, it.err) {
			cancel()
			for range items {
				// Let the readers see the cancellation and stop.
			}
			return
		}
	}
}

// readAll reads todo through git cat-file, starting a new process after a
// blob that made one fail.
func (g *Git) readAll(ctx context.Context, l *listing, todo []int32, limit int64,
	places func(*blobEntry) (leak.Origin, []leak.Origin), yield func(leak.Chunk, error) bool) {
	for len(todo) > 0 {
		done, err := g.catFile(ctx, l, todo, limit, places, yield)
		if done < 0 || ctx.Err() != nil {
			return
		}
		todo = todo[done:]
		if err == nil {
			return
		}
		// git cat-file died on todo[0] (a corrupt object, say): report it
		// and start a new one after it.
		b := &l.blobs[todo[0]]
		g.gc.missing.Add(1)
		g.c.unreadable.Add(1)
		first, _ := places(b)
		if !yield(leak.Chunk{Blob: b.id, Origin: first}, fmt.Errorf("source git: read blob %s (%s in %s): %w", b.id, first.Path, short(first.Commit), err)) {
			return
		}
		todo = todo[1:]
	}
}

func short(commit string) string {
	if commit == "" {
		return "the index"
	}
	return "commit " + commit[:min(len(commit), 12)]
}

// catFile reads the blobs todo through one git cat-file --batch process and
// yields their chunks. It returns how many blobs it got through, and a
// non-nil error when the process failed on todo[done]; done < 0 means the
// consumer stopped.
func (g *Git) catFile(ctx context.Context, l *listing, todo []int32, limit int64,
	places func(*blobEntry) (leak.Origin, []leak.Origin), yield func(leak.Chunk, error) bool) (int, error) {
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
			w.WriteString(l.blobs[i].id)
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
	out := bufio.NewReaderSize(outPipe, 256<<10)
	for n, i := range todo {
		if ctx.Err() != nil {
			finish()
			return -1, nil
		}
		b := &l.blobs[i]
		data, size, status, err := readObject(out, b.id, limit)
		if err != nil {
			_ = finish()
			if parent.Err() != nil {
				return -1, nil
			}
			return n, gitError("cat-file", err, stderr.Bytes())
		}
		first, also := places(b)
		switch status {
		case "missing":
			g.gc.missing.Add(1)
			g.c.unreadable.Add(1)
			if !yield(leak.Chunk{Blob: b.id, Origin: first}, fmt.Errorf("source git: blob %s (%s in %s) is missing or corrupt", b.id, first.Path, short(first.Commit))) {
				finish()
				return -1, nil
			}
			continue
		case "large":
			g.c.tooLarge.Add(1)
			continue
		case "binary":
			g.c.binary.Add(1)
			g.skip(b.id)
			continue
		}
		if lfsPointer(data) {
			g.gc.lfs.Add(1)
			g.skip(b.id)
			continue
		}
		g.c.files.Add(1)
		g.c.bytes.Add(size)
		if len(data) == 0 {
			continue
		}
		ok := split(data, func(piece []byte, off int64, p position) bool {
			if ctx.Err() != nil {
				return false
			}
			o := first
			o.Line, o.Column = p.line, p.col
			return yield(leak.Chunk{Data: piece, Origin: o, Offset: off, Blob: b.id, Also: also}, nil)
		})
		if !ok {
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
func readObject(r *bufio.Reader, id string, limit int64) (data []byte, size int64, status string, err error) {
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
	data = make([]byte, size+1)
	head := min(size, 8000)
	if _, err := io.ReadFull(r, data[:head]); err != nil {
		return nil, 0, "", err
	}
	if IsBinary(data[:head]) {
		_, err := io.CopyN(io.Discard, r, size-head+1)
		return nil, size, "binary", err
	}
	if _, err := io.ReadFull(r, data[head:]); err != nil {
		return nil, 0, "", err
	}
	if data[size] != '\n' {
		return nil, 0, "", fmt.Errorf("object %s: no newline after content", id)
	}
	return data[:size], size, "", nil
}
