package source

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The listing keeps each blob once with its places in the order they were
// added (one per path), the blobs each place replaced, and entries without
// places for versions that were only replaced.
func TestListingAdd(t *testing.T) {
	t.Parallel()
	l := newListing()
	id := func(c byte) objectID {
		got, ok := l.parseID([]byte(strings.Repeat(string(c), 40)))
		if !ok {
			t.Fatalf("parseID refused %c", c)
		}
		return got
	}
	a, b, c := id('a'), id('b'), id('c')
	c0 := l.addCommit(id('1'), []byte("A U Thor"), []byte("a@example.com"), []byte("2024-05-06T07:08:09+02:00"))
	c1 := l.addCommit(id('2'), []byte("A U Thor"), []byte("a@example.com"), []byte("not a date"))
	l.add(a, []byte("x.txt"), c0, nil)
	l.add(b, []byte("x.txt"), c1, []objectID{a, c}) // c: never listed itself
	l.add(b, []byte("y.txt"), c1, nil)
	l.add(b, []byte("x.txt"), c1, nil) // same path again: ignored
	if len(l.blobs) != 3 || l.found != 2 {
		t.Fatalf("%d entries, %d found; want 3 and 2", len(l.blobs), l.found)
	}
	ia, ib, ic := l.index[a], l.index[b], l.index[c]
	if l.blobHex(ib) != strings.Repeat("b", 40) || l.blobs[ic].first != -1 || l.blobs[ib].count != 2 {
		t.Errorf("entries %+v", l.blobs)
	}
	var paths []string
	for k := l.blobs[ib].first; k >= 0; k = l.places[k].next {
		paths = append(paths, l.strs[l.places[k].path])
	}
	if strings.Join(paths, " ") != "x.txt y.txt" {
		t.Errorf("places of b: %v", paths)
	}
	if ps := l.parentsOf(l.blobs[ib].first); len(ps) != 2 || ps[0] != ia || ps[1] != ic {
		t.Errorf("parents of b at x.txt: %v, want [%d %d]", ps, ia, ic)
	}
	// b replaced a and c at x.txt and nothing at y.txt: two groups of
	// places, one compared with a and c, one scanned whole.
	plan := diffPlan{l: l}
	if gs := plan.groups(ib); len(gs) != 2 || !slices.Equal(gs[0].parents, []int32{ia, ic}) || len(gs[1].parents) != 0 ||
		!slices.Equal(gs[0].places, []int32{l.blobs[ib].first}) || !slices.Equal(gs[1].places, []int32{l.blobs[ib].last}) {
		t.Errorf("groups of b: %+v", gs)
	}
	if !slices.Equal(plan.of(ib), []int32{ia, ic}) || len(plan.of(ia)) != 0 {
		t.Errorf("b waits for %v, a for %v", plan.of(ib), plan.of(ia))
	}
	if off := (diffPlan{l: l, off: true}); len(off.groups(ib)) != 1 || off.of(ib) != nil {
		t.Errorf("AllLines: groups %+v, waits for %v", off.groups(ib), off.of(ib))
	}
	o := l.origin("repo", l.places[l.blobs[ia].first])
	want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	if o.Commit != strings.Repeat("1", 40) || o.Author != "A U Thor" || o.Email != "a@example.com" || o.Path != "x.txt" || !o.Time.Equal(want) || o.Time.Format(time.RFC3339) != "2024-05-06T07:08:09+02:00" {
		t.Errorf("origin %+v", o)
	}
	if o := l.origin("repo", l.places[l.blobs[ib].first]); !o.Time.IsZero() {
		t.Errorf("a commit without a date has time %v", o.Time)
	}
}

// Ids of another length than the repository's, or not hex, are refused.
func TestListingParseID(t *testing.T) {
	t.Parallel()
	l := newListing()
	for _, bad := range []string{"", "abc", strings.Repeat("g", 40), strings.Repeat("a", 41), strings.Repeat("a", 50)} {
		if _, ok := l.parseID([]byte(bad)); ok {
			t.Errorf("parseID(%q) accepted", bad)
		}
	}
	if _, ok := l.parseID([]byte(strings.Repeat("A", 64))); !ok || l.idLen != 32 {
		t.Fatalf("a SHA-256 id refused (idLen %d)", l.idLen)
	}
	if _, ok := l.parseID([]byte(strings.Repeat("a", 40))); ok {
		t.Error("a SHA-1 id accepted in a SHA-256 listing")
	}
}

// git log output with a malformed id is an error, not a blob.
func TestParseLogMalformedID(t *testing.T) {
	t.Parallel()
	z, a := strings.Repeat("0", 40), strings.Repeat("a", 40)
	commit := "\x01" + strings.Repeat("1", 40) + "\x00A\x00a@example.com\x002024-05-06T07:08:09Z\x00"
	for _, tc := range []struct {
		log string
		ok  bool
	}{
		{commit + "\n:000000 100644 " + z + " " + a + " A\x00f.txt\x00", true},
		{commit + "\n:000000 100644 " + z + " " + a[:39] + "x A\x00f.txt\x00", false},
		{commit + "\n:100644 100644 " + a[:38] + " " + a + " M\x00f.txt\x00", false},
		{"\x01nothex\x00A\x00a@example.com\x002024-05-06T07:08:09Z\x00", false},
	} {
		l := newListing()
		err := (&Git{}).parseLog(bufio.NewReader(strings.NewReader(tc.log)), l)
		if (err == nil) != tc.ok {
			t.Errorf("parseLog(%q): %v", tc.log, err)
		}
		if tc.ok && (l.found != 1 || len(l.commits) != 1) {
			t.Errorf("parseLog(%q): %d blobs, %d commits", tc.log, l.found, len(l.commits))
		}
	}
}

// An unreadable blob's error says where it was found.
func TestShortPlace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		commit string
		staged bool
		want   string
	}{
		{strings.Repeat("ab", 20), false, "commit abababababab"},
		{"", true, "the index"},
		{"", false, "no commit"},
	} {
		if got := short(tc.commit, tc.staged); got != tc.want {
			t.Errorf("short(%q, %v) = %q, want %q", tc.commit, tc.staged, got, tc.want)
		}
	}
}

// A blob at more places than maxGroups, each replacing another version:
// maxGroups groups at most, one of them scanned whole (the places that
// replaced nothing, and those past the bound); the others compared.
func TestDiffPlanGroupsBounded(t *testing.T) {
	t.Parallel()
	l := newListing()
	id := func(n int) objectID {
		got, ok := l.parseID(fmt.Appendf(nil, "%040x", n))
		if !ok {
			t.Fatalf("parseID refused %d", n)
		}
		return got
	}
	c := l.addCommit(id(1), []byte("A U Thor"), []byte("a@example.com"), []byte("2024-05-06T07:08:09+02:00"))
	blob := id(2)
	l.add(blob, []byte("new.txt"), c, nil)
	n := maxGroups + 3
	for k := range n {
		l.add(blob, fmt.Appendf(nil, "f%d.txt", k), c, []objectID{id(100 + k)})
	}
	l.add(blob, []byte("g0.txt"), c, []objectID{id(100)}) // replaced what f0.txt did
	gs := diffPlan{l: l}.groups(l.index[blob])
	if len(gs) != maxGroups {
		t.Fatalf("%d groups, want %d: %+v", len(gs), maxGroups, gs)
	}
	if len(gs[0].parents) != 0 || len(gs[0].places) != 1+n-(maxGroups-1) {
		t.Errorf("the whole group: %+v", gs[0])
	}
	if len(gs[1].parents) != 1 || len(gs[1].places) != 2 {
		t.Errorf("f0.txt and g0.txt replaced the same version: %+v", gs[1])
	}
	total := 0
	for _, g := range gs {
		total += len(g.places)
	}
	if total != n+2 {
		t.Errorf("%d places in groups, want %d", total, n+2)
	}
}
