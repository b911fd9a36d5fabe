package source

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
	"hash/crc32"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Reading blobs from the pack files in the process: a git history is mostly
// packed, and moving 1.6 GB of blobs out of `git cat-file` through a pipe
// cost about twice the CPU that git needs to produce them (the copy into
// the pipe and out of it). The packs are mapped into memory and their
// objects inflated and patched here (applyParsed); the pack indexes are
// mapped too and searched in place (go-git's idxfile decodes a whole index
// into memory first, which for a repository of millions of objects would
// cost a small --range more than its blobs); the reading order and the
// cache of delta bases are leakgate's. Whatever the packs do not hold or
// cannot give (loose objects, a partial clone's missing blobs, a corrupt
// entry) is read through git cat-file as before, which reports it exactly
// as git sees it.

// objectStore is the repository's pack files (and those of its
// alternates), mapped into memory.
type objectStore struct {
	packs []*packFile
	// onlyChild maps a blob (index in the listing) to the only blob compared
	// with it, when compared through deltas: in a full history, read from
	// a delta against that child; in a range, not read at all when so
	// stored (deltaAgainst).
	onlyChild map[int32]int32
	// blobPos is where each blob to read lies (by index in the listing;
	// past the last pack: in none), from locate.
	blobPos []objectPos
	// sparse says few of the packs' objects are read (a --range): their
	// entries are not sorted by offset to find where each ends
	// (packFile.entries), and each reader caches fewer delta bases. An
	// entry whose CRC is in crcs (one located by its id) is checked
	// against it once inflated, when the end of its zlib stream is known;
	// others (delta bases) through the stream's own Adler-32 of the
	// inflated bytes.
	sparse bool
	crcs   map[objectPos]uint32
}

// locate finds where the blobs todo (indexes in the listing) lie, for the
// readers (a slice: sorting a full history through a map of positions took
// 50-80 ms of its start).
func (s *objectStore) locate(l *listing, todo []int32) {
	s.blobPos = make([]objectPos, len(l.blobs))
	for _, i := range todo {
		p, ok := s.findID(l.blobID(i))
		if !ok {
			p = objectPos{len(s.packs), 0} // not in a pack: last
		}
		s.blobPos[i] = p
	}
}

// findID returns where the object id (binary) lies, if in a pack; a sparse
// store notes its CRC (not while readers run: crcs is theirs to read).
func (s *objectStore) findID(id []byte) (objectPos, bool) {
	if len(id) != len(plumbing.Hash{}) {
		return objectPos{}, false
	}
	pos, crc, ok := s.findEntry(plumbing.Hash(id))
	if ok && s.sparse {
		if s.crcs == nil {
			s.crcs = map[objectPos]uint32{}
		}
		s.crcs[pos] = crc
	}
	return pos, ok
}

type packFile struct {
	path string
	idx  packIndex
	data []byte // the mapped .pack file
	// entries, by offset, say where each entry ends and its CRC; built on
	// first use (a range reads few entries, and sorting millions of
	// offsets would cost it more than its blobs).
	entries     []packEntry
	entriesOnce sync.Once
}

// packEntry is an entry of a pack: its offset and the CRC-32 of its bytes
// (header and zlib stream) from the index. Each entry read is checked
// against it, so that a damaged pack is never read as content: the zlib
// checksum would not see a damaged delta, and content is not hashed.
type packEntry struct {
	off int64
	crc uint32
}

// packIndex is a mapped pack index, version 2: a fan-out table of 256
// counts, the sorted object names, their CRCs, their 4-byte offsets (the
// high bit set: an index into a table of 8-byte offsets), the 8-byte
// offsets, and two checksums.
type packIndex struct {
	data  []byte
	count int
}

// openIndex checks a mapped index and returns it.
func openIndex(data []byte) (packIndex, error) {
	const header = 8 + 256*4
	if len(data) < header+40 || string(data[:8]) != "\xfftOc\x00\x00\x00\x02" {
		return packIndex{}, errors.New("not a version 2 pack index")
	}
	n := int(binary.BigEndian.Uint32(data[8+255*4:]))
	// With 20-byte names (SHA-1) the index is the header, n entries of
	// 28 bytes, k <= n large offsets of 8 bytes and two checksums. A
	// SHA-256 repository's index (32-byte names) cannot fit that: it is
	// left to git.
	rest := len(data) - (header + n*(20+4+4) + 2*20)
	if rest < 0 || rest%8 != 0 || rest/8 > n {
		return packIndex{}, errors.New("not a pack index of SHA-1 names")
	}
	return packIndex{data: data, count: n}, nil
}

// offset returns the offset of entry m (in name order), if valid.
func (x packIndex) offset(m int) (int64, bool) {
	offs := x.data[8+256*4+x.count*(20+4):]
	o := binary.BigEndian.Uint32(offs[4*m:])
	if o&0x80000000 == 0 {
		return int64(o), true
	}
	large := offs[x.count*4:]
	k := int(o & 0x7fffffff)
	if 8*k+8 > len(large)-40 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(large[8*k:])), true
}

// crc returns the CRC-32 of entry m (in name order).
func (x packIndex) crc(m int) uint32 {
	return binary.BigEndian.Uint32(x.data[8+256*4+x.count*20+4*m:])
}

// find returns the position of object h in the index (name order), if
// there.
func (x packIndex) find(h []byte) (int, bool) {
	const fanout = 8
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(x.data[fanout+4*(int(h[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(x.data[fanout+4*int(h[0]):]))
	names := x.data[fanout+256*4:]
	if lo > hi || hi > x.count {
		return 0, false
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(names[20*m:20*m+20], h); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// Pack object types.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
)

// maxDeltaChain bounds the delta chains followed (git's default depth is
// 50; this only stops a corrupt pack from looping).
const maxDeltaChain = 10000

// baseCacheSize is the bytes of inflated objects each pack reader keeps as
// delta bases. In pack order a delta's base lies just before it; 32 MB
// served the 1.6 GB benchmark history as well as 96 MB did.
const baseCacheSize = 32 << 20

// openObjectStore maps the packs of the repository g reads, or returns nil
// (and reading goes through git cat-file) when it cannot: no packs, an
// object format other than SHA-1 (the indexes tell), object directories
// set through the environment (a pre-receive hook's quarantine), a
// platform without mmap.
func (g *Git) openObjectStore(ctx context.Context) *objectStore {
	if !canMapFiles || os.Getenv("GIT_OBJECT_DIRECTORY") != "" || os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES") != "" {
		return nil
	}
	dir := g.objectsDir // from the rev-parse that Chunks runs first
	if dir == "" {
		out, err := g.output(ctx, "rev-parse", "--git-path", "objects")
		if err != nil {
			return nil
		}
		dir = out
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(g.Dir, dir)
	}
	s := &objectStore{}
	seen := map[string]bool{}
	s.addDir(dir, seen, 0)
	if len(s.packs) == 0 {
		return nil
	}
	return s
}

// addDir adds the packs of an object directory and of its alternates
// (followed 5 deep, as git does).
func (s *objectStore) addDir(dir string, seen map[string]bool, depth int) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if seen[dir] || depth > 5 {
		return
	}
	seen[dir] = true
	idxs, _ := filepath.Glob(filepath.Join(dir, "pack", "*.idx"))
	for _, idx := range idxs {
		if p, err := openPack(idx); err == nil {
			s.packs = append(s.packs, p)
		}
	}
	f, err := os.Open(filepath.Join(dir, "info", "alternates"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		alt := strings.TrimSpace(sc.Text())
		if alt == "" || strings.HasPrefix(alt, "#") || strings.HasPrefix(alt, "\"") {
			continue // a quoted path: left to git
		}
		if !filepath.IsAbs(alt) {
			alt = filepath.Join(dir, alt)
		}
		s.addDir(alt, seen, depth+1)
	}
}

// openPack maps a pack and its index.
func openPack(idxPath string) (*packFile, error) {
	raw, err := mapFile(idxPath)
	if err != nil {
		return nil, err
	}
	idx, err := openIndex(raw)
	if err != nil {
		unmapFile(raw)
		return nil, err
	}
	path := strings.TrimSuffix(idxPath, ".idx") + ".pack"
	data, err := mapFile(path)
	if err != nil {
		unmapFile(raw)
		return nil, err
	}
	if len(data) < 32 || string(data[:4]) != "PACK" {
		unmapFile(raw)
		unmapFile(data)
		return nil, fmt.Errorf("%s: not a pack file", path)
	}
	return &packFile{path: path, idx: idx, data: data}, nil
}

// sortedEntries returns the pack's entries by offset.
func (p *packFile) sortedEntries() []packEntry {
	p.entriesOnce.Do(func() {
		p.entries = make([]packEntry, 0, p.idx.count)
		for m := range p.idx.count {
			if off, ok := p.idx.offset(m); ok {
				p.entries = append(p.entries, packEntry{off, p.idx.crc(m)})
			}
		}
		slices.SortFunc(p.entries, func(a, b packEntry) int { return cmp.Compare(a.off, b.off) })
	})
	return p.entries
}

// entryAt returns the index in sortedEntries of the entry at off.
func (p *packFile) entryAt(off int64) (int, bool) {
	return slices.BinarySearchFunc(p.sortedEntries(), off, func(e packEntry, off int64) int { return cmp.Compare(e.off, off) })
}

// checkEntry verifies the bytes of the entry at off against its CRC.
func (p *packFile) checkEntry(off int64) error {
	k, found := p.entryAt(off)
	if !found {
		return errors.New("no entry at that offset")
	}
	end := int64(len(p.data)) - 20 // the pack's checksum
	if k+1 < len(p.entries) {
		end = p.entries[k+1].off
	}
	if end < off || end > int64(len(p.data)) {
		return errors.New("entry past the end of the pack")
	}
	if crc32.ChecksumIEEE(p.data[off:end]) != p.entries[k].crc {
		return errBadCRC
	}
	return nil
}

func (s *objectStore) close() {
	for _, p := range s.packs {
		unmapFile(p.idx.data)
		unmapFile(p.data)
	}
	s.packs = nil
}

// objectPos is where an object lies: a pack (index in packs) and offset.
type objectPos struct {
	pack int
	off  int64
}

// findEntry returns where object h lies, and its CRC, if in a pack.
func (s *objectStore) findEntry(h plumbing.Hash) (pos objectPos, crc uint32, ok bool) {
	for k, p := range s.packs {
		if m, found := p.idx.find(h[:]); found {
			off, ok := p.idx.offset(m)
			return objectPos{k, off}, p.idx.crc(m), ok
		}
	}
	return objectPos{}, 0, false
}

// packReader reads objects from an objectStore; one per goroutine (it
// keeps its own inflater and cache of delta bases).
type packReader struct {
	s         *objectStore
	zr        io.ReadCloser // zlib, checking the Adler-32
	fr        io.ReadCloser // raw deflate, for entries checked against their CRC
	src       bytes.Reader
	cache     map[objectPos]cachedObject
	fifo      []cachedAt // the cached objects, oldest first
	size      int        // bytes cached, at most cacheSize (baseCacheSize)
	cacheSize int
	// The last object readBlobAt read, when it was rebuilt from a delta: the
	// delta and the position of its base.
	lastDelta    []byte
	lastBase     objectPos
	lastBaseData []byte                 // the content of the base at lastBase
	lastHits     []windowHit            // the window keywords of the last object read (hits set)
	lastHitsOK   bool                   // false: not looked for (an object read whole: left to the screen)
	lastParsed   *priorDelta            // lastDelta parsed (hits set; nil if malformed)
	lastOrder    binary.AppendByteOrder // the last blob read was UTF-16 in this order, decoded
	// hits, when set (the screen's readers), finds the window keywords of
	// each blob read or rebuilt (see screen.go).
	hits *hitFinder
	// bufs, when set (the screen's readers, and sparse ones), recycles
	// the memory of the objects the reader no longer holds (see
	// recycle.go); ops is the memory of the instructions of the last
	// delta parsed.
	bufs *recycler
	ops  []deltaOp
}

type cachedObject struct {
	typ  int
	data []byte
	// hits are the blob's window keywords, when the reader finds them
	// (packReader.hits); hitsOK is false when they were not looked for.
	hits   []windowHit
	hitsOK bool
	// returned says a sparse reader returned the object: its caller
	// keeps it (in chunks), so its memory is never recycled.
	returned bool
}

func (s *objectStore) reader() *packReader {
	r := &packReader{s: s, cache: map[objectPos]cachedObject{}, cacheSize: baseCacheSize}
	if s.sparse {
		r.cacheSize = sparseCacheSize
		r.bufs = &recycler{} // never the memory of what it returns
	}
	return r
}

// sparseCacheSize bounds a sparse reader's cache. A range reads each blob
// right after the versions it replaced, which the packs mostly store as
// deltas against it: the cache serves little besides that. A 10-commit
// range of the benchmark history took 0.29 s of CPU with 1 MB, against
// 0.30-0.31 s with 4, 8 or 32 MB (whose memory is faulted in afresh).
const sparseCacheSize = 1 << 20

// errPackSkip says an object is not read from the packs (too large, or
// not a blob): not an error in the pack.
var errPackSkip = errors.New("skip")

// readBlobAt reads the object at pos (past the last pack: in none) as
// readObject does from git cat-file: ok is false when the packs do not
// hold it or cannot give it (then git should be asked); otherwise status
// is "", "large" or "binary" as for readObject (the content is not
// returned for the latter two).
func (r *packReader) readBlobAt(pos objectPos, limit int64) (data []byte, size int64, status string, ok bool) {
	if pos.pack >= len(r.s.packs) {
		return nil, 0, "", false
	}
	defer func() {
		if recover() != nil {
			// A corrupt pack that got past the checks: git will say.
			data, size, status, ok = nil, 0, "", false
		}
	}()
	r.lastDelta, r.lastParsed, r.lastBaseData, r.lastHits, r.lastHitsOK, r.lastOrder = nil, nil, nil, nil, false, nil
	r.bufs.reuse()
	typ, data, size, err := r.object(pos, limit, 0)
	switch {
	case errors.Is(err, errPackSkip) && typ == objBlob:
		return nil, size, "large", true
	case errors.Is(err, errPackSkip):
		return nil, size, "binary", true // not a blob: skipped, as cat-file's reader does
	case err != nil:
		return nil, 0, "", false
	case typ != objBlob:
		return nil, size, "binary", true
	}
	if text, order, ok := decodeUTF16(data); ok {
		// Compared through line hashes of the text, never through the
		// delta of its bytes.
		r.lastDelta, r.lastOrder = nil, order
		return text, size, "", true
	}
	if IsBinary(data) {
		return nil, size, "binary", true
	}
	return data, size, "", true
}

// object returns the type and content of the object at pos. With limit >
// 0 a blob larger than limit, or an object that is not a blob, is not
// inflated: errPackSkip, with its type and size.
func (r *packReader) object(pos objectPos, limit int64, depth int) (typ int, data []byte, size int64, err error) {
	if c, ok := r.cache[pos]; ok {
		if depth == 0 && limit > 0 && (c.typ != objBlob || int64(len(c.data)) > limit) {
			// Cached as a delta base, which has no limit: skipped as
			// when read first.
			return c.typ, nil, int64(len(c.data)), errPackSkip
		}
		if depth == 0 {
			r.lastHits, r.lastHitsOK = c.hits, c.hitsOK
			if r.s.sparse && !c.returned {
				c.returned = true
				r.cache[pos] = c
			}
		}
		return c.typ, c.data, int64(len(c.data)), nil
	}
	if depth > maxDeltaChain {
		return 0, nil, 0, errors.New("delta chain too long")
	}
	p := r.s.packs[pos.pack]
	check := entryCheck{how: checkedBefore}
	if r.s.sparse {
		check.how = checkAdler
		if crc, ok := r.s.crcs[pos]; ok {
			check = entryCheck{how: checkCRCAfter, off: pos.off, crc: crc}
		}
	} else if err := p.checkEntry(pos.off); err != nil {
		return 0, nil, 0, err
	}
	typ, size, at, err := entryHeader(p.data, pos.off)
	if err != nil {
		return 0, nil, 0, err
	}
	if size > maxInflate*(int64(len(p.data))-at) {
		return 0, nil, 0, errors.New("object size past what its bytes can inflate to")
	}
	var hits []windowHit
	hitsOK := false
	switch typ {
	case objCommit, objTree, objBlob, objTag:
		if limit > 0 && (typ != objBlob || size > limit) {
			if check.how != checkedBefore {
				// The header says so, and nothing checked it yet (the
				// stream is not inflated): git decides.
				return 0, nil, 0, errUnchecked
			}
			return typ, nil, size, errPackSkip
		}
		data, err = r.inflate(p.data, at, size, check)
		if err != nil {
			return 0, nil, 0, err
		}
		if r.hits != nil && typ == objBlob && depth > 0 {
			// As a delta's base its keywords are needed now; a blob read
			// for itself is screened, which finds them (keepHits).
			hits, hitsOK = r.hits.all(data), true
		}
	case objOfsDelta, objRefDelta:
		base, at, err := r.s.deltaBase(pos, typ, at)
		if err != nil {
			return 0, nil, 0, err
		}
		delta, err := r.inflate(p.data, at, size, check)
		if err != nil {
			return 0, nil, 0, err
		}
		if depth == 0 {
			r.lastDelta, r.lastBase = delta, base
		}
		_, target, _, err := deltaHeader(delta)
		if err != nil {
			return 0, nil, 0, err
		}
		if limit > 0 && target > limit {
			// Too large if a blob; its type is its base's (found cheaply
			// only by following the chain: take it as a blob).
			return objBlob, nil, target, errPackSkip
		}
		btyp, bdata, _, err := r.object(base, 0, depth+1)
		if err != nil {
			return 0, nil, 0, err
		}
		if r.bufs != nil {
			r.bufs.using = append(r.bufs.using, base)
		}
		c := r.cache[base]
		if depth == 0 {
			r.lastBaseData = bdata
		}
		if limit > 0 && btyp != objBlob {
			if check.how != checkedBefore {
				// The base's type comes from its header, which a sparse
				// store has not checked: git decides.
				return 0, nil, 0, errUnchecked
			}
			return btyp, nil, target, errPackSkip
		}
		typ = btyp
		// Parsed once: to rebuild the object, and in the screen's readers
		// for its keywords and for the screen. Its instructions are in the
		// reader's memory for them, used by one delta at a time.
		d, ok := parseDeltaInto(delta, r.ops[:0])
		if !ok {
			return 0, nil, 0, errBadDelta
		}
		r.ops = d.ops
		if data, err = applyParsed(bdata, d, r.alloc); err != nil {
			return 0, nil, 0, err
		}
		if r.hits != nil && typ == objBlob {
			if depth == 0 {
				r.lastParsed = d
			}
			if c.hitsOK {
				hits = r.hits.through(data, c.hits, d)
			} else {
				hits = r.hits.all(data)
			}
			hitsOK = true
		}
		_, cached := r.cache[base]
		if depth > 0 {
			// Only this object is built from the delta, and from the base
			// unless cached: their memory serves the next level up (a
			// chain of deltas is rebuilt in two buffers, not one each).
			r.bufs.reuseNow(delta)
			if !cached {
				r.bufs.reuseNow(bdata)
			}
		} else {
			// The caller may read them (lastDelta, lastBaseData) until
			// it asks for the next object.
			r.bufs.release(delta)
			if !cached {
				r.bufs.release(bdata)
			}
		}
	default:
		return 0, nil, 0, fmt.Errorf("object type %d", typ)
	}
	if depth == 0 {
		r.lastHits, r.lastHitsOK = hits, hitsOK
	}
	r.keep(pos, cachedObject{typ: typ, data: data, hits: hits, hitsOK: hitsOK, returned: depth == 0 && r.s.sparse}, depth)
	return typ, data, int64(len(data)), nil
}

// keepHits records the window keywords of the object at pos, if cached.
func (r *packReader) keepHits(pos objectPos, hits []windowHit) {
	if c, ok := r.cache[pos]; ok {
		c.hits, c.hitsOK = hits, true
		r.cache[pos] = c
	}
}

// keep caches an inflated object read at depth in a chain of deltas as a
// possible delta base, dropping the oldest past cacheSize. Cached contents
// are shared with the chunks they are yielded in: nothing writes to a
// chunk's Data. An object too large to cache is released, unless
// returned or read as a base (the object built from it releases it).
func (r *packReader) keep(pos objectPos, c cachedObject, depth int) {
	if len(c.data) > r.cacheSize/4 {
		if !c.returned && depth == 0 {
			r.bufs.release(c.data)
		}
		return
	}
	r.cache[pos] = c
	r.fifo = append(r.fifo, cachedAt{pos, cap(c.data)})
	r.size += cap(c.data)
	for r.size > r.cacheSize && len(r.fifo) > 0 {
		old := r.fifo[0]
		r.fifo = r.fifo[1:]
		r.size -= old.size
		if c := r.cache[old.pos]; !c.returned {
			r.bufs.release(c.data)
		}
		delete(r.cache, old.pos)
	}
}

// cachedAt is where a cached object lies, and the memory it holds.
type cachedAt struct {
	pos  objectPos
	size int
}

// entryCheck says how inflate checks a pack entry.
type entryCheck struct {
	how int
	off int64  // checkCRCAfter: where the entry starts
	crc uint32 // checkCRCAfter: its CRC-32 from the index
}

const (
	// checkedBefore: its bytes were checked against the index's CRC-32
	// (checkEntry).
	checkedBefore = iota
	// checkCRCAfter: its bytes are checked against crc once inflated,
	// when the end of the zlib stream is known (sparse stores).
	checkCRCAfter
	// checkAdler: the zlib stream's Adler-32 of the inflated bytes.
	checkAdler
)

// inflate returns the size bytes that the zlib stream at data[at:]
// inflates to, checked as check says. Checked against the CRC, the stream
// is read as raw deflate after its two-byte zlib header, and its Adler-32
// of the inflated bytes, which the CRC makes redundant, is not computed
// (2-3% of reading the benchmark history's packs; on a range, with the
// CRC computed after, 4-5% of its CPU). Unless checked before, the
// stream is read to its end, which must come at size.
func (r *packReader) inflate(data []byte, at int64, size int64, check entryCheck) ([]byte, error) {
	if at >= int64(len(data)) {
		return nil, io.ErrUnexpectedEOF
	}
	var zr io.Reader
	var err error
	if check.how != checkAdler {
		if at+2 > int64(len(data)) || !zlibHeader(data[at], data[at+1]) {
			return nil, zlib.ErrHeader
		}
		r.src.Reset(data[at+2:])
		if r.fr == nil {
			r.fr = flate.NewReader(&r.src)
		} else {
			err = r.fr.(flate.Resetter).Reset(&r.src, nil)
		}
		zr = r.fr
	} else {
		r.src.Reset(data[at:])
		if r.zr == nil {
			r.zr, err = zlib.NewReader(&r.src)
		} else {
			err = r.zr.(zlib.Resetter).Reset(&r.src, nil)
		}
		zr = r.zr
	}
	if err != nil {
		return nil, err
	}
	out := r.alloc(int(size))
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, err
	}
	if check.how == checkedBefore {
		return out, nil
	}
	var one [1]byte
	if n, err := zr.Read(one[:]); n != 0 || err != io.EOF {
		return nil, errBadStream
	}
	if check.how == checkCRCAfter {
		// The deflate stream ends where the reader stopped (it never
		// reads past it); the entry, after the 4-byte Adler-32.
		end := int64(len(data)-r.src.Len()) + 4
		if end > int64(len(data)) || crc32.ChecksumIEEE(data[check.off:end]) != check.crc {
			return nil, errBadCRC
		}
	}
	return out, nil
}

var (
	// errBadStream is an entry whose zlib stream inflates past the size
	// in its header, or fails its Adler-32.
	errBadStream = errors.New("zlib stream does not end at its size, or fails its checksum")
	errBadCRC    = errors.New("entry does not match its CRC")
	// errUnchecked is an entry whose header (or its base's) would skip it
	// (too large, not a blob) in a sparse store, which checks entries only
	// once inflated.
	errUnchecked = errors.New("entry header not checked")
)

// zlibHeader reports whether cmf and flg start a zlib stream of deflate
// data without a preset dictionary (RFC 1950 2.2), as git writes them.
func zlibHeader(cmf, flg byte) bool {
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0 && flg&0x20 == 0
}

// maxInflate is the most that one byte of zlib stream inflates to (about
// 1032 for deflate): a larger size in an entry's header is corruption.
const maxInflate = 1100

// entryHeader parses the header of the pack entry at off: its type, its
// (inflated) size and where its data starts.
func entryHeader(data []byte, off int64) (typ int, size int64, at int64, err error) {
	if off < 12 || off >= int64(len(data)) {
		return 0, 0, 0, errors.New("object offset out of the pack")
	}
	c := data[off]
	typ, size = int(c>>4&7), int64(c&15)
	at = off + 1
	for shift := 4; c&0x80 != 0; shift += 7 {
		if at >= int64(len(data)) || shift > 56 {
			return 0, 0, 0, errors.New("bad object header")
		}
		c = data[at]
		at++
		size |= int64(c&0x7f) << shift
	}
	return typ, size, at, nil
}

// deltaBase returns where the base of the delta entry at pos (of type
// typ, its header read up to at) lies, and where its zlib stream starts.
func (s *objectStore) deltaBase(pos objectPos, typ int, at int64) (objectPos, int64, error) {
	data := s.packs[pos.pack].data
	if typ == objOfsDelta {
		rel, n, err := ofsDeltaOffset(data, at)
		if err != nil {
			return objectPos{}, 0, err
		}
		if rel <= 0 || rel > pos.off-12 {
			return objectPos{}, 0, errors.New("delta base offset out of the pack")
		}
		return objectPos{pos.pack, pos.off - rel}, at + int64(n), nil
	}
	if at+20 > int64(len(data)) {
		return objectPos{}, 0, io.ErrUnexpectedEOF
	}
	var h plumbing.Hash
	copy(h[:], data[at:at+20])
	base, _, ok := s.findEntry(h)
	if !ok {
		return objectPos{}, 0, errors.New("delta base not in the packs")
	}
	return base, at + 20, nil
}

// ofsDeltaOffset parses the base offset (relative, backwards) of an
// OFS_DELTA entry, and its length in bytes.
func ofsDeltaOffset(data []byte, at int64) (rel int64, n int, err error) {
	for {
		if at+int64(n) >= int64(len(data)) || n > 9 {
			return 0, 0, errors.New("bad delta base offset")
		}
		c := data[at+int64(n)]
		n++
		rel |= int64(c & 0x7f)
		if c&0x80 == 0 {
			return rel, n, nil
		}
		rel = (rel + 1) << 7
	}
}

// deltaHeader reads the two sizes a delta starts with (its base's, its
// result's) and returns them with the instructions that follow.
func deltaHeader(delta []byte) (base, target int64, ops []byte, err error) {
	var sizes [2]int64
	for k := range sizes {
		for shift := 0; ; shift += 7 {
			if len(delta) == 0 || shift > 56 {
				return 0, 0, nil, errors.New("bad delta header")
			}
			c := delta[0]
			delta = delta[1:]
			sizes[k] |= int64(c&0x7f) << shift
			if c&0x80 == 0 {
				break
			}
		}
	}
	return sizes[0], sizes[1], delta, nil
}

// Comparing a blob of a range with the version it replaced without reading
// that version: in the packs a replaced version is usually stored as a
// delta against the newer one, and the delta's copy instructions say which
// bytes of the newer version the older one holds. A line of the newer
// version that was copied whole, with the line break before it (or from
// the start of a line of the older one) and its own, is a line of the
// older version: old. Every other line is fresh. That is never fewer fresh
// lines than comparing the two versions line by line would give (a copied
// line is a line of the older version), and it saves reading, piping and
// hashing the older version.

// deltaOp is an instruction of a delta: a copy of base[off:off+n], or an
// insert of n bytes, the last of which is last.
type deltaOp struct {
	copy   bool
	off, n int // a copy's offset in the base; an insert's offset in the delta (priorDelta.raw)
	last   byte
}

// priorDelta is a replaced version as a delta against its successor.
type priorDelta struct {
	baseSize int
	ops      []deltaOp
	raw      []byte // the delta, checked by parseDelta (markAssembled reads its inserts)
}

// lastDeltaAgainst returns the delta of the blob readBlobAt just read when it
// was rebuilt from a delta whose base is the object at base.
func (r *packReader) lastDeltaAgainst(base objectPos) (*priorDelta, bool) {
	if r.lastDelta == nil || base != r.lastBase {
		return nil, false
	}
	return parseDelta(r.lastDelta)
}

// deltaAgainst returns the delta of the object at ppos when the packs
// store it as a delta whose base is the object at cpos.
func (r *packReader) deltaAgainst(ppos, cpos objectPos) (d *priorDelta, ok bool) {
	defer func() {
		if recover() != nil {
			d, ok = nil, false
		}
	}()
	p := r.s.packs[ppos.pack]
	typ, size, at, err := entryHeader(p.data, ppos.off)
	if err != nil || size > maxInflate*(int64(len(p.data))-at) {
		return nil, false
	}
	if typ != objOfsDelta && typ != objRefDelta {
		return nil, false
	}
	base, at, err := r.s.deltaBase(ppos, typ, at)
	if err != nil || base != cpos {
		return nil, false
	}
	check := entryCheck{how: checkAdler}
	if crc, ok := r.s.crcs[ppos]; ok {
		check = entryCheck{how: checkCRCAfter, off: ppos.off, crc: crc}
	}
	delta, err := r.inflate(p.data, at, size, check)
	if err != nil {
		return nil, false
	}
	return parseDelta(delta)
}

// parseDelta reads a delta's instructions, checking that they produce
// exactly its result's size from a base of its base's size.
func parseDelta(delta []byte) (*priorDelta, bool) {
	return parseDeltaInto(delta, nil)
}

// parseDeltaInto is parseDelta appending the instructions to mem[:0].
func parseDeltaInto(delta []byte, mem []deltaOp) (*priorDelta, bool) {
	baseSize, target, ops, err := deltaHeader(delta)
	if err != nil || baseSize > 1<<31 || target > 1<<31 {
		return nil, false
	}
	d := &priorDelta{baseSize: int(baseSize), raw: delta, ops: mem[:0]}
	w := 0
	for len(ops) > 0 {
		op, _, rest, ok := nextDeltaOp(ops, d.baseSize)
		if !ok {
			return nil, false
		}
		if !op.copy {
			op.off = len(delta) - len(ops) + 1 // its bytes, in raw
		}
		d.ops = append(d.ops, op)
		ops = rest
		w += op.n
	}
	if int64(w) != target {
		return nil, false
	}
	return d, true
}

// nextDeltaOp decodes the first of a delta's instructions ops, against a
// base of baseSize bytes: the instruction, the bytes it inserts (for an
// insert) and the instructions after it. ok is false for a malformed
// instruction or a copy from outside the base.
func nextDeltaOp(ops []byte, baseSize int) (op deltaOp, inserted, rest []byte, ok bool) {
	cmd := ops[0]
	ops = ops[1:]
	switch {
	case cmd&0x80 != 0:
		var off, n int
		for k := range 7 {
			if cmd&(1<<k) == 0 {
				continue
			}
			if len(ops) == 0 {
				return op, nil, nil, false
			}
			if k < 4 {
				off |= int(ops[0]) << (8 * k)
			} else {
				n |= int(ops[0]) << (8 * (k - 4))
			}
			ops = ops[1:]
		}
		if n == 0 {
			n = 0x10000
		}
		if off+n > baseSize {
			return op, nil, nil, false
		}
		return deltaOp{copy: true, off: off, n: n}, nil, ops, true
	case cmd != 0:
		n := int(cmd)
		if n > len(ops) {
			return op, nil, nil, false
		}
		return deltaOp{n: n, last: ops[n-1]}, ops[:n], ops[n:], true
	}
	return op, nil, nil, false
}

// maxDeltaResult bounds what one delta may rebuild in process: a larger
// object is left to git cat-file.
const maxDeltaResult = 1 << 30

// errBadDelta says a delta's instructions do not rebuild an object from
// its base.
var errBadDelta = errors.New("bad delta")

// applyParsed rebuilds the object that d, which parseDelta read (and
// checked: copies inside the base, sizes adding up to the result's),
// describes from base, into memory from alloc, taken once at the result's
// size. go-git's packfile.PatchDelta, used before, grows its buffer from
// 64 KB by doubling: it allocated 3.4 GB for the 1.6 GB benchmark
// history, two thirds of everything the scan allocated, and zeroing and
// faulting in that memory was a sixth of the scan's CPU.
func applyParsed(base []byte, d *priorDelta, alloc func(int) []byte) ([]byte, error) {
	target := 0
	for _, op := range d.ops {
		target += op.n
	}
	if d.baseSize != len(base) || target > maxDeltaResult {
		return nil, errBadDelta
	}
	out := alloc(target)
	at := 0
	for _, op := range d.ops {
		if op.copy {
			at += copy(out[at:], base[op.off:op.off+op.n])
		} else {
			at += copy(out[at:], d.raw[op.off:op.off+op.n])
		}
	}
	return out, nil
}

// markCopied clears fresh[i] for each line i of data (starting at
// starts[i]) that the replaced version d copied whole: see above. It
// returns false when d is not a delta against data.
func markCopied(fresh []bool, starts []int32, data []byte, d *priorDelta) bool {
	if d.baseSize != len(data) {
		return false
	}
	runs := copyRuns(data, d)
	slices.SortFunc(runs, func(x, y copyRun) int { return cmp.Compare(x.a, y.a) })
	// Lines in order, runs in order of their start: reach is the farthest
	// end of the runs that begin before the line (at or before its
	// preceding line break).
	k, reach := 0, -1
	for i, s := range starts {
		from := int(s)
		e := len(data)
		if i+1 < len(starts) {
			e = int(starts[i+1])
		}
		for k < len(runs) && runs[k].a < from {
			reach = max(reach, runs[k].b)
			k++
		}
		if e == 0 || data[e-1] != '\n' {
			continue // the last line, without a line break: left fresh
		}
		old := from > 0 && reach >= e
		for j := k; !old && j < len(runs) && runs[j].a == from; j++ {
			old = runs[j].starts && runs[j].b >= e
		}
		if old {
			fresh[i] = false
		}
	}
	return true
}

// copyRun is a run of data that a replaced version copies: data[a:b],
// copies merged where one goes on from another in both versions; starts
// says whether the older version has a line start where the run begins.
type copyRun struct {
	a, b   int
	starts bool
}

// copyRuns returns the runs of data that the replaced version d (a delta
// against data) copies, in the order d copies them.
func copyRuns(data []byte, d *priorDelta) []copyRun {
	var runs []copyRun
	var last byte
	w, prevCopy := 0, false
	for _, op := range d.ops {
		if op.copy {
			if k := len(runs) - 1; prevCopy && runs[k].b == op.off {
				runs[k].b += op.n
			} else {
				runs = append(runs, copyRun{op.off, op.off + op.n, w == 0 || last == '\n'})
			}
			last, prevCopy = data[op.off+op.n-1], true
		} else {
			last, prevCopy = op.last, false
		}
		w += op.n
	}
	return runs
}

// markAssembled clears fresh[i] for lines of data still fresh after
// markCopied that are lines of the replaced version d all the same: put
// together from pieces (the start of one line of data and the rest of
// another, an insert and a copy), or inserted, or copied from a line of
// data that another of its lines was copied from too. Those are the replaced
// version's lines that markCopied does not see (it knows lines copied
// whole); they lie where d's instructions meet, or inside an insert: few,
// and only they are rebuilt and hashed. Each pairs with one fresh line of
// data with the same content (one more copy of a line stays new). It
// returns false when d is not a delta against data.
func markAssembled(fresh []bool, starts []int32, data []byte, d *priorDelta) bool {
	if d.baseSize != len(data) {
		return false
	}
	if !slices.Contains(fresh, true) {
		return true
	}
	cands := assembledLines(data, d)
	if len(cands) == 0 {
		return true
	}
	set := newLineSet(cands)
	for i, f := range fresh {
		if !f {
			continue
		}
		e := len(data)
		if i+1 < len(starts) {
			e = int(starts[i+1])
		}
		if set.take(maphash.Bytes(lineSeed, bytes.TrimSuffix(data[starts[i]:e], []byte{'\n'}))) {
			fresh[i] = false
		}
	}
	return true
}

// sharedCopies says which of the copies in ops take bytes another copy
// takes too.
func sharedCopies(ops []deltaOp) []bool {
	byOff := make([]int, 0, len(ops))
	for k, op := range ops {
		if op.copy {
			byOff = append(byOff, k)
		}
	}
	offOrder := func(a, b int) int { return cmp.Compare(ops[a].off, ops[b].off) }
	if !slices.IsSortedFunc(byOff, offOrder) {
		slices.SortFunc(byOff, offOrder)
	}
	shared := make([]bool, len(ops))
	reach, last := -1, -1 // the farthest end so far, and the copy that reaches it
	for _, k := range byOff {
		op := ops[k]
		if op.off < reach {
			shared[k], shared[last] = true, true
		}
		if end := op.off + op.n; end > reach {
			reach, last = end, k
		}
	}
	return shared
}

// assembledLines returns the hashes of the lines of the replaced version d
// (a delta against data) that markCopied does not see: see markAssembled.
func assembledLines(data []byte, d *priorDelta) []uint64 {
	// Copies whose bytes of data another copy takes too: only lines they
	// copy whole can be lines of data copied twice (rare; counted below).
	// Copies mostly go forward through data, one after the other: then
	// none is shared, and nothing needs sorting.
	var shared []bool
	reach := -1
	for _, op := range d.ops {
		if op.copy {
			if op.off < reach {
				shared = sharedCopies(d.ops)
				break
			}
			reach = op.off + op.n
		}
	}
	isShared := func(k int) bool { return shared != nil && shared[k] }
	// The lines of the replaced version that the walk below rebuilds; each
	// then pairs with the first fresh line with its content.
	var cands []uint64
	var dups []int   // offsets in data of lines that shared copies copy whole
	var cur []byte   // the replaced version's current line, so far, unless whole
	started := false // a line of the replaced version has begun
	whole := false   // it is so far data[wholeFrom:], from a line start, copied in one run
	wholeFrom := 0
	twice := false // ... and a shared copy took part of it
	prevEnd := -1  // where in data the previous instruction's copy ended (-1: an insert)
	for k, op := range d.ops {
		src, base := data, op.off
		if !op.copy {
			src, base = d.raw, -1
		}
		src = src[op.off : op.off+op.n]
		if started {
			// The line goes on: still one run if this copy carries on
			// where the last one ended in data, as markCopied merges them.
			if whole && (base < 0 || base != prevEnd) {
				cur, whole = append(cur[:0], data[wholeFrom:prevEnd]...), false
			}
			twice = twice || isShared(k)
		}
		for pos := 0; pos < len(src); {
			if !started {
				started, cur = true, cur[:0]
				whole = base >= 0 && (base+pos == 0 || data[base+pos-1] == '\n')
				wholeFrom, twice = base+pos, isShared(k)
			}
			nl := bytes.IndexByte(src[pos:], '\n')
			if nl < 0 {
				if !whole {
					cur = append(cur, src[pos:]...)
				}
				break
			}
			if whole {
				if twice {
					dups = append(dups, wholeFrom)
				}
			} else {
				cur = append(cur, src[pos:pos+nl]...)
				cands = append(cands, maphash.Bytes(lineSeed, cur))
			}
			started, pos = false, pos+nl+1
			if base >= 0 && !isShared(k) {
				// What follows in this copy up to its last line break is
				// whole lines of data, each after a line break it copies
				// too: markCopied's. Skip them.
				if last := bytes.LastIndexByte(src[pos:], '\n'); last >= 0 {
					pos += last + 1
				}
			}
		}
		prevEnd = -1
		if op.copy {
			prevEnd = op.off + op.n
		}
	}
	if started { // a last line without a line break
		if whole {
			cur = data[wholeFrom:prevEnd]
		}
		cands = append(cands, maphash.Bytes(lineSeed, cur))
	}
	// A line of data copied n times is n lines of the replaced version;
	// markCopied cleared one line of data for them.
	slices.Sort(dups)
	for i := 0; i < len(dups); {
		j := i + 1
		for j < len(dups) && dups[j] == dups[i] {
			j++
		}
		if n := j - i; n > 1 {
			from := dups[i]
			end := bytes.IndexByte(data[from:], '\n')
			for h := maphash.Bytes(lineSeed, data[from:from+end]); n > 1; n-- {
				cands = append(cands, h)
			}
		}
		i = j
	}
	return cands
}
