package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func init() { register("postgres", newPostgres) }

// postgresVerifier logs in with a PostgreSQL connection URL and runs
// SELECT 1 (PROVIDERS.md §17), with pgx: libpq URL rules, multiple hosts,
// and sslmode as given (prefer, the default, and allow fall back between
// TLS and plain as libpq does).
//
// The URL names its own host, so the connection goes through the
// private-host guard (hosts.go): every host must be public unless private
// hosts are allowed (--verify-private-hosts), checked before connecting
// and again at dial time. Parameters that make pgx read local files
// (passfile, service, servicefile, sslcert, sslkey, sslrootcert, ...) or
// send server settings are dropped from the URL before it is parsed.
//
// Answers:
//   - the login and SELECT 1 succeed: live, "PostgreSQL user U at H:P/DB";
//   - SQLSTATE 3D000 (the database does not exist): live, since the
//     server checks the password before it looks for the database;
//   - SQLSTATE 28P01 (invalid_password): dead; PostgreSQL answers it for
//     an unknown user too;
//   - SQLSTATE 28000 (invalid_authorization_specification: no pg_hba.conf
//     entry for this client, a NOLOGIN role): unknown, since the password
//     was not (or not only) what was judged, and from another client it
//     may work;
//   - no password in the URL: unknown, without connecting;
//   - connection refused, timeout, TLS failure, any other error: unknown.
//
// A server whose pg_hba.conf trusts the client accepts any password, so
// "live" there says the URL logs in, not that the password is right.
type postgresVerifier struct {
	guard   *dbHostGuard
	timeout time.Duration
}

var _ Verifier = (*postgresVerifier)(nil)

func newPostgres(o *Options) Verifier {
	return &postgresVerifier{guard: newDBHostGuard(o), timeout: o.timeout()}
}

func (*postgresVerifier) Provider() string { return "postgres" }
func (*postgresVerifier) Rules() []string  { return []string{"postgres-connection-uri"} }

// postgresSchemes are the URL schemes of the rule (with an optional
// "+driver" suffix, as SQLAlchemy writes them); all speak the PostgreSQL
// protocol.
var postgresSchemes = regexp.MustCompile(`^(?i:postgres(?:ql)?|postgis|pgsql|cockroachdb|timescaledb)(?:\+[a-z0-9]+)?$`)

// postgresKeys are the URL parameters kept: where to connect and how to
// negotiate TLS. Everything else is dropped.
var postgresKeys = []string{"host", "port", "dbname", "user", "sslmode", "ssl", "sslnegotiation", "sslsni", "target_session_attrs"}

// postgresURL turns a found URL into one pgx parses safely: the scheme
// made postgres://, parameters outside postgresKeys dropped. It returns
// the user and password too.
func postgresURL(raw string) (clean, user, password string, err error) {
	scheme, userinfo, hosts, path, query, ok := dbSplitURL(raw)
	if !ok || !postgresSchemes.MatchString(scheme) {
		return "", "", "", errors.New("not a PostgreSQL URL")
	}
	user, password, has := dbUserPassword(userinfo)
	if !has {
		return "", user, "", errPostgresNoPassword
	}
	q, qerr := url.ParseQuery(query)
	if qerr != nil {
		q = url.Values{}
	}
	kept := url.Values{}
	for _, k := range postgresKeys {
		if v, ok := q[k]; ok {
			kept[k] = v[len(v)-1:]
		}
	}
	clean = "postgres://" + userinfo + "@" + hosts + path
	if len(kept) > 0 {
		clean += "?" + kept.Encode()
	}
	return clean, user, password, nil
}

var errPostgresNoPassword = errors.New("no password in the URL")

func (v *postgresVerifier) Verify(ctx context.Context, c Credential) Result {
	raw, ok := dbConnString(c)
	if !ok {
		return Unknown(dbNoURLReason)
	}
	clean, _, password, err := postgresURL(raw)
	if errors.Is(err, errPostgresNoPassword) {
		return Unknown("no password in the URL")
	}
	if err != nil {
		return Unknown("the URL is not a PostgreSQL URL")
	}
	scrub := func(s string) string { return dbScrub(s, password, raw) }

	cfg, err := pgx.ParseConfigWithOptions(clean, pgx.ParseConfigOptions{
		ParseConfigOptions: pgconn.ParseConfigOptions{ConnStringAllowedKeys: append([]string{"password"}, postgresKeys...)},
	})
	if err != nil {
		// pgx's parse errors try to redact passwords, "best effort"; the
		// reason names no part of the URL.
		return Unknown("the URL does not parse as a PostgreSQL connection string")
	}
	if cfg.Password == "" {
		return Unknown("no password in the URL")
	}

	// Every host, the fallbacks of a multi-host URL included, must pass
	// the guard before anything is dialed.
	hosts := []string{cfg.Host}
	for _, fb := range cfg.Fallbacks {
		hosts = append(hosts, fb.Host)
	}
	for _, h := range hosts {
		if err := v.guard.check(ctx, h); err != nil {
			if _, private := dbIsPrivateRefusal(err); private {
				return Unknown(err.Error())
			}
		}
	}

	cfg.ConnectTimeout = v.timeout
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	// Resolve nothing up front: the guarded dialer resolves and checks the
	// address it connects to. It remembers the host that answered, for the
	// identity.
	var mu sync.Mutex
	var connected string
	cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := v.guard.DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			connected = addr
			mu.Unlock()
		}
		return conn, err
	}

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return postgresError(ctx, err, cfg, scrub)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return Unknown(scrub(fmt.Sprintf("logged in, but SELECT 1 failed (SQLSTATE %s: %s)", pgErr.Code, pgErr.Message)))
		}
		return Unknown("logged in, but SELECT 1 failed: " + dbNetReason(ctx, err, scrub))
	}
	mu.Lock()
	addr := connected
	mu.Unlock()
	return Live(postgresIdentity(cfg, addr, ""))
}

// postgresIdentity is "PostgreSQL user U at HOST:PORT/DB" for the host
// that answered (addr, "host:port"), or the first host.
func postgresIdentity(cfg *pgx.ConnConfig, addr, note string) string {
	if addr == "" {
		addr = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	id := fmt.Sprintf("PostgreSQL user %s at %s/%s", cfg.User, addr, cfg.Database)
	if note != "" {
		id += " (" + note + ")"
	}
	return id
}

// postgresError maps a failed login to a result.
func postgresError(ctx context.Context, err error, cfg *pgx.ConnConfig, scrub func(string) string) Result {
	if pe, private := dbIsPrivateRefusal(err); private {
		return Unknown(pe.Error())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01": // invalid_password
			return Dead(fmt.Sprintf("PostgreSQL rejected the password of user %s (SQLSTATE 28P01)", cfg.User))
		case "3D000": // invalid_catalog_name: authentication passed first
			return Live(postgresIdentity(cfg, "", "the database does not exist, but the password was accepted"))
		case "28000": // invalid_authorization_specification
			return Unknown(scrub(fmt.Sprintf("PostgreSQL refused the login from here without judging the password (SQLSTATE 28000: %s)", pgErr.Message)))
		}
		return Unknown(scrub(fmt.Sprintf("PostgreSQL error (SQLSTATE %s: %s)", pgErr.Code, pgErr.Message)))
	}
	return Unknown(dbNetReason(ctx, err, scrub))
}

// dbNetReason says why a database connection failed, without quoting the
// connection string: "timed out", "connection refused", a TLS failure,
// else the innermost error, scrubbed.
func dbNetReason(ctx context.Context, err error, scrub func(string) string) string {
	msg := err.Error()
	switch {
	case ctx.Err() != nil || isTimeout(err):
		return "timed out"
	case strings.Contains(msg, "connection refused"):
		return "connection refused"
	case strings.Contains(msg, "no such host"):
		return "host not found"
	case strings.Contains(msg, "server refused TLS connection"):
		return "the server does not offer TLS (sslmode requires it)"
	case strings.Contains(msg, "certificate"):
		return "TLS certificate error"
	}
	inner := err
	for {
		u := errors.Unwrap(inner)
		if u == nil {
			break
		}
		inner = u
	}
	return "could not connect: " + scrub(inner.Error())
}
