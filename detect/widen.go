package detect

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// Widen extends regions of data that are to be scanned alone (the lines a
// commit changed, with a little context) back to the start of the line of
// any keyword whose rule's window reaches into them: a rule with a window
// matches lines after its keyword's (the data of a Kubernetes Secret below
// its "kind: Secret", an API key a few lines below the provider's name),
// so a new secret line must be scanned with the keyword above it, even
// when that keyword is old. Regions that then overlap are merged. Each
// byte before a region, as far back as the largest window, is looked at
// for one region at most (and most of them are skipped: see widener);
// nothing is looked at when no rule has a window.
func (d *Detector) Widen(data []byte, regions []leak.Region) []leak.Region {
	reach := d.reach
	if reach == 0 || d.kw == nil || len(regions) == 0 {
		return regions
	}
	out := make([]leak.Region, 0, len(regions))
	seen := 0 // data[:seen] was looked at for earlier regions
	for _, r := range regions {
		lo := max(seen, r.Start-reach)
		if i := bytes.LastIndexByte(data[seen:lo], '\n'); lo > seen {
			lo = seen + i + 1 // from a line start, so that no keyword is cut
		}
		start := r.Start
		if d.widen != nil {
			start = d.widen.reaching(data, lo, r.Start)
		}
		seen = max(seen, r.Start)
		if start < r.Start {
			start = bytes.LastIndexByte(data[:start], '\n') + 1
			r.Line -= bytes.Count(data[start:r.Start], []byte{'\n'})
			r.Start = start
		}
		if k := len(out) - 1; k >= 0 && r.Start <= out[k].End {
			out[k].End = max(out[k].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// widener finds, for Widen, the keywords whose window reaches a region.
// It has an automaton of its own, over the keywords of the rules with a
// window only: most keywords have none, and the full automaton reports
// every hit of the common ones (key, token, secret ...), each with a
// callback for nothing; its table is also ten times larger.
//
// Most of the look-back is only in reach of a few long keywords: only the
// private keys' reach back 16 KB, and none shorter than 12 bytes reaches
// back more than 2 KB. There, instead of reading every byte with the
// automaton, one 4-byte piece is read every few bytes (as many as the
// zone's shortest keyword, less 3: every hit of it holds one), and the
// automaton runs only around the pieces that are pieces of the zone's
// keywords, in any case; with the default rules and source code, about
// 1 in 100.
type widener struct {
	kw *keywordDFA
	// reach[id] is the largest window of the rules that use keyword id,
	// all the rules of the keyword whatever their paths, as Widen does
	// not know the path; maxReach is the largest of them.
	reach    []int
	maxReach int
	// zones are the far parts of the look-back, farthest first; near is
	// where the last one ends: what ends less than near before a region
	// is read by the automaton in full.
	zones []widenZone
	near  int
	// across holds the 4-byte pieces of every keyword, for
	// WindowHitsAcross; shortest is the length of the shortest keyword.
	across   gramSet
	shortest int
}

// widenZone is a part of the look-back that only keywords with a large
// window reach from, all long enough to be sampled.
type widenZone struct {
	far, near int // the zone holds the hits that end far-1 to near bytes before a region
	step      int // one sample in step bytes lands on a whole 4-byte piece of each such hit
	grams     *gramSet
}

// minSampleStep is the shortest sampling step worth it: at 4 bytes the
// samples (about 1.4 ns each) and the automaton runs around the
// candidates cost about what the automaton costs over every byte
// (0.7 ns a byte); at 9 bytes a third of it.
const minSampleStep = 8

// gramSet holds the 4-byte pieces of keywords, hashed to one bit each
// after every byte is ORed with 0x20, which turns ASCII upper-case
// letters into lower case (and folds some other bytes together, which
// only costs a few more runs of the automaton): a piece of the input
// whose bit is not set is no piece of a keyword, in any case.
type gramSet [1 << 15 / 64]uint64

func gramBit(x uint32) uint32 { return (x | 0x20202020) * 0x9E3779B1 >> 17 }

func (g *gramSet) add(k string) {
	for i := 0; i+4 <= len(k); i++ {
		b := gramBit(binary.LittleEndian.Uint32([]byte(k[i : i+4])))
		g[b/64] |= 1 << (b % 64)
	}
}

func (g *gramSet) has(x uint32) bool {
	b := gramBit(x)
	return g[b/64]&(1<<(b%64)) != 0
}

// newWidener returns the widener of the set's rules, or nil when no rule
// with keywords has a window.
func newWidener(set *rules.Set) *widener {
	w := &widener{}
	ids := map[string]int{}
	var keywords []string
	for _, r := range set.Rules {
		if r.Window <= 0 {
			continue
		}
		for _, k := range r.Keywords {
			id, ok := ids[k]
			if !ok {
				id = len(keywords)
				ids[k] = id
				keywords = append(keywords, k)
				w.reach = append(w.reach, 0)
			}
			w.reach[id] = max(w.reach[id], r.Window)
			w.maxReach = max(w.maxReach, r.Window)
		}
	}
	if len(keywords) == 0 {
		return nil
	}
	w.kw = newKeywordDFA(keywords)
	w.shortest = len(keywords[0])
	for _, k := range keywords {
		w.across.add(k)
		w.shortest = min(w.shortest, len(k))
	}
	// A hit that ends d bytes before a region counts if its window is
	// larger than d: with the windows W1 > W2 > ..., the hits that end
	// less than W1 and at least W2 bytes before count only for the
	// keywords of window W1, and so on.
	windows := slices.Clone(w.reach)
	slices.Sort(windows)
	windows = slices.Compact(windows)
	slices.Reverse(windows)
	for i, far := range windows {
		shortest := w.kw.maxLen
		for id, k := range keywords {
			if w.reach[id] >= far {
				shortest = min(shortest, len(k))
			}
		}
		if shortest-3 < minSampleStep {
			w.near = far
			break
		}
		z := widenZone{far: far, step: shortest - 3, grams: new(gramSet)}
		if i+1 < len(windows) {
			z.near = windows[i+1]
		}
		for id, k := range keywords {
			if w.reach[id] >= far {
				z.grams.add(k)
			}
		}
		w.zones = append(w.zones, z)
	}
	return w
}

// reaching returns the start of the earliest keyword in data[lo:end]
// whose window reaches past end, or end when there is none.
func (w *widener) reaching(data []byte, lo, end int) int {
	// Only a keyword that ends less than its window before end counts:
	// none starts before from, where the longest keyword would end just
	// in reach of the largest window. lo, a line start, may be much
	// further back.
	maxLen := w.kw.maxLen
	from := max(lo, end-w.maxReach-(maxLen-1))
	start := end
	for _, z := range w.zones {
		// A hit of the zone starts at a or after, ends at b or before,
		// and has at least step 4-byte pieces: one starts at a sample.
		// The automaton then runs over what holds every keyword that
		// has the piece at p. It goes on from where it stopped (done, in
		// state s) when that is in what it must run over: in text dense
		// with keywords, it reads each byte once, not once per sample.
		a, b := max(from, end-z.far-(maxLen-1)), end-z.near
		done, s := a, uint32(0)
		for p := a; p+4 <= b; p += z.step {
			if !z.grams.has(binary.LittleEndian.Uint32(data[p : p+4])) {
				continue
			}
			if lo := max(from, p-(maxLen-4)); lo > done {
				done, s = lo, 0
			}
			hi := min(end, p+maxLen)
			s = w.kw.scanFrom(data[:hi], done, s, func(id, hs, he int) bool {
				if he+w.reach[id] > end && hs < start {
					start = hs
				}
				return true
			})
			done = max(done, hi)
		}
	}
	if w.near > 0 {
		start = w.earliest(data, max(from, end-w.near-(maxLen-1)), end, end, start)
	}
	return start
}

// earliest returns the start of the earliest keyword in data[lo:hi] whose
// window reaches past end, if it is before start; start otherwise.
func (w *widener) earliest(data []byte, lo, hi, end, start int) int {
	if lo >= hi {
		return start
	}
	w.kw.scan(data[lo:hi], func(id, hs, he int) bool {
		if lo+he+w.reach[id] > end && lo+hs < start {
			start = lo + hs
		}
		return true
	})
	return start
}

// WindowHits calls yield for each keyword of a rule with a window that
// lies wholly in data[from:to], with its window (the largest of its
// rules': how far past the keyword's end they search). The screen of a
// full-history git scan carries them from a delta's base to the object
// it rebuilds (see source.Screen).
func (d *Detector) WindowHits(data []byte, from, to int, yield func(start, end, window int)) {
	w := d.widen
	if w == nil || from >= to {
		return
	}
	w.kw.scan(data[from:to], func(id, hs, he int) bool {
		yield(from+hs, from+he, w.reach[id])
		return true
	})
}

// WindowHitsAcross calls yield for each keyword of a rule with a window
// that starts before at and ends after it, with its window, as WindowHits
// does. The screen asks it where the instructions of a delta meet.
func (d *Detector) WindowHitsAcross(data []byte, at int, yield func(start, end, window int)) {
	w := d.widen
	if w == nil || at <= 0 || at >= len(data) {
		return
	}
	if w.shortest >= 4 && at >= 3 && at+3 <= len(data) {
		// A keyword across at, with j of its bytes before it, has its
		// piece at at-3 (j >= 3) or its first piece at at-j (j = 1, 2).
		if !w.across.has(binary.LittleEndian.Uint32(data[at-3:])) &&
			!w.across.has(binary.LittleEndian.Uint32(data[at-2:])) &&
			!w.across.has(binary.LittleEndian.Uint32(data[at-1:])) {
			return
		}
	}
	lo, hi := max(0, at-w.kw.maxLen+1), min(len(data), at+w.kw.maxLen-1)
	w.kw.scan(data[lo:hi], func(id, hs, he int) bool {
		if lo+hs < at && lo+he > at {
			yield(lo+hs, lo+he, w.reach[id])
		}
		return true
	})
}

// Windows returns the length of the longest keyword of a rule with a
// window (0 when no rule has one), and whether a rule without keywords
// applies to paths its filters do not name (as MayFind runs them): such
// a rule searches all of the data, so what is found anywhere may depend
// on any of it.
func (d *Detector) Windows() (keyword int, allData bool) {
	allData = slices.ContainsFunc(d.noKw, func(ri int) bool { return !slices.Contains(d.namedPaths, ri) })
	if d.widen == nil {
		return 0, allData
	}
	return d.widen.kw.maxLen, allData
}
