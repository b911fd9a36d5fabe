// Command leakgate finds leaked secrets and gates CI on them. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/leakgate/leakgate/internal/cli"
)

// gcPercent is the garbage collector's target (GOGC) unless the GOGC
// environment variable sets one. A scan allocates every blob it reads and
// keeps little: at Go's default of 100 the collector ran every ~20 MB of a
// --range scan (8% of its CPU). At 400, a 10-commit --range on the benchmark
// repository took 0.92x the time, and a full-history scan of it peaked at
// 219 MB RSS instead of 165 MB.
const gcPercent = 400

// memoryLimit is the heap size (GOMEMLIMIT) from which the collector runs
// more often than GOGC says, unless the GOMEMLIMIT environment variable sets
// one: GOGC 400 let a full-history scan of the benchmark repository peak at
// 400-450 MB; with this limit it peaked at about 330 MB, no slower. A
// larger live heap raises it (followLiveHeap).
const memoryLimit = 384 << 20

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		followLiveHeap(memoryLimit, memoryHeadroom)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
