package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/leakgate/leakgate/leak"
)

// Scanning what a commit changed: a blob that replaced an earlier version
// of its file (its parent blob) is scanned only around the lines that are
// not lines of the parent, and keeps only the findings that touch such a
// line. The parent's content was scanned where it was introduced, so what
// the two share is reported there, once, and not again by every commit
// that edits the file. (This is what "the commit that introduced it" means
// for a secret; `gitleaks git` and push protection scan added lines too.)
//
// Lines are compared by a 64-bit hash of their bytes. Each blob's lines are
// hashed once, in the worker that scans it; a blob that is the parent of
// blobs still to come keeps its line hashes (a priorLines) until its last
// child has used them. A parent that the packs store as a delta against
// its only child carries that delta instead (priorLines.delta), and the
// child is compared through its instructions (markCopied and
// markAssembled in packs.go), hashing only the few lines of the older
// version that the delta does not copy whole; a child whose own lines no
// one needs is then not even split into lines but where the delta's
// copies do not reach (freshspans.go). The scanner widens the regions to
// keywords above them whose rules reach into them
// (detect.Detector.Widen).

// contextLines is how many unchanged lines around a changed one are
// scanned with it, so that a secret whose match starts on an unchanged
// line (a keyword on the line above, a private key whose body changed
// between unchanged BEGIN and END lines) is still seen whole.
const contextLines = 2

// mergeGap is the distance in bytes under which two regions to scan are
// scanned as one (a detector call has a fixed cost).
const mergeGap = 512

var lineSeed = maphash.MakeSeed()

// lineHashes is a blob's lines: start offsets and hashes.
type lineHashes struct {
	starts []int32 // starts[i] is the offset of line i
	hashes []uint64
}

// lineStarts returns the offsets at which data's lines start.
func lineStarts(data []byte) []int32 {
	starts := make([]int32, 0, bytes.Count(data, []byte{'\n'})+1)
	for off := 0; off < len(data); {
		starts = append(starts, int32(off))
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return starts
}

// allDeltas says whether every parent is compared through its delta.
func allDeltas(parents []*priorLines) bool {
	for _, p := range parents {
		if p.delta == nil {
			return false
		}
	}
	return true
}

// hashLines splits data into lines (each without its "\n") and hashes them.
func hashLines(data []byte) *lineHashes {
	n := bytes.Count(data, []byte{'\n'}) + 1
	lh := &lineHashes{starts: make([]int32, 0, n), hashes: make([]uint64, 0, n)}
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := off + end + 1
		if end < 0 {
			end, next = len(data)-off, len(data)
		}
		lh.starts = append(lh.starts, int32(off))
		lh.hashes = append(lh.hashes, maphash.Bytes(lineSeed, data[off:off+end]))
		off = next
	}
	return lh
}

// hashStream appends the hashes of the lines of the next size bytes of r
// to lh (not their starts), as hashLines would compute them.
func hashStream(r *bufio.Reader, size int64, lh *lineHashes) error {
	var h maphash.Hash
	h.SetSeed(lineSeed)
	partial := false
	lh.hashes = slices.Grow(lh.hashes, int(size/32)+16) // a guess, to grow less
	for size > 0 {
		buf, err := r.Peek(int(min(size, int64(r.Size()))))
		if len(buf) == 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		n := len(buf)
		for len(buf) > 0 {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				if !partial {
					h.Reset()
					partial = true
				}
				h.Write(buf)
				break
			}
			if partial {
				h.Write(buf[:i])
				lh.hashes = append(lh.hashes, h.Sum64())
				partial = false
			} else {
				lh.hashes = append(lh.hashes, maphash.Bytes(lineSeed, buf[:i]))
			}
			buf = buf[i+1:]
		}
		if _, err := r.Discard(n); err != nil {
			return err
		}
		size -= int64(n)
	}
	if partial {
		lh.hashes = append(lh.hashes, h.Sum64())
	}
	return nil
}

// lookahead is how far the line-by-line walk of a blob and its parent looks
// for the two to line up again after a difference.
const lookahead = 32

// markOld clears fresh[i] for each line i of c that is a line of parent p.
// It walks both in order, as a diff would (cheap: blobs and their parents
// mostly agree line by line), then looks up the lines still fresh among
// the parent's lines that the walk did not pair, in a multiset: each
// unpaired line of the parent pairs with one line of c.
func markOld(fresh []bool, c, p []uint64) {
	paired := make([]bool, len(p))
	i, j := 0, 0
	for i < len(c) && j < len(p) {
		if c[i] == p[j] {
			fresh[i], paired[j] = false, true
			i++
			j++
			continue
		}
		step := false
		for k := 1; k <= lookahead; k++ {
			if i+k < len(c) && c[i+k] == p[j] {
				i += k // lines inserted in c
				step = true
				break
			}
			if j+k < len(p) && c[i] == p[j+k] {
				j += k // lines deleted from p
				step = true
				break
			}
		}
		if !step {
			i++ // a line replaced
			j++
		}
	}
	var rest []uint64
	for j, h := range p {
		if !paired[j] {
			rest = append(rest, h)
		}
	}
	if len(rest) == 0 {
		return
	}
	// Lines moved: each old copy left pairs with one line still fresh (one
	// more copy of a line is new).
	set := newLineSet(rest)
	for i, h := range c {
		if fresh[i] && set.take(h) {
			fresh[i] = false
		}
	}
}

// lineSet is a multiset of line hashes: open addressing, linear probing.
type lineSet struct {
	slots  []uint64 // 0 is empty (a hash of 0 is stored as 1)
	counts []int32  // copies of slots[i] not taken yet
	mask   uint64
}

func newLineSet(hashes []uint64) *lineSet {
	n := 16
	for n < 2*len(hashes) {
		n <<= 1
	}
	s := &lineSet{slots: make([]uint64, n), counts: make([]int32, n), mask: uint64(n - 1)}
	for _, h := range hashes {
		s.add(h)
	}
	return s
}

func (s *lineSet) add(h uint64) {
	if h == 0 {
		h = 1
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			s.counts[i]++
			return
		case 0:
			s.slots[i], s.counts[i] = h, 1
			return
		}
	}
}

// take removes one copy of h, and reports whether there was one.
func (s *lineSet) take(h uint64) bool {
	if h == 0 {
		h = 1
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			if s.counts[i] == 0 {
				return false
			}
			s.counts[i]--
			return true
		case 0:
			return false
		}
	}
}

// priorLines is a blob's lines, hashed by the worker that narrows one of
// its chunks and used by the chunks of its children (and by its own scan,
// when that comes later: see delivery). A full-history scan has one for
// nearly every blob, so they take no allocation of their own (see init).
type priorLines struct {
	filled sync.WaitGroup // done once the lines are filled
	ready  atomic.Bool    // the lines are filled
	lines  *lineHashes    // nil when the blob cannot serve (not read, binary...)
	// delta, when set, is the blob as a delta against its only child,
	// which is compared with it by markCopied instead (lines is empty).
	delta *priorDelta
	refs  atomic.Int32
}

// init readies p (the zero value, never copied after) for users users.
func (p *priorLines) init(users int32) {
	p.filled.Add(1)
	p.refs.Store(users)
}

func newPriorLines(users int32) *priorLines {
	p := new(priorLines)
	p.init(users)
	return p
}

// fill publishes the lines (nil: the blob cannot be used).
func (p *priorLines) fill(lh *lineHashes) {
	p.lines = lh
	p.ready.Store(true)
	p.filled.Done()
}

// wait returns the lines once they are filled.
func (p *priorLines) wait() *lineHashes {
	p.filled.Wait()
	return p.lines
}

// release says one user is done with the lines; the last lets them go.
func (p *priorLines) release() {
	if p.refs.Add(-1) == 0 && p.ready.Load() {
		p.lines, p.delta = nil, nil
	}
}

// narrower returns the Narrow function of a chunk whose content is data.
// own, when set, is the blob's own lines: filled here unless hashed is set
// (a lines-only chunk filled it before), in which case they are taken from
// it. parents, when set, are the lines to compare with. scan says whether
// the blob is scanned at all (a parent read only for its lines is not).
func narrower(data []byte, own *priorLines, hashed bool, parents []*priorLines, scan bool, utf16 binary.AppendByteOrder) func() ([]leak.Region, func(start, end int) bool) {
	return func() (regions []leak.Region, keep func(start, end int) bool) {
		whole := []leak.Region{{Start: 0, End: len(data), Line: 1}}
		if !scan {
			whole = nil
		}
		filled := hashed
		defer func() {
			// Never leave a child waiting, whatever happened here.
			if own != nil && !filled {
				own.fill(nil)
			}
			for _, p := range parents {
				p.release()
			}
		}()
		if len(data) > math.MaxInt32 {
			return whole, nil // offsets are int32: compare nothing this big
		}
		if own == nil && len(parents) == 1 && utf16 == nil && scan && parents[0].wait() != nil && parents[0].delta != nil {
			// Through the delta alone: only the lines it does not copy
			// are split (freshspans.go).
			lines, ok := freshThroughDelta(data, parents[0].delta)
			switch {
			case !ok:
				return whole, nil
			case len(lines) == 0:
				return nil, func(int, int) bool { return false }
			}
			return spanRegions(data, lines, contextLines), spanKeep(lines)
		}
		var lh *lineHashes
		if hashed {
			lh = own.wait()
			defer own.release()
		} else if own == nil && len(parents) > 0 && allDeltas(parents) {
			lh = &lineHashes{starts: lineStarts(data)} // markCopied needs no hashes
		} else if own != nil || len(parents) > 0 {
			lh = hashLines(data)
			if own != nil {
				own.fill(lh)
				filled = true
			}
		}
		if !scan || len(parents) == 0 || lh == nil {
			return whole, nil
		}
		fresh := make([]bool, len(lh.starts))
		for i := range fresh {
			fresh[i] = true
		}
		for _, p := range parents {
			pl := p.wait()
			if pl == nil {
				return whole, nil // a parent that could not be read: scan it all
			}
			if p.delta != nil && utf16 != nil {
				// data is UTF-16 text decoded: the delta applies to its bytes.
				hashes := lh.hashes
				if hashes == nil {
					hashes = hashLines(data).hashes
				}
				if !markUTF16Prior(fresh, hashes, data, p.delta, utf16) {
					return whole, nil
				}
				continue
			}
			if p.delta != nil {
				if !markCopied(fresh, lh.starts, data, p.delta) || !markAssembled(fresh, lh.starts, data, p.delta) {
					return whole, nil
				}
				continue
			}
			markOld(fresh, lh.hashes, pl.hashes)
		}
		if !slices.Contains(fresh, true) {
			return nil, func(int, int) bool { return false }
		}
		starts := lh.starts
		regions = changedRegions(fresh, starts, len(data))
		keep = func(start, end int) bool {
			first := lineOf(starts, start)
			last := lineOf(starts, max(start, end-1))
			return slices.Contains(fresh[first:last+1], true)
		}
		return regions, keep
	}
}

// lineOf returns the index of the line that holds offset off.
func lineOf(starts []int32, off int) int {
	i, found := slices.BinarySearch(starts, int32(off))
	if !found {
		i--
	}
	return max(i, 0)
}

// changedRegions returns the regions to scan: each run of fresh lines with
// contextLines lines on either side, runs closer than mergeGap bytes
// merged.
func changedRegions(fresh []bool, starts []int32, size int) []leak.Region {
	n := len(fresh)
	end := func(line int) int { // offset after line
		if line+1 < n {
			return int(starts[line+1])
		}
		return size
	}
	var out []leak.Region
	for i := 0; i < n; {
		if !fresh[i] {
			i++
			continue
		}
		j := i
		for j+1 < n && fresh[j+1] {
			j++
		}
		lo, hi := max(i-contextLines, 0), min(j+contextLines, n-1)
		start, stop := int(starts[lo]), end(hi)
		if k := len(out) - 1; k >= 0 && start-out[k].End <= mergeGap {
			out[k].End = max(out[k].End, stop)
		} else {
			out = append(out, leak.Region{Start: start, End: stop, Line: lo + 1})
		}
		i = j + 1
	}
	return out
}

// markUTF16Prior compares text, a blob's UTF-16 content decoded from
// bytes in order, with the version it replaced, stored as a delta d
// against those bytes: it encodes text again, rebuilds the older version
// from d, decodes it and compares the lines. Encoding again gives the
// blob's bytes back unless they held invalid sequences; then the sizes
// differ (false: scan it all), or the older version rebuilt is not text,
// or its lines do not match: more is scanned, never less.
func markUTF16Prior(fresh []bool, hashes []uint64, text []byte, d *priorDelta, order binary.AppendByteOrder) bool {
	raw := encodeUTF16(text, order)
	if len(raw) != d.baseSize {
		return false
	}
	prior, err := applyParsed(raw, d, func(n int) []byte { return make([]byte, n) })
	if err != nil {
		return false
	}
	ptext, ok := DecodeUTF16(prior)
	if !ok {
		return false
	}
	markOld(fresh, hashes, hashLines(ptext).hashes)
	return true
}
