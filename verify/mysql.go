package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

func init() { register("mysql", newMySQL) }

// mysqlVerifier logs in with a MySQL / MariaDB connection URL
// (mysql://user:pass@host:port/db) or Go driver DSN
// (user:pass@tcp(host:port)/db) and runs SELECT 1 (PROVIDERS.md §17),
// with github.com/go-sql-driver/mysql.
//
// The host is the URL's own, so the connection goes through the
// private-host guard (hosts.go) like PostgreSQL's. Only where to connect,
// who, the database and the TLS mode are taken from the URL; every other
// parameter is dropped, and the driver's risky options stay off whatever
// the URL says (LOAD DATA LOCAL INFILE, cleartext and old passwords,
// multiple statements). TLS is "preferred" unless the URL asks otherwise.
//
// Answers:
//   - the login and SELECT 1 succeed: live, "MySQL user U at H:P/DB";
//   - error 1049 (ER_BAD_DB_ERROR, unknown database): live, the password
//     having been accepted first;
//   - error 1045 (ER_ACCESS_DENIED_ERROR): dead. UNCONFIRMED (PROVIDERS.md
//     §17 marks it not researched): MySQL answers 1045 for a wrong
//     password and for a user@host it has no account for, which from CI may
//     mean "not from this host" rather than "revoked";
//   - anything else (another server error, refused, timeout, an auth
//     plugin the driver will not use): unknown.
//
// None of this is tested against a MySQL server: CI has none. The tests
// run the real driver against a fake that speaks just enough of the
// protocol to answer a login with a chosen error.
type mysqlVerifier struct {
	guard   *dbHostGuard
	timeout time.Duration
}

var _ Verifier = (*mysqlVerifier)(nil)

func newMySQL(o *Options) Verifier {
	return &mysqlVerifier{guard: newDBHostGuard(o), timeout: o.timeout()}
}

func (*mysqlVerifier) Provider() string { return "mysql" }
func (*mysqlVerifier) Rules() []string  { return []string{"mysql-connection-uri", "mysql-go-dsn"} }

var mysqlSchemes = regexp.MustCompile(`^(?i:(?:jdbc:)?(?:mysql|mariadb|mysqlx))(?:\+[a-z0-9]+)?$`)

var errMySQLNoPassword = errors.New("no password in the URL")

// mysqlTarget is what is taken from a found URL or DSN.
type mysqlTarget struct {
	user, password string
	net            string // "tcp" or "unix"
	addrs          []string
	db             string
	tls            string // the driver's tls value
}

// mysqlParse reads a URL (mysql://, mariadb://, mysql+driver://) or a Go
// DSN (user:pass@tcp(host:port)/db?params).
func mysqlParse(raw string) (mysqlTarget, error) {
	var t mysqlTarget
	if strings.Contains(raw, "://") {
		scheme, userinfo, hosts, path, query, ok := dbSplitURL(raw)
		if !ok || !mysqlSchemes.MatchString(scheme) {
			return t, errors.New("not a MySQL URL")
		}
		user, password, has := dbUserPassword(userinfo)
		if !has {
			return t, errMySQLNoPassword
		}
		t.user, t.password, t.net = user, password, "tcp"
		for _, h := range strings.Split(hosts, ",") {
			if h == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(h); err != nil {
				h = net.JoinHostPort(strings.Trim(h, "[]"), "3306")
			}
			t.addrs = append(t.addrs, h)
		}
		if len(t.addrs) == 0 {
			t.addrs = []string{""} // the local default: refused by the guard
		}
		db, _ := url.PathUnescape(strings.TrimPrefix(path, "/"))
		t.db = db
		q, _ := url.ParseQuery(query)
		t.tls = mysqlTLS(q)
		return t, nil
	}
	cfg, err := mysql.ParseDSN(raw)
	if err != nil {
		return t, errors.New("not a MySQL DSN")
	}
	if cfg.Passwd == "" {
		return t, errMySQLNoPassword
	}
	t.user, t.password, t.db = cfg.User, cfg.Passwd, cfg.DBName
	switch cfg.Net {
	case "tcp", "tcp4", "tcp6", "":
		t.net = "tcp"
	case "unix":
		t.net = "unix"
	default:
		return t, errors.New("MySQL DSN over " + cfg.Net)
	}
	t.addrs = []string{cfg.Addr}
	_, query, _ := strings.Cut(raw, "?")
	q, _ := url.ParseQuery(query)
	t.tls = mysqlTLS(q)
	return t, nil
}

// mysqlTLS maps a URL's TLS parameter to the driver's tls value: the Go
// driver's own tls=, or the MySQL clients' ssl-mode= / ssl_mode=. The
// default is "preferred" (TLS when the server offers it), as MySQL's own
// clients do.
func mysqlTLS(q url.Values) string {
	switch strings.ToLower(q.Get("tls")) {
	case "true":
		return "true"
	case "skip-verify":
		return "skip-verify"
	case "false":
		return "false"
	}
	mode := q.Get("ssl-mode")
	if mode == "" {
		mode = q.Get("ssl_mode")
	}
	switch strings.ToUpper(mode) {
	case "DISABLED":
		return "false"
	case "REQUIRED":
		return "skip-verify" // encrypted, the certificate unchecked, as MySQL's REQUIRED
	case "VERIFY_CA", "VERIFY_IDENTITY":
		return "true"
	}
	return "preferred"
}

// mysqlNopLogger silences the driver, which otherwise logs connection
// errors to stderr.
type mysqlNopLogger struct{}

func (mysqlNopLogger) Print(...any) {}

func (v *mysqlVerifier) Verify(ctx context.Context, c Credential) Result {
	raw, ok := dbConnString(c)
	if !ok {
		return Unknown(dbNoURLReason)
	}
	t, err := mysqlParse(raw)
	if errors.Is(err, errMySQLNoPassword) {
		return Unknown("no password in the URL")
	}
	if err != nil {
		return Unknown("the URL is not a MySQL URL or DSN")
	}
	scrub := func(s string) string { return dbScrub(s, t.password, raw) }

	if t.net == "unix" && !v.guard.allowPrivate {
		// A socket on this machine.
		return Unknown((&dbPrivateHostError{host: dbShowHost(t.addrs[0])}).Error())
	}
	for _, a := range t.addrs {
		if t.net == "unix" {
			break
		}
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		if err := v.guard.check(ctx, host); err != nil {
			if _, private := dbIsPrivateRefusal(err); private {
				return Unknown(err.Error())
			}
		}
	}

	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = t.user, t.password, t.db
	cfg.Net, cfg.Addr = t.net, t.addrs[0]
	cfg.TLSConfig = t.tls
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = v.timeout, v.timeout, v.timeout
	cfg.AllowAllFiles, cfg.AllowCleartextPasswords, cfg.AllowOldPasswords, cfg.MultiStatements = false, false, false, false
	cfg.Logger = mysqlNopLogger{}
	cfg.DialFunc = v.guard.DialContext
	// NewConnector sets up TLS from cfg.TLSConfig as ParseDSN would.
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return Unknown("the URL does not make a MySQL connection")
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return mysqlError(ctx, err, t, scrub)
	}
	return Live(mysqlIdentity(t, ""))
}

func mysqlIdentity(t mysqlTarget, note string) string {
	id := fmt.Sprintf("MySQL user %s at %s/%s", t.user, t.addrs[0], t.db)
	if note != "" {
		id += " (" + note + ")"
	}
	return id
}

// mysqlError maps a failed login or query to a result.
func mysqlError(ctx context.Context, err error, t mysqlTarget, scrub func(string) string) Result {
	if pe, private := dbIsPrivateRefusal(err); private {
		return Unknown(pe.Error())
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045: // ER_ACCESS_DENIED_ERROR; UNCONFIRMED as dead, see the type's comment
			return Dead(fmt.Sprintf("MySQL denied access to user %s (error 1045)", t.user))
		case 1049: // ER_BAD_DB_ERROR: the password was accepted first
			return Live(mysqlIdentity(t, "the database does not exist, but the password was accepted"))
		}
		return Unknown(scrub(fmt.Sprintf("MySQL error %d: %s", me.Number, me.Message)))
	}
	switch {
	case errors.Is(err, mysql.ErrCleartextPassword):
		return Unknown("the server asks for the password in cleartext; not sent")
	case errors.Is(err, mysql.ErrOldPassword):
		return Unknown("the server asks for the old insecure password method; not used")
	case errors.Is(err, mysql.ErrInvalidConn) && ctx.Err() == nil:
		// What the driver returns when a read passes ReadTimeout or the
		// server hangs up mid-login.
		return Unknown("timed out or closed: the server did not finish the login")
	case errors.Is(err, mysql.ErrNativePassword):
		return Unknown("the server asks for an authentication method the driver does not use")
	}
	return Unknown(dbNetReason(ctx, err, scrub))
}
