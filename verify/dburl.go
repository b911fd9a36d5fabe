package verify

import (
	"net/url"
	"strings"

	"github.com/leakgate/leakgate/leak"
)

// Helpers shared by the database verifiers (postgres.go, mysql.go).

// dbNoURLReason is the answer when a credential holds only the password:
// the database rules capture the password as the secret, and connecting
// needs the whole URL (user, host, port, database).
const dbNoURLReason = "only the password was passed to the verifier; verifying a database password needs the whole connection URL"

// dbConnString returns the connection string a database credential
// carries: the secret itself when it is a whole URL or Go DSN.
//
// The database rules' secret is the password alone (so that fingerprints,
// allowlists and redaction work on the password), and the Checker passes
// verifiers the secret only; until findings carry the whole match to the
// verifier, a finding of the default rules gets dbNoURLReason. This is the
// one place to change when they do.
func dbConnString(c Credential) (string, bool) {
	s := c.Secret.Reveal()
	if strings.Contains(s, "://") || strings.Contains(s, "@tcp(") || strings.Contains(s, "@unix(") {
		return s, true
	}
	return "", false
}

// dbScrub replaces every secret (as written and percent-encoded) in s with
// its redacted form. Reasons built from driver errors go through it: a
// driver error can quote the connection string.
func dbScrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), url.UserPassword("x", sec).String()[2:]} {
			if len(form) >= 4 {
				s = strings.ReplaceAll(s, form, leak.Redact(sec))
			}
		}
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
