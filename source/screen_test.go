package source

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// screenTestRules: a rule whose keyword's window reaches 400 bytes below
// it (far), and two rules of one line.
const screenTestRules = `
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''

[[rules]]
id = "far"
keywords = ["[vault]"]
window = 4096
regex = '''(?m)^far = (ft_[a-z2-7]{10})$'''

[[rules]]
id = "pw"
keywords = ["password"]
regex = '''password = "([a-z2-7]{12})"'''
`

// TestScreenRandomDeltas checks the screen's premise on random deltas:
// when the base cannot hold a finding, whatever detection finds in the
// whole object the screen finds (mayFind): in the lines that are not
// lines of the base, for an object with no window keyword. The window
// keywords carried through each delta must be the object's. (The bases
// hold "far" lines with no keyword above them, and keys cut from longer
// words, which a delta makes findings by copying a keyword above them or
// cutting them out.)
func TestScreenRandomDeltas(t *testing.T) {
	t.Parallel()
	det := screenDetector(t, screenTestRules)
	f := newHitFinder(det)
	rng := rand.New(rand.NewPCG(5, 6))
	b32 := "abcdefghijklmnopqrstuvwxyz234567"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = b32[rng.IntN(len(b32))]
		}
		return string(b)
	}
	baseLine := func() string {
		switch rng.IntN(8) {
		case 0:
			return "[vault] the section of the secrets that come below"
		case 1:
			return "far = ft_" + word(10)
		case 2: // no finding, but copied in part they can be
			if rng.IntN(2) == 0 {
				return "old far = ft_" + word(10)
			}
			return "far = ft_" + word(10) + " junk"
		case 3:
			key := "AKIA" + strings.ToUpper(word(16))
			switch rng.IntN(4) { // no finding, but copied in part they can be
			case 0:
				return "id Z" + key
			case 1:
				return key + "Z is the id"
			}
			return strings.Repeat("long filler ", 5+rng.IntN(20))
		case 4:
			return ""
		}
		return fmt.Sprintf("filler line %d of the file", rng.IntN(40))
	}
	newLine := func() string {
		switch rng.IntN(6) {
		case 0:
			return "key = AKIA" + strings.ToUpper(word(16))
		case 1:
			return `password = "` + word(12) + `"`
		}
		return baseLine()
	}
	trials, found, clean, local := 0, 0, 0, 0
	for trials < 4000 {
		// A base with no finding: "far" lines, and keyword lines below
		// them only.
		var lines []string
		for range rng.IntN(80) {
			lines = append(lines, baseLine())
		}
		if k := strings.Index(strings.Join(lines, "\n"), "[vault]"); k >= 0 {
			// Keep far lines only above the first keyword.
			kept := lines[:0]
			seen := false
			for _, l := range lines {
				seen = seen || strings.HasPrefix(l, "[vault]")
				if !(seen && strings.HasPrefix(l, "far = ")) {
					kept = append(kept, l)
				}
			}
			lines = kept
		}
		base := []byte(strings.Join(lines, "\n") + "\n")
		if rng.IntN(5) == 0 {
			base = base[:len(base)-1]
		}
		if det.MayFind(base) {
			t.Fatalf("base holds a finding:\n%s", base)
		}
		var ops []deltaOp
		var inserts [][]byte
		for range 1 + rng.IntN(10) {
			if len(base) > 0 && rng.IntN(3) > 0 {
				off := rng.IntN(len(base))
				switch rng.IntN(4) {
				case 0, 1: // from a line start
					off = lineStartAt(base, off)
				case 2: // from a "far", a key or inside a keyword in a line
					if k := bytes.Index(base[off:], []byte("far = ")); k >= 0 {
						off += k
					}
					if k := bytes.Index(base[off:], []byte("[vault]")); k >= 0 && rng.IntN(3) == 0 {
						off += k + rng.IntN(7)
					}
					if k := bytes.Index(base[off:], []byte("AKIA")); k >= 0 && rng.IntN(2) == 0 {
						off += k
					}
				}
				n := 1 + rng.IntN(len(base)-off)
				switch rng.IntN(4) {
				case 0, 1: // to a line end
					n = lineEndAt(base, off+n-1) - off
				case 2: // to the end of a token, or into a keyword
					if k := bytes.Index(base[off:], []byte(" junk")); k >= 0 {
						n = max(k, 1)
					}
					if k := bytes.Index(base[off+1:], []byte("[vault]")); k >= 0 && rng.IntN(3) == 0 {
						n = k + 1 + rng.IntN(7)
					}
					if bytes.HasPrefix(base[off:], []byte("AKIA")) && off+20 <= len(base) {
						n = 20
					}
				}
				ops = append(ops, deltaOp{copy: true, off: off, n: n})
				inserts = append(inserts, nil)
				continue
			}
			ins := []byte(newLine() + "\n")
			if rng.IntN(4) == 0 {
				ins = ins[:rng.IntN(len(ins))+1]
			}
			if len(ins) > 127 {
				ins = ins[:127]
			}
			ops = append(ops, deltaOp{n: len(ins)})
			inserts = append(inserts, ins)
		}
		if k := bytes.Index(base, []byte("AKIA")); k >= 0 && k+20 <= len(base) && rng.IntN(8) == 0 {
			// End with lines that end in a key cut from a longer word: the
			// object's last line, with no line break after it.
			off := lineStartAt(base, max(0, k-rng.IntN(100)))
			ops = append(ops, deltaOp{copy: true, off: off, n: k + 20 - off})
			inserts = append(inserts, nil)
		}
		raw := encodeDelta(len(base), ops, inserts)
		d, ok := parseDelta(raw)
		if !ok {
			t.Fatal("parseDelta refused the delta")
		}
		data, err := applyDelta(base, raw)
		if err != nil {
			t.Fatal(err)
		}
		trials++
		whole := det.MayFind(data)
		if !whole {
			clean++
			continue
		}
		found++
		if len(f.all(data)) == 0 {
			local++
		}
		if got, want := f.through(data, f.all(base), d), f.all(data); !slices.Equal(got, want) {
			t.Fatalf("trial %d: window keywords carried through the delta %v, found in the object %v", trials, got, want)
		}
		if !f.mayFind(data, base, f.all(data), d) {
			fs := det.Detect(leak.Chunk{Data: data, Origin: leak.Origin{Path: "f.txt"}})
			var at []string
			for _, f := range fs {
				at = append(at, fmt.Sprintf("%s at line %d (byte %d)", f.RuleID, f.Origin.Line, f.Offset))
			}
			t.Fatalf("trial %d: the object holds a finding the screen does not see: %s\nlines not copied %v, regions %v\nobject:\n%s", trials, at, uncopiedLines(data, base, d), spanRegions(data, uncopiedLines(data, base, d), 0), data)
		}
	}
	if found < 1000 || clean < 1000 || local < 300 {
		t.Fatalf("%d objects with findings (%d with no window keyword), %d without: too few", found, local, clean)
	}
}

// TestScreenWindowCases checks the screen with the built-in rules on
// cases a review found, where a private key block is found in an object
// but not in its delta base for reasons outside the lines the delta
// changes, and on a base without a final line break: each object must
// screen as holding a finding.
func TestScreenWindowCases(t *testing.T) {
	det, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newHitFinder(det)
	rng := rand.New(rand.NewPCG(3, 4))
	b64 := func() string {
		b := make([]byte, 48)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	filler := func(from, to int) []string {
		var ls []string
		for i := from; i < to; i++ {
			ls = append(ls, fmt.Sprintf("line %07d lorem ipsum dolor sit amet, consectetur adipiscing", i))
		}
		return ls
	}
	const begin, end = "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"
	key := []string{begin}
	for range 8 {
		key = append(key, b64())
	}
	key = append(key, end)
	join := func(parts ...[]string) []byte {
		var ls []string
		for _, p := range parts {
			ls = append(ls, p...)
		}
		return []byte(strings.Join(ls, "\n") + "\n")
	}
	copyOp := func(off, n int) deltaOp { return deltaOp{copy: true, off: off, n: n} }

	type tc struct {
		// baseMayFind: the base has a match of a rule with a window across
		// lines that its filters turn down, which counts as a finding.
		baseMayFind bool
		name        string
		base, data  []byte
		ops         []deltaOp
		inserts     [][]byte
	}
	var cases []tc
	{
		// A BEGIN line above a placeholder block: the key's regex matches
		// from it to the real key's END, a match dropped as a placeholder,
		// and the real key is never tried. The object lacks that first
		// line: one copy of the rest, and the key is found.
		blk := []string{"REDACTED", "", "see below for the real one:", ""}
		base := join([]string{begin}, blk, key, filler(0, 300))
		first := len(begin) + 1
		cases = append(cases, tc{true, "consumed", base, base[first:], []deltaOp{copyOp(first, len(base)-first)}, [][]byte{nil}})
	}
	{
		// Two BEGIN lines whose windows overlap, 16 KB of body, and an END
		// line replacing filler: the match runs from the first BEGIN,
		// which is further from the END than any window reaches.
		var body []string
		for range 251 {
			body = append(body, b64())
		}
		body = append(body, strings.Repeat("Q", 40))
		head := join(filler(0, 20), []string{begin}, body, []string{begin, "x", "x", "x"})
		base := append(append([]byte(nil), head...), join(filler(100, 200))...)
		ins := []byte(end + "\n")
		cases = append(cases, tc{false, "merged windows", base, append(append([]byte(nil), head...), ins...), []deltaOp{copyOp(0, len(head)), {n: len(ins)}}, [][]byte{nil, ins}})
	}
	{
		// A key across the cut between the base's first two chunks (not a
		// finding of the base); the object lacks the first ten lines, and
		// the key lies whole in its first chunk.
		var ls []string
		size := 0
		for i := 0; size < ChunkSize-300; i++ {
			l := fmt.Sprintf("line %07d lorem ipsum dolor sit amet, consectetur adipiscing", i)
			ls = append(ls, l)
			size += len(l) + 1
		}
		base := join(ls, key, filler(9000000, 9002000))
		cut := len(join(ls[:10]))
		cases = append(cases, tc{false, "chunk cut", base, base[cut:], []deltaOp{copyOp(cut, len(base)-cut)}, [][]byte{nil}})
	}
	{
		// A base without a final line break, copied whole, then a line of
		// it from its start: the base's last line and the copied one meet
		// in one line of the object, which holds a key.
		var id strings.Builder
		for range 15 {
			id.WriteByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rng.IntN(32)])
		}
		base := []byte("Q is the rest of a line\nfiller\nid = AKIA" + id.String())
		rest := len("Q is the rest of a line\n")
		data := append(append([]byte(nil), base...), base[:rest]...)
		cases = append(cases, tc{false, "no final line break", base, data, []deltaOp{copyOp(0, len(base)), copyOp(0, rest)}, [][]byte{nil, nil}})
	}
	for _, c := range cases {
		if f.mayFind(c.base, nil, nil, nil) != c.baseMayFind {
			t.Fatalf("%s: the base may hold a finding: %t", c.name, !c.baseMayFind)
		}
		if !f.mayFind(c.data, nil, nil, nil) {
			t.Fatalf("%s: the object holds no finding", c.name)
		}
		raw := encodeDelta(len(c.base), c.ops, c.inserts)
		if got, err := applyDelta(c.base, raw); err != nil || !bytes.Equal(got, c.data) {
			t.Fatalf("%s: the delta does not rebuild the object: %v", c.name, err)
		}
		d, ok := parseDelta(raw)
		if !ok {
			t.Fatalf("%s: parseDelta refused the delta", c.name)
		}
		if !f.mayFind(c.data, c.base, f.all(c.data), d) {
			t.Errorf("%s: the screen does not see the object's finding", c.name)
		}
	}
}

// TestScreenWindowCutShort: what follows a run of copies in the base can
// end a match that starts in the run. Here a greedy rule's match in the
// base runs on into a placeholder and is dropped; the object is the base
// cut before it (one copy, from a line start to a line start), and its
// match, shorter, is a finding. The base's dropped match spans lines, so
// it counts as a finding (see Detector.MayFind), and the object has a
// window keyword, so its windows are screened.
func TestScreenWindowCutShort(t *testing.T) {
	det := screenDetector(t, `
[[rules]]
id = "blk"
keywords = ["begin"]
window = 200
regex = '''(?s)BEGIN\n(.{20,200})'''
[rules.allowlist]
stopwords = ["redacted"]
`)
	f := newHitFinder(det)
	head := "BEGIN\nq7vd2rklm9xwz3pt8snbq7vd2rkl\nm9xwz3pt8snbq7vd2rklm9xwz3pt8s\n"
	base := []byte(head + "REDACTED\n" + strings.Repeat("filler line of the file\n", 10))
	data := base[:len(head)]
	// The base's match, turned down, spans lines: it counts as found.
	if !f.mayFind(base, nil, nil, nil) || !f.mayFind(data, nil, nil, nil) {
		t.Fatal("the base and the object must both count as holding a finding")
	}
	d, ok := parseDelta(encodeDelta(len(base), []deltaOp{{copy: true, off: 0, n: len(data)}}, [][]byte{nil}))
	if !ok {
		t.Fatal("parseDelta refused the delta")
	}
	if !f.mayFind(data, base, f.all(data), d) {
		t.Error("the screen does not see the object's finding")
	}
}

// TestScreenLongLineCut: an object given to the detector in pieces cut
// inside a line counts as holding a finding, since what is found across
// such a cut depends on where the pieces fall. Here the object is its
// base with a line break put first, which moves where its second piece
// starts, inside the base's one long line, to a key that the cut makes a
// word of its own: a finding of the object's pieces, not of the base's.
func TestScreenLongLineCut(t *testing.T) {
	det, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newHitFinder(det)
	rng := rand.New(rand.NewPCG(8, 9))
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base := bytes.Repeat([]byte("lorem ipsum dolor sit amet "), (ChunkSize+100<<10)/27)
	base[len(base)-1] = '\n'
	at := ChunkSize - Overlap - 1 // the object's second piece starts here
	key := []byte("ZAKIA")
	for range 16 {
		key = append(key, letters[rng.IntN(len(letters))])
	}
	copy(base[at-1:], append(key, ' '))
	data := append([]byte("\n"), base...)
	if !cutInLines(data) || !cutInLines(base) {
		t.Fatal("cutInLines: the long line is not seen")
	}
	d, ok := parseDelta(encodeDelta(len(base), []deltaOp{{n: 1}, {copy: true, off: 0, n: len(base)}}, [][]byte{[]byte("\n"), nil}))
	if !ok {
		t.Fatal("parseDelta refused the delta")
	}
	if !f.mayFind(data, nil, nil, nil) || !f.mayFind(data, base, f.all(data), d) {
		t.Error("an object cut inside a line is screened clean")
	}
	lines := bytes.Repeat([]byte("a line of text\n"), ChunkSize/15+100)
	if cutInLines(lines) || cutInLines(base[:ChunkSize]) {
		t.Error("cutInLines: short lines, or an object of one piece, taken for cut")
	}
	if f.mayFind(lines, nil, nil, nil) {
		t.Error("lines of text screened as holding a finding")
	}
}

// TestScreenWindowAcrossPieces: a private key across the cut between two
// pieces of a large object stored whole (no finding in either piece) is
// found in its keyword's window, as the scan of a commit's changed lines
// around it would find it.
func TestScreenWindowAcrossPieces(t *testing.T) {
	det, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newHitFinder(det)
	rng := rand.New(rand.NewPCG(10, 11))
	var b bytes.Buffer
	for i := 0; b.Len() < ChunkSize-300; i++ {
		fmt.Fprintf(&b, "line %07d lorem ipsum dolor sit amet, consectetur\n", i)
	}
	b.WriteString("-----BEGIN RSA PRIVATE KEY-----\n")
	for range 8 {
		raw := make([]byte, 48)
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		b.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	b.WriteString("-----END RSA PRIVATE KEY-----\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "tail %07d lorem ipsum dolor sit amet, consectetur\n", i)
	}
	data := b.Bytes()
	pieces := 0
	Split(data, 1, func(piece []byte, _ int64, _, _ int) bool {
		pieces++
		if det.MayFind(piece) {
			t.Fatal("a piece holds the key: it must lie across the cut")
		}
		return true
	})
	if pieces < 2 || cutInLines(data) {
		t.Fatalf("%d pieces, cut inside lines %t: the case is not built", pieces, cutInLines(data))
	}
	if !f.mayFind(data, nil, f.all(data), nil) {
		t.Error("the key across the cut is not seen")
	}
}

// screenDetector is a detector for the rules of a TOML text.
func screenDetector(t *testing.T, toml string) *detect.Detector {
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

// TestUncopiedLinesSameAsDirect checks uncopiedLines, which searches each
// byte for line breaks about once, against the direct form (each line's
// start and end searched for from each instruction), and cutInLines
// against the longest line: random deltas over bases with long lines that
// many instructions cut, and without a final line break.
func TestUncopiedLinesSameAsDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	text := func(n int, breaks int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(rng.IntN(26))
			if rng.IntN(breaks) == 0 {
				b[i] = '\n'
			}
		}
		return b
	}
	for range 3000 {
		base := text(1+rng.IntN(3000), []int{3, 40, 1000, 100000}[rng.IntN(4)])
		var data []byte
		d := &priorDelta{baseSize: len(base)}
		for range 1 + rng.IntN(40) {
			if rng.IntN(3) > 0 {
				off := rng.IntN(len(base))
				n := 1 + rng.IntN(min(len(base)-off, 200))
				if rng.IntN(4) == 0 && len(d.ops) > 0 && d.ops[len(d.ops)-1].copy {
					// Copies that go on from one another in the base.
					last := d.ops[len(d.ops)-1]
					if off = last.off + last.n; off >= len(base) {
						continue
					}
					n = 1 + rng.IntN(min(len(base)-off, 200))
				}
				d.ops = append(d.ops, deltaOp{copy: true, off: off, n: n})
				data = append(data, base[off:off+n]...)
				continue
			}
			ins := text(1+rng.IntN(50), []int{3, 40, 1000}[rng.IntN(3)])
			d.ops = append(d.ops, deltaOp{n: len(ins)})
			data = append(data, ins...)
		}
		if len(data) == 0 {
			continue
		}
		if got, want := uncopiedLines(data, base, d), uncopiedLinesDirect(data, base, d); !slices.Equal(got, want) {
			t.Fatalf("uncopiedLines = %v, want %v\nbase %q\ndata %q\nops %+v", got, want, base, data, d.ops)
		}
	}
	for _, c := range []struct {
		lines []int // line lengths, without their line breaks
		want  bool
	}{
		{[]int{ChunkSize + 1}, true},
		{[]int{ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1, ChunkSize/8 - 1}, false},
		{[]int{100, ChunkSize / 8, ChunkSize - 200}, true},
		{[]int{ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize/8 - 1, 10, ChunkSize / 8}, true},
		{[]int{ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize / 16, ChunkSize/8 - 1}, false},
		{[]int{ChunkSize / 2}, false}, // not larger than ChunkSize
	} {
		var data []byte
		for i, n := range c.lines {
			if i > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.Repeat([]byte{'x'}, n)...)
		}
		if got := cutInLines(data); got != c.want {
			t.Errorf("cutInLines(%d bytes, lines %v) = %v, want %v", len(data), c.lines, got, c.want)
		}
	}
}

// uncopiedLinesDirect is uncopiedLines in its direct form.
func uncopiedLinesDirect(data, base []byte, d *priorDelta) []span {
	var out []span
	add := func(from, to int) {
		if k := len(out) - 1; k >= 0 && out[k].end >= from {
			out[k].end = max(out[k].end, to)
			return
		}
		out = append(out, span{from, to})
	}
	lineStarts := func(b []byte, off int) bool { return off == 0 || b[off-1] == '\n' }
	w := 0
	runStart, baseStart, baseEnd := -1, 0, -1
	endRun := func() {
		if runStart < 0 {
			return
		}
		if !lineStarts(base, baseStart) {
			add(lineStartAt(data, runStart), lineEndAt(data, runStart))
		}
		if !lineStarts(base, baseEnd) {
			add(lineStartAt(data, w-1), lineEndAt(data, w-1))
		}
		runStart = -1
	}
	for _, op := range d.ops {
		if op.copy {
			if runStart < 0 || op.off != baseEnd {
				endRun()
				runStart, baseStart = w, op.off
			}
			baseEnd = op.off + op.n
		} else {
			endRun()
			add(lineStartAt(data, w), lineEndAt(data, w+op.n-1))
		}
		w += op.n
	}
	endRun()
	return out
}
