package source

import (
	"cmp"
	"slices"
)

// The screen's readers rebuild every version of every file in the packs
// (1.6 GB on the benchmark history) and drop each soon after: a version is
// screened, kept a while as a delta base, then evicted. Allocated afresh,
// that memory was zeroed by Go or faulted in from the kernel (fresh pages
// are zeroed there), about a tenth of the scan's CPU. A screen reader
// recycles it instead: the memory of an object it no longer holds, and
// of each inflated delta, is released, and the next object of about its
// size is written into it. Nothing reads a recycled object's old bytes:
// inflating and applying a delta write every byte of the result.
//
// The screen's readers recycle everything: what they return is screened
// before they are asked for the next object, and nothing keeps it. A
// sparse reader's (a range's) objects are shared with the chunks the
// detector scans later: it recycles only what it never returned (marked
// in its cache), that is the deltas and the versions it rebuilds on the
// way to the one asked for. Those are recycled at once, as the next
// version up a chain of deltas is built from them: a chain is rebuilt in
// two buffers. The readers of a full history that is not screened
// recycle nothing.
type recycler struct {
	free [][]byte // by capacity, smallest first
	held int      // bytes in free
	// pending were released while reading the last object: still in use
	// by its reader's caller until it asks for the next one.
	pending [][]byte
	// using are the cached objects the object being read is rebuilt from:
	// alloc does not take their memory.
	using []objectPos
	// reused counts the buffers given again (free or taken from the
	// cache), for tests.
	reused int
}

// minRecycled is the smallest object recycled: smaller ones come cheaply
// from Go's allocator, in memory it reuses without faulting.
const minRecycled = 16 << 10

// maxRecycledBytes bounds the memory a reader keeps for reuse, besides its
// cache of delta bases (baseCacheSize).
const maxRecycledBytes = 16 << 20

// fits reports whether a buffer of capacity c is worth using for n bytes.
func fits(c, n int) bool { return c >= n && c <= 2*n }

// alloc returns memory for an object of n bytes, whose contents are
// undefined: a screen reader's recycled memory (the smallest free buffer
// that fits, else the memory of the oldest cached object that fits and
// that the object being read does not use), otherwise new memory.
func (r *packReader) alloc(n int) []byte {
	c := r.bufs
	if c == nil || n < minRecycled {
		return make([]byte, n)
	}
	i, _ := slices.BinarySearchFunc(c.free, n, func(b []byte, n int) int { return cmp.Compare(cap(b), n) })
	if i < len(c.free) && fits(cap(c.free[i]), n) {
		b := c.free[i]
		c.free = slices.Delete(c.free, i, i+1)
		c.held -= cap(b)
		c.reused++
		return b[:n]
	}
	if n >= minStolen {
		for k, e := range r.fifo {
			if !fits(e.size, n) || slices.Contains(c.using, e.pos) || r.cache[e.pos].returned {
				continue
			}
			b := r.cache[e.pos].data
			r.fifo = slices.Delete(r.fifo, k, k+1)
			r.size -= e.size
			delete(r.cache, e.pos)
			c.reused++
			return b[:n]
		}
	}
	return make([]byte, n)
}

// minStolen is the smallest object for which alloc takes the memory of a
// cached object: large objects are few, but most of the bytes (on the
// benchmark history, the 336 blobs of 1 MB or more are 877 MB of the
// 1.6 GB), and a version of one is often read while the cache still holds
// the earlier ones and nothing has been released yet.
const minStolen = 256 << 10

// release takes back b, which its reader's caller may still be reading:
// it is reused once the caller asks for the next object (reuse).
func (c *recycler) release(b []byte) {
	if c == nil || cap(b) < minRecycled {
		return
	}
	c.pending = append(c.pending, b)
}

// reuseNow takes back b, which nothing reads any more, for alloc's next
// call.
func (c *recycler) reuseNow(b []byte) {
	if c == nil || cap(b) < minRecycled {
		return
	}
	c.put(b)
	c.trim()
}

// put adds b to the free buffers.
func (c *recycler) put(b []byte) {
	j, _ := slices.BinarySearchFunc(c.free, cap(b), func(b []byte, n int) int { return cmp.Compare(cap(b), n) })
	c.free = slices.Insert(c.free, j, b[:0])
	c.held += cap(b)
}

// trim drops the largest free buffers past maxRecycledBytes (kept, a few
// large ones left no room for the many sizes the next objects need).
func (c *recycler) trim() {
	for c.held > maxRecycledBytes {
		c.held -= cap(c.free[len(c.free)-1])
		c.free[len(c.free)-1] = nil
		c.free = c.free[:len(c.free)-1]
	}
}

// reuse makes the buffers released so far available to alloc: the caller
// is done with the objects read before. Past maxRecycledBytes the largest
// free buffers are dropped (trim).
func (c *recycler) reuse() {
	if c == nil {
		return
	}
	for i, b := range c.pending {
		c.pending[i] = nil
		c.put(b)
	}
	c.pending = c.pending[:0]
	c.using = c.using[:0]
	c.trim()
}
