//go:build linux

package detect_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
)

// threadCPU is the CPU time the calling OS thread has used
// (CLOCK_THREAD_CPUTIME_ID: nanoseconds, where getrusage counts ticks).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkRuleCost attributes the detector's time to rules: over every
// tenth text file of $LEAKGATE_BENCH_CORPUS, it measures the CPU time (of
// the thread, so that other load on the machine does not count) of a
// detector holding one rule (decoding off) for each default rule,
// subtracts that of a detector whose only keyword never occurs (the
// lowercasing and automaton pass), and logs the costliest rules, and the
// cost of decoding (the whole set with and without it, best of three).
//
//	LEAKGATE_BENCH_CORPUS=/tmp/leakgate-bench/corpus/half \
//	  go test ./detect -run '^$' -bench RuleCost -benchtime 1x -timeout 30m
func BenchmarkRuleCost(b *testing.B) {
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" {
		b.Skip("LEAKGATE_BENCH_CORPUS is not set (bench/corpus.sh builds a corpus)")
	}
	def := rules.Default()
	var chunks []leak.Chunk
	var total int64
	n := 0
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		if n++; n%10 != 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > source.DefaultMaxFileSize || source.IsBinary(data) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		chunks = append(chunks, leak.Chunk{Data: data, Origin: leak.Origin{Path: filepath.ToSlash(rel)}})
		total += int64(len(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	timeSet := func(s *rules.Set, opts detect.Options) (time.Duration, int) {
		d, err := detect.New(s, opts)
		if err != nil {
			b.Fatal(err)
		}
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		found := 0
		start := threadCPU()
		for _, c := range chunks {
			found += len(d.Detect(c))
		}
		return threadCPU() - start, found
	}
	noDecode := detect.Options{MaxDecodeDepth: -1}
	for b.Loop() {
		never := &rules.Rule{ID: "never", Keywords: []string{"\x01never\x02"}, Regex: `\x01never\x02`}
		if err := never.Validate(); err != nil {
			b.Fatal(err)
		}
		base := time.Duration(1 << 62)
		for range 3 {
			t, _ := timeSet(&rules.Set{Rules: []*rules.Rule{never}, Allowlist: def.Allowlist}, noDecode)
			base = min(base, t)
		}
		type cost struct {
			id    string
			t     time.Duration
			found int
		}
		var costs []cost
		var sum time.Duration
		for _, r := range def.Rules {
			t, found := timeSet(&rules.Set{Rules: []*rules.Rule{r}, Allowlist: def.Allowlist}, noDecode)
			costs = append(costs, cost{r.ID, max(t-base, 0), found})
			sum += max(t-base, 0)
		}
		slices.SortFunc(costs, func(a, b cost) int { return int(b.t - a.t) })
		all, withDecode := time.Duration(1<<62), time.Duration(1<<62)
		for range 3 {
			t, _ := timeSet(def, noDecode)
			all = min(all, t)
			t, _ = timeSet(def, detect.Options{})
			withDecode = min(withDecode, t)
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%d files, %.1f MB (every 10th file of %s)\n", len(chunks), float64(total)/1e6, root)
		fmt.Fprintf(&sb, "all %d rules, decoding on: %v (%.1f MB/s); decoding off: %v; so decoding: %v\n",
			len(def.Rules), withDecode.Round(time.Millisecond), float64(total)/1e6/withDecode.Seconds(),
			all.Round(time.Millisecond), (withDecode - all).Round(time.Millisecond))
		fmt.Fprintf(&sb, "lowercase + automaton pass alone (one-keyword detector): %v\n", base.Round(time.Millisecond))
		fmt.Fprintf(&sb, "sum over rules of (one-rule detector - that): %v\n", sum.Round(time.Millisecond))
		fmt.Fprintf(&sb, "costliest rules:\n")
		for i, c := range costs[:min(25, len(costs))] {
			fmt.Fprintf(&sb, "%3d. %-45s %8v %5.1f%%  findings %d\n", i+1, c.id, c.t.Round(time.Millisecond), 100*c.t.Seconds()/sum.Seconds(), c.found)
		}
		fmt.Print(sb.String()) // b.Log would cut it to ten lines
	}
}
