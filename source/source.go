// Package source produces chunks of text to scan, each with its provenance:
// directory trees and standard input here; git history, ranges, staged
// changes and pushed objects as they are added. It knows nothing of rules
// or detection, and never decides whether something is a secret.
package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync/atomic"
	"unicode/utf8"

	"github.com/leakgate/leakgate/leak"
)

// Source yields chunks. A non-nil error with a chunk is per item (an
// unreadable file, say): the iteration goes on. An error wrapping
// ErrFatal ends it.
type Source interface {
	Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error]
	// Stats says what was read and skipped; complete once Chunks is done.
	Stats() Stats
}

// ErrFatal marks errors after which a source cannot go on.
var ErrFatal = errors.New("fatal")

// Stats counts what a source read and what it skipped, and why.
type Stats struct {
	Files      int64 // files (or blobs) read and scanned
	Bytes      int64
	Binary     int64 // skipped: binary content
	TooLarge   int64 // skipped: over the size limit
	Symlinks   int64 // skipped: symbolic links are not followed
	Special    int64 // skipped: devices, sockets, pipes
	Unreadable int64 // could not be read (each also yields an error)
	Cached     int64 // not read: a cache had their findings (git blobs)
}

type counters struct {
	files, bytes, binary, tooLarge, symlinks, special, unreadable atomic.Int64
}

func (c *counters) stats() Stats {
	return Stats{
		Files: c.files.Load(), Bytes: c.bytes.Load(), Binary: c.binary.Load(),
		TooLarge: c.tooLarge.Load(), Symlinks: c.symlinks.Load(), Special: c.special.Load(),
		Unreadable: c.unreadable.Load(),
	}
}

// ChunkSize is the most bytes handed to the detector at once; larger
// inputs are cut at line ends (or, for enormous lines, with an overlap).
const ChunkSize = 4 << 20

// Overlap is how many bytes consecutive chunks share when a cut cannot
// fall on a line end, so that a secret across the cut is still seen whole.
const Overlap = 4096

// IsBinary reports whether data looks binary: a NUL byte in its first
// 8000 bytes, as git decides.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// Split cuts data, whose first byte is at column 1 of line, into pieces of
// at most ChunkSize bytes, preferring line ends (an enormous line is cut
// with an Overlap); yield receives each piece with its offset in data and
// the line and column of its first byte.
func Split(data []byte, line int, yield func(piece []byte, offset int64, line, col int) bool) bool {
	return splitFrom(data, position{line: line, col: 1}, func(piece []byte, off int64, p position) bool {
		return yield(piece, off, p.line, p.col)
	})
}

// split cuts data into chunks of at most ChunkSize bytes, preferring line
// ends; yield receives each piece with its offset and the position of its
// first byte.
func split(data []byte, yield func(piece []byte, offset int64, p position) bool) bool {
	return splitFrom(data, position{line: 1, col: 1}, yield)
}

func splitFrom(data []byte, p position, yield func(piece []byte, offset int64, p position) bool) bool {
	for off := 0; off < len(data); {
		end := off + ChunkSize
		next := end
		if end >= len(data) {
			end, next = len(data), len(data)
		} else {
			cut := lastNewline(data[off:end], ChunkSize/8)
			if cut >= 0 {
				end = off + cut + 1
				next = end
			} else {
				next = end - Overlap
			}
		}
		if !yield(data[off:end], int64(off), p) {
			return false
		}
		p = p.after(data[off:next])
		off = next
	}
	return true
}

func lastNewline(b []byte, within int) int {
	for i := len(b) - 1; i >= 0 && len(b)-i <= within; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// position is a 1-based line and column (in characters).
type position struct{ line, col int }

// after returns the position just after b, which starts at p.
func (p position) after(b []byte) position {
	last := bytes.LastIndexByte(b, '\n')
	if last < 0 {
		p.col += utf8.RuneCount(b)
		return p
	}
	p.line += bytes.Count(b, []byte{'\n'})
	p.col = utf8.RuneCount(b[last+1:]) + 1
	return p
}

// Reader scans one stream, such as standard input, under a display name.
type Reader struct {
	R    io.Reader
	Name string
	c    counters
}

// Stats implements Source.
func (s *Reader) Stats() Stats { return s.c.stats() }

// Chunks implements Source. The stream is read ChunkSize bytes at a time,
// so memory stays bounded whatever its size.
func (s *Reader) Chunks(ctx context.Context) iter.Seq2[leak.Chunk, error] {
	return func(yield func(leak.Chunk, error) bool) {
		in := utf16Stream(s.R)
		buf := make([]byte, 0, ChunkSize+Overlap)
		var offset int64
		pos := position{line: 1, col: 1}
		eof := false
		first := true
		for !eof {
			if ctx.Err() != nil {
				return
			}
			n, err := io.ReadFull(in, buf[len(buf):ChunkSize])
			buf = buf[:len(buf)+n]
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				eof = true
			} else if err != nil {
				s.c.unreadable.Add(1)
				yield(leak.Chunk{}, fmt.Errorf("read %s: %w: %w", s.Name, err, ErrFatal))
				return
			}
			if first {
				first = false
				if IsBinary(buf) {
					s.c.binary.Add(1)
					return
				}
				s.c.files.Add(1)
			}
			s.c.bytes.Add(int64(n))
			piece, keep := buf, 0
			if !eof {
				if cut := lastNewline(buf, ChunkSize/8); cut >= 0 {
					piece = buf[:cut+1]
				} else {
					keep = Overlap
				}
			}
			if len(piece) == 0 {
				continue
			}
			data := make([]byte, len(piece))
			copy(data, piece)
			if !yield(leak.Chunk{Data: data, Origin: leak.Origin{Path: s.Name, Line: pos.line, Column: pos.col}, Offset: offset}, nil) {
				return
			}
			// Carry the unconsumed tail (after the cut, or the overlap).
			consumed := len(piece) - keep
			pos = pos.after(buf[:consumed])
			offset += int64(consumed)
			rest := copy(buf[:cap(buf)], buf[consumed:])
			buf = buf[:rest]
		}
	}
}
