package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimitFor(t *testing.T) {
	for _, tc := range []struct{ live, want int64 }{
		{0, 384 << 20},
		{100 << 20, 384 << 20},
		{256 << 20, 384 << 20},
		{257 << 20, 385 << 20},
		{1 << 30, 1<<30 + 128<<20},
	} {
		if got := limitFor(memoryLimit, memoryHeadroom, tc.live); got != tc.want {
			t.Errorf("limitFor(%d MiB live) = %d MiB, want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
}

// After a collection the limit is at least headroom above what is live.
func TestFollowLiveHeap(t *testing.T) {
	saved := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(saved)
	debug.SetMemoryLimit(1 << 20)
	stop := followLiveHeap(1<<20, 1<<20)
	defer stop()
	live := make([]byte, 32<<20)
	deadline := time.Now().Add(time.Minute)
	for debug.SetMemoryLimit(-1) < 33<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB a minute later, want at least 33 MiB", debug.SetMemoryLimit(-1)>>20)
		}
		runtime.GC()
	}
	runtime.KeepAlive(live)
	// It keeps following: after the slice is gone, the limit comes down.
	live = nil
	for debug.SetMemoryLimit(-1) >= 33<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB with nothing live, want under 33 MiB", debug.SetMemoryLimit(-1)>>20)
		}
		runtime.GC()
	}
}
