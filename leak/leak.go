// Package leak is leakgate's shared vocabulary: what a finding is, where it
// was found, and the Secret type that redacts itself wherever it is printed,
// logged or marshalled. It has no dependencies on the rest of leakgate and
// must never gain any: every other package imports it.
package leak

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Secret holds the raw bytes of a found secret. Every way of printing it
// (String, Format, MarshalJSON, MarshalText, slog) yields the redacted form;
// only Reveal returns the raw value. Carry secrets in this type so that
// redaction is a property of the type, not of remembering to redact.
type Secret struct{ raw string }

// NewSecret wraps a raw secret value.
func NewSecret(raw string) Secret { return Secret{raw: raw} }

// Reveal returns the raw secret. Call it only where the secret must leave
// the process on purpose: --no-redact output or a provider's own host.
func (s Secret) Reveal() string { return s.raw }

// Len is the length of the raw secret in bytes.
func (s Secret) Len() int { return len(s.raw) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.raw == "" }

// Redacted returns the form shown to people: a short, non-secret prefix
// (at most 4 characters, never more than a quarter of the value) followed by
// "****". Well-known token prefixes such as "ghp_" survive, which tells a
// reader what kind of secret it is without helping an attacker.
func (s Secret) Redacted() string {
	return Redact(s.raw)
}

// Redact returns the redacted form of any raw secret string.
func Redact(raw string) string {
	keep := len(raw) / 4
	if keep > 4 {
		keep = 4
	}
	// Never cut a multi-byte UTF-8 character in half.
	for keep > 0 && keep < len(raw) && raw[keep]&0xC0 == 0x80 {
		keep--
	}
	return raw[:keep] + "****"
}

// String implements fmt.Stringer with the redacted form.
func (s Secret) String() string { return s.Redacted() }

// GoString keeps %#v from printing the raw value.
func (s Secret) GoString() string { return fmt.Sprintf("leak.Secret(%q)", s.Redacted()) }

// Format makes every fmt verb (%v, %s, %q, %x, %+v ...) print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.Redacted())
	default:
		fmt.Fprint(f, s.Redacted())
	}
}

// MarshalText implements encoding.TextMarshaler with the redacted form, so
// JSON, TOML and YAML encoders never see the raw value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Redacted()), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Redacted()) }

// Status is the verification state of a finding.
type Status string

// The verification states. Only an explicitly recognised provider answer
// makes a secret Live or Dead; anything else is Unknown.
const (
	Unchecked Status = "unchecked"
	Live      Status = "live"
	Dead      Status = "dead"
	Unknown   Status = "unknown"
)

// Origin says where a finding was found. Commit, Author, Email and Time are
// set only for findings from git history.
type Origin struct {
	Repo   string    `json:"-"`
	Commit string    `json:"commit,omitempty"`
	Author string    `json:"author,omitempty"`
	Email  string    `json:"email,omitempty"`
	Time   time.Time `json:"-"`
	Path   string    `json:"file"`
	Line   int       `json:"line"`
	Column int       `json:"column"`
}

// Finding is one secret found at one place.
type Finding struct {
	RuleID      string
	Description string
	Secret      Secret
	Fingerprint string
	Origin      Origin
	// Offset and End are the byte offsets of the secret in the scanned chunk
	// (for a decoded secret: of the encoded text that contained it).
	Offset, End int
	// Entropy is the Shannon entropy of the secret in bits per byte.
	Entropy float64
	// Decoded names the decoding layers the secret was found under, outermost
	// first ("base64", "percent"); empty for a secret found as written.
	Decoded  []string
	Tags     []string
	Status   Status
	Identity string
	// StatusReason explains an unknown status.
	StatusReason string
	CheckedAt    time.Time
	// Context is the text of the line around a secret found as written (at
	// most MaxContext bytes): a verifier that needs more than the secret
	// reads it there (a database password needs its URL). It is as
	// dangerous as the secret, so it is a Secret, and reports never show it.
	Context Secret
}

// Scrub replaces every secret in s by its redacted form: as written, and
// as a query string, a URL path or URL user info would encode it. Error
// texts pass through it before they are shown or logged, because a library
// may quote a request (or a connection string) that carried the secret.
// Secrets shorter than 4 bytes are left alone.
func Scrub(s string, secrets ...Secret) string {
	for _, sec := range secrets {
		if sec.Len() < 4 {
			continue
		}
		raw := sec.Reveal()
		for _, form := range []string{raw, url.QueryEscape(raw), url.PathEscape(raw), url.UserPassword("x", raw).String()[2:]} {
			if len(form) >= 4 {
				s = strings.ReplaceAll(s, form, sec.Redacted())
			}
		}
	}
	return s
}

// MaxContext bounds Finding.Context.
const MaxContext = 1024

// Fingerprint is the stable identity of a secret found by a rule: the hex
// SHA-256 of the rule id and the raw secret. It survives line moves, rebases
// and copies; one secret in five places has one fingerprint.
func Fingerprint(ruleID, secret string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// Less orders findings deterministically: by path, line, column, rule,
// commit, then fingerprint.
func Less(a, b *Finding) bool {
	if a.Origin.Path != b.Origin.Path {
		return a.Origin.Path < b.Origin.Path
	}
	if a.Origin.Line != b.Origin.Line {
		return a.Origin.Line < b.Origin.Line
	}
	if a.Origin.Column != b.Origin.Column {
		return a.Origin.Column < b.Origin.Column
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	if a.Origin.Commit != b.Origin.Commit {
		return a.Origin.Commit < b.Origin.Commit
	}
	return strings.Compare(a.Fingerprint, b.Fingerprint) < 0
}

// Chunk is a piece of text to scan and where it came from. Sources produce
// chunks; the detector turns them into findings, copying Origin into each
// finding and filling in Line and Column.
type Chunk struct {
	Data []byte
	// Origin's Path, Commit, Author, Email and Time describe the chunk;
	// Origin.Line is the 1-based line number of Data[0] (0 means 1) and
	// Origin.Column its 1-based column (0 means 1), for chunks cut from the
	// middle of a large file or line.
	Origin Origin
	// Offset is the byte offset of Data[0] in the whole file.
	Offset int64
	// Blob is the git object id of the content, for chunks from git; empty
	// otherwise. A chunk with a Blob and no Data stands for content that was
	// not read because the source was told it is already scanned (a cache
	// hit): its findings come from the cache.
	Blob string
	// Also lists the other places where the same content was found (the
	// same blob at other paths or commits). The content is scanned once and
	// each of its findings is reported at Origin and at every place in Also.
	Also []Origin
	// Narrow, when set, says which parts of Data are new: a blob from git
	// history that changed an earlier version of its file is scanned only
	// where its lines differ from that version (plus a few lines of
	// context), and only findings that touch a changed line are kept, so
	// that a secret is reported by the commit that added it, not again by
	// every later commit that edits the file. Narrow may wait for the
	// earlier version's chunk to be narrowed: a consumer must call it
	// exactly once for every chunk that has it, before detection, from a
	// goroutine that does not hold up chunks yielded earlier. keep is nil
	// when every finding is kept; regions nil means nothing to scan.
	Narrow func() (regions []Region, keep func(start, end int) bool)
}

// Region is a part of a chunk's Data to scan: Data[Start:End], which
// begins a line; Line is the 1-based number of that line in the file.
type Region struct{ Start, End, Line int }
