package source

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func collect(t *testing.T, s Source) (paths []string, errs []string) {
	t.Helper()
	for c, err := range s.Chunks(context.Background()) {
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		paths = append(paths, c.Origin.Path)
	}
	// Directory sources read files in parallel: order is not fixed.
	slices.Sort(paths)
	slices.Sort(errs)
	return slices.Compact(paths), errs
}

func TestDirSkipsAndCounts(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", []byte("hello\n"))
	write("sub/b.yml", []byte("k: v\n"))
	write("bin.dat", []byte("ab\x00cd"))
	write("big.txt", bytes.Repeat([]byte("x"), 2000))
	write(".git/config", []byte("[core]\n"))
	write("empty.txt", nil)
	if err := os.Symlink(filepath.Join(root, "a.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(root, "etc-link")); err != nil {
		t.Fatal(err)
	}
	s := &Dir{Root: root, MaxFileSize: 1000}
	paths, errs := collect(t, s)
	if diff := cmp.Diff([]string{"a.txt", "sub/b.yml"}, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	want := Stats{Files: 3, Bytes: 11, Binary: 1, TooLarge: 1, Symlinks: 2}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// failFS fails to open the files it names, as an unreadable file would.
type failFS struct {
	fstest.MapFS
	fail map[string]bool
}

func (f failFS) Open(name string) (fs.File, error) {
	if f.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.Open(name)
}

func (f failFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.ReadDir(name)
}

func TestDirReportsUnreadable(t *testing.T) {
	t.Parallel()
	fsys := failFS{
		MapFS: fstest.MapFS{
			"ok.txt":         {Data: []byte("fine")},
			"secret.txt":     {Data: []byte("cannot read")},
			"locked/a.txt":   {Data: []byte("x")},
			"locked/b/c.txt": {Data: []byte("y")},
		},
		fail: map[string]bool{"secret.txt": true, "locked": true},
	}
	s := &Dir{Root: t.TempDir(), FS: fsys}
	paths, errs := collect(t, s)
	if diff := cmp.Diff([]string{"ok.txt"}, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if len(errs) != 2 || !strings.Contains(errs[0], "locked") || !strings.Contains(errs[1], "secret.txt: open: permission denied") {
		t.Errorf("errors = %q", errs)
	}
	if got := s.Stats().Unreadable; got != 2 {
		t.Errorf("Unreadable = %d, want 2", got)
	}
}

func TestDirMissingRootIsFatal(t *testing.T) {
	t.Parallel()
	_, errs := collect(t, &Dir{Root: filepath.Join(t.TempDir(), "nope")})
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	for _, err := range (&Dir{Root: "/nonexistent-leakgate"}).Chunks(context.Background()) {
		if !errors.Is(err, ErrFatal) {
			t.Errorf("error %v is not fatal", err)
		}
	}
}

// Large inputs are cut into bounded chunks whose offsets and line numbers
// add up, whether or not the input has line ends.
func TestChunkingKeepsPositions(t *testing.T) {
	t.Parallel()
	lines := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"), 3*ChunkSize/64)
	oneLine := bytes.Repeat([]byte("y"), 2*ChunkSize+100)
	for name, data := range map[string][]byte{"lines": lines, "one line": oneLine} {
		t.Run(name, func(t *testing.T) {
			for _, src := range []Source{&Reader{R: bytes.NewReader(data), Name: "-"}, fileSource(t, data)} {
				var covered int64
				n := 0
				for c, err := range src.Chunks(context.Background()) {
					if err != nil {
						t.Fatal(err)
					}
					n++
					if len(c.Data) > ChunkSize {
						t.Fatalf("chunk of %d bytes", len(c.Data))
					}
					if c.Offset > covered {
						t.Fatalf("gap: chunk at %d, covered up to %d", c.Offset, covered)
					}
					if !bytes.Equal(c.Data, data[c.Offset:c.Offset+int64(len(c.Data))]) {
						t.Fatalf("chunk at %d does not match the input", c.Offset)
					}
					wantLine := bytes.Count(data[:c.Offset], []byte("\n")) + 1
					if c.Origin.Line != wantLine {
						t.Fatalf("chunk at %d: line %d, want %d", c.Offset, c.Origin.Line, wantLine)
					}
					covered = c.Offset + int64(len(c.Data))
				}
				if covered != int64(len(data)) || n < 2 {
					t.Fatalf("%T: covered %d of %d bytes in %d chunks", src, covered, len(data), n)
				}
			}
		})
	}
}

func fileSource(t *testing.T, data []byte) Source {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Dir{Root: dir, MaxFileSize: int64(len(data)) + 1}
}

func TestReaderBinary(t *testing.T) {
	t.Parallel()
	r := &Reader{R: bytes.NewReader([]byte("\x00\x01\x02")), Name: "-"}
	paths, _ := collect(t, r)
	if len(paths) != 0 || r.Stats().Binary != 1 {
		t.Errorf("binary stdin: paths %v, stats %+v", paths, r.Stats())
	}
}

// A file is read into one allocation of about its size: the buffer must
// leave room for the read that finds the end of the file, or
// bytes.Buffer grows it to twice the size at the last moment. Not
// parallel: it counts the process's allocations.
func TestReadFileAllocatesOnce(t *testing.T) {
	const size = 4 << 20
	fsys := fstest.MapFS{"big.txt": {Data: bytes.Repeat([]byte("abcdefghijklmno\n"), size/16)}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	data, err := readFile(fsys, "big.txt", size, DefaultMaxFileSize)
	runtime.ReadMemStats(&after)
	if err != nil || len(data) != size {
		t.Fatalf("readFile = %d bytes, %v", len(data), err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > size*3/2 {
		t.Errorf("reading a %d-byte file allocated %d bytes", size, grown)
	}
}
