package source

import (
	"context"
	"runtime"
	"sort"
	"sync/atomic"

	"github.com/sourcegraph/conc"

	"github.com/leakgate/leakgate/leak"
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
// them. What detection finds in a line depends on that line alone (its
// windows run from the line's start to its end, decoded text keeps its
// line as context, the filters look at the line before the match) except
// for rules with a window, whose keyword reaches lines below it, and
// rules without keywords, which search all of the data. So a version
// whose base cannot hold a finding can hold one only in the lines that
// are not copied whole from the base: the lines that hold new bytes, and
// the first and last line of each run of copies (a copy may start or end
// inside a line of the base); or in the windows of keywords that reach
// those lines. Those lines are screened, widened up to the keywords above
// whose windows reach them (Screen.Widen) and down to the end of the
// windows of the keywords in them (Screen.Reach: a keyword put above old
// lines makes what its rule finds there new; all of the data for a rule
// without keywords). A version stored whole, or whose base is not
// screened clean, is screened whole.
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
	// Widen widens regions of data to the keywords above them whose rules
	// reach into them.
	Widen(data []byte, regions []leak.Region) []leak.Region
	// Reach extends regions of data down to the end of the windows of the
	// keywords in them.
	Reach(data []byte, regions []leak.Region) []leak.Region
}

// Screen states of a blob.
const (
	screenPending uint32 = iota // not screened yet
	screenClean                 // cannot hold a finding: not read again
	screenMayFind               // may hold one: read and scanned as before
	screenSkipped               // not screened (not a text blob in the packs, or at a path OnlyAt names)
)

// screenBatch is how many blobs, in pack order, a screen worker takes at a
// time: consecutive objects share delta bases, which each worker caches.
const screenBatch = 256

// maxScreenWorkers bounds the screen's workers: each keeps its own cache
// of delta bases (baseCacheSize).
const maxScreenWorkers = 4

// screen screens todo (indexes into l.blobs, all of them in store's
// packs or after them) and returns those still to read and scan, in pack
// order. The blobs that cannot hold a finding are counted as scanned.
func (g *Git) screen(ctx context.Context, l *listing, store *objectStore, todo []int32, limit int64) []int32 {
	g.packOrder(ctx, l, store, todo)
	pos := func(k int) objectPos { return store.blobPos[todo[k]] }
	// A blob at a path that a rule limited to named paths applies to is
	// read and scanned as before.
	onlyAt := map[int32]bool{}
	skip := make([]bool, len(todo))
	for k, i := range todo {
		for p := l.blobs[i].first; p >= 0 && !skip[k]; p = l.places[p].next {
			path := l.places[p].path
			v, ok := onlyAt[path]
			if !ok {
				v = g.Screen.OnlyAt(l.strs[path])
				onlyAt[path] = v
			}
			skip[k] = v
		}
	}

	states := make([]atomic.Uint32, len(todo))
	// baseOf returns the place in todo of the blob at p, if it is there.
	baseOf := func(p objectPos) (int, bool) {
		k := sort.Search(len(todo), func(k int) bool {
			q := pos(k)
			return q.pack > p.pack || q.pack == p.pack && q.off >= p.off
		})
		return k, k < len(todo) && pos(k) == p
	}
	one := func(r *packReader, k int) uint32 {
		if skip[k] || pos(k).pack >= len(store.packs) {
			return screenSkipped
		}
		data, size, status, ok := r.readBlobAt(pos(k), limit)
		if !ok || status != "" || len(data) == 0 || lfsPointer(data) {
			return screenSkipped
		}
		var d *priorDelta
		if r.lastDelta != nil {
			// A base that another worker has not screened yet is not
			// waited for (waiting left the CPUs idle a third of the
			// time): the blob is screened whole.
			if b, ok := baseOf(r.lastBase); ok && b < k && states[b].Load() == screenClean {
				d, _ = parseDelta(r.lastDelta)
			}
		}
		if mayFind(g.Screen, data, r.lastBaseData, d) {
			return screenMayFind
		}
		g.c.files.Add(1)
		g.c.bytes.Add(size)
		g.gc.packed.Add(1)
		g.gc.screened.Add(1)
		return screenClean
	}

	var next atomic.Int64
	var wg conc.WaitGroup
	for range min(runtime.GOMAXPROCS(0), maxScreenWorkers) {
		wg.Go(func() {
			r := store.reader()
			for ctx.Err() == nil {
				from := int(next.Add(screenBatch)) - screenBatch
				if from >= len(todo) {
					return
				}
				for k := from; k < min(from+screenBatch, len(todo)) && ctx.Err() == nil; k++ {
					states[k].Store(one(r, k))
				}
			}
		})
	}
	wg.Wait()
	rest := todo[:0]
	for k, i := range todo {
		if states[k].Load() != screenClean {
			rest = append(rest, i)
		}
	}
	return rest
}

// mayFind screens data, the object that delta d (nil: none) rebuilds
// from base, which cannot hold a finding: whole, or around what d does
// not copy from base (see above).
func mayFind(s Screen, data, base []byte, d *priorDelta) bool {
	regions := []leak.Region{{Start: 0, End: len(data), Line: 1}}
	if d != nil {
		regions = s.Reach(data, s.Widen(data, spanRegions(data, uncopiedLines(data, base, d), 0)))
	}
	found := false
	for _, rg := range regions {
		Split(data[rg.Start:rg.End], rg.Line, func(piece []byte, _ int64, _, _ int) bool {
			found = s.MayFind(piece)
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// uncopiedLines returns the lines of data, the object that delta d
// rebuilds from base, that the screen must scan (see above): those not
// wholly inside a run of copies (copies that go on from one another in
// both objects); the first line of each run that starts inside a line of
// base (a run that starts inside a line of data ends what comes before
// it: an insert, or a run whose last line this is); and the last line of
// each run that ends inside a line. Adjacent lines come as one span.
func uncopiedLines(data, base []byte, d *priorDelta) []span {
	var out []span
	add := func(from, to int) {
		if from >= to {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].end >= from {
			out[k].end = max(out[k].end, to)
			return
		}
		out = append(out, span{from, to})
	}
	startOf := func(off int) int {
		if off == 0 || data[off-1] == '\n' {
			return off
		}
		return lineStartAt(data, off)
	}
	w := 0
	runStart, baseStart, baseEnd := -1, 0, -1 // runStart: where the current run began in data (-1: none)
	endRun := func() {
		if runStart >= 0 {
			if baseStart > 0 && base[baseStart-1] != '\n' {
				add(startOf(runStart), lineEndAt(data, runStart))
			}
			if data[w-1] != '\n' {
				add(startOf(w-1), lineEndAt(data, w-1))
			}
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
			add(startOf(w), lineEndAt(data, w+op.n-1))
		}
		w += op.n
	}
	endRun()
	return out
}
