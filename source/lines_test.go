package source

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// randomText is lines from a small vocabulary (so that lines repeat, as
// "}" and blank lines do in code), some long, maybe without a final "\n".
func randomText(rng *rand.Rand, lines int) []string {
	out := make([]string, lines)
	for i := range out {
		switch rng.IntN(10) {
		case 0:
			out[i] = ""
		case 1:
			out[i] = strings.Repeat("long", 10+rng.IntN(40))
		default:
			out[i] = fmt.Sprintf("line %d", rng.IntN(3*lines+1))
		}
	}
	return out
}

func joinLines(ls []string, final bool) string {
	s := strings.Join(ls, "\n")
	if final && len(ls) > 0 {
		s += "\n"
	}
	return s
}

// hashStream (a parent read from the pipe) hashes exactly as hashLines
// (a blob in memory), whatever the reader's buffer size and line lengths.
func TestHashStreamMatchesHashLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		data := joinLines(randomText(rng, rng.IntN(30)), n%3 != 0)
		want := hashLines([]byte(data)).hashes
		r := bufio.NewReaderSize(strings.NewReader(data+"\nNEXT"), 16)
		var got lineHashes
		if err := hashStream(r, int64(len(data)), &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.hashes, want) {
			t.Fatalf("%q: hashStream %x, hashLines %x", data, got.hashes, want)
		}
		if rest, _ := r.Peek(5); string(rest) != "\nNEXT" {
			t.Fatalf("%q: hashStream read past the content: %q left", data, rest)
		}
	}
}

// markOld clears exactly lines that are lines of the parent: never one
// that is not (it would hide new content), and, for a child that is its
// parent with lines inserted, deleted, replaced and moved, every line the
// parent does not hold stays fresh.
func TestMarkOld(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		parent := randomText(rng, rng.IntN(60))
		child := slices.Clone(parent)
		for range rng.IntN(8) {
			switch k := rng.IntN(4); {
			case k == 0: // insert
				i := rng.IntN(len(child) + 1)
				child = slices.Insert(child, i, fmt.Sprintf("new %d", rng.IntN(1000)))
			case k == 1 && len(child) > 0: // delete
				i := rng.IntN(len(child))
				child = slices.Delete(child, i, i+1)
			case k == 2 && len(child) > 0: // replace
				child[rng.IntN(len(child))] = fmt.Sprintf("changed %d", rng.IntN(1000))
			case k == 3 && len(child) > 1: // move
				i, j := rng.IntN(len(child)), rng.IntN(len(child))
				l := child[i]
				child = slices.Insert(slices.Delete(child, i, i+1), j, l)
			}
		}
		c := hashLines([]byte(joinLines(child, true))).hashes
		p := hashLines([]byte(joinLines(parent, true))).hashes
		fresh := make([]bool, len(c))
		for i := range fresh {
			fresh[i] = true
		}
		markOld(fresh, c, p)
		for i, l := range child {
			inParent := slices.Contains(parent, l)
			if !fresh[i] && !inParent {
				t.Fatalf("line %d %q marked old, but the parent does not hold it\nparent %q\nchild %q", i, l, parent, child)
			}
			if fresh[i] && inParent && slices.Equal(child, parent) {
				t.Fatalf("an unchanged blob has fresh line %d %q", i, l)
			}
		}
	}
}

// A line that moved within the file is not new.
func TestMarkOldMovedBlock(t *testing.T) {
	var parent []string
	for i := range 200 {
		parent = append(parent, fmt.Sprintf("line %d", i))
	}
	child := slices.Concat(parent[150:], parent[:150]) // a block moved past the lookahead
	c := hashLines([]byte(joinLines(child, true))).hashes
	p := hashLines([]byte(joinLines(parent, true))).hashes
	fresh := slices.Repeat([]bool{true}, len(c))
	markOld(fresh, c, p)
	if i := slices.Index(fresh, true); i >= 0 {
		t.Errorf("moved line %d %q is fresh", i, child[i])
	}
}

// One more copy of a line is new: the parent's one copy, unpaired by the
// walk, pairs with one line of the child, not with every copy.
func TestMarkOldOneMoreCopy(t *testing.T) {
	parent := []string{"secret", "alpha"}
	child := []string{"alpha", "x", "secret", "secret"}
	c := hashLines([]byte(joinLines(child, true))).hashes
	p := hashLines([]byte(joinLines(parent, true))).hashes
	fresh := slices.Repeat([]bool{true}, len(c))
	markOld(fresh, c, p)
	if n := len(slices.DeleteFunc(slices.Clone(fresh), func(f bool) bool { return !f })); n != 2 || !fresh[1] || fresh[2] == fresh[3] {
		t.Errorf("fresh %v, want x and one of the two copies", fresh)
	}
}

func TestChangedRegions(t *testing.T) {
	// 20 lines of 10 bytes each ("line 00xx\n").
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "line %04d\n", i)
	}
	lh := hashLines([]byte(b.String()))
	fresh := make([]bool, 20)
	fresh[0], fresh[10], fresh[19] = true, true, true
	got := changedRegions(fresh, lh.starts, b.Len())
	// Runs with 2 lines of context; all within mergeGap of each other.
	want := []leak.Region{{Start: 0, End: 200, Line: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("changedRegions = %v, want %v", got, want)
	}
	// Far apart: separate regions, each run with its context.
	big := strings.Repeat("x", 100) + "\n"
	var text strings.Builder
	for range 40 {
		text.WriteString(big)
	}
	lh = hashLines([]byte(text.String()))
	fresh = make([]bool, 40)
	fresh[3], fresh[4], fresh[30] = true, true, true
	got = changedRegions(fresh, lh.starts, text.Len())
	want = []leak.Region{{Start: 1 * 101, End: 7 * 101, Line: 2}, {Start: 28 * 101, End: 33 * 101, Line: 29}}
	if !slices.Equal(got, want) {
		t.Errorf("changedRegions = %v, want %v", got, want)
	}
}

// narrower: regions around the changed line, findings kept only where they
// touch it, and an unchanged blob (or one whose parent could not be read)
// handled as such.
func TestNarrower(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("%s line %d", strings.Repeat("-", 60), i))
	}
	parent := joinLines(lines, true)
	lines[15] = "key = the new secret"
	child := joinLines(lines, true)
	lineStart := strings.Index(child, "key =")

	own := newPriorLines(1)
	if regions, _ := narrower([]byte(parent), own, false, nil, false, nil)(); regions != nil {
		t.Fatalf("a lines-only chunk has regions %v", regions)
	}
	regions, keep := narrower([]byte(child), nil, false, []*priorLines{own}, true, nil)()
	if len(regions) != 1 || regions[0].Line != 14 || !strings.Contains(child[regions[0].Start:regions[0].End], "key =") {
		t.Fatalf("regions %v", regions)
	}
	if !keep(lineStart+6, lineStart+10) || keep(0, 10) || !keep(lineStart-5, lineStart+1) {
		t.Errorf("keep: a finding on the changed line must be kept, one elsewhere dropped")
	}
	if own.lines != nil {
		t.Errorf("the parent's lines are kept after their last user")
	}

	same := newPriorLines(1)
	narrower([]byte(parent), same, false, nil, false, nil)()
	if regions, keep := narrower([]byte(parent), nil, false, []*priorLines{same}, true, nil)(); regions != nil || keep(0, 1) {
		t.Errorf("an unchanged blob: regions %v", regions)
	}

	gone := newPriorLines(1)
	gone.fill(nil) // a parent that could not be read
	if regions, keep := narrower([]byte(child), nil, false, []*priorLines{gone}, true, nil)(); len(regions) != 1 || regions[0].End != len(child) || keep != nil {
		t.Errorf("a parent that could not be read: regions %v, want the whole blob", regions)
	}
}

// splitPoint cuts between families of versions when it can, near the middle.
func TestSplitPoint(t *testing.T) {
	// 10 blobs in pack order; blob i's parent is i+1 within families
	// [0..3], [4..7] (crossing the middle), [8..9].
	diff := make([][]int32, 10)
	for _, fam := range [][2]int32{{0, 3}, {4, 7}, {8, 9}} {
		for i := fam[0]; i < fam[1]; i++ {
			diff[i] = []int32{i + 1}
		}
	}
	order := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if k := splitPoint(order, func(i int32) []int32 { return diff[i] }, 10); k != 4 {
		t.Errorf("split at %d, want 4 (between families, within 40-60%%)", k)
	}
	// No pair anywhere: the middle.
	if k := splitPoint(order, func(int32) []int32 { return nil }, 10); k != 5 {
		t.Errorf("split at %d, want 5", k)
	}
}
