package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// RefUpdate is one line a git server gives a pre-receive hook: a ref
// moving from Old to New. Old is all zeros for a new ref, New for a
// deleted one.
type RefUpdate struct {
	Old, New, Ref string
}

// Created reports whether the update creates the ref.
func (u RefUpdate) Created() bool { return isZeroID([]byte(u.Old)) }

// Deleted reports whether the update deletes the ref.
func (u RefUpdate) Deleted() bool { return isZeroID([]byte(u.New)) }

// ParseRefUpdates reads the "<old> SP <new> SP <ref> LF" lines a git
// server writes to a pre-receive hook's standard input. Both ids must be
// full hexadecimal object names (40 or 64 digits) of the same length.
func ParseRefUpdates(r io.Reader) ([]RefUpdate, error) {
	var us []RefUpdate
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || !isObjectID(f[0]) || !isObjectID(f[1]) || len(f[0]) != len(f[1]) || f[2] == "" {
			return nil, fmt.Errorf("pre-receive input line %d: want \"<old-id> <new-id> <ref>\", got %q", n, truncate(line, 200))
		}
		us = append(us, RefUpdate{Old: strings.ToLower(f[0]), New: strings.ToLower(f[1]), Ref: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pre-receive input: %w", err)
	}
	return us, nil
}

func isObjectID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Push is what a push brings to a repository, as a pre-receive hook sees
// it: the commits that the updated refs reach and no existing ref does
// ("git rev-list <new>... --not --all": during pre-receive the refs are not
// yet updated), and of the blobs those commits introduce only the ones new
// to the repository. A force push thus scans only the commits new to the
// repository, a deleted ref nothing, and an annotated tag the commits it
// points at.
//
// Git runs the hook with the pushed objects in a quarantine directory
// (GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY) and the repository's own
// objects as an alternate (GIT_ALTERNATE_OBJECT_DIRECTORIES); the git
// processes Push starts inherit those variables. A blob is new to the
// repository when "git rev-list --objects TIPS --not --all" lists it: what
// the tips reach outside the trees of the existing commits they build on,
// as git push decides what to send. Others are not read again. That is the
// quarantine's content for a normal push, and also counts as new a blob
// the repository holds that no ref reaches (one sent with a ref update
// the client refused, say). Quarantine is the fallback when rev-list
// fails.
//
// A ref whose new value is (or is a tag of) a blob or a tree has no
// commit: the blob, or each file of the tree, is scanned at the ref's name
// (refs/tags/t, refs/tags/t:path), as in a history scan; with a
// quarantine, only the ones the push brings are read.
type Push struct {
	// Dir is the repository (the hook's working directory, ".", is right
	// for a hook: git sets GIT_DIR for it).
	Dir string
	// Updates are the ref updates of the push.
	Updates []RefUpdate
	// Quarantine is the directory holding the pushed objects
	// (GIT_QUARANTINE_PATH): what is new when git rev-list cannot say.
	Quarantine string
	// MaxFileSize is the size above which blobs are skipped (and counted);
	// 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// PathClass says how the rules treat a path (rules.Set.PathClass:
	// equal for paths the same rules apply to and the same allowlists
	// exempt). A blob the repository already has is read again where a
	// pushed commit puts it, unless the commit moved it there from a path
	// of the same class; nil: every such place is read.
	PathClass func(path string) string

	prepared bool
	fatal    error // the scan cannot go on
	git      *Git
	listing  *listing
	listErr  error // the history could be listed only in part
	empty    counters
	notes    []string
}

// PushStats counts what a Push found besides what Stats says.
type PushStats struct {
	Commits int64 // new commits listed
	Blobs   int64 // blobs the new commits introduced
	Old     int64 // of those, already in the repository: not read again
}

// Stats implements Source.
func (p *Push) Stats() Stats {
	if p.git == nil {
		return p.empty.stats()
	}
	return p.git.Stats()
}

// PushStats says what the listing found; complete once Chunks is done.
func (p *Push) PushStats() PushStats {
	if p.git == nil {
		return PushStats{}
	}
	gs := p.git.GitStats()
	return PushStats{Commits: gs.Commits, Blobs: gs.Blobs, Old: gs.Known}
}

// Notes returns remarks about the scan that are not errors; complete once
// Chunks is done.
func (p *Push) Notes() []string {
	return append([]string(nil), p.notes...)
}

// Prepare does the listing now: it resolves the pushed refs, lists the
// quarantined objects and the new commits with what they introduce, so
// that this git work can overlap other work (loading rules, say). Chunks
// calls it if it was not called; errors are yielded by Chunks.
func (p *Push) Prepare(ctx context.Context) {
	if p.prepared {
		return
	}
	p.prepared = true
	var tips []RefUpdate
	for _, u := range p.Updates {
		if !u.Deleted() {
			tips = append(tips, u)
		}
	}
	if len(tips) == 0 {
		return
	}
	if _, err := exec.LookPath("git"); err != nil {
		p.fatal = fmt.Errorf("source push: %w: %w", err, ErrFatal)
		return
	}
	commits, others, err := p.resolve(ctx, tips)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		p.fatal = err
		return
	}
	if len(commits) == 0 && len(others) == 0 {
		return
	}
	tipIDs := slices.Clone(commits)
	for _, o := range others {
		tipIDs = append(tipIDs, o.id)
	}
	// What is new to the repository is listed while the commits are (both
	// are git processes: on two CPUs that hides one of them).
	type reachable struct {
		objs map[string]bool
		err  error
	}
	found := make(chan reachable, 1)
	go func() {
		objs, err := p.unreachable(ctx, tipIDs)
		found <- reachable{objs, err}
	}()
	g := &Git{Dir: p.Dir, Revs: append(commits, "--not", "--all"), MaxFileSize: p.MaxFileSize, trackDeleted: true}
	p.git = g
	if len(commits) > 0 {
		p.listing, p.listErr = g.list(ctx)
	} else {
		p.listing = newListing()
	}
	if len(commits) > 0 && p.listErr != nil && (errors.Is(p.listErr, ErrFatal) || len(p.listing.commits) == 0) {
		// The commits could not be listed: nothing is scanned.
		<-found
		if !errors.Is(p.listErr, ErrFatal) {
			p.listErr = fmt.Errorf("%w: %w", p.listErr, ErrFatal)
		}
		p.fatal, p.listErr = p.listErr, nil
		return
	}
	for _, o := range others {
		if err := g.addRefObject(ctx, p.listing, o.typ, o.id, o.ref); err != nil {
			// The rest is scanned; the push is not fully scanned.
			p.listErr = errors.Join(p.listErr, fmt.Errorf("source push: %w", err))
		}
	}
	r := <-found
	if ctx.Err() != nil {
		return
	}
	isNew, err := r.objs, r.err
	if err != nil && p.Quarantine != "" {
		// What the push brought is nearly as good: it misses only objects
		// the repository holds without any ref reaching them.
		q, qerr := p.quarantined(ctx)
		if ctx.Err() != nil {
			return
		}
		if qerr == nil {
			p.notes = append(p.notes, fmt.Sprintf("could not list the objects new to the repository (%v): the quarantined ones are scanned", err))
			isNew, err = q, nil
		} else {
			err = errors.Join(err, qerr)
		}
	}
	if err != nil {
		// Not fatal: reading every introduced blob is slower, not wrong.
		p.notes = append(p.notes, fmt.Sprintf("could not list the objects new to the repository (%v): every blob the push reaches is scanned", err))
		isNew = nil
	}
	if isNew != nil {
		// Known is first asked when the scan reads, after the caller set
		// PathClass (the rules load while this listing runs).
		placedAgain := sync.OnceValue(func() map[string]bool { return p.placedAgain(isNew) })
		g.Known = func(key string, _ []leak.Origin) bool {
			blob, _, _ := strings.Cut(key, "^") // a cache key may name parents too
			return !isNew[blob] && !placedAgain()[blob]
		}
	}
}

// placedAgain returns the blobs that the repository already has which a
// pushed commit puts at a path, other than by moving them there from a
// path of the same class (a rename): a copy, an overwrite, a revert, a
// cherry-pick. Not reading them again would let content first pushed
// where an allowlist exempts it be copied where none does, unscanned.
// Each path a commit deleted a blob at pairs with one path it put the
// blob at, of the same class (a move and a copy: the copy is read).
func (p *Push) placedAgain(isNew map[string]bool) map[string]bool {
	l := p.listing
	classes := map[string]string{}
	class := func(path string) string {
		if p.PathClass == nil {
			return "\x00" + path // no classes: a move pairs with nothing
		}
		c, ok := classes[path]
		if !ok {
			c = p.PathClass(path)
			classes[path] = c
		}
		return c
	}
	moves := map[deletion]map[string]int{} // the deletions not yet paired, by class
	again := map[string]bool{}
	for i := range l.blobs {
		b := &l.blobs[i]
		if b.first < 0 {
			continue
		}
		id := l.blobHex(int32(i))
		if isNew[id] {
			continue
		}
		for k := b.first; k >= 0; k = l.places[k].next {
			pl := &l.places[k]
			if pl.commit < 0 {
				continue // a tag's blob or tree: no commit, nothing moved
			}
			key := deletion{pl.commit, id}
			from, ok := moves[key]
			if !ok {
				from = map[string]int{}
				for _, path := range l.deleted[key] {
					from[class(path)]++
				}
				moves[key] = from
			}
			if c := class(l.strs[pl.path]); from[c] > 0 {
				from[c]-- // moved here
				continue
			}
			again[id] = true
			break
		}
	}
	return again
}

// Chunks implements Source.
func (p *Push) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		p.Prepare(ctx)
		if ctx.Err() != nil {
			return
		}
		if p.fatal != nil {
			yield(leak.Chunk{}, p.fatal)
			return
		}
		if p.listing == nil {
			return
		}
		if p.listErr != nil && !yield(leak.Chunk{}, p.listErr) {
			return
		}
		g, l := p.git, p.listing
		g.gc.commits.Store(int64(len(l.commits)))
		g.gc.blobs.Store(int64(l.found))
		g.read(ctx, l, nil, yield)
	}
}

// refObject is what a pushed ref points at when that is not a commit.
type refObject struct{ ref, typ, id string }

// resolve returns the commits the updates point at, peeling tags, and the
// refs whose value peels to a tree or a blob.
func (p *Push) resolve(ctx context.Context, tips []RefUpdate) (commits []string, others []refObject, _ error) {
	var in bytes.Buffer
	for _, u := range tips {
		in.WriteString(u.New + "^{}\n")
	}
	g := &Git{Dir: p.Dir}
	cmd := g.command(ctx, "cat-file", "--batch-check=%(objectname) %(objecttype)")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("source push: resolve the pushed refs: %w: %w", gitError("cat-file", err, stderr.Bytes()), ErrFatal)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(tips) {
		return nil, nil, fmt.Errorf("source push: resolve the pushed refs: git cat-file gave %d answers for %d refs: %w", len(lines), len(tips), ErrFatal)
	}
	seen := map[string]bool{}
	for i, line := range lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[1] == "missing":
			return nil, nil, fmt.Errorf("source push: %s: object %s is missing: %w", tips[i].Ref, tips[i].New, ErrFatal)
		case len(f) != 2 || !isObjectID(f[0]):
			return nil, nil, fmt.Errorf("source push: resolve %s: unexpected git cat-file answer: %w", tips[i].Ref, ErrFatal)
		case f[1] == "commit":
			if !seen[f[0]] {
				seen[f[0]] = true
				commits = append(commits, f[0])
			}
		case f[1] == "blob" || f[1] == "tree":
			others = append(others, refObject{ref: tips[i].Ref, typ: f[1], id: f[0]})
		default:
			return nil, nil, fmt.Errorf("source push: %s points at a %s: %w", tips[i].Ref, f[1], ErrFatal)
		}
	}
	return commits, others, nil
}

// unreachable lists the blobs that tips reach and no ref does ("git
// rev-list --objects TIPS --not --all": during pre-receive the refs are not
// yet updated). That is what is new to the repository, by reachability: a
// blob the repository holds but no ref reaches (one a push sent along with
// a ref update the client refused, say) counts as new, where the quarantine
// would not have it.
func (p *Push) unreachable(ctx context.Context, tips []string) (map[string]bool, error) {
	g := &Git{Dir: p.Dir}
	// The tips on standard input (any number of them); --not applies to
	// the arguments after it, not to them.
	cmd := g.command(ctx, "rev-list", "--objects", "--no-object-names", "--stdin", "--not", "--all")
	var in bytes.Buffer
	for _, t := range tips {
		in.WriteString(t + "\n")
	}
	cmd.Stdin = &in
	return objectSet(cmd, "rev-list", func(line string) string { return line })
}

// quarantined lists the objects in the quarantine directory: exactly what
// the push brought. git lists them with the repository's own objects
// (the alternates) out of sight.
func (p *Push) quarantined(ctx context.Context) (map[string]bool, error) {
	st, err := os.Stat(p.Quarantine)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", p.Quarantine)
	}
	g := &Git{Dir: p.Dir}
	cmd := g.command(ctx, "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname) %(objecttype)")
	env := cmd.Env[:0:0]
	for _, kv := range cmd.Env {
		if !strings.HasPrefix(kv, "GIT_OBJECT_DIRECTORY=") && !strings.HasPrefix(kv, "GIT_ALTERNATE_OBJECT_DIRECTORIES=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_OBJECT_DIRECTORY="+p.Quarantine)
	return objectSet(cmd, "cat-file", func(line string) string {
		id, typ, _ := strings.Cut(line, " ")
		if typ != "blob" {
			return ""
		}
		return id
	})
}

// objectSet runs cmd (git what) and returns the object ids that id takes
// from its output lines ("" for none).
func objectSet(cmd *exec.Cmd, what string, id func(line string) string) (map[string]bool, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	objs := map[string]bool{}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20) // a path can be long
	for sc.Scan() {
		if k := id(sc.Text()); k != "" {
			objs[k] = true
		}
	}
	if sc.Err() != nil {
		// Let git finish writing (a line too long for the scanner), or it
		// blocks on the pipe and Wait with it.
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if werr != nil {
		return nil, gitError(what, werr, stderr.Bytes())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return objs, nil
}

// Files returns the contents of the file at path (such as
// ".leakgateignore") in the tree of each pushed ref's new commit, and in
// HEAD's, skipping those that have none. The contents are not scanned.
func (p *Push) Files(ctx context.Context, path string) ([][]byte, error) {
	var in bytes.Buffer
	n := 0
	for _, u := range append([]RefUpdate{{New: "HEAD"}}, p.Updates...) {
		if u.Deleted() {
			continue
		}
		fmt.Fprintf(&in, "%s:%s\n", u.New, path)
		n++
	}
	g := &Git{Dir: p.Dir}
	cmd := g.command(ctx, "cat-file", "--batch")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("source push: read %s: %w", path, gitError("cat-file", err, stderr.Bytes()))
	}
	var files [][]byte
	r := bufio.NewReader(bytes.NewReader(out))
	for range n {
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("source push: read %s: %w", path, io.ErrUnexpectedEOF)
		}
		f := strings.Fields(hdr)
		if len(f) != 3 {
			continue // "<name> missing" (no such file), or ambiguous
		}
		size, err := strconv.Atoi(f[2])
		if err != nil || size < 0 {
			return nil, fmt.Errorf("source push: read %s: bad size in git cat-file answer", path)
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("source push: read %s: %w", path, err)
		}
		if f[1] == "blob" {
			files = append(files, data[:size])
		}
	}
	return files, nil
}
