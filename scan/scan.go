// Package scan is the pipeline: it pulls chunks from a source, runs the
// detector over them in one bounded worker pool, drops suppressed findings,
// and returns sorted findings with a summary. The gate policy that turns a
// result into pass or fail lives here too, independent of output format.
//
// scan does no rendering; package report does.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/panics"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/source"
)

// Config is one scan.
type Config struct {
	Source   source.Source
	Detector *detect.Detector
	// Jobs is the number of parallel detector workers (default: CPUs).
	Jobs int
	// Suppress holds fingerprints that are not reported
	// (.leakgateignore and --baseline).
	Suppress map[string]bool
	// Progress, when set, receives a one-line progress display (a terminal).
	Progress io.Writer
	// Now is the clock, injectable for tests.
	Now func() time.Time
	// Cache, when set, replays the findings of git blobs the source did
	// not read and records those of the blobs it did (--cache).
	Cache *Cache
}

// Result is what a scan found.
type Result struct {
	Findings []leak.Finding
	// Companions are the findings of companion rules (the other part of a
	// credential, not a secret): never reported, kept for verification.
	Companions []leak.Finding
	Summary    report.Summary
	Suppressed int
}

// queueDepth is how many chunks per worker may wait for one.
const queueDepth = 2

// Run scans until the source is exhausted or ctx is canceled. A canceled
// scan returns its partial result, marked incomplete, and no error; an
// error means the scan could not run at all.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	start := now()

	var (
		mu       sync.Mutex
		findings []leak.Finding
		errs     []string
		nfound   atomic.Int64
	)
	stopProgress := startProgress(cfg.Progress, cfg.Source, &nfound)
	collect := func(c leak.Chunk) {
		fs := detectChunk(&cfg, c)
		if len(fs) == 0 {
			return
		}
		nfound.Add(int64(len(fs)))
		mu.Lock()
		findings = append(findings, fs...)
		mu.Unlock()
	}

	// Jobs workers take chunks from a queue that the source fills ahead of
	// them. Handing each chunk straight to a free worker of a pool left
	// the CPUs idle at every hand-over: the source waited for a worker,
	// then the workers for the source. A chunk that panics does not end
	// its worker (the queue could fill with no one to empty it); the first
	// panic is raised again once all are done.
	queue := make(chan leak.Chunk, queueDepth*cfg.Jobs)
	var panicked panics.Catcher
	var workers conc.WaitGroup
	for range cfg.Jobs {
		workers.Go(func() {
			for chunk := range queue {
				panicked.Try(func() { collect(chunk) })
			}
		})
	}
	var fatal error
	lastBlob := "" // the blob being yielded when a scan is canceled may be partial
	for chunk, err := range cfg.Source.Chunks(ctx) {
		if err != nil {
			if errors.Is(err, source.ErrFatal) {
				fatal = fatalError{err}
				break
			}
			errs = append(errs, err.Error())
			continue
		}
		if chunk.Data != nil {
			lastBlob = chunk.Blob
		} else if chunk.Blob != "" {
			// A blob the cache knows: its findings come from the cache,
			// here (tens of thousands of them in a re-scan; a worker each
			// cost more than the look-up).
			collect(chunk)
			continue
		}
		queue <- chunk
	}
	close(queue)
	workers.Wait()
	panicked.Repanic()
	stopProgress()
	if cfg.Cache != nil && ctx.Err() != nil && lastBlob != "" {
		cfg.Cache.forget(lastBlob)
	}
	if fatal != nil && len(findings) == 0 && cfg.Source.Stats().Files == 0 {
		return nil, fatal
	}
	if fatal != nil {
		errs = append(errs, fatal.Error())
	}

	slices.Sort(errs) // sources may report in any order
	findings = dedupe(findings)
	companion := map[string]bool{}
	for _, r := range cfg.Detector.Rules().Rules {
		if r.Companion {
			companion[r.ID] = true
		}
	}
	kept := findings[:0]
	var companions []leak.Finding
	suppressed := 0
	for _, f := range findings {
		if companion[f.RuleID] {
			companions = append(companions, f)
			continue
		}
		if cfg.Suppress[f.Fingerprint] {
			suppressed++
			continue
		}
		kept = append(kept, f)
	}
	st := cfg.Source.Stats()
	canceled := ctx.Err() != nil
	if canceled {
		errs = append(errs, "scan canceled: the report is partial")
	}
	if errs == nil {
		errs = []string{}
	}
	return &Result{
		Findings:   kept,
		Companions: companions,
		Suppressed: suppressed,
		Summary: report.Summary{
			Findings:        len(kept),
			Complete:        len(errs) == 0,
			Errors:          errs,
			Files:           st.Files,
			Bytes:           st.Bytes,
			SkippedBinary:   st.Binary,
			SkippedLarge:    st.TooLarge,
			SkippedSymlinks: st.Symlinks,
			Cached:          st.Cached,
			Duration:        now().Sub(start),
			RulesVersion:    cfg.Detector.Rules().Version,
			Canceled:        canceled,
		},
	}, nil
}

// dedupe sorts findings and drops copies of the same secret at the same
// place (chunks that overlap see it twice).
func dedupe(fs []leak.Finding) []leak.Finding {
	slices.SortFunc(fs, func(a, b leak.Finding) int {
		if leak.Less(&a, &b) {
			return -1
		}
		if leak.Less(&b, &a) {
			return 1
		}
		return 0
	})
	return slices.CompactFunc(fs, func(a, b leak.Finding) bool {
		return a.RuleID == b.RuleID && a.Origin.Path == b.Origin.Path && a.Origin.Commit == b.Origin.Commit &&
			a.Offset == b.Offset && a.Fingerprint == b.Fingerprint
	})
}

// FailOn is the gate policy: which findings fail the gate.
type FailOn string

// The gate policies.
const (
	FailOnAny  FailOn = "any"  // every reported finding fails
	FailOnLive FailOn = "live" // only verified-live findings fail
	FailOnNone FailOn = "none" // report only
)

// ParseFailOn parses a --fail-on value.
func ParseFailOn(s string) (FailOn, error) {
	switch f := FailOn(s); f {
	case FailOnAny, FailOnLive, FailOnNone:
		return f, nil
	}
	return "", fmt.Errorf("--fail-on %q: want any, live or none", s)
}

// Failing counts the findings the policy fails on.
func (p FailOn) Failing(fs []leak.Finding) int {
	n := 0
	for _, f := range fs {
		switch p {
		case FailOnAny:
			n++
		case FailOnLive:
			if f.Status == leak.Live {
				n++
			}
		}
	}
	return n
}

// Exit codes, the same whatever the output format (CONTRACT.md).
const (
	ExitPass       = 0 // nothing failing found, scan complete
	ExitFail       = 1 // a failing finding
	ExitIncomplete = 2 // nothing failing found, but incomplete or could not run
)

// ExitCode applies the policy to a result.
func (p FailOn) ExitCode(r *Result) int {
	if p.Failing(r.Findings) > 0 {
		return ExitFail
	}
	if !r.Summary.Complete {
		return ExitIncomplete
	}
	return ExitPass
}

// progresser is a source that knows how much of its work is done.
type progresser interface {
	Progress() (done, total int64)
}

func startProgress(w io.Writer, src source.Source, found *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		draw := func() {
			st := src.Stats()
			secs := max(time.Since(start).Seconds(), 0.001)
			mbps := float64(st.Bytes) / 1e6 / secs
			line := fmt.Sprintf("scanning: %d files, %.1f MB, %d findings, %.1f MB/s", st.Files, float64(st.Bytes)/1e6, found.Load(), mbps)
			if p, ok := src.(progresser); ok {
				if n, total := p.Progress(); total > 0 {
					line = fmt.Sprintf("scanning: %d/%d objects, %.1f MB, %d findings, %.1f MB/s", n, total, float64(st.Bytes)/1e6, found.Load(), mbps)
					if n > 0 && n < total {
						eta := time.Duration(secs * float64(total-n) / float64(n) * float64(time.Second))
						line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
					}
				}
			}
			fmt.Fprint(w, "\r\x1b[K"+line)
		}
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\x1b[K")
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// fatalError is an error after which the source could not go on, without
// the "fatal" mark at the end of its message (the mark is for errors.Is).
type fatalError struct{ err error }

func (e fatalError) Error() string {
	return strings.TrimSuffix(e.err.Error(), ": "+source.ErrFatal.Error())
}

func (e fatalError) Unwrap() error { return e.err }
