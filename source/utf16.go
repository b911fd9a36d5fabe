package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// hasUTF16BOM reports whether data starts with a UTF-16 byte order mark
// (FF FE: little-endian, as Windows writes it; FE FF: big-endian).
func hasUTF16BOM(data []byte) bool {
	return len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF)
}

// utf16Decoder decodes UTF-16 with a byte order mark (which it drops).
func utf16Decoder() transform.Transformer {
	return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
}

// DecodeUTF16 returns data as UTF-8 when it is UTF-16 text that starts
// with a byte order mark: PowerShell 5's Out-File, regedit exports and
// many Windows tools write files so, and their NUL bytes would otherwise
// have them skipped as binary. Data that decodes to NUL characters (UTF-32
// starts with the same mark) or to many invalid sequences is not text: ok
// is false. Lines keep their numbers; columns count the decoded text.
func DecodeUTF16(data []byte) (text []byte, ok bool) {
	text, _, ok = decodeUTF16(data)
	return text, ok
}

// decodeUTF16 is DecodeUTF16, and the byte order data was in (what
// encodes text back to data: see markUTF16Prior).
func decodeUTF16(data []byte) (text []byte, order binary.AppendByteOrder, ok bool) {
	if !hasUTF16BOM(data) {
		return nil, nil, false
	}
	order = binary.LittleEndian
	if data[0] == 0xFE {
		order = binary.BigEndian
	}
	out, _, err := transform.Bytes(utf16Decoder(), data)
	if err != nil || !isText(out) {
		return nil, nil, false
	}
	return out, order, true
}

// isText reports whether decoded UTF-16 is text: no NUL character, and
// one invalid sequence (U+FFFD) at most, or one in a hundred characters.
func isText(out []byte) bool {
	if bytes.IndexByte(out, 0) >= 0 {
		return false
	}
	bad := bytes.Count(out, []byte(string(utf8.RuneError)))
	return bad <= 1 || bad*100 <= utf8.RuneCount(out)
}

// utf16Stream returns r decoded to UTF-8 when it starts with a UTF-16 byte
// order mark, else r as it was (nothing consumed).
func utf16Stream(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); hasUTF16BOM(head) {
		return transform.NewReader(br, utf16Decoder())
	}
	return br
}

// encodeUTF16 is text as UTF-16 in order, with a byte order mark.
func encodeUTF16(text []byte, order binary.AppendByteOrder) []byte {
	out := order.AppendUint16(make([]byte, 0, 2+2*len(text)), 0xFEFF)
	for _, u := range utf16.Encode([]rune(string(text))) {
		out = order.AppendUint16(out, u)
	}
	return out
}
