package source

import (
	"bytes"
	"fmt"
	"math/rand/v2"
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
// whole object it finds in the regions the screen scans (mayFind).
// The bases hold "far" lines with no keyword above them, so a delta finds
// one by copying or inserting the keyword line above one: by moving
// lines (runs of copies meeting at a line break), or far above it.
func TestScreenRandomDeltas(t *testing.T) {
	t.Parallel()
	set, err := rules.ParseRules("t.toml", []byte(screenTestRules))
	if err != nil {
		t.Fatal(err)
	}
	det, err := detect.New(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
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
	trials, found, clean := 0, 0, 0
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
				case 2: // from a "far" or a key in a line
					if k := bytes.Index(base[off:], []byte("far = ")); k >= 0 {
						off += k
					}
					if k := bytes.Index(base[off:], []byte("AKIA")); k >= 0 && rng.IntN(2) == 0 {
						off += k
					}
				}
				n := 1 + rng.IntN(len(base)-off)
				switch rng.IntN(4) {
				case 0, 1: // to a line end
					n = lineEndAt(base, off+n-1) - off
				case 2: // to the end of a token
					if k := bytes.Index(base[off:], []byte(" junk")); k >= 0 {
						n = max(k, 1)
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
		if !mayFind(det, data, base, d) {
			fs := det.Detect(leak.Chunk{Data: data, Origin: leak.Origin{Path: "f.txt"}})
			var at []string
			for _, f := range fs {
				at = append(at, fmt.Sprintf("%s at line %d (byte %d)", f.RuleID, f.Origin.Line, f.Offset))
			}
			t.Fatalf("trial %d: the object holds a finding the screen does not see: %s\nlines not copied %v, regions %v\nobject:\n%s", trials, at, uncopiedLines(data, base, d), det.Reach(data, det.Widen(data, spanRegions(data, uncopiedLines(data, base, d), 0))), data)
		}
	}
	if found < 1000 || clean < 1000 {
		t.Fatalf("%d objects with findings, %d without: too few", found, clean)
	}
}
