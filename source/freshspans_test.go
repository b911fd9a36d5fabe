package source

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
)

// byLines is what narrower computes for a blob and the version it replaced
// stored as a delta against it, splitting the blob into lines: the fresh
// lines' offsets, the regions, and the filter.
func byLines(data []byte, d *priorDelta) (fresh []int, regions []leak.Region, keep func(start, end int) bool, ok bool) {
	starts := lineStarts(data)
	marks := slices.Repeat([]bool{true}, len(starts))
	if !markCopied(marks, starts, data, d) || !markAssembled(marks, starts, data, d) {
		return nil, nil, nil, false
	}
	for i, f := range marks {
		if f {
			fresh = append(fresh, int(starts[i]))
		}
	}
	keep = func(start, end int) bool {
		first := lineOf(starts, start)
		last := lineOf(starts, max(start, end-1))
		return slices.Contains(marks[first:last+1], true)
	}
	return fresh, changedRegions(marks, starts, len(data)), keep, true
}

// checkSpans compares freshThroughDelta, spanRegions and spanKeep with
// the line-by-line computation on one blob and delta.
func checkSpans(t *testing.T, name string, data []byte, d *priorDelta) {
	t.Helper()
	wantFresh, wantRegions, wantKeep, wantOK := byLines(data, d)
	lines, ok := freshThroughDelta(data, d)
	if ok != wantOK {
		t.Fatalf("%s: ok %v, want %v", name, ok, wantOK)
	}
	if !ok {
		return
	}
	var fresh []int
	for k, l := range lines {
		if l.end <= l.start || l.end < len(data) && data[l.end-1] != '\n' || k > 0 && l.start < lines[k-1].end {
			t.Fatalf("%s: line %d is %+v", name, k, l)
		}
		fresh = append(fresh, l.start)
	}
	if diff := cmp.Diff(wantFresh, fresh); diff != "" {
		t.Fatalf("%s: fresh line starts (-by lines +through spans):\n%s\ndata %q", name, diff, data)
	}
	if diff := cmp.Diff(wantRegions, spanRegions(data, lines, contextLines)); diff != "" {
		t.Fatalf("%s: regions (-by lines +through spans):\n%s\ndata %q", name, diff, data)
	}
	if len(lines) == 0 {
		return
	}
	keep := spanKeep(lines)
	for start := 0; start < len(data); start++ {
		for _, end := range []int{start, start + 1, start + 7, start + 40, len(data)} {
			if end > len(data) {
				continue
			}
			if got, want := keep(start, end), wantKeep(start, end); got != want {
				t.Fatalf("%s: keep(%d, %d) = %v, want %v", name, start, end, got, want)
			}
		}
	}
}

// Random blobs and random deltas against them (copies anywhere, from line
// starts or not, forward and back, overlapping; inserts with and without
// line breaks; lines repeated; a last line without a line break): the
// fresh lines, the regions and the filter found through the spans are
// those found line by line.
func TestFreshThroughDeltaRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	vocab := []string{"", "a", "password = \"Vq7#Zq8rT2mXw4Lp\"", "[section]", "name = x", strings.Repeat("long ", 30)}
	for trial := range 3000 {
		var b strings.Builder
		nLines := rng.IntN(40)
		for range nLines {
			if rng.IntN(3) == 0 {
				b.WriteString(vocab[rng.IntN(len(vocab))])
			} else {
				fmt.Fprintf(&b, "line %d", rng.IntN(30))
			}
			b.WriteByte('\n')
		}
		if rng.IntN(4) == 0 {
			b.WriteString("no line break")
		}
		data := []byte(b.String())
		var ops []deltaOp
		var inserts [][]byte
		for range rng.IntN(12) {
			if len(data) > 0 && rng.IntN(3) > 0 {
				off := rng.IntN(len(data))
				if rng.IntN(2) == 0 { // from a line start
					off = lineStartAt(data, off)
				}
				n := 1 + rng.IntN(len(data)-off)
				if rng.IntN(2) == 0 { // to a line end
					n = lineEndAt(data, off+n-1) - off
				}
				ops = append(ops, deltaOp{copy: true, off: off, n: n})
				inserts = append(inserts, nil)
				continue
			}
			var ins []byte
			switch rng.IntN(3) {
			case 0:
				ins = []byte("\n")
			case 1:
				ins = []byte(vocab[rng.IntN(len(vocab))] + "\n")
			default:
				ins = fmt.Appendf(nil, "new %d", rng.IntN(5))
			}
			if len(ins) > 127 {
				ins = ins[:127]
			}
			ops = append(ops, deltaOp{n: len(ins)})
			inserts = append(inserts, ins)
		}
		if len(ops) == 0 {
			continue
		}
		d, ok := parseDelta(encodeDelta(len(data), ops, inserts))
		if !ok {
			t.Fatalf("trial %d: parseDelta refused the delta", trial)
		}
		checkSpans(t, fmt.Sprint("trial ", trial), data, d)
	}
}

// The same on deltas git itself wrote, between versions of an evolving
// file.
func TestFreshThroughDeltaGit(t *testing.T) {
	r := newTestRepo(t)
	versions := evolveFile(r, 31, 300, 30)
	forEachDelta(t, r, versions, func(k int, _, child string, d *priorDelta) {
		checkSpans(t, fmt.Sprint("version ", k), []byte(child), d)
	})
}

// A delta against another base is refused, as markCopied refuses it.
func TestFreshThroughDeltaWrongBase(t *testing.T) {
	t.Parallel()
	d, ok := parseDelta(encodeDelta(10, []deltaOp{{copy: true, off: 0, n: 5}}, nil))
	if !ok {
		t.Fatal("parseDelta refused the delta")
	}
	if _, ok := freshThroughDelta([]byte("0123456789ab"), d); ok {
		t.Error("a delta against 10 bytes compared with 12")
	}
}
