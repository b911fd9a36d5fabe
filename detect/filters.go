package detect

import (
	"bytes"
	"hash/crc32"
	"math"
	"strings"
)

var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// toLowerASCII writes src with ASCII letters lowered into dst (same length).
func toLowerASCII(dst, src []byte) {
	_ = dst[len(src)-1]
	for i, b := range src {
		dst[i] = lowerTable[b]
	}
}

// ShannonEntropy returns the Shannon entropy of s in bits per byte.
func ShannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62CRC32 returns the 6-character base62 CRC-32 (IEEE) checksum of s, as
// GitHub and npm tokens carry it in their last six characters.
func Base62CRC32(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(out[:])
}

// ValidChecksum applies a named offline checksum validator. "github" and
// "npm" tokens are prefix + 30 random base62 characters + a 6-character
// base62 CRC-32 of those 30 (PROVIDERS.md §1.1). Tokens whose length is not
// the classic 40 characters cannot be checked and pass.
func ValidChecksum(kind, token string) bool {
	switch kind {
	case "github", "npm":
		i := strings.IndexByte(token, '_')
		if i < 0 || len(token)-i-1 != 36 {
			return true
		}
		body := token[i+1 : len(token)-6]
		return Base62CRC32(body) == token[len(token)-6:]
	}
	return true
}

// IsReference reports whether a value refers to a secret kept elsewhere
// rather than being one: environment and template variables, secret-manager
// URIs and ARNs.
func IsReference(v string) bool {
	if strings.Contains(v, "${") || strings.Contains(v, "{{") || strings.Contains(v, "#{") ||
		strings.Contains(v, "<%") || strings.Contains(v, "%(") {
		return true
	}
	lower := strings.ToLower(v)
	for _, p := range []string{"op://", "vault:", "arn:aws:secretsmanager:", "arn:aws:ssm:", "secretsmanager:", "projects/", "akv://", "sm://", "gcp:secretmanager", "azurekeyvault", "keyvault:", "env:", "process.env", "os.environ", "getenv"} {
		if strings.HasPrefix(lower, p) || (len(p) > 6 && strings.Contains(lower, p)) {
			return true
		}
	}
	// $VAR, $(cmd), %VAR%
	if len(v) > 1 && v[0] == '$' && (isIdentByte(v[1]) || v[1] == '(') {
		return true
	}
	if len(v) > 2 && v[0] == '%' && v[len(v)-1] == '%' {
		return true
	}
	return false
}

func isIdentByte(b byte) bool {
	return b == '_' || 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9'
}

// placeholderWords are substrings that mark a value as a placeholder in any
// rule.
var placeholderWords = []string{
	"changeme", "change_me", "change-me", "xxxxx", "*****", "your_", "your-", "yourkey", "yoursecret",
	"yourtoken", "yourpassword", "placeholder", "redacted", "replace_me", "replace-me", "replaceme",
	"insert_", "insert-", "<your", "enter_your", "put_your", "todo_", "dummy", "example", "sample",
	"not_a_real", "notarealkey", "notreal", "fake_", "fakekey", "faketoken", "000000000", "123456789",
	"abcdefghij", "...",
}

// IsPlaceholder reports whether a value is an obvious placeholder:
// changeme, xxxx, <your-key>, a single repeated character, and the like.
func IsPlaceholder(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == '<' && v[len(v)-1] == '>' || v[0] == '[' && v[len(v)-1] == ']' {
		return true
	}
	lower := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return distinctBytes(v) <= 2
}

func distinctBytes(v string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(v); i++ {
		if !seen[v[i]] {
			seen[v[i]] = true
			n++
		}
	}
	return n
}

// weakWords mark values that generic (keyword-context) rules should not
// report: test data, well-known defaults and words that appear in code.
var weakWords = []string{
	"password", "passwd", "secret", "token", "apikey", "api_key", "test", "demo", "foo", "bar",
	"baz", "qwerty", "asdf", "letmein", "welcome", "admin", "default", "null", "none", "true",
	"false", "undefined", "string", "localhost", "mock", "stub", "lorem", "hunter2", "pass123",
	"example", "sample", "invalid", "private", "public", "config", "value", "hello", "world",
}

// IsWeakValue reports whether a generic rule's candidate looks like test
// data, a default or code rather than a secret.
func IsWeakValue(v string) bool {
	lower := strings.ToLower(v)
	for _, w := range weakWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// exampleKeys are secrets published in providers' documentation.
var exampleKeys = []string{
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	"ASIAIOSFODNN7EXAMPLE",
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
	"pk_test_TYooMQauvdEDq54NiTphI7jx",
}

// IsExampleKey reports whether a value is a documented example key, such
// as AWS's AKIAIOSFODNN7EXAMPLE.
func IsExampleKey(v string) bool {
	for _, k := range exampleKeys {
		if v == k {
			return true
		}
	}
	return strings.HasSuffix(v, "EXAMPLE") || strings.HasSuffix(v, "EXAMPLEKEY")
}

var allowMarkers = [][]byte{[]byte("leakgate:allow"), []byte("gitleaks:allow")}

func containsAllowMarker(line []byte) bool {
	for _, m := range allowMarkers {
		if bytes.Contains(line, m) {
			return true
		}
	}
	return false
}
