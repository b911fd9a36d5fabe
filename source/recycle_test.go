package source

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A screen reader recycles the memory of the objects it no longer holds:
// every blob it returns, with the base it was rebuilt from and its
// parsed delta, is what a reader without recycling gives, until it is
// asked for the next one, read in pack order and in random order (which
// rebuilds long chains of deltas and takes the memory of cached objects),
// over more versions of large files than its cache holds (made small,
// so that the largest are not cached at all). The window keywords it
// gives and caches, carried through deltas from those the screen finds
// in blobs read whole, are those of each blob.
func TestScreenReaderRecycles(t *testing.T) {
	store, orders := versionedStore(t)
	det := screenDetector(t, screenTestRules)
	for name, positions := range orders {
		t.Run(name, func(t *testing.T) {
			rd := store.reader()
			rd.hits, rd.bufs = newHitFinder(det), &recycler{}
			rd.cacheSize = 2 << 20 // objects over 512 KB are not cached
			fresh := store.reader()
			deltas, hits := 0, 0
			for _, pos := range positions {
				data, _, status, ok := rd.readBlobAt(pos, 0)
				if !ok {
					t.Fatalf("%v not read", pos)
				}
				if status != "" {
					continue
				}
				want, _, _, _ := fresh.readBlobAt(pos, 0)
				if !bytes.Equal(data, want) {
					t.Fatalf("%v: %d bytes differ from a reader's without recycling", pos, len(data))
				}
				hits += len(rd.lastHits)
				if rd.lastHitsOK {
					if all := rd.hits.all(data); !slices.Equal(rd.lastHits, all) {
						t.Fatalf("%v: window keywords %v, want %v", pos, rd.lastHits, all)
					}
				} else if rd.lastParsed == nil {
					// As the screen does for a blob read whole.
					_, hits := rd.hits.mayFindWhole(data)
					rd.keepHits(pos, hits)
				}
				for at, c := range rd.cache {
					if all := rd.hits.all(c.data); c.hitsOK && !slices.Equal(c.hits, all) {
						t.Fatalf("cached %v: window keywords %v, want %v", at, c.hits, all)
					}
				}
				if rd.lastParsed == nil {
					continue
				}
				deltas++
				base, _, _, _ := fresh.readBlobAt(rd.lastBase, 0)
				if !bytes.Equal(rd.lastBaseData, base) {
					t.Fatalf("%v: its base %v differs from a reader's without recycling", pos, rd.lastBase)
				}
				if again, err := applyParsed(rd.lastBaseData, rd.lastParsed, dirtyAlloc); err != nil || !bytes.Equal(again, data) {
					t.Fatalf("%v: its delta, applied to its base again, gives %d bytes, %v", pos, len(again), err)
				}
			}
			if deltas < 60 || rd.bufs.reused < 20 || hits < 1000 {
				t.Fatalf("%d deltas read, %d buffers reused, %d window keywords carried: the test does not recycle", deltas, rd.bufs.reused, hits)
			}
			t.Logf("%d deltas, %d buffers reused, %d window keywords carried", deltas, rd.bufs.reused, hits)
		})
	}
}

// A sparse reader (a range's) recycles only the memory of what it does
// not return: deltas, and the versions it rebuilds on the way to the one
// asked for. Every blob it returned is still what git gives once all are
// read, in pack order and in random order, whatever the cache holds.
func TestSparseReaderKeepsWhatItReturns(t *testing.T) {
	store, orders := versionedStore(t)
	fresh := store.reader()
	store.sparse = true
	defer func() { store.sparse = false }()
	reused := 0
	for name, positions := range orders {
		for _, cacheSize := range []int{sparseCacheSize, 2 << 20, 16 << 20} {
			rd := store.reader()
			rd.cacheSize = cacheSize
			if rd.bufs == nil {
				t.Fatal("a sparse reader does not recycle")
			}
			returned := map[objectPos][]byte{}
			for _, pos := range positions {
				data, _, status, ok := rd.readBlobAt(pos, 0)
				if ok && status == "" {
					returned[pos] = data
				}
			}
			for pos, data := range returned {
				if want, _, _, _ := fresh.readBlobAt(pos, 0); !bytes.Equal(data, want) {
					t.Fatalf("%s, cache %d: blob %v returned, then changed while others were read", name, cacheSize, pos)
				}
			}
			if len(returned) < 60 {
				t.Fatalf("%s, cache %d: %d blobs returned", name, cacheSize, len(returned))
			}
			reused += rd.bufs.reused
		}
	}
	if reused < 100 {
		t.Fatalf("%d buffers reused: the test does not recycle", reused)
	}
	t.Logf("%d buffers reused", reused)
}

// versionedStore is the object store of versionedRepo (one pack, closed
// when the test ends), and the positions of its entries in pack order and
// in random order.
func versionedStore(t *testing.T) (*objectStore, map[string][]objectPos) {
	r, rng := versionedRepo(t)
	store := (&Git{Dir: r.dir}).openObjectStore(t.Context())
	if store == nil || len(store.packs) != 1 {
		t.Fatal("want one pack")
	}
	t.Cleanup(store.close)
	var order []objectPos
	for _, e := range store.packs[0].sortedEntries() {
		order = append(order, objectPos{0, e.off})
	}
	shuffled := append([]objectPos(nil), order...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	return store, map[string][]objectPos{"pack order": order, "random order": shuffled}
}

// versionedRepo is a repository packed with long chains of deltas: 25
// versions each of three files of 20, 300 and 600 KB with lines that
// hold window keywords.
func versionedRepo(t *testing.T) (*testRepo, *rand.Rand) {
	r := newTestRepo(t)
	rng := rand.New(rand.NewPCG(21, 22))
	sizes := []int{20 << 10, 300 << 10, 600 << 10}
	files := make([][]string, len(sizes))
	for k, size := range sizes {
		for len(strings.Join(files[k], "\n")) < size {
			line := fmt.Sprintf("line %d of file %d %s", len(files[k]), k, strings.Repeat("y", rng.IntN(80)))
			if rng.IntN(30) == 0 {
				line = "[vault] " + line // a window keyword
			}
			files[k] = append(files[k], line)
		}
	}
	for c := range 25 {
		for k := range files {
			for range 1 + rng.IntN(4) {
				i := rng.IntN(len(files[k]))
				switch rng.IntN(3) {
				case 0:
					files[k][i] = fmt.Sprintf("changed in %d", c)
				case 1:
					files[k] = append(files[k][:i], append([]string{fmt.Sprintf("[vault] inserted in %d", c)}, files[k][i:]...)...)
				default:
					files[k] = append(files[k][:i], files[k][i+1:]...)
				}
			}
			r.write(fmt.Sprintf("f%d.txt", k), strings.Join(files[k], "\n")+"\n")
		}
		r.commit(fmt.Sprintf("c%d", c))
	}
	r.git("repack", "-adq", "--depth=50")
	return r, rng
}
