package detect

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// findEncodedRef is findEncoded as it was before its fast path: one step
// per byte. The differential tests hold the fast version to its output.
func findEncodedRef(data []byte) []segment {
	var segs []segment
	n := len(data)
	for i := 0; i < n; {
		c := data[i]
		if b64Table[c] == 0 {
			if c == '%' && i+2 < n && isHex(data[i+1]) && isHex(data[i+2]) {
				if s, ok := percentSegment(data, i); ok {
					segs = append(segs, s)
					i = s.end
					continue
				}
			}
			i++
			continue
		}
		j := i
		var kinds uint8
		for j < n && b64Table[data[j]] != 0 {
			kinds |= 1 << b64Table[data[j]]
			j++
		}
		end := j
		for end < n && end-j < 2 && data[end] == '=' {
			end++
		}
		if j-i >= minEncodedLen && j-i <= maxEncodedLen && kinds&(1<<2|1<<3) != 1<<2|1<<3 {
			if dec, ok := decodeBase64Text(data[i:j], kinds&(1<<3) != 0); ok {
				segs = append(segs, segment{start: i, end: end, layer: "base64", decoded: dec})
			}
		}
		i = end
		if i == j {
			i = j + 1
		}
	}
	return segs
}

// encodedCases are inputs where the fast scan's jumps could go wrong:
// runs just under and over the minimum length, escapes right after runs,
// after padding, doubled, at the end of the input and inside runs.
var encodedCases = []string{
	"",
	"%",
	"%4",
	"%41",
	"%41%",
	"a%41bcdefghijklmnopq",
	"ab=%41 x",
	"ab==%41 x",
	"ab===%41 x",
	"%%41%4%g%",
	"u=%41KIAQYLPMN5HHHFPZAM2%20x",
	"x abcdefghijklmno y",
	"x abcdefghijklmnop y",
	"abcdefghijklmnop",
	"abcdefghijklmno",
	"cTdWZDJSa0xtOVh3WjNwVDhzTmI=",
	"cTdWZDJSa0xtOVh3WjNwVDhzTmI=%41%42",
	"cTdWZDJSa0xtOVh3WjNwVDhzTmI%41",
	"a-b_c+d/e==",
	"AAAAAAAAAAAAAAAAAAAA%41====",
	"dG9rZW4gPSBacjhOcTJMcFY2dFhrNFdtOVliQzNoRHM_Pj4",
	"password: cTdWZDJSa0xtOVh3WjNwVDhzTmI=\nnext: cTdWZDJSa0xtOVh3WjNwVDhzTmI==x\n",
	"https://example.com/?q=pass%20word%21%40and%2Fmore&x=1 dG9rZW4gPSBacjhOcTJMcFY2dFhr",
	"==========%41abcdefghijklmnopqrstuvwxyz%4a%4Bend",
}

func checkFindEncoded(t *testing.T, name string, data []byte) {
	t.Helper()
	got, want := findEncoded(data), findEncodedRef(data)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s (%d bytes): findEncoded differs from the byte-by-byte scan:\n got %+v\nwant %+v", name, len(data), got, want)
	}
}

// TestFindEncodedMatchesReference holds the fast findEncoded to the
// byte-by-byte scan on tricky inputs, on every cut of them, on generated
// code, and on every file of $LEAKGATE_BENCH_CORPUS when it is set.
func TestFindEncodedMatchesReference(t *testing.T) {
	t.Parallel()
	for _, s := range encodedCases {
		for i := 0; i <= len(s); i++ {
			checkFindEncoded(t, fmt.Sprintf("%q[%d:]", s, i), []byte(s[i:]))
			checkFindEncoded(t, fmt.Sprintf("%q[:%d]", s, i), []byte(s[:i]))
		}
	}
	// Random mixes of base64 runs, escapes, padding and other bytes.
	rnd := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"%", "%4", "%41", "%zz", "=", "==", " ", "\n", ".", ":", "/", "+", "-", "_", "é",
		"abc", "Zm9v", "cTdWZDJSa0xtOVh3", "cTdWZDJSa0xtOVh3WjNwVDhzTmI", "token=", "AAAAAAAAAAAAAAA"}
	for range 5000 {
		var b []byte
		for range rnd.IntN(40) {
			b = append(b, pieces[rnd.IntN(len(pieces))]...)
		}
		checkFindEncoded(t, fmt.Sprintf("%q", b), b)
	}
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" || testing.Short() {
		return
	}
	files := 0
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		checkFindEncoded(t, p, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files under %s", files, root)
}

// FuzzFindEncoded compares the fast findEncoded with the byte-by-byte scan.
func FuzzFindEncoded(f *testing.F) {
	for _, s := range encodedCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFindEncoded(t, "fuzz input", data)
	})
}

// BenchmarkFindEncoded compares findEncoded with the byte-by-byte scan on
// every tenth file of $LEAKGATE_BENCH_CORPUS (or on generated code).
func BenchmarkFindEncoded(b *testing.B) {
	files, total := benchSample(b, func(i int) string {
		return fmt.Sprintf("\tclient.Config%d = request.Header.Get(%q) // dG9rZW4gPSBacjhOcTJMcFY2dFhr %%41\n", i, "X-Value")
	})
	for _, bc := range []struct {
		name string
		f    func([]byte) []segment
	}{{"fast", findEncoded}, {"ref", findEncodedRef}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				for _, f := range files {
					bc.f(f)
				}
			}
		})
	}
}

// benchSample returns every tenth file of $LEAKGATE_BENCH_CORPUS, or 20,000
// generated lines when it is not set, and their total size.
func benchSample(b *testing.B, line func(i int) string) ([][]byte, int64) {
	b.Helper()
	var files [][]byte
	var total int64
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" {
		var sb []byte
		for i := range 20000 {
			sb = append(sb, line(i)...)
		}
		return [][]byte{sb}, int64(len(sb))
	}
	n := 0
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		if n++; n%10 != 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		files = append(files, data)
		total += int64(len(data))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, total
}
