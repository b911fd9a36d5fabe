package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/leakgate/leakgate/leak"
)

// DefaultMaxFileSize is the size above which files are skipped (and
// counted) unless the user raises the limit.
const DefaultMaxFileSize = 10 << 20

// Dir scans the files under a directory (or one file). Symbolic links are
// not followed, .git directories are skipped, binary and oversized files
// are skipped and counted, and unreadable ones are reported.
type Dir struct {
	Root        string
	MaxFileSize int64 // 0 means DefaultMaxFileSize
	// FS, when set, is walked instead of the directory Root (for tests).
	FS fs.FS
	c  counters
}

// Stats implements Source.
func (s *Dir) Stats() Stats { return s.c.stats() }

// Chunks implements Source. Paths in chunks are relative to Root, with
// forward slashes; when Root is a file, the path is Root as given.
func (s *Dir) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		info, err := os.Lstat(s.Root)
		if err != nil {
			yield(leak.Chunk{}, fmt.Errorf("%w: %w", err, ErrFatal))
			return
		}
		if !info.IsDir() {
			dir, name := filepath.Split(s.Root)
			if dir == "" {
				dir = "."
			}
			s.file(ctx, os.DirFS(dir), name, filepath.ToSlash(s.Root), info, yield)
			return
		}
		fsys := s.FS
		if fsys == nil {
			fsys = os.DirFS(s.Root)
		}
		s.walkParallel(ctx, fsys, yield)
	}
}

// readers is how many files are read at once: reading ahead of the
// detector keeps its workers busy while the walker waits on the disk.
const readers = 4

type fileJob struct {
	path string
	info fs.FileInfo
}

type result struct {
	chunk leak.Chunk
	err   error
}

// walkParallel walks the tree in one goroutine and reads files in several,
// yielding chunks as they are ready (in no fixed order; scan sorts).
func (s *Dir) walkParallel(ctx context.Context, fsys fs.FS, yield func(leak.Chunk, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan result, 2*readers)
	jobs := make(chan fileJob, 64)
	send := func(c leak.Chunk, err error) bool {
		select {
		case out <- result{c, err}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		s.walk(ctx, fsys, send, func(j fileJob) bool {
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if !s.file(ctx, fsys, j.path, j.path, j.info, send) {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	for r := range out {
		if !yield(r.chunk, r.err) {
			cancel()
			for range out {
			}
			return
		}
	}
}

func (s *Dir) walk(ctx context.Context, fsys fs.FS, yield func(leak.Chunk, error) bool, job func(fileJob) bool) {
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			s.c.unreadable.Add(1)
			if !yield(leak.Chunk{Origin: leak.Origin{Path: p}}, fmt.Errorf("%s: %w", p, unwrapPathError(err))) {
				return fs.SkipAll
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			s.c.symlinks.Add(1)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			s.c.unreadable.Add(1)
			if !yield(leak.Chunk{Origin: leak.Origin{Path: p}}, fmt.Errorf("%s: %w", p, unwrapPathError(err))) {
				return fs.SkipAll
			}
			return nil
		}
		if !job(fileJob{p, info}) {
			return fs.SkipAll
		}
		return nil
	})
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// file yields the chunks of one file; it returns false when the consumer
// stopped the iteration.
func (s *Dir) file(ctx context.Context, fsys fs.FS, p, rel string, info fs.FileInfo, yield func(leak.Chunk, error) bool) bool {
	mode := info.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		s.c.symlinks.Add(1)
		return true
	case !mode.IsRegular():
		s.c.special.Add(1)
		return true
	}
	limit := s.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	if info.Size() > limit {
		s.c.tooLarge.Add(1)
		return true
	}
	data, err := readFile(fsys, p, info.Size(), limit)
	if err != nil {
		s.c.unreadable.Add(1)
		return yield(leak.Chunk{Origin: leak.Origin{Path: rel}}, fmt.Errorf("%s: %w", rel, unwrapPathError(err)))
	}
	if int64(len(data)) > limit { // grew while we looked
		s.c.tooLarge.Add(1)
		return true
	}
	if text, ok := DecodeUTF16(data); ok {
		data = text
	} else if IsBinary(data) {
		s.c.binary.Add(1)
		return true
	}
	s.c.files.Add(1)
	s.c.bytes.Add(int64(len(data)))
	if len(data) == 0 {
		return true
	}
	return split(data, func(piece []byte, off int64, p position) bool {
		if ctx.Err() != nil {
			return false
		}
		return yield(leak.Chunk{Data: piece, Origin: leak.Origin{Path: rel, Line: p.line, Column: p.col}, Offset: off}, nil)
	})
}

// readFile reads at most limit+1 bytes of a file whose size was size.
// The buffer has room for the size and for the read that finds the end
// (bytes.Buffer.ReadFrom grows it unless bytes.MinRead bytes are free: with
// room for the size alone every file was read into memory allocated three
// times over, two thirds of a directory scan's allocations).
func readFile(fsys fs.FS, p string, size, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, min(size, limit)+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(f, limit+1))
	return buf.Bytes(), err
}

// EnclosingWorkTree returns the root of the git work tree that dir is
// inside of (below its root), or "".
func EnclosingWorkTree(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// IsRepository reports whether dir is a git work tree root or a bare
// repository.
func IsRepository(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
		return true
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	head, err := os.ReadFile(filepath.Join(dir, "HEAD"))
	id := len(strings.TrimSpace(string(head)))
	return err == nil && (strings.HasPrefix(string(head), "ref: ") || id == 40 || id == 64) // a detached HEAD: SHA-1 or SHA-256
}
