package detect

import (
	"bytes"
	"hash/crc32"
	"math"
	"regexp"
	"strings"
	"unicode"
)

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

// referencePrefixes start a reference to a secret kept elsewhere; the longer
// ones (more than 6 bytes) mark a reference anywhere in the value.
var referencePrefixes = []string{
	"op://", "vault:", "arn:aws:secretsmanager:", "arn:aws:ssm:", "secretsmanager:", "projects/", "akv://",
	"sm://", "gcp:secretmanager", "azurekeyvault", "keyvault:", "env:", "process.env", "os.environ", "getenv",
	"@microsoft.keyvault(", "ref+", "enc[aes256_gcm", "$ansible_vault", "secretref:", "doppler://",
	"infisical://", "bws://", "awssm:", "gcpsm:", "azkv:",
}

// IsReference reports whether a value refers to a secret kept elsewhere
// rather than being one: environment and template variables, command
// substitutions ($(cat file)), kubectl's JSONPath ({.path}), printf verbs,
// secret-manager URIs and ARNs.
func IsReference(v string) bool {
	if strings.Contains(v, "${") || strings.Contains(v, "{{") || strings.Contains(v, "#{") ||
		strings.Contains(v, "<%") || strings.Contains(v, "%(") || hasCommandSubstitution(v) || strings.HasPrefix(v, "{.") ||
		hasFormatVerb(v) {
		return true
	}
	lower := strings.ToLower(v)
	for _, p := range referencePrefixes {
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

// hasCommandSubstitution reports $( followed by a command name of two
// lower-case letters or more and then a space, a ) or the end: $(dirname,
// $(cat /run/secrets/db), $(go env GOARCH). A password may hold "$(" too
// (Qz7$(k2Lp9W).
func hasCommandSubstitution(v string) bool {
	for i := strings.Index(v, "$("); i >= 0; {
		j := i + 2
		for j < len(v) && isLower(v[j]) {
			j++
		}
		if j-i-2 >= 2 && (j == len(v) || v[j] == ' ' || v[j] == ')') {
			return true
		}
		k := strings.Index(v[i+2:], "$(")
		if k < 0 {
			break
		}
		i += 2 + k
	}
	return false
}

// hasFormatVerb reports a printf verb (%s, %d, %v, %q) in v that stands
// apart from letters and digits: a template such as SESSION_SECRET_OF_%s
// or key-%d-x, filled in elsewhere. (%% is not a verb; in Hq7%sTz!2 the
// % is part of a password.)
func hasFormatVerb(v string) bool {
	alnum := func(k int) bool { return k >= 0 && k < len(v) && (isIdentByte(v[k]) && v[k] != '_') }
	for i := strings.IndexByte(v, '%'); i >= 0 && i+1 < len(v); {
		switch v[i+1] {
		case 's', 'd', 'v', 'q':
			if !alnum(i-1) && !alnum(i+2) {
				return true
			}
		case '%':
			i++
		}
		j := strings.IndexByte(v[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isIdentByte(b byte) bool {
	return b == '_' || 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9'
}

// placeholderWords are substrings that mark a value as a placeholder in any
// rule.
var placeholderWords = []string{
	"changeme", "change_me", "change-me", "changeit", "xxxxx", "*****", "your_", "your-", "yourkey", "yoursecret",
	"yourtoken", "yourpassword", "yourapikey", "placeholder", "redacted", "replace_me", "replace-me", "replaceme",
	"insert_", "insert-", "<your", "enter_your", "enter-your", "put_your", "put-your", "todo_", "dummy", "example", "sample",
	"not_a_real", "not-a-real", "notarealkey", "notreal", "not_real", "not-real", "fake_", "fake-", "fakekey", "faketoken",
	"000000000", "123456789", "abcdefghij", "...", "goes_here", "goes-here", "_here", "-here",
	"my_api_key", "my-api-key", "myapikey", "my_secret", "my-secret", "mysecret", "supersecret", "super_secret",
	"super-secret", "s3cr3t", "p@ssw0rd", "passw0rd",
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
	return distinctBytes(v) <= 2 || isSequence(v)
}

// isSequence reports values of twelve bytes or more made of a counting
// sequence: the letters run through the alphabet and the digits count up
// (A1B2C3D4E5F6G7H8I9J0, abcd1234efgh, 0123456789ab), as people type
// placeholders. Random values never do; shorter ones (Abcd1234) are weak
// passwords, which are still reported.
func isSequence(v string) bool {
	var letters, digits []byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			digits = append(digits, c)
		case isUpper(c) || isLower(c):
			letters = append(letters, c|0x20)
		default:
			return false
		}
	}
	counts := func(b []byte, wrap bool) bool {
		for i := 1; i < len(b); i++ {
			if b[i] != b[i-1]+1 && !(wrap && b[i-1] == '9' && b[i] == '0') {
				return false
			}
		}
		return true
	}
	return len(v) >= 12 && counts(letters, false) && counts(digits, true)
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
	"dummy", "fake", "pass", "local", "dev", "staging", "prod", "secure", "random", "generated",
	"insecure", "unsafe", "todo", "fixme", "temp", "tmp", "key",
	// "password" in other languages, as translation files label fields.
	"wachtwoord", "passwort", "kennwort", "contraseña", "contrasena", "senha", "parola", "haslo", "hasło",
	"lösenord", "losenord", "salasana", "adgangskode", "passord", "heslo", "jelszó", "jelszo", "lykilorð",
	"motdepasse", "mot de passe", "sifre", "şifre", "parolă", "geslo", "lozinka",
}

// publicPrefixes start values that are meant to be public: publishable and
// client-side keys. Generic rules do not report them.
var publicPrefixes = []string{"pk_live_", "pk_test_", "phc_", "pk.eyj", "pub-", "public-", "publishable"}

// IsWeakValue reports whether a generic rule's candidate looks like test
// data, a default, a public key or code rather than a secret.
//
// A weak word (test, secret, admin ...) marks a value only when what is
// left without the weak words does not look random: "test-secret-123" and
// "my_local_dev_token" are weak, a 40-character random token that happens
// to contain "bar" is not.
func IsWeakValue(v string) bool {
	lower := strings.ToLower(v)
	if len(lower) != len(v) {
		// Invalid UTF-8 (lowered to U+FFFD) or a character such as the
		// Kelvin sign whose lower case is shorter: the weak-word offsets
		// below index v, so lower only ASCII letters.
		lower = asciiLower(v)
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	// Stripe PaymentIntent and SetupIntent client secrets are handed to the
	// browser by design.
	if (strings.HasPrefix(v, "pi_") || strings.HasPrefix(v, "seti_")) && strings.Contains(v, "_secret_") {
		return true
	}
	if LooksLikeCode(v) || isDigits(v) || isForeignText(v) || hasLongRepeat(v) {
		return true
	}
	residue := []byte(v)
	hit := false
	for _, w := range weakWords {
		for i := 0; ; {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			hit = true
			for k := i + j; k < i+j+len(w); k++ {
				residue[k] = ' '
			}
			i += j + len(w)
		}
	}
	return hit && !looksRandom(residue)
}

// isForeignText reports translated labels and sentences, as translation
// files hold next to a "password" key: values whose letters are mostly of
// a script other than Latin (Greek, Cyrillic, Arabic, Japanese ...)
// without digits, or with three Chinese or Japanese characters at least.
// A password with a Cyrillic letter or two (a keyboard layout slip), or a
// word and digits (Пароль2024Зима), is still reported.
func isForeignText(v string) bool {
	letters, foreign, cjk, digits := 0, 0, 0, 0
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters++
			if r >= 0x370 {
				foreign++
			}
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
				cjk++
			}
		case unicode.IsDigit(r):
			digits++
		}
	}
	return foreign*2 >= letters && foreign > 0 && (digits == 0 || cjk >= 3)
}

// hasLongRepeat reports a run of twelve or more identical bytes
// (AAAAAAAAAAAAAAAAAAAA/20230719/us-east-1/sts, a key zeroed out for a
// test). Only generic rules ask: base64 key material, such as an OpenSSH
// private key, can hold such runs.
func hasLongRepeat(v string) bool {
	run := 1
	for i := 1; i < len(v); i++ {
		if v[i] == v[i-1] {
			if run++; run >= 12 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

func asciiLower(v string) string {
	b := []byte(v)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// looksRandom reports whether the letters and digits of b look like a
// random string rather than words: long enough, varied enough, and
// switching between upper case, lower case and digits often, as random
// base62, hex and base64 do and words and version numbers do not.
func looksRandom(b []byte) bool {
	var alnum []byte
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			alnum = append(alnum, c)
		}
	}
	if len(alnum) < 12 || ShannonEntropy(string(alnum)) < 3.0 {
		return false
	}
	runs := 1
	for i := 1; i < len(alnum); i++ {
		if charClass(alnum[i]) != charClass(alnum[i-1]) {
			runs++
		}
	}
	return runs*4 >= len(alnum)
}

func charClass(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return 0
	case 'A' <= c && c <= 'Z':
		return 1
	}
	return 2
}

// LooksLikeCode reports whether a value is more likely an identifier, a
// member access, a file name or a few words than a secret:
// t.headers.Authorization, RootManageSharedAccessKey, ACCESS_TOKEN_COOKIE,
// my-app-secret-volume, PBKDF2WithHmacSHA256, certs/server.key.
func LooksLikeCode(v string) bool {
	if v == "" {
		return false
	}
	if isFileName(v) || isTimestamp(v) || isConstantName(v) || isQualifiedName(v) {
		return true
	}
	if strings.IndexByte(v, '.') > 0 && isMemberAccess(v) {
		return true
	}
	// Separated words up to an = (error_description=): the regexes take =
	// in for base64 padding, which random base64 may end with too.
	if t := strings.TrimRight(v, "="); t != v && strings.ContainsAny(t, "_-.") {
		v = t
	}
	return isWords(v)
}

// isVariable reports whether the value at match[at:at+n], a generic rule's
// candidate, is a variable passed on, not a literal: unquoted, followed by
// a comma or a parenthesis, and made of words (Credentials:
// v4aCredentialProvider, and AddMember("OAuth2Credentials",
// OAuth2Credentials)). Unquoted values
// elsewhere (.env files, YAML, command lines) are left to the other
// filters: about 2 in 1,000 random 16-byte base62 values pass
// isCamelWords.
func isVariable(match string, at, n int) bool {
	if at < 0 || at+n > len(match) {
		return false
	}
	after := match[at+n:]
	if after == "" || after[0] != ',' && after[0] != ')' {
		return false
	}
	if at > 0 && strings.IndexByte("\"'`", match[at-1]) >= 0 {
		return false
	}
	return isCamelWords(match[at : at+n])
}

// maxNameLine is how far back on its line spellsName looks for a name.
const maxNameLine = 256

// spellsName reports a value that is the name of something written before
// it on its line (in before, the line up to the rule's match, or in key,
// the match up to the value), not a secret. Two shapes only, since a
// secret can resemble a name on its line in many ways (written twice, or
// a password made from a user name):
//
//   - an enum constant's value: lower-case words of letters or of digits
//     joined by '-' or '_' (two words or more, one of three letters or
//     more), whose letters and digits end a longer name before it, case
//     aside: passwordAuthenticationSCRAMSHA256 passwordAuthentication =
//     "scram-sha-256", PreviewEPSBankBrullKallmusBankAg ... =
//     "brull_kallmus_bank_ag";
//   - a placeholder that wraps a name written before it, made of words
//     (isCamelWords), in double underscores:
//     <ServiceSpecificCredentialId>__ServiceSpecificCredentialId__.
func spellsName(before []byte, key, value string) bool {
	if inner, ok := strings.CutPrefix(value, "__"); ok {
		if inner, ok = strings.CutSuffix(inner, "__"); ok && isIdent(inner) && isCamelWords(inner) {
			return hasName(before, key, func(name []byte) bool { return string(name) == inner })
		}
		return false
	}
	words, letters := 0, false
	v := make([]byte, 0, len(value))
	for _, w := range strings.FieldsFunc(value, func(r rune) bool { return r == '-' || r == '_' }) {
		switch {
		case isLowerWord(w):
			letters = letters || len(w) >= 3
		case isDigits(w):
		default:
			return false
		}
		words++
		v = append(v, w...)
	}
	if words < 2 || !letters || len(v) < 6 || strings.Trim(value, "-_") != value {
		return false
	}
	return hasName(before, key, func(name []byte) bool {
		if len(name) <= len(v) {
			return false
		}
		tail := name[len(name)-len(v):]
		for i := range tail {
			if lowerASCII(tail[i]) != v[i] {
				return false
			}
		}
		return true
	})
}

// hasName says whether one of the names (runs of letters, digits and
// underscores, underscores dropped but for a name given whole to match)
// in before or key matches.
func hasName(before []byte, key string, match func(name []byte) bool) bool {
	check := func(text []byte) bool {
		var name []byte
		from := 0 // where the current name starts
		for i := 0; i <= len(text); i++ {
			if i < len(text) && isIdentByte(text[i]) {
				continue
			}
			if from < i {
				whole := text[from:i]
				name = name[:0]
				for _, c := range whole {
					if c != '_' {
						name = append(name, c)
					}
				}
				if match(whole) || match(name) {
					return true
				}
			}
			from = i + 1
		}
		return false
	}
	return check(before) || check([]byte(key))
}

func isLowerWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isLower(w[i]) {
			return false
		}
	}
	return w != ""
}

func isIdent(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isIdentByte(w[i]) {
			return false
		}
	}
	return w != ""
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isCamelWords reports camelCase identifiers made mostly of words: split
// at underscores, digits and case changes (OAuth splits as O, Auth), three
// quarters of the letters at least are in two or more pieces of 4 to 12
// letters, a capital and lower case or all lower case, a fifth of each
// piece's letters and three tenths of all their letters vowels, as in
// English words (random letters have fewer):
// v4aCredentialProvider, ErrLifetimeWatcherNoSecretData,
// PipelineExecutionSteps. Random tokens break into short pieces. Values
// shorter than 12 bytes and values with other symbols are not judged.
func isCamelWords(v string) bool {
	if len(v) < 12 {
		return false
	}
	letters, words, pieces, vows, upper := 0, 0, 0, 0, false
	start := 0
	piece := func(end int) {
		p := v[start:end]
		start = end
		if len(p) < 4 || len(p) > 12 || !isUpper(p[0]) && !isLower(p[0]) || vowels(p)*5 < len(p) {
			return
		}
		for i := 1; i < len(p); i++ {
			if !isLower(p[i]) {
				return
			}
		}
		words += len(p)
		vows += vowels(p)
		pieces++
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isIdentByte(c) {
			return false
		}
		if isUpper(c) || isLower(c) {
			letters++
		}
		upper = upper || isUpper(c)
		if i == start {
			continue
		}
		prev := v[i-1]
		switch {
		case c == '_' || prev == '_' || isDigit(c) != isDigit(prev):
		case isLower(prev) && isUpper(c):
		case isUpper(prev) && isUpper(c) && i+1 < len(v) && isLower(v[i+1]):
		default:
			continue
		}
		piece(i)
	}
	piece(len(v))
	return upper && pieces >= 2 && words*4 >= letters*3 && vows*10 >= words*3
}

// isTimestamp reports dates and times in ISO 8601 form:
// 2016-11-06T15:32:17.000000, 2024-01-01 00:00:00Z.
func isTimestamp(v string) bool {
	return timestamp.MatchString(v)
}

var timestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$`)

// isConstantName reports upper-case identifiers: short parts joined by
// underscores, each starting with a letter (or a number, after the first),
// digits allowed in them, parts of four letters or more with a vowel,
// and one such word at least: POSTGRES_MD5, POSTGRES_SCRAM_SHA_256,
// KAFKA_SASL_GSSAPI_KRB5_CONF. Random upper-case tokens (base32, hex) have
// no underscores; random ones with underscores mostly have long parts,
// or vowelless ones.
func isConstantName(v string) bool {
	parts := strings.Split(v, "_")
	if len(parts) < 2 {
		return false
	}
	word := false
	for k, p := range parts {
		if p == "" || len(p) > 10 || !isUpper(p[0]) && !(k > 0 && isDigits(p)) {
			return false
		}
		letters := 0
		for i := 0; i < len(p); i++ {
			switch c := p[i]; {
			case isUpper(c):
				letters++
			case !isDigit(c):
				return false
			}
		}
		if letters >= 4 {
			if vowels(p) == 0 {
				return false
			}
			word = true
		}
	}
	return word
}

// isQualifiedName reports a name qualified by a DNS domain, as Kubernetes
// writes annotation keys and API groups:
// flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares,
// client.authentication.k8s.io/exec.
func isQualifiedName(v string) bool {
	return qualifiedName.MatchString(v)
}

var qualifiedName = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}/[a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?$`)

// isMemberAccess reports dotted identifier paths such as
// this.options.accessKey or settings.SECRET_KEY: every segment an
// identifier of at most 30 bytes, at least one of them a plain word.
func isMemberAccess(v string) bool {
	word := false
	for _, seg := range strings.Split(v, ".") {
		seg = strings.TrimSuffix(seg, "()")
		if seg == "" || len(seg) > 30 || '0' <= seg[0] && seg[0] <= '9' {
			return false
		}
		letters := true
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !isIdentByte(c) && c != '$' {
				return false
			}
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
				letters = false
			}
		}
		if letters && len(seg) >= 3 {
			word = true
		}
	}
	return word
}

// isWords reports whether v is made of words: split at _ - . / : and at
// camelCase and letter-digit boundaries, every piece is a lowercase or
// capitalised word (a quarter of it vowels, when longer than two letters),
// an acronym, or one of at most two numbers of at most four digits, and
// words make up a third
// of the value at least: RootManageSharedAccessKey,
// passwordResetEmailTemplateV2, orders/v2/secret-key-derivation. Random
// strings almost never split that way. Values shorter than 12 bytes and
// values with other symbols are not judged.
func isWords(v string) bool {
	if len(v) < 12 {
		return false
	}
	var pieces []string
	start := 0
	for i := 1; i <= len(v); i++ {
		if i < len(v) {
			a, b := v[i-1], v[i]
			if !isIdentByte(b) && !isSep(b) || !isIdentByte(a) && !isSep(a) {
				return false
			}
			if isSep(a) == isSep(b) && isDigit(a) == isDigit(b) && !(isLower(a) && isUpper(b)) {
				continue
			}
		}
		if !isSep(v[start]) {
			pieces = append(pieces, v[start:i])
		}
		start = i
	}
	digits := strings.ContainsAny(v, "0123456789")
	if digits && strings.ToLower(v) == v && !strings.ContainsAny(v, "_-./:") {
		return false // lower-case letters and digits: random, or a hash
	}
	acronym := func(p string, k int) bool {
		if len(p) == 1 {
			// A lone capital: the last piece, or before a number (V2).
			return k == len(pieces)-1 || isDigit(pieces[k+1][0])
		}
		return !digits || len(p) <= 5
	}
	words, alnum, numbers := 0, 0, 0
	for k, p := range pieces {
		alnum += len(p)
		if isDigit(p[0]) {
			if numbers++; len(p) > 4 || numbers > 2 {
				return false
			}
			continue
		}
		if p == "v" && k+1 < len(pieces) && isDigit(pieces[k+1][0]) {
			continue
		}
		u := 0
		for u < len(p) && isUpper(p[u]) {
			u++
		}
		if u == len(p) {
			if !acronym(p, k) {
				return false
			}
			if !digits {
				words += len(p) // UPPER_SNAKE_CASE
			}
			continue
		}
		if u > 1 && (u-1 < 2 || digits && u-1 > 5) { // XMLHttp: an acronym, then a word
			return false
		}
		w := p[max(u-1, 0):] // the word, without a leading acronym
		if len(w)-min(u, 1) < 2 || len(w) > 2 && vowels(w)*4 < len(w) {
			return false
		}
		words += len(w)
	}
	if len(pieces) < 2 && (digits || strings.ToLower(v) != v) {
		return false
	}
	if strings.ToUpper(v) != v {
		// Mixed case: most letters must be in words, not acronyms.
		letters := 0
		for i := 0; i < len(v); i++ {
			if isLower(v[i]) || isUpper(v[i]) {
				letters++
			}
		}
		if words*2 < letters {
			return false
		}
	}
	return words*3 >= alnum
}

func vowels(w string) int {
	n := 0
	for i := 0; i < len(w); i++ {
		switch w[i] | 0x20 {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			n++
		}
	}
	return n
}

func isSep(c byte) bool { return c == '_' || c == '-' || c == '.' || c == '/' || c == ':' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

func isDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return false
		}
	}
	return v != ""
}

var fileExtensions = []string{
	".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".jks", ".keystore", ".json", ".yaml", ".yml",
	".txt", ".env", ".gpg", ".asc", ".pub", ".ppk", ".conf", ".cfg", ".ini", ".toml", ".xml", ".properties",
}

func isFileName(v string) bool {
	lower := strings.ToLower(v)
	for _, e := range fileExtensions {
		if strings.HasSuffix(lower, e) && len(v) > len(e) {
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
	// Azurite, the Azure Storage emulator: the same key for everyone.
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
	// HTTP Basic credentials of RFC 7617 (Aladdin:open sesame) and the
	// lower-case variant used in tests (aladdin:opensesame).
	"QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "YWxhZGRpbjpvcGVuc2VzYW1l",
	// RFC 6455's Sec-WebSocket-Key ("the sample nonce": not a secret at all).
	"dGhlIHNhbXBsZSBub25jZQ==",
	// Docker Engine API reference (docs/api/v1.*.yaml): swarm join tokens
	// and the unlock key.
	"SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
	"SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2",
	"SWMTKN-1-1h8aps2yszaiqmz2l3oc5392pgk8e49qhx2aj3nyv0ui0hez2a-8llk83c4wm9lwioey2s316r9l",
	"SWMTKN-1-1h8aps2yszaiqmz2l3oc5392pgk8e49qhx2aj3nyv0ui0hez2a-6qmn92w6bu3jdvnglku58u11a",
	"SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8",
	// The token of jwt.io's debugger.
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
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
