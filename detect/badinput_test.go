package detect

import (
	"bytes"
	"encoding/base64"
	"flag"
	"runtime"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{})
	text := "\xff\xfe\xfd id: AKIAQYLPMN5HHHFPZAM2 \xc3\x28 end\n\x80\xbfAKIAQYLPMN5HHHFPZAM3 \xed\xa0\x80"
	got := detectAll(d, "bad.txt", text)
	want := []pos{
		{"aws", 1, 9, "AKIAQYLPMN5HHHFPZAM2", ""},
		{"aws", 2, 3, "AKIAQYLPMN5HHHFPZAM3", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestNULBytes(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{})
	text := "\x00\x00AKIAQYLPMN5HHHFPZAM2\x00\ntoken = \"Nq2LpV6tXk4Wm9YbC3hDz\"\x00\x00\n\x00"
	got := detectAll(d, "nul.bin", text)
	want := []pos{
		{"aws", 1, 3, "AKIAQYLPMN5HHHFPZAM2", ""},
		{"gen", 2, 10, "Nq2LpV6tXk4Wm9YbC3hDz", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// The default rules on binary-looking data: no panic, findings in bounds.
	data := bytes.Repeat([]byte("\x00\x01token=\x00secret:\x7f\xffAKIA\x00"), 4096)
	for _, f := range defaultDetector(t).Detect(leak.Chunk{Data: data, Origin: leak.Origin{Path: "blob.bin"}}) {
		if f.Offset < 0 || f.End > len(data) || f.Origin.Line < 1 || f.Origin.Column < 1 {
			t.Errorf("finding out of bounds: %+v", f)
		}
	}
}

// A 50 MB chunk without a newline (minified code, a one-line dump) must be
// scanned in bounded memory: the detector may copy the chunk a few times,
// but must not allocate per keyword hit without bound. Time is not
// checked: the test only has to finish.
var hugeKeywords = flag.Bool("huge-keywords", false, "run TestHugeSingleLine on a keyword-dense line too")

func TestHugeSingleLine(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB inputs")
	}
	const size = 50 << 20
	d := defaultDetector(t)
	gh := "ghp_" + "Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0" + Base62CRC32("Zq8Lr2Vx7Kp4Nm9Tb3Wc6Yd1Hs5Jf0")
	patterns := map[string]string{
		// Keyword hits every few bytes: the worst case for windows.
		"keywords": `var token=a.b,secret=c.d;k={apiKey:e.f,password:g};`,
		// One endless base64-alphabet run: the decoder must skip it.
		"base64": "QUtJQVFZTFBNTjVISEhGUFpBTTJ0b2tlbj0K",
		// Ordinary minified code without keywords.
		"plain": `function(e){return e.map(function(n){return n*2})};`,
	}
	for name, p := range patterns {
		t.Run(name, func(t *testing.T) {
			if name == "keywords" && !*hugeKeywords {
				// Windows are merged as hits are found and the automaton
				// runs over 256 KiB blocks, so memory stays bounded; but
				// every generic rule's regex still runs over the whole
				// line, which takes over a minute here. Run it with
				// -huge-keywords.
				t.Skip("keyword-dense 50 MB line takes over a minute, see -huge-keywords")
			}
			var b strings.Builder
			b.Grow(size + 200)
			b.WriteString("x=" + gh + ";")
			for b.Len() < size {
				b.WriteString(p)
			}
			b.WriteString(";y=" + gh)
			data := []byte(b.String())
			b = strings.Builder{}

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			fs := d.Detect(leak.Chunk{Data: data, Origin: leak.Origin{Path: "bundle.min.js"}})
			runtime.ReadMemStats(&after)

			found := 0
			for _, f := range fs {
				if f.Offset < 0 || f.End > len(data) || f.Origin.Line != 1 || f.Origin.Column < 1 {
					t.Errorf("finding out of bounds: %s [%d,%d) line %d col %d", f.RuleID, f.Offset, f.End, f.Origin.Line, f.Origin.Column)
				}
				if f.Secret.Reveal() == gh {
					found++
				}
			}
			if found != 2 {
				t.Errorf("found the token at both ends %d times, want 2", found)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d findings, %d MB allocated for a %d MB line", name, len(fs), alloc>>20, len(data)>>20)
			// The automaton's match slices are garbage after each 256 KiB
			// block: they add to the total allocated, not to what is held
			// at once, and grow with the number of keyword hits.
			factor := 12
			if name == "keywords" {
				factor = 16
			}
			if limit := uint64(factor * len(data)); alloc > limit {
				t.Errorf("allocated %d MB scanning %d MB, more than %d MB", alloc>>20, len(data)>>20, limit>>20)
			}
		})
	}
}

// Base64 nested ten times: decoding stops at the configured depth, so the
// secret is found exactly when it lies no deeper than MaxDecodeDepth.
func TestNestedBase64Depth(t *testing.T) {
	t.Parallel()
	const secret = "AKIAQYLPMN5HHHFPZAM2"
	layers := []string{"id: " + secret + " end"}
	for i := 1; i <= 10; i++ {
		layers = append(layers, base64.StdEncoding.EncodeToString([]byte(layers[i-1])))
	}
	for _, depth := range []int{-1, 1, 2, 3, 5, 10} {
		d := newTestDetector(t, Options{MaxDecodeDepth: depth})
		for k, text := range layers {
			got := detectAll(d, "nested.txt", "v="+text)
			want := 0
			if k <= depth || k == 0 {
				want = 1
			}
			if len(got) != want {
				t.Errorf("depth %d, %d layers: %d findings, want %d", depth, k, len(got), want)
				continue
			}
			if want == 1 {
				if got[0].Secret != secret || strings.Count(got[0].Decoded, "base64") != k {
					t.Errorf("depth %d, %d layers: got %+v", depth, k, got[0])
				}
			}
		}
	}
	// The default depth on ten layers: nothing found, and no runaway.
	d := newTestDetector(t, Options{})
	if got := detectAll(d, "nested.txt", layers[10]); len(got) != 0 {
		t.Errorf("default depth found %+v ten layers down", got)
	}
}
