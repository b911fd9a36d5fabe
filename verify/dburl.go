package verify

import (
	"net/url"
	"strings"

	"github.com/leakgate/leakgate/leak"
)

// Helpers shared by the database verifiers (postgres.go, mysql.go).

// dbNoURLReason is the answer when the connection string the password
// belongs to cannot be found around it.
const dbNoURLReason = "the connection URL around the password could not be read (found inside encoded text, or cut), so it was not verified"

// dbConnString returns the connection string a database credential
// belongs to. The database rules' secret is the password alone (so that
// fingerprints, allowlists and redaction work on the password); the URL or
// Go DSN that holds it is read from the line around it (Credential.Context).
// A secret that is itself a whole URL or DSN is taken as it is.
func dbConnString(c Credential) (string, bool) {
	s := c.Secret.Reveal()
	if dbLooksLikeConn(s) {
		return s, true
	}
	line, pw := c.Context.Reveal(), s
	if pw == "" {
		return "", false
	}
	for off := 0; off < len(line); {
		i := strings.Index(line[off:], pw)
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		end := i + len(pw)
		for end < len(line) && !dbStop(line[end]) {
			end++
		}
		if i == 0 || line[i-1] != ':' {
			continue // the password follows "user:"
		}
		var start int
		if j := strings.LastIndex(line[:i], "://"); j >= 0 && !strings.ContainsFunc(line[j:i], func(r rune) bool { return r < 128 && dbStop(byte(r)) }) {
			start = j // a URL: back to the start of its scheme
			for start > 0 && dbSchemeByte(line[start-1]) {
				start--
			}
		} else {
			start = i - 1 // a Go DSN: back to the start of the user name
			for start > 0 && dbUserByte(line[start-1]) {
				start--
			}
		}
		tok := strings.TrimRight(line[start:end], ".,;]}")
		for strings.HasSuffix(tok, ")") && strings.Count(tok, ")") > strings.Count(tok, "(") {
			tok = tok[:len(tok)-1]
		}
		if dbLooksLikeConn(tok) {
			return tok, true
		}
	}
	return "", false
}

func dbUserByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-'
}

// dbLooksLikeConn reports whether s is a URL or a Go MySQL DSN.
func dbLooksLikeConn(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "@tcp(") || strings.Contains(s, "@unix(")
}

// dbStop ends a connection string in a line: space, quotes, commas and
// the like.
func dbStop(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>', '|', ';':
		return true
	}
	return false
}

func dbSchemeByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '.' || b == '-'
}

// dbScrub replaces every secret (as written and percent-encoded) in s with
// its redacted form. Reasons built from driver errors go through it: a
// driver error can quote the connection string.
func dbScrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		s = leak.Scrub(s, leak.NewSecret(sec))
	}
	return s
}

// dbSplitURL cuts a URL-form connection string into its scheme, user info
// (undecoded, "" when absent), the rest of the authority (the hosts), the
// path and the raw query. It does not use net/url, which rejects the
// multi-host authorities ("h1:5432,h2:5433") that libpq accepts.
func dbSplitURL(raw string) (scheme, userinfo, hosts, path, query string, ok bool) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return "", "", "", "", "", false
	}
	scheme, rest := raw[:i], raw[i+3:]
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		rest, query = rest[:j], rest[j+1:]
	}
	authority := rest
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority, path = rest[:j], rest[j:]
	}
	if j := strings.LastIndexByte(authority, '@'); j >= 0 {
		userinfo, hosts = authority[:j], authority[j+1:]
	} else {
		hosts = authority
	}
	return scheme, userinfo, hosts, path, query, true
}

// dbUserPassword decodes user info "user:password" (percent-encoded).
// hasPassword is false when there is no ':' or the password is empty.
func dbUserPassword(userinfo string) (user, password string, hasPassword bool) {
	u, p, found := strings.Cut(userinfo, ":")
	if du, err := url.PathUnescape(u); err == nil {
		u = du
	}
	if dp, err := url.PathUnescape(p); err == nil {
		p = dp
	}
	return u, p, found && p != ""
}

// CallKey implements Contextual: one call per connection string.
func (v *postgresVerifier) CallKey(c Credential) string { s, _ := dbConnString(c); return s }

// CallKey implements Contextual: one call per connection string.
func (v *mysqlVerifier) CallKey(c Credential) string { s, _ := dbConnString(c); return s }

var (
	_ Contextual = (*postgresVerifier)(nil)
	_ Contextual = (*mysqlVerifier)(nil)
)
