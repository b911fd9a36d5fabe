package rules

import (
	"bytes"
	"io/fs"
	"regexp"
	"sort"
)

// Scans load the built-in rules without their examples and counterexamples
// (Lean): more than half of the rule files' bytes, read only by `leakgate
// rules test` and the tests, and decoding TOML is most of loading the
// rules, which a git hook does on every push. The arrays are cut out of
// the text before decoding. The built-in files are this package's own, and
// TestLeanMatchesDefault checks, file by file, that the cut text decodes to
// the same rules less their examples.

// exampleKey matches the start of an examples or counterexamples entry.
var exampleKey = regexp.MustCompile(`^[ \t]*(examples|counterexamples)[ \t]*=[ \t]*\[`)

// stripExamples returns data without its examples and counterexamples
// entries (each from its key to the end of the line that closes its
// array). Text it cannot follow is returned whole.
func stripExamples(data []byte) []byte {
	out := make([]byte, 0, len(data)/2)
	for rest := data; len(rest) > 0; {
		end := bytes.IndexByte(rest, '\n') + 1
		if end == 0 {
			end = len(rest)
		}
		m := exampleKey.FindIndex(rest[:end])
		if m == nil {
			out = append(out, rest[:end]...)
			rest = rest[end:]
			continue
		}
		n := arrayEnd(rest, m[1]-1)
		if n < 0 {
			return data
		}
		// Drop the rest of the closing line too (a comment, the newline).
		if nl := bytes.IndexByte(rest[n:], '\n'); nl >= 0 {
			n += nl + 1
		} else {
			n = len(rest)
		}
		rest = rest[n:]
	}
	return out
}

// arrayEnd returns the offset just past the ']' that closes the TOML
// array opening at data[open] ('['), skipping strings of the four kinds
// and comments; -1 if there is none.
func arrayEnd(data []byte, open int) int {
	depth := 0
	for i := open; i < len(data); {
		switch c := data[i]; {
		case bytes.HasPrefix(data[i:], []byte(`'''`)):
			j := bytes.Index(data[i+3:], []byte(`'''`))
			if j < 0 {
				return -1
			}
			i += 3 + j + 3
			for i < len(data) && data[i] == '\'' { // up to two quotes end the string
				i++
			}
		case bytes.HasPrefix(data[i:], []byte(`"""`)):
			j := closingQuote(data, i+3, `"""`)
			if j < 0 {
				return -1
			}
			i = j
			for i < len(data) && data[i] == '"' {
				i++
			}
		case c == '\'':
			j := bytes.IndexByte(data[i+1:], '\'')
			if j < 0 {
				return -1
			}
			i += 1 + j + 1
		case c == '"':
			if i = closingQuote(data, i+1, `"`); i < 0 {
				return -1
			}
		case c == '#':
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				return -1
			}
			i += j
		case c == '[':
			depth++
			i++
		case c == ']':
			depth--
			i++
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return -1
}

// closingQuote returns the offset past the first q in data[from:] that a
// backslash does not escape, or -1.
func closingQuote(data []byte, from int, q string) int {
	for i := from; i < len(data); i++ {
		switch {
		case data[i] == '\\':
			i++
		case bytes.HasPrefix(data[i:], []byte(q)):
			return i + len(q)
		}
	}
	return -1
}

// The lean rules also come ready-decoded: lean_gen.go holds them as Go
// values, written from the rule files by
//
//	go test ./rules -run TestLeanGenerated -update
//
// which costs a scan's start-up nothing to decode (TOML was 13 ms of its
// 25 ms). They are used only when the version they were written from is
// that of the embedded files, so an edited rule file without a new
// lean_gen.go is decoded as before (and TestLeanGenerated fails).

// generatedLean returns the lean set built by gen, when version is that
// of the rule files default/*.toml in fsys; nil otherwise.
func generatedLean(fsys fs.FS, version string, gen func() ([]*Rule, Allowlist)) *Set {
	files, err := fs.Glob(fsys, "default/*.toml")
	if err != nil || len(files) == 0 {
		return nil
	}
	sort.Strings(files)
	data := make([][]byte, len(files))
	for i, name := range files {
		if data[i], err = fs.ReadFile(fsys, name); err != nil {
			return nil
		}
	}
	if filesVersion(files, data) != version {
		return nil
	}
	all, allow := gen()
	for _, r := range all {
		if r == nil || r.validate(false) != nil {
			return nil
		}
	}
	s, err := newSet(all, allow, version)
	if err != nil {
		return nil
	}
	return s
}
