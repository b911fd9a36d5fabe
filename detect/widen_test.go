package detect

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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

// widenBenchFiles are Go sources of the toolchain, of the sizes of most
// files in a repository (3 KB to 40 KB), some of them about keys.
var widenBenchFiles = []string{
	"errors/errors.go", "strings/builder.go", "io/pipe.go", "encoding/pem/pem.go", "sort/sort.go",
	"text/tabwriter/tabwriter.go", "crypto/ecdsa/ecdsa.go", "bufio/bufio.go", "os/file.go",
	"fmt/print.go", "encoding/json/decode.go", "net/url/url.go", "crypto/tls/handshake_client.go",
}

// widenRegions returns 5-line regions (a changed line and its context)
// starting at the first line start at or after each multiple of every.
func widenRegions(data []byte, first, every int) []leak.Region {
	var out []leak.Region
	for at := first; at < len(data); at += every {
		start := at
		if at > 0 {
			i := bytes.IndexByte(data[at-1:], '\n')
			if i < 0 {
				break
			}
			start = at + i
		}
		end := start
		for range 5 {
			if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(data)
			}
		}
		if len(out) > 0 && start < out[len(out)-1].End {
			continue
		}
		out = append(out, leak.Region{Start: start, End: end, Line: 1 + bytes.Count(data[:start], []byte{'\n'})})
	}
	return out
}

// BenchmarkWiden runs Widen with the default rules over real Go sources:
// "concat" is the files end to end with a region every 2 KB; "files" is
// each file on its own with one region in its middle, as for a commit
// that changed one place of each.
func BenchmarkWiden(b *testing.B) {
	d, err := New(rules.Default(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("go env GOROOT: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	var files [][]byte
	var all []byte
	for _, f := range widenBenchFiles {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			b.Skip(err)
		}
		files = append(files, data)
		all = append(all, data...)
	}
	b.Run("concat", func(b *testing.B) {
		regions := widenRegions(all, 1024, 2048)
		in := make([]leak.Region, len(regions))
		b.SetBytes(int64(len(all)))
		for b.Loop() {
			copy(in, regions)
			d.Widen(all, in)
		}
	})
	b.Run("files", func(b *testing.B) {
		var regions [][]leak.Region
		total := 0
		for _, f := range files {
			regions = append(regions, widenRegions(f, len(f)/2, len(f)))
			total += len(f)
		}
		in := make([]leak.Region, 1)
		b.SetBytes(int64(total))
		for b.Loop() {
			for i, f := range files {
				in = append(in[:0], regions[i]...)
				d.Widen(f, in)
			}
		}
	})
}
