package detect

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

const (
	// minEncodedLen is the shortest base64 run worth decoding (12 bytes
	// decoded): shorter runs are ordinary identifiers.
	minEncodedLen = 16
	// maxEncodedLen bounds one decoded segment (embedded images and the
	// like are skipped beyond it).
	maxEncodedLen = 1 << 20
	// contextBefore is how much of the encoded value's line is kept in front
	// of the decoded text, so that "password: <base64>" keeps its keyword.
	contextBefore = 256
)

var b64Table = func() (t [256]uint8) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" {
		t[c] = 1
	}
	t['+'], t['/'] = 2, 2 // standard alphabet
	t['-'], t['_'] = 3, 3 // URL-safe alphabet
	return t
}()

// segment is an encoded span of the input and its decoded text.
type segment struct {
	start, end int
	layer      string
	decoded    []byte
}

// findEncoded returns the base64 and percent-encoded spans of data whose
// decoded form is text.
//
// It finds the same spans as a byte-by-byte scan that, at each position,
// decodes a percent escape or consumes a whole base64 run (and its '='
// padding), but it jumps: long runs are found by looking at every 16th
// byte (nextLongRun), and escapes with bytes.IndexByte. Between two long
// runs, the byte-by-byte scan would only move over short runs and other
// bytes, and would look at a '%' there unless it directly follows a
// base64 run (nextEscape).
func findEncoded(data []byte) []segment {
	var segs []segment
	n := len(data)
	r, j := -1, -1 // the next long base64 run at or after i, once found
	for i := 0; i < n; {
		if r < i {
			r, j = nextLongRun(data, i)
		}
		if p := nextEscape(data, i, r); p >= 0 {
			if s, ok := percentSegment(data, p); ok {
				segs = append(segs, s)
				i = s.end
				continue
			}
			i = p + 1
			continue
		}
		if r >= n {
			break
		}
		end := j
		for end < n && end-j < 2 && data[end] == '=' {
			end++
		}
		if j-r <= maxEncodedLen {
			var kinds uint8
			for _, c := range data[r:j] {
				kinds |= 1 << b64Table[c]
			}
			if kinds&(1<<2|1<<3) != 1<<2|1<<3 {
				if dec, ok := decodeBase64Text(data[r:j], kinds&(1<<3) != 0); ok {
					segs = append(segs, segment{start: r, end: end, layer: "base64", decoded: dec})
				}
			}
		}
		i = end
		if i == j {
			i = j + 1
		}
	}
	return segs
}

// nextLongRun returns the first run [r, j) of at least minEncodedLen
// base64 bytes that starts at or after from (a run that holds from starts
// there), or (len(data), len(data)). A run that long covers one of every
// minEncodedLen bytes, so only those are looked at until one is in a run.
func nextLongRun(data []byte, from int) (r, j int) {
	n := len(data)
	for k := from; k+minEncodedLen <= n; {
		last := k + minEncodedLen - 1
		if b64Table[data[last]] == 0 {
			k = last + 1
			continue
		}
		// No run of minEncodedLen bytes starts in [k, s), where s is the
		// start of the run that holds last: it would hold s-1.
		s := last
		for s > from && b64Table[data[s-1]] != 0 {
			s--
		}
		e := last + 1
		for e < n && b64Table[data[e]] != 0 {
			e++
		}
		if e-s >= minEncodedLen {
			return s, e
		}
		k = e + 1
	}
	return n, n
}

// nextEscape returns the first '%' in data[from:to] that starts a percent
// escape and that a byte-by-byte scan from from would look at (one that
// does not end a base64 run), or -1.
func nextEscape(data []byte, from, to int) int {
	n := len(data)
	for k := from; k < to; {
		q := bytes.IndexByte(data[k:to], '%')
		if q < 0 {
			return -1
		}
		p := k + q
		if (p == from || b64Table[data[p-1]] == 0) && p+2 < n && isHex(data[p+1]) && isHex(data[p+2]) {
			return p
		}
		k = p + 1
	}
	return -1
}

// decodeBase64Text decodes s when it is valid base64 (either alphabet, with
// or without padding) whose content is mostly printable text.
func decodeBase64Text(s []byte, urlSafe bool) ([]byte, bool) {
	// A cheap look at the first bytes rejects most identifiers and binary
	// blobs before decoding the whole run.
	head := s
	if len(head) > 64 {
		head = head[:64]
	}
	enc := base64.RawStdEncoding
	if urlSafe {
		enc = base64.RawURLEncoding
	}
	var hb [48]byte // 64 bytes of base64, decoded
	if n, err := enc.Decode(hb[:], head[:len(head)&^3]); err != nil || !isText(hb[:n]) {
		return nil, false
	}
	body := s
	if len(body)%4 == 1 {
		return nil, false
	}
	out := make([]byte, enc.DecodedLen(len(body)))
	n, err := enc.Decode(out, body)
	if err != nil || !isText(out[:n]) {
		return nil, false
	}
	return out[:n], true
}

// isText reports whether b is valid UTF-8 of which at least 95% is
// printable or common whitespace.
func isText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	bad := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			bad++
		}
	}
	return bad*20 <= len(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// isURLByte reports bytes that may appear in a percent-encoded run.
func isURLByte(c byte) bool {
	return isIdentByte(c) || c == '%' || c == '.' || c == '-' || c == '~' || c == '+' ||
		c == ':' || c == '/' || c == '@' || c == '=' || c == '&' || c == '?' || c == '!' || c == '*'
}

// percentSegment decodes the URL-ish run containing the escape at i.
func percentSegment(data []byte, i int) (segment, bool) {
	start := i
	for start > 0 && isURLByte(data[start-1]) && i-start < contextBefore {
		start--
	}
	end := i
	for end < len(data) && isURLByte(data[end]) && end-i < maxEncodedLen {
		end++
	}
	out := make([]byte, 0, end-start)
	escapes := 0
	for k := start; k < end; k++ {
		c := data[k]
		if c == '%' && k+2 < end && isHex(data[k+1]) && isHex(data[k+2]) {
			out = append(out, unhex(data[k+1])<<4|unhex(data[k+2]))
			k += 2
			escapes++
			continue
		}
		out = append(out, c)
	}
	if escapes == 0 || !isText(out) {
		return segment{}, false
	}
	return segment{start: start, end: end, layer: "percent", decoded: out}, true
}

// detectDecoded decodes the encoded segments of data and scans them, mapping
// each finding back to the span of the encoded text.
func (d *Detector) detectDecoded(data []byte, path *pathRules, depth int) []candidate {
	var out []candidate
	for _, seg := range findEncoded(data) {
		// Keep the text before the value on its line as context.
		ctxStart := seg.start
		for ctxStart > 0 && seg.start-ctxStart < contextBefore && data[ctxStart-1] != '\n' {
			ctxStart--
		}
		buf := make([]byte, 0, seg.start-ctxStart+len(seg.decoded))
		buf = append(buf, data[ctxStart:seg.start]...)
		prefix := len(buf)
		buf = append(buf, seg.decoded...)
		for _, c := range d.detect(buf, path, depth+1) {
			if c.start < prefix {
				continue // found in the context, which the outer scan covers
			}
			c.start, c.end = seg.start, seg.end
			c.decoded = append([]string{seg.layer}, c.decoded...)
			out = append(out, c)
		}
	}
	return out
}
