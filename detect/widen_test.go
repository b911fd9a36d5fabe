package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

func TestWiden(t *testing.T) {
	set, err := rules.ParseRules("w.toml", []byte(`
[[rules]]
id = "far"
keywords = ["[section]"]
window = 60
regex = '''(?m)^token = (tk_[a-z0-9]{8})$'''

[[rules]]
id = "line"
keywords = ["near"]
regex = '''near (x+)'''
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Lines of 10 bytes; "[section]" on line 3 (offset 20); "near" on line 6.
	lines := []string{"aaaaaaaaa", "bbbbbbbbb", "[section]", "ccccccccc", "ddddddddd", "near xxxx", "eeeeeeeee", "fffffffff",
		"ggggggggg", "hhhhhhhhh", "iiiiiiiii", "jjjjjjjjj"}
	data := []byte(strings.Join(lines, "\n") + "\n")
	region := func(fromLine, toLine int) leak.Region { // 1-based, inclusive
		return leak.Region{Start: (fromLine - 1) * 10, End: toLine * 10, Line: fromLine}
	}
	for _, tc := range []struct {
		name     string
		in, want []leak.Region
	}{
		// Line 7 is within 60 bytes of the keyword's end (offset 29): back to line 3.
		{"reached", []leak.Region{region(7, 8)}, []leak.Region{region(3, 8)}},
		// Line 11 starts at 100 > 29+60: out of reach; "near" (line 6,
		// within the look-back) has no window and never widens.
		{"out of reach", []leak.Region{region(11, 12)}, []leak.Region{region(11, 12)}},
		// Two regions: the second, widened, overlaps the first: merged.
		{"merged", []leak.Region{region(1, 4), region(6, 7)}, []leak.Region{region(1, 7)}},
		// The keyword inside the first region reaches the second.
		{"from a region", []leak.Region{region(3, 3), region(8, 8)}, []leak.Region{region(3, 8)}},
	} {
		got := d.Widen(data, slices.Clone(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Widen(%v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
	// No rule with a window: regions come back as they are.
	plain, err := rules.ParseRules("p.toml", []byte("[[rules]]\nid = \"x\"\nkeywords = [\"section\"]\nregex = '''section'''\n"))
	if err != nil {
		t.Fatal(err)
	}
	dp, err := New(plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dp.Widen(data, []leak.Region{region(7, 8)}); !slices.Equal(got, []leak.Region{region(7, 8)}) {
		t.Errorf("no windows: %v", got)
	}
}
