package scan

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
	"github.com/sourcegraph/conc/panics"
)

// fakeSource yields fixed chunks and errors.
type fakeSource struct {
	items []item
	st    source.Stats
}

type item struct {
	chunk leak.Chunk
	err   error
}

func (f *fakeSource) Stats() source.Stats { return f.st }

func (f *fakeSource) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		for _, it := range f.items {
			if ctx.Err() != nil {
				return
			}
			if it.err == nil {
				f.st.Files++
			}
			if !yield(it.chunk, it.err) {
				return
			}
		}
	}
}

func testDetector(t *testing.T) *detect.Detector {
	t.Helper()
	return detectorFor(t, `
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''
`)
}

// detectorFor is a detector for the rules of a TOML text.
func detectorFor(t *testing.T, toml string) *detect.Detector {
	t.Helper()
	set, err := rules.ParseRules("t.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.New(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func chunk(path, text string) item {
	return item{chunk: leak.Chunk{Data: []byte(text), Origin: leak.Origin{Path: path}}}
}

const key = "AKIAQYLPMN5HHHFPZAM2"

func TestRunGateAndSuppression(t *testing.T) {
	t.Parallel()
	d := testDetector(t)
	src := func() *fakeSource {
		return &fakeSource{items: []item{chunk("b.txt", "x "+key), chunk("a.txt", key), chunk("c.txt", "clean")}}
	}
	res, err := Run(context.Background(), Config{Source: src(), Detector: d, Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Findings[0].Origin.Path != "a.txt" || res.Findings[1].Origin.Path != "b.txt" {
		t.Fatalf("findings not sorted or missing: %+v", res.Findings)
	}
	if !res.Summary.Complete || res.Summary.Findings != 2 {
		t.Errorf("summary %+v", res.Summary)
	}
	for policy, want := range map[FailOn]int{FailOnAny: ExitFail, FailOnLive: ExitPass, FailOnNone: ExitPass} {
		if got := policy.ExitCode(res); got != want {
			t.Errorf("%s: exit %d, want %d", policy, got, want)
		}
	}
	sup := map[string]bool{leak.Fingerprint("aws", key): true}
	res, err = Run(context.Background(), Config{Source: src(), Detector: d, Suppress: sup})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Suppressed != 2 || FailOnAny.ExitCode(res) != ExitPass {
		t.Errorf("suppressed run: %d findings, %d suppressed", len(res.Findings), res.Suppressed)
	}
}

func TestRunItemErrorsMakeItIncomplete(t *testing.T) {
	t.Parallel()
	src := &fakeSource{items: []item{chunk("a.txt", "clean"), {err: errors.New("b.txt: open: permission denied")}}}
	res, err := Run(context.Background(), Config{Source: src, Detector: testDetector(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Complete || len(res.Summary.Errors) != 1 || FailOnAny.ExitCode(res) != ExitIncomplete {
		t.Errorf("summary %+v", res.Summary)
	}
	// A failing finding still wins over incompleteness.
	src = &fakeSource{items: []item{chunk("a.txt", key), {err: errors.New("boom")}}}
	res, _ = Run(context.Background(), Config{Source: src, Detector: testDetector(t)})
	if FailOnAny.ExitCode(res) != ExitFail {
		t.Errorf("exit %d, want %d", FailOnAny.ExitCode(res), ExitFail)
	}
}

func TestRunCanceledIsPartial(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := &fakeSource{items: []item{chunk("a.txt", key)}}
	res, err := Run(ctx, Config{Source: src, Detector: testDetector(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Complete || !res.Summary.Canceled || FailOnAny.ExitCode(res) != ExitIncomplete {
		t.Errorf("canceled scan: %+v", res.Summary)
	}
}

// A secret across a hard chunk cut is seen in both overlapping chunks and
// reported once, at its place in the whole input.
func TestRunOverlappingChunksReportOnce(t *testing.T) {
	t.Parallel()
	data := append(bytes.Repeat([]byte("y"), source.ChunkSize-10), []byte(" "+key+" ")...)
	data = append(data, bytes.Repeat([]byte("z"), source.ChunkSize)...)
	res, err := Run(context.Background(), Config{Source: &source.Reader{R: bytes.NewReader(data), Name: "-"}, Detector: testDetector(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(res.Findings), res.Findings)
	}
	f := res.Findings[0]
	if f.Offset != source.ChunkSize-9 || f.Origin.Column != source.ChunkSize-8 {
		t.Errorf("offset %d column %d", f.Offset, f.Origin.Column)
	}
}

// Workers take chunks from a queue the source fills ahead of them: chunks
// whose processing panics must not leave the queue without workers (the
// source would wait forever); the first panic comes out of Run once the
// workers are done, as it did from the pool.
func TestRunPanickingChunkDoesNotHang(t *testing.T) {
	t.Parallel()
	d := testDetector(t)
	src := &fakeSource{}
	for i := range 40 {
		c := chunk("f.txt", "x "+key)
		if i%2 == 0 {
			c.chunk.Narrow = func() ([]leak.Region, func(int, int) bool) { panic("narrow broke") }
		}
		src.items = append(src.items, c)
	}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		_, _ = Run(context.Background(), Config{Source: src, Detector: d, Jobs: 2})
	}()
	select {
	case r := <-done:
		if rec, ok := r.(*panics.Recovered); !ok || rec.Value != "narrow broke" {
			t.Errorf("Run recovered %v, want the chunk's panic", r)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return: the queue was left without workers")
	}
}
