package source

import (
	"bytes"
	"cmp"
	"context"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/sourcegraph/conc"
)

// A full-history scan compares each version of a file with the version it
// replaced, so that a secret is reported by the commit that added it: the
// lines of both versions are hashed and matched (lines.go), which was a
// fifth of a full scan's CPU on the benchmark history, for the 1.59 GB of
// versions of its files. Almost none of those versions can hold a
// finding. The screen finds those that cannot first, cheaply, and only the
// others are read, compared and scanned as before.
//
// Git stores most versions as deltas against another object (a base): a
// version is the base's bytes, copied in runs, with new bytes between
// them. What the detector finds in a line depends on that line alone (a
// rule's regex searches from the line's start to its end, decoded text
// keeps its line as context, the filters look at the line before the
// match), except for the rules with a window, whose keyword makes the
// rule search the lines below it, and the rules without keywords, which
// search all of the data. So a version with no keyword of a rule with a
// window, whose base cannot hold a finding, can hold one only in its lines
// that are not lines of the base: the lines that hold new bytes, and the
// first or last line of a run of copies that starts or ends inside a line
// of the base. Only those lines are screened. A version stored whole, or
// whose base is not screened clean, is screened whole; one with a keyword
// of a rule with a window (a private key's BEGIN line, a Kubernetes
// Secret's kind) is not screened out at all: what such a rule finds
// depends on lines far from the change, in ways a review showed to be
// hard to bound (a window that grows by merging with another, a match
// that a keyword no longer above stops from consuming a key). The reader
// finds those keywords in a version through its delta: the base's, moved
// with the copies, and those in or across the new bytes (hitFinder).
//
// Screened this way, the benchmark history's versions are detected over
// a fraction of their bytes, and each only once, whatever the number of
// paths and previous versions it has.

// Screen is what the screen asks of the detector (detect.Detector
// implements it).
type Screen interface {
	// MayFind reports whether data could hold a finding at some path, for
	// the rules that are not limited to paths they name.
	MayFind(data []byte) bool
	// OnlyAt reports whether a rule that is limited to the paths it names
	// applies to path: a blob at such a path is always read and scanned.
	OnlyAt(path string) bool
	// MayFindHits is MayFind, calling yield for each keyword of a rule
	// with a window in data, with its window (as WindowHits does).
	MayFindHits(data []byte, yield func(start, end, window int)) bool
	// MayFindWindowed is MayFind for the rules with a window only.
	MayFindWindowed(data []byte) bool
	// WindowHits calls yield for each keyword of a rule with a window that
	// lies wholly in data[from:to], with its window.
	WindowHits(data []byte, from, to int, yield func(start, end, window int))
	// WindowHitsAcross calls yield for each keyword of a rule with a
	// window that starts before at and ends after it, with its window.
	WindowHitsAcross(data []byte, at int, yield func(start, end, window int))
	// Windows returns the length of the longest keyword of a rule with a
	// window, and whether a rule without keywords applies (then objects
	// are screened whole).
	Windows() (keyword int, allData bool)
}

// Screen states of a blob.
const (
	screenPending   uint32 = iota // not screened yet
	screenClean                   // cannot hold a finding: not read again
	screenMayFind                 // may hold one: read and scanned as before
	screenSkipped                 // not screened: not a text blob (binary, too large, an LFS pointer, empty), or in a cruft pack
	screenCleanText               // clean as text decoded from UTF-16: not as a delta base, whose bytes are not that text
)

// screenBatch is how many entries, in pack order, a screen worker takes
// at a time: consecutive objects share delta bases, which each worker
// caches.
const screenBatch = 256

// maxScreenWorkers bounds the screen's workers: each keeps its own cache
// of delta bases (baseCacheSize).
const maxScreenWorkers = 4

// packScreen screens every blob in the packs of a full-history scan,
// from before the listing: it needs neither the blobs' paths nor their
// commits, and the listing is mostly git's work, in other processes
// (about 0.2 s of the benchmark history's scan, with a CPU to spare).
// Blobs that no ref reaches are screened too, needlessly; the packs
// that git keeps for unreachable objects only (cruft packs, with a
// .mtimes file) are left out.
type packScreen struct {
	store  *objectStore
	first  []int // the index of each pack's first entry among all
	states []atomic.Uint32
	sizes  []int64 // the size of each blob screened clean
	kinds  []atomic.Int32
	stop   context.CancelFunc
	wg     conc.WaitGroup
	// clean counts the blobs screened clean so far, for Progress.
	clean atomic.Int64
}

// startScreen starts screening the packs of store (see packScreen).
func (g *Git) startScreen(ctx context.Context, store *objectStore, limit int64) *packScreen {
	ctx, stop := context.WithCancel(ctx)
	s := &packScreen{store: store, stop: stop}
	n := 0
	for _, p := range store.packs {
		s.first = append(s.first, n)
		n += len(p.sortedEntries())
	}
	s.states = make([]atomic.Uint32, n)
	s.sizes = make([]int64, n)
	s.kinds = make([]atomic.Int32, n)
	for k, p := range store.packs {
		if _, err := os.Stat(strings.TrimSuffix(p.path, ".pack") + ".mtimes"); err == nil {
			for i := range p.entries {
				s.states[s.first[k]+i].Store(screenSkipped)
			}
		}
	}
	var next atomic.Int64
	hits := newHitFinder(g.Screen)
	for range min(runtime.GOMAXPROCS(0), maxScreenWorkers) {
		s.wg.Go(func() {
			r := store.reader()
			r.hits = hits
			r.bufs = &recycler{}
			for ctx.Err() == nil {
				from := int(next.Add(screenBatch)) - screenBatch
				if from >= n {
					return
				}
				for i := from; i < min(from+screenBatch, n) && ctx.Err() == nil; i++ {
					if s.states[i].Load() == screenPending {
						s.states[i].Store(s.one(g, r, i, limit))
					}
				}
			}
		})
	}
	return s
}

// pos returns where entry i lies.
func (s *packScreen) pos(i int) objectPos {
	k, _ := slices.BinarySearch(s.first, i+1)
	k-- // the last pack whose first entry is at or before i
	return objectPos{k, s.store.packs[k].entries[i-s.first[k]].off}
}

// index returns the index of the entry at p.
func (s *packScreen) index(p objectPos) (int, bool) {
	if p.pack >= len(s.store.packs) {
		return 0, false
	}
	i, ok := s.store.packs[p.pack].entryAt(p.off)
	return s.first[p.pack] + i, ok
}

// kind returns the type of entry i (0 when it cannot be told): a delta's
// is its base's, found by following the chain through the entries'
// headers, not by rebuilding it.
func (s *packScreen) kind(i int) int {
	var chain []int
	for range maxDeltaChain {
		if k := s.kinds[i].Load(); k != 0 {
			for _, j := range chain {
				s.kinds[j].Store(k)
			}
			return int(max(k, 0))
		}
		p := s.pos(i)
		typ, _, at, err := entryHeader(s.store.packs[p.pack].data, p.off)
		if err == nil && typ != objOfsDelta && typ != objRefDelta {
			s.kinds[i].Store(int32(typ))
			continue
		}
		var base objectPos
		if err == nil {
			base, _, err = s.store.deltaBase(p, typ, at)
		}
		j, ok := s.index(base)
		if err != nil || !ok {
			s.kinds[i].Store(-1)
			continue
		}
		chain = append(chain, i)
		i = j
	}
	return 0
}

// one screens entry i.
func (s *packScreen) one(g *Git, r *packReader, i int, limit int64) uint32 {
	if s.kind(i) != objBlob {
		return screenSkipped
	}
	pos := s.pos(i)
	data, size, status, ok := r.readBlobAt(pos, limit)
	if !ok || status != "" || len(data) == 0 || lfsPointer(data) {
		return screenSkipped
	}
	var d *priorDelta
	if r.lastDelta != nil {
		// A base that another worker has not screened yet is not waited
		// for (waiting left the CPUs idle a third of the time): the blob
		// is screened whole.
		if b, ok := s.index(r.lastBase); ok && s.states[b].Load() == screenClean {
			d = r.lastParsed
		}
	}
	var found bool
	hits := r.lastHits
	switch {
	case r.lastOrder != nil:
		// Text decoded from UTF-16: its keywords are not its bytes'.
		found = r.hits.mayFind(data, nil, r.hits.all(data), nil)
	case !r.lastHitsOK && d == nil && len(data) <= ChunkSize:
		// Read whole: its keywords are found as it is screened.
		found, hits = r.hits.mayFindWhole(data)
		r.keepHits(pos, hits)
	default:
		if !r.lastHitsOK {
			hits = r.hits.all(data)
			r.keepHits(pos, hits)
		}
		found = r.hits.mayFind(data, r.lastBaseData, hits, d)
	}
	if found {
		return screenMayFind
	}
	s.sizes[i] = size
	s.clean.Add(1)
	if r.lastOrder != nil {
		return screenCleanText
	}
	return screenClean
}

// cleanAt reports whether entry k screened clean (as bytes or as text).
func (s *packScreen) cleanAt(k int) bool {
	st := s.states[k].Load()
	return st == screenClean || st == screenCleanText
}

// finish waits for the screen and returns the blobs of todo (indexes
// into l.blobs) still to read and scan: those not screened clean, and
// those at a path where a rule limited to named paths applies. The
// others are counted as scanned.
func (s *packScreen) finish(g *Git, l *listing, todo []int32) []int32 {
	s.wg.Wait()
	onlyAt := map[int32]bool{}
	rest := todo[:0]
	for _, i := range todo {
		clean := false
		if p, ok := s.store.findID(l.blobID(i)); ok {
			if k, ok := s.index(p); ok && s.cleanAt(k) {
				clean = true
				for q := l.blobs[i].first; q >= 0 && clean; q = l.places[q].next {
					path := l.places[q].path
					v, ok := onlyAt[path]
					if !ok {
						v = g.Screen.OnlyAt(l.strs[path])
						onlyAt[path] = v
					}
					clean = !v
				}
				if clean {
					g.c.files.Add(1)
					g.c.bytes.Add(s.sizes[k])
					g.gc.packed.Add(1)
					g.gc.screened.Add(1)
				}
			}
		}
		if !clean {
			rest = append(rest, i)
		}
	}
	s.clean.Store(0)
	return rest
}

// close stops the screen and waits for its workers.
func (s *packScreen) close() {
	s.stop()
	s.wg.Wait()
}

// windowHit is a keyword of a rule with a window in a blob.
type windowHit struct{ start, end, window int }

// hitFinder finds the window keywords of the blobs a screen reader reads
// or rebuilds: in the whole blob, or carried through the delta that
// rebuilds it from those of its base (cheaply: most of a version is
// copies).
type hitFinder struct {
	s       Screen
	keyword int  // the longest window keyword
	allData bool // a rule without keywords applies: screen whole objects
}

func newHitFinder(s Screen) *hitFinder {
	f := &hitFinder{s: s}
	f.keyword, f.allData = s.Windows()
	return f
}

// all returns the window keywords of data, in order of their starts (and
// ends), as through needs a base's.
func (f *hitFinder) all(data []byte) []windowHit {
	var out []windowHit
	f.s.WindowHits(data, 0, len(data), func(s, e, w int) { out = append(out, windowHit{s, e, w}) })
	return sortHits(out)
}

// sortHits orders hits by their starts and ends: the detector finds them
// in order of their ends, where a keyword inside a longer one comes first.
func sortHits(hits []windowHit) []windowHit {
	slices.SortFunc(hits, func(a, b windowHit) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end)) })
	return hits
}

// mayFindWhole is mayFind for data read whole, of at most ChunkSize
// bytes, that returns its window keywords too: found as it is screened.
func (f *hitFinder) mayFindWhole(data []byte) (bool, []windowHit) {
	var hits []windowHit
	found := f.s.MayFindHits(data, func(s, e, w int) { hits = append(hits, windowHit{s, e, w}) })
	return found, sortHits(hits)
}

// through returns the window keywords of data, which delta d (nil: not
// parsed) rebuilt from a base whose keywords are base: those of the base
// inside one copy, moved with it, those inside inserts, and those across
// the places where the delta's instructions meet.
func (f *hitFinder) through(data []byte, base []windowHit, d *priorDelta) []windowHit {
	if d == nil || f.keyword == 0 {
		return f.all(data)
	}
	var out []windowHit
	add := func(s, e, win int) { out = append(out, windowHit{s, e, win}) }
	w := 0
	for i, op := range d.ops {
		if i > 0 {
			f.s.WindowHitsAcross(data, w, add)
		}
		if op.copy {
			k := sort.Search(len(base), func(j int) bool { return base[j].start >= op.off })
			for ; k < len(base) && base[k].start < op.off+op.n; k++ {
				if h := base[k]; h.end <= op.off+op.n {
					add(h.start-op.off+w, h.end-op.off+w, h.window)
				}
			}
		} else {
			f.s.WindowHits(data, w, w+op.n, add)
		}
		w += op.n
	}
	return slices.Compact(sortHits(out)) // a keyword across two places where instructions meet is found at both
}

// mayFind screens data, which holds the window keywords hits, and which
// delta d (nil: none) rebuilds from base, a blob that cannot hold a
// finding: whole, or only the lines that are not lines of base (see
// above). The detector is given an object over ChunkSize in pieces cut
// at line ends, so the rules with a window, which the scan of a commit's
// changed lines may give a window across such a cut, are run on their
// keywords' windows whole too. An object whose pieces would be cut inside
// a line (cutInLines) counts as holding a finding: what is found across
// such a cut depends on where the pieces fall.
func (f *hitFinder) mayFind(data, base []byte, hits []windowHit, d *priorDelta) bool {
	if cutInLines(data) {
		return true
	}
	regions := []span{{0, len(data)}}
	if d != nil && !f.allData && !cutInLines(base) {
		regions = mergeSpans(uncopiedLines(data, base, d))
	}
	if (d != nil || len(data) > ChunkSize) && len(hits) > 0 {
		// The rules with a window search the windows of their keywords
		// only: from a keyword's line to its window's end (windows that
		// overlap as one, as the detector searches them).
		var windows []span
		for _, h := range hits {
			to := min(len(data), h.end+h.window)
			lo := 0
			if k := len(windows) - 1; k >= 0 {
				// Merged when its line starts at or before the last
				// window's end: searched for back to there only.
				lo = windows[k].end
				if h.start <= lo || bytes.LastIndexByte(data[lo:h.start], '\n') < 0 {
					windows[k].end = max(windows[k].end, to)
					continue
				}
			}
			windows = append(windows, span{lineStartAt(data[lo:], h.start-lo) + lo, to})
		}
		for _, w := range windows {
			if f.s.MayFindWindowed(data[w.start:w.end]) {
				return true
			}
		}
	}
	found := false
	for _, rg := range regions {
		Split(data[rg.start:rg.end], 1, func(piece []byte, _ int64, _, _ int) bool {
			found = f.s.MayFind(piece)
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// cutInLines reports whether data is larger than ChunkSize and has a
// line that Split may cut (see splitFrom: a cut falls inside a line only
// when no line ends in the last eighth of a piece).
func cutInLines(data []byte) bool {
	if len(data) <= ChunkSize {
		return false
	}
	// From each line start, the last line break in the next ChunkSize/8
	// bytes: none there is a line that long; otherwise the lines up to it
	// are shorter, and the next starts after it.
	const long = ChunkSize / 8
	for at := 0; at+long <= len(data); {
		i := bytes.LastIndexByte(data[at:at+long], '\n')
		if i < 0 {
			return true
		}
		at += i + 1
	}
	return false
}

// uncopiedLines returns the lines of data, the object that delta d
// rebuilds from base, that are not lines of base (see above): those not
// wholly inside a run of copies (copies that go on from one another in
// both objects), a run's first line unless it starts a line in base, and
// its last unless it ends one in base. (A run that starts inside a line
// of data follows an insert, whose lines are taken, or a run that ends
// inside a line of base.) Adjacent lines come as one span.
func uncopiedLines(data, base []byte, d *priorDelta) []span {
	var out []span
	// lines adds the lines that hold data[a] to data[b]: a never goes
	// back, so each byte is searched for line breaks about once, even in
	// a long line that many instructions cut.
	lines := func(a, b int) {
		lo := 0
		if k := len(out) - 1; k >= 0 {
			if a < out[k].end { // data[a] is in the lines added last
				if b >= out[k].end {
					out[k].end = lineEndAt(data, b)
				}
				return
			}
			lo = out[k].end // a line start
		}
		from := lo + bytes.LastIndexByte(data[lo:a], '\n') + 1
		to := lineEndAt(data, b)
		if k := len(out) - 1; k >= 0 && out[k].end == from {
			out[k].end = to
			return
		}
		out = append(out, span{from, to})
	}
	lineStarts := func(b []byte, off int) bool { return off == 0 || b[off-1] == '\n' }
	w := 0
	runStart, baseStart, baseEnd := -1, 0, -1 // runStart: where the current run began in data (-1: none)
	endRun := func() {
		if runStart < 0 {
			return
		}
		if !lineStarts(base, baseStart) {
			lines(runStart, runStart)
		}
		if !lineStarts(base, baseEnd) {
			lines(w-1, w-1)
		}
		runStart = -1
	}
	for _, op := range d.ops {
		if op.copy {
			if runStart < 0 || op.off != baseEnd {
				endRun()
				runStart, baseStart = w, op.off
			}
			baseEnd = op.off + op.n
		} else {
			endRun()
			lines(w, w+op.n-1)
		}
		w += op.n
	}
	endRun()
	return out
}
