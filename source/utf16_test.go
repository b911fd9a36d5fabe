package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// utf16Of is text as UTF-16 with a byte order mark, big-endian or not.
func utf16Of(text string, big bool) []byte {
	if big {
		return encodeUTF16([]byte(text), binary.BigEndian)
	}
	return encodeUTF16([]byte(text), binary.LittleEndian)
}

func TestDecodeUTF16(t *testing.T) {
	const text = "$pw = ConvertTo-SecureString \"hunter2\"\r\nÄrger 𝄞\n"
	for _, big := range []bool{false, true} {
		got, ok := DecodeUTF16(utf16Of(text, big))
		if !ok || string(got) != text {
			t.Errorf("big-endian %v: %q, %v", big, got, ok)
		}
	}
	// A byte appended (echo >> file), or one lone surrogate: still text.
	for name, data := range map[string][]byte{
		"odd length":     append(utf16Of("plain\n", false), '\n'),
		"lone surrogate": append(utf16Of("ab\n", false), 0x00, 0xD8),
	} {
		if got, ok := DecodeUTF16(data); !ok || !bytes.HasPrefix(got, []byte("ab\n")) && !bytes.HasPrefix(got, []byte("plain\n")) {
			t.Errorf("%s: %q, %v", name, got, ok)
		}
	}
	utf32 := []byte{0xFF, 0xFE, 0, 0, 'a', 0, 0, 0, '\n', 0, 0, 0}
	surrogates := utf16Of("", false)
	for range 50 {
		surrogates = append(surrogates, 0x00, 0xD8, 'x', 0) // lone high surrogates
	}
	for name, data := range map[string][]byte{
		"no byte order mark":  utf16Of("plain", false)[2:],
		"UTF-32":              utf32,
		"NUL characters":      utf16Of("a\x00b", false),
		"invalid sequences":   surrogates,
		"binary with its BOM": append([]byte{0xFF, 0xFE}, bytes.Repeat([]byte{0, 0xDC}, 40)...),
	} {
		if got, ok := DecodeUTF16(data); ok {
			t.Errorf("%s: decoded as %q", name, got)
		}
	}
}

// chunkTexts returns the data of the chunks s yields.
func chunkTexts(t *testing.T, s Source) []string {
	t.Helper()
	var got []string
	for c, err := range s.Chunks(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(c.Data))
	}
	return got
}

// UTF-16 files, streams and blobs are scanned as their text, not skipped
// as binary.
func TestUTF16Sources(t *testing.T) {
	const text = "line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "profile.ps1"), utf16Of(text, false), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Dir{Root: dir}
	if got := chunkTexts(t, d); !slices.Equal(got, []string{text}) || d.Stats().Binary != 0 {
		t.Errorf("directory: %q, %+v", got, d.Stats())
	}
	// No NUL byte in its first 8000 bytes (Cyrillic), but a byte order
	// mark: decoded all the same.
	cyrillic := strings.Repeat("Привет ", 1200) + "\n" + text
	if err := os.WriteFile(filepath.Join(dir, "profile.ps1"), utf16Of(cyrillic, false), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := chunkTexts(t, &Dir{Root: dir}); !slices.Equal(got, []string{cyrillic}) {
		t.Errorf("directory, no NUL byte early: %d chunks, %.40q", len(got), got)
	}

	r := &Reader{R: bytes.NewReader(utf16Of(text, true)), Name: "-"}
	if got := chunkTexts(t, r); !slices.Equal(got, []string{text}) || r.Stats().Binary != 0 {
		t.Errorf("stream: %q, %+v", got, r.Stats())
	}
}

// A UTF-16 file in git history: each version is scanned as text, and an
// edit is compared with the version before it like any file (the old
// password is not taken for new), loose or packed, full or as a range.
func TestGitUTF16(t *testing.T) {
	filler := ""
	for i := range 40 {
		filler += fmt.Sprintf("filler line %d\n", i)
	}
	// CJK text: two bytes a character in UTF-16 and three in UTF-8, so
	// that, with the ASCII line, text and bytes have the same length.
	cjk := strings.Repeat("漢", 69) + "\n" // 69 = the ASCII bytes of the second version + 2 (its byte order mark)
	for _, c := range []struct {
		name   string
		v1, v2 string
		big    bool
		kept   []bool
	}{
		{"little-endian, a line added below", "line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\n" + filler,
			"line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\n" + filler + "line three\n", false, nil},
		{"big-endian, a line added above", "password = \"Vq7#Zq8rT2mXw4Lp\"\n" + filler,
			"# a new first line\npassword = \"Vq7#Zq8rT2mXw4Lp\"\n" + filler, true, nil},
		{"as many bytes as text", cjk + strings.Repeat("ab\n", 12),
			cjk + "password = \"Qw8#Zt5nLp2xRv7k\"\n" + strings.Repeat("ab\n", 12), false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRepo(t)
			r.write("profile.ps1", string(utf16Of(c.v1, c.big)))
			first := r.commit("one")
			r.write("profile.ps1", string(utf16Of(c.v2, c.big)))
			second := r.commit("two")
			// Only the line the second version adds is new.
			want := hashLines([]byte(c.v2)).hashes
			old := hashLines([]byte(c.v1)).hashes
			kept := slices.Repeat([]bool{true}, len(want))
			markOld(kept, want, old)
			for _, packed := range []bool{false, true} {
				if packed {
					r.git("repack", "-adfq", "--depth=50", "--window=250")
				}
				full := scanGit(t, &Git{Dir: r.dir})
				if diff := cmp.Diff([]string{"profile.ps1@" + first}, full.byContent(t, c.v1).Places); diff != "" {
					t.Errorf("packed %v: first version (-want +got):\n%s", packed, diff)
				}
				for _, res := range []gitResult{full, scanGit(t, &Git{Dir: r.dir, Range: first + ".." + second})} {
					if b := res.byContent(t, c.v2); !slices.Equal(b.Kept, kept) {
						t.Errorf("packed %v: second version kept %v, want %v", packed, b.Kept, kept)
					}
				}
			}
		})
	}
}
