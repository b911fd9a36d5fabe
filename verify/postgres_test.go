package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// pgTestServer describes the PostgreSQL server the tests log in to; .ci/run
// starts one and exports LEAKGATE_TEST_PG_*.
type pgTestServer struct {
	host, port, user, password, db string
}

// pgServer returns the test server, or skips the test when none is
// described, or fails it when CI requires one (LEAKGATE_REQUIRE_POSTGRES).
func pgServer(t *testing.T) pgTestServer {
	t.Helper()
	s := pgTestServer{
		host:     os.Getenv("LEAKGATE_TEST_PG_HOST"),
		port:     os.Getenv("LEAKGATE_TEST_PG_PORT"),
		user:     os.Getenv("LEAKGATE_TEST_PG_USER"),
		password: os.Getenv("LEAKGATE_TEST_PG_PASSWORD"),
		db:       os.Getenv("LEAKGATE_TEST_PG_DB"),
	}
	if s.host != "" && s.port != "" && s.user != "" && s.password != "" && s.db != "" {
		return s
	}
	if os.Getenv("LEAKGATE_REQUIRE_POSTGRES") != "" {
		t.Fatal("LEAKGATE_REQUIRE_POSTGRES is set but LEAKGATE_TEST_PG_HOST, _PORT, _USER, _PASSWORD and _DB are not all set: the PostgreSQL server of .ci/run did not start")
	}
	if why := os.Getenv("LEAKGATE_NO_POSTGRES"); why != "" {
		t.Skip("no PostgreSQL server: " + why)
	}
	t.Skip("no PostgreSQL server described: run `bash .ci/run`, which starts one, or set LEAKGATE_TEST_PG_HOST, LEAKGATE_TEST_PG_PORT, LEAKGATE_TEST_PG_USER, LEAKGATE_TEST_PG_PASSWORD and LEAKGATE_TEST_PG_DB")
	return s
}

// url builds a connection URL for the server with the given password and
// database.
func (s pgTestServer) url(password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(s.user, password), Host: net.JoinHostPort(s.host, s.port), Path: "/" + db}
	return u.String()
}

// pgRandom is a random hex string, for passwords and names that must not
// exist on the server.
func pgRandom(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// pgVerify runs the verifier on a URL through a Checker (so scrubbing and
// timeouts are the real ones) and checks that neither the URL nor its
// password shows in the result.
func pgVerify(t *testing.T, o *Options, rawURL, password string) leak.Finding {
	t.Helper()
	return pgVerifyWith(t, newPostgres(o), rawURL, password)
}

func pgVerifyWith(t *testing.T, v Verifier, rawURL, password string) leak.Finding {
	t.Helper()
	c := &Checker{Registry: NewRegistryOf(v), Timeout: 10 * time.Second, Attempts: 1}
	fs := []leak.Finding{{RuleID: "postgres-connection-uri", Secret: leak.NewSecret(rawURL)}}
	c.Verify(context.Background(), fs)
	for _, s := range []string{rawURL, password} {
		if s != "" && strings.Contains(fs[0].Identity+fs[0].StatusReason, s) {
			t.Errorf("the secret appears in the result: %q / %q", fs[0].Identity, fs[0].StatusReason)
		}
	}
	return fs[0]
}

func TestPostgresLive(t *testing.T) {
	s := pgServer(t)
	f := pgVerify(t, &Options{PrivateHosts: true}, s.url(s.password, s.db), s.password)
	if f.Status != leak.Live {
		t.Fatalf("status %s (%s), want live", f.Status, f.StatusReason)
	}
	want := "PostgreSQL user " + s.user + " at " + net.JoinHostPort(s.host, s.port) + "/" + s.db
	if f.Identity != want {
		t.Errorf("identity %q, want %q", f.Identity, want)
	}
}

func TestPostgresLiveSchemesAndParameters(t *testing.T) {
	s := pgServer(t)
	base := strings.TrimPrefix(s.url(s.password, s.db), "postgres://")
	for _, u := range []string{
		"postgresql://" + base + "?sslmode=prefer",
		"postgresql+psycopg2://" + base + "?sslmode=disable&connect_timeout=1",
		// Parameters that would read local files or set server options
		// are dropped, not obeyed.
		"postgres://" + base + "?schema=public&passfile=/nonexistent&sslrootcert=/nonexistent&options=-c%20statement_timeout%3D1",
		// Two hosts: the first has nothing listening, the second answers.
		"postgres://" + strings.Replace(base, "@", "@"+net.JoinHostPort(s.host, pgClosedPort(t))+",", 1),
	} {
		f := pgVerify(t, &Options{PrivateHosts: true}, u, s.password)
		if f.Status != leak.Live {
			t.Errorf("%s: status %s (%s), want live", strings.Replace(u, s.password, "PW", 1), f.Status, f.StatusReason)
		}
	}
}

func TestPostgresDeadWrongPassword(t *testing.T) {
	s := pgServer(t)
	wrong := pgRandom(t)
	f := pgVerify(t, &Options{PrivateHosts: true}, s.url(wrong, s.db), wrong)
	if f.Status != leak.Dead || !strings.Contains(f.StatusReason, "28P01") {
		t.Fatalf("status %s (%s), want dead with SQLSTATE 28P01", f.Status, f.StatusReason)
	}
}

func TestPostgresLiveUnknownDatabase(t *testing.T) {
	s := pgServer(t)
	f := pgVerify(t, &Options{PrivateHosts: true}, s.url(s.password, "nodb_"+pgRandom(t)), s.password)
	if f.Status != leak.Live || !strings.Contains(f.Identity, "does not exist") {
		t.Fatalf("status %s (%s, %q), want live noting the missing database", f.Status, f.StatusReason, f.Identity)
	}
}

// pgClosedPort returns a loopback port nothing listens on.
func pgClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// The tests below need no server.

func TestPostgresUnknownNothingListening(t *testing.T) {
	pw := pgRandom(t)
	u := "postgres://app:" + pw + "@127.0.0.1:" + pgClosedPort(t) + "/app"
	f := pgVerify(t, &Options{PrivateHosts: true, Timeout: 2 * time.Second}, u, pw)
	if f.Status != leak.Unknown || !strings.Contains(f.StatusReason, "connection refused") {
		t.Fatalf("status %s (%s), want unknown: connection refused", f.Status, f.StatusReason)
	}
}

func TestPostgresUnknownTimeout(t *testing.T) {
	// A server that accepts and never answers.
	addr, _ := countingListenerSilent(t)
	pw := pgRandom(t)
	f := pgVerify(t, &Options{PrivateHosts: true, Timeout: 300 * time.Millisecond}, "postgres://app:"+pw+"@"+addr+"/app?sslmode=disable", pw)
	if f.Status != leak.Unknown || !strings.Contains(f.StatusReason, "timed out") {
		t.Fatalf("status %s (%s), want unknown: timed out", f.Status, f.StatusReason)
	}
}

// pgPublicLookup pretends that the names under .public.test resolve to
// a public address, and everything else to what the system resolver says.
// (Nothing under .public.test resolves for real, so a guard that failed
// would still send nothing to that address.)
func pgPublicLookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".public.test") || host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

func TestPostgresPrivateHostRefusedWithoutConnecting(t *testing.T) {
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	pw := pgRandom(t)
	for _, tc := range []struct{ name, url string }{
		{"loopback address", "postgres://app:" + pw + "@" + addr + "/app"},
		{"cloud metadata", "postgres://app:" + pw + "@169.254.169.254/app"},
		{"IPv4-mapped loopback", "postgres://app:" + pw + "@[::ffff:127.0.0.1]:" + port + "/app"},
		// a public first host does not let a private second one through
		{"multi-host", "postgres://app:" + pw + "@db.public.test:5432," + addr + "/app"},
		// nor does a host parameter pointing at a Unix socket
		{"unix socket", "postgres://app:" + pw + "@db.public.test/app?host=/var/run/postgresql"},
		// a name that looked public when checked and is loopback when
		// dialed (DNS rebinding): the stub lookup says public, the dialer
		// resolves localhost for real, and the dial-time check refuses
		{"rebinding", "postgres://app:" + pw + "@localhost:" + port + "/app?sslmode=disable"},
	} {
		v := newPostgres(&Options{Timeout: 2 * time.Second}).(*postgresVerifier)
		v.guard.lookup = pgPublicLookup
		f := pgVerifyWith(t, v, tc.url, pw)
		if f.Status != leak.Unknown || !strings.Contains(f.StatusReason, "is private; use --verify-private-hosts to allow") {
			t.Errorf("%s: status %s (%s), want unknown: private host", tc.name, f.Status, f.StatusReason)
		}
	}
	// And with the system resolver, localhost is refused before dialing.
	f := pgVerify(t, &Options{}, "postgres://app:"+pw+"@localhost:"+port+"/app", pw)
	if f.StatusReason != "host localhost is private; use --verify-private-hosts to allow" {
		t.Errorf("localhost: status %s (%s)", f.Status, f.StatusReason)
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the private host", n)
	}
}

func TestPostgresNoPassword(t *testing.T) {
	addr, accepted := countingListener(t)
	for _, u := range []string{"postgres://app@" + addr + "/app", "postgres://app:@" + addr + "/app", "postgresql://" + addr + "/app"} {
		f := pgVerify(t, &Options{PrivateHosts: true}, u, "")
		if f.Status != leak.Unknown || f.StatusReason != "no password in the URL" {
			t.Errorf("%s: status %s (%s), want unknown: no password", u, f.Status, f.StatusReason)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections made for URLs without a password", n)
	}
}

func TestPostgresPasswordOnly(t *testing.T) {
	// A password whose URL is not in its context (found inside encoded
	// text) is not verified.
	pw := pgRandom(t)
	f := pgVerify(t, &Options{}, pw, pw)
	if f.Status != leak.Unknown || f.StatusReason != dbNoURLReason {
		t.Fatalf("status %s (%s), want unknown: %s", f.Status, f.StatusReason, dbNoURLReason)
	}
}

// What the default rule finds: the password, with the line around it. The
// same password in two places of one URL is one call; the same password
// on another server is another.
func TestPostgresPasswordWithContext(t *testing.T) {
	s := pgServer(t)
	line := "DATABASE_URL=" + s.url(s.password, s.db) + " # prod"
	other := "REPLICA=" + s.url(s.password, "no_such_db_"+pgRandom(t))
	f := func(ctx string) leak.Finding {
		return leak.Finding{RuleID: "postgres-connection-uri", Secret: leak.NewSecret(s.password), Context: leak.NewSecret(ctx)}
	}
	fs := []leak.Finding{f(line), f(line), f(other)}
	c := &Checker{Registry: NewRegistryOf(newPostgres(&Options{PrivateHosts: true})), Timeout: 10 * time.Second, Attempts: 1}
	st := c.Verify(context.Background(), fs)
	for i, g := range fs {
		if g.Status != leak.Live {
			t.Errorf("finding %d: %s (%s)", i, g.Status, g.StatusReason)
		}
	}
	if st.Calls != 2 {
		t.Errorf("%d calls, want 2 (one per connection string)", st.Calls)
	}
}

func TestPostgresURL(t *testing.T) {
	pw := pgRandom(t)
	clean, user, password, err := postgresURL("pgsql+asyncpg://svc%40corp:" + url.PathEscape(pw+"/x") + "@h1:5432,h2/db?sslmode=require&servicefile=/etc/x&service=s&sslkey=/k&application_name=a#frag")
	if err != nil {
		t.Fatal(err)
	}
	if user != "svc@corp" || password != pw+"/x" {
		t.Errorf("user %q password %q", user, password)
	}
	want := "postgres://svc%40corp:" + url.PathEscape(pw+"/x") + "@h1:5432,h2/db?sslmode=require"
	if clean != want {
		t.Errorf("clean URL\n %s\nwant\n %s", clean, want)
	}
	if _, _, _, err := postgresURL("mysql://a:" + pw + "@h/db"); err == nil {
		t.Error("a MySQL URL was taken for a PostgreSQL one")
	}
}

// countingListenerSilent accepts connections and holds them open without
// answering, until the test ends.
func countingListenerSilent(t *testing.T) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), func() int { return len(conns) }
}
