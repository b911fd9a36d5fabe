package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
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
	utf32 := []byte{0xFF, 0xFE, 0, 0, 'a', 0, 0, 0, '\n', 0, 0, 0}
	surrogates := utf16Of("", false)
	for range 50 {
		surrogates = append(surrogates, 0x00, 0xD8, 'x', 0) // lone high surrogates
	}
	for name, data := range map[string][]byte{
		"no byte order mark":  utf16Of("plain", false)[2:],
		"odd length":          append(utf16Of("plain", false), 'x'),
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

// UTF-16 files, streams and blobs are scanned as their text, not skipped
// as binary.
func TestUTF16Sources(t *testing.T) {
	const text = "line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "profile.ps1"), utf16Of(text, false), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Dir{Root: dir}
	var got []string
	for c, err := range d.Chunks(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(c.Data))
	}
	if !slices.Equal(got, []string{text}) || d.Stats().Binary != 0 {
		t.Errorf("directory: %q, %+v", got, d.Stats())
	}

	r := &Reader{R: bytes.NewReader(utf16Of(text, true)), Name: "-"}
	got = nil
	for c, err := range r.Chunks(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(c.Data))
	}
	if !slices.Equal(got, []string{text}) || r.Stats().Binary != 0 {
		t.Errorf("stream: %q, %+v", got, r.Stats())
	}
}

// A UTF-16 file in git history: each version is scanned as text, and an
// edit is compared with the version before it like any file (the old
// password is not taken for new), loose or packed, full or as a range.
func TestGitUTF16(t *testing.T) {
	v1 := "line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\n"
	v2 := "line one\npassword = \"Xk3#9vLq!2mZ8wRt\"\nline three\n"
	r := newTestRepo(t)
	r.write("profile.ps1", string(utf16Of(v1, false)))
	first := r.commit("one")
	r.write("profile.ps1", string(utf16Of(v2, false)))
	second := r.commit("two")
	for _, packed := range []bool{false, true} {
		if packed {
			r.git("gc", "-q")
		}
		full := scanGit(t, &Git{Dir: r.dir})
		if diff := cmp.Diff([]string{"profile.ps1@" + first}, full.byContent(t, v1).Places); diff != "" {
			t.Errorf("packed %v: first version (-want +got):\n%s", packed, diff)
		}
		for _, res := range []gitResult{full, scanGit(t, &Git{Dir: r.dir, Range: first + ".." + second})} {
			b := res.byContent(t, v2)
			if !slices.Equal(b.Kept, []bool{false, false, true}) {
				t.Errorf("packed %v: second version kept %v, want only its new line", packed, b.Kept)
			}
		}
	}
}
