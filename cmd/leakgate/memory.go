package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// memoryHeadroom is what the memory limit leaves above the live heap when
// the live heap outgrows memoryLimit - memoryHeadroom (see followLiveHeap).
const memoryHeadroom = 128 << 20

// followLiveHeap keeps the soft memory limit at least headroom above the
// heap that the last collection found live, and never under base. A
// fixed limit is a cliff: the listing of a large history (ids, paths and
// places of millions of blobs) stays live for the whole scan, and once the
// live heap nears the limit the collector runs back to back. A synthetic
// history of a million blobs kept 375 MB live under the 384 MiB limit and
// spent a third of its CPU in 852 collections (57 s); with the limit
// 256 MiB above the live heap, 19 collections and 35 s. 128 MiB above was
// as fast (31 s against 29-32 s, alternating) and peaked at 477 MB of
// anonymous memory instead of 598 MB. The check runs after each
// collection, from a cleanup the collection itself triggers.
// It returns a function that stops it (for tests; the command never does).
func followLiveHeap(base, headroom int64) (stop func()) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var stopped atomic.Bool
	var arm func()
	arm = func() {
		// Not a tiny allocation (those are batched with others and may
		// be freed late): the cleanup runs after the next collection.
		sentinel := new([64]byte)
		runtime.AddCleanup(sentinel, func(struct{}) {
			if stopped.Load() {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(limitFor(base, headroom, int64(sample[0].Value.Uint64())))
			}
			arm()
		}, struct{}{})
	}
	arm()
	return func() { stopped.Store(true) }
}

// limitFor returns the memory limit for a live heap of live bytes.
func limitFor(base, headroom, live int64) int64 { return max(base, live+headroom) }
