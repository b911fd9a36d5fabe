package verify

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// A fake MySQL server that speaks just enough of the protocol for a login:
// a v10 handshake offering mysql_native_password (no TLS), then, to the
// client's handshake response, either an ERR packet with a chosen error
// number or OK followed by a one-row answer to SELECT 1. It checks no
// password: it stands in for the server's answers, to test how the real
// driver's errors are mapped. Real MySQL behaviour is NOT tested here.

type mysqlFake struct {
	addr     string
	accepted atomic.Int64
	// users records the user name of each login.
	users chan string
}

func newMySQLFake(t *testing.T, errNumber uint16, errState, errMsg string) *mysqlFake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &mysqlFake{addr: ln.Addr().String(), users: make(chan string, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			go f.serve(c, errNumber, errState, errMsg)
		}
	}()
	return f
}

func mysqlWritePacket(w io.Writer, seq byte, payload []byte) error {
	h := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}
	_, err := w.Write(append(h, payload...))
	return err
}

func mysqlReadPacket(r io.Reader) (byte, []byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return h[3], p, err
}

func mysqlLenEnc(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func (f *mysqlFake) serve(c net.Conn, errNumber uint16, errState, errMsg string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	const caps = 0x1 | 0x8 | 0x200 | 0x8000 | 0x80000 // long password, connect with db, 4.1, secure connection, plugin auth
	var hs bytes.Buffer
	hs.WriteByte(10)
	hs.WriteString("8.0.36-fake\x00")
	_ = binary.Write(&hs, binary.LittleEndian, uint32(7))
	hs.WriteString("abcdefgh\x00")
	_ = binary.Write(&hs, binary.LittleEndian, uint16(caps&0xffff))
	hs.WriteByte(45)
	_ = binary.Write(&hs, binary.LittleEndian, uint16(2))
	_ = binary.Write(&hs, binary.LittleEndian, uint16(caps>>16))
	hs.WriteByte(21)
	hs.Write(make([]byte, 10))
	hs.WriteString("ijklmnopqrst\x00")
	hs.WriteString("mysql_native_password\x00")
	if mysqlWritePacket(c, 0, hs.Bytes()) != nil {
		return
	}
	seq, resp, err := mysqlReadPacket(c)
	if err != nil || len(resp) < 33 {
		return
	}
	user, _, _ := strings.Cut(string(resp[32:]), "\x00")
	f.users <- user
	if errNumber != 0 {
		var e bytes.Buffer
		e.WriteByte(0xff)
		_ = binary.Write(&e, binary.LittleEndian, errNumber)
		e.WriteString("#" + errState + errMsg)
		_ = mysqlWritePacket(c, seq+1, e.Bytes())
		return
	}
	ok := []byte{0, 0, 0, 2, 0, 0, 0}
	if mysqlWritePacket(c, seq+1, ok) != nil {
		return
	}
	for {
		_, q, err := mysqlReadPacket(c)
		if err != nil || len(q) == 0 || q[0] == 1 { // COM_QUIT
			return
		}
		if q[0] != 3 { // only COM_QUERY
			_ = mysqlWritePacket(c, 1, ok)
			continue
		}
		eof := []byte{0xfe, 0, 0, 2, 0}
		var col bytes.Buffer
		for _, s := range []string{"def", "", "", "", "1", ""} {
			col.Write(mysqlLenEnc(s))
		}
		col.Write([]byte{0x0c, 63, 0, 1, 0, 0, 0, 0x08, 0x81, 0, 0, 0, 0})
		for i, p := range [][]byte{{1}, col.Bytes(), eof, mysqlLenEnc("1"), eof} {
			if mysqlWritePacket(c, byte(i+1), p) != nil {
				return
			}
		}
	}
}

func mysqlVerify(t *testing.T, o *Options, rule, raw, password string) leak.Finding {
	t.Helper()
	c := &Checker{Registry: NewRegistryOf(newMySQL(o)), Timeout: 5 * time.Second, Attempts: 1}
	fs := []leak.Finding{{RuleID: rule, Secret: leak.NewSecret(raw)}}
	c.Verify(context.Background(), fs)
	for _, s := range []string{raw, password} {
		if s != "" && strings.Contains(fs[0].Identity+fs[0].StatusReason, s) {
			t.Errorf("the secret appears in the result: %q / %q", fs[0].Identity, fs[0].StatusReason)
		}
	}
	return fs[0]
}

func TestMySQLAnswersFromAFakeServer(t *testing.T) {
	pw := pgRandom(t)
	cases := []struct {
		name     string
		number   uint16
		state    string
		msg      string
		want     leak.Status
		identity string
		reason   string
	}{
		{name: "login accepted", want: leak.Live, identity: "MySQL user shop at "},
		{name: "access denied (1045)", number: 1045, state: "28000", msg: "Access denied for user 'shop'@'10.1.2.3' (using password: YES)", want: leak.Dead, reason: "1045"},
		{name: "unknown database (1049)", number: 1049, state: "42000", msg: "Unknown database 'shop'", want: leak.Live, identity: "does not exist"},
		{name: "too many connections (1040)", number: 1040, state: "08004", msg: "Too many connections", want: leak.Unknown, reason: "1040"},
		{name: "host blocked (1129)", number: 1129, state: "HY000", msg: "Host is blocked", want: leak.Unknown, reason: "1129"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newMySQLFake(t, tc.number, tc.state, tc.msg)
			for _, in := range []struct{ rule, raw string }{
				{"mysql-connection-uri", "mysql://shop:" + pw + "@" + f.addr + "/shop"},
				{"mysql-go-dsn", "shop:" + pw + "@tcp(" + f.addr + ")/shop?parseTime=true"},
			} {
				got := mysqlVerify(t, &Options{PrivateHosts: true}, in.rule, in.raw, pw)
				if got.Status != tc.want {
					t.Errorf("%s: status %s (%s), want %s", in.rule, got.Status, got.StatusReason, tc.want)
				}
				if tc.identity != "" && !strings.Contains(got.Identity, tc.identity) {
					t.Errorf("%s: identity %q, want %q", in.rule, got.Identity, tc.identity)
				}
				if tc.reason != "" && !strings.Contains(got.StatusReason, tc.reason) {
					t.Errorf("%s: reason %q, want %q", in.rule, got.StatusReason, tc.reason)
				}
				select {
				case u := <-f.users:
					if u != "shop" {
						t.Errorf("the fake saw user %q", u)
					}
				case <-time.After(time.Second):
					t.Errorf("%s: the fake saw no login", in.rule)
				}
			}
		})
	}
}

func TestMySQLParse(t *testing.T) {
	pw := pgRandom(t)
	tests := []struct {
		raw            string
		user, addr, db string
		tls, network   string
		multi          int
	}{
		{raw: "mysql://shop:" + pw + "@mysql.prod.corp:3306/shop", user: "shop", addr: "mysql.prod.corp:3306", db: "shop", tls: "preferred", network: "tcp"},
		{raw: "mysql+pymysql://etl:" + pw + "@warehouse-db/etl?charset=utf8mb4&ssl-mode=REQUIRED", user: "etl", addr: "warehouse-db:3306", db: "etl", tls: "skip-verify", network: "tcp"},
		{raw: "mariadb://a%40b:" + pw + "@[2001:db8::1]:3307/x?tls=false", user: "a@b", addr: "[2001:db8::1]:3307", db: "x", tls: "false", network: "tcp"},
		{raw: "mysql://u:" + pw + "@h1:3306,h2/x", user: "u", addr: "h1:3306", db: "x", tls: "preferred", network: "tcp", multi: 2},
		{raw: "orders:" + pw + "@tcp(mysql-primary:3306)/orders?parseTime=true&tls=true", user: "orders", addr: "mysql-primary:3306", db: "orders", tls: "true", network: "tcp"},
		{raw: "reader:" + pw + "@unix(/var/run/mysqld/mysqld.sock)/catalog", user: "reader", addr: "/var/run/mysqld/mysqld.sock", db: "catalog", tls: "preferred", network: "unix"},
	}
	for _, tc := range tests {
		got, err := mysqlParse(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", strings.Replace(tc.raw, pw, "PW", 1), err)
			continue
		}
		if got.user != tc.user || got.password != pw || got.addrs[0] != tc.addr || got.db != tc.db || got.tls != tc.tls || got.net != tc.network {
			t.Errorf("%s: got user %q addr %q db %q tls %q net %q", strings.Replace(tc.raw, pw, "PW", 1), got.user, got.addrs[0], got.db, got.tls, got.net)
		}
		if tc.multi > 0 && len(got.addrs) != tc.multi {
			t.Errorf("%s: %d hosts, want %d", strings.Replace(tc.raw, pw, "PW", 1), len(got.addrs), tc.multi)
		}
	}
	for _, raw := range []string{"mysql://shop@h/shop", "mysql://shop:@h/shop", "shop@tcp(h:3306)/shop"} {
		if _, err := mysqlParse(raw); err != errMySQLNoPassword {
			t.Errorf("%s: %v, want no password", raw, err)
		}
	}
	if _, err := mysqlParse("postgres://a:" + pw + "@h/db"); err == nil {
		t.Error("a PostgreSQL URL was taken for a MySQL one")
	}
}

func TestMySQLPrivateHostRefusedWithoutConnecting(t *testing.T) {
	f := newMySQLFake(t, 0, "", "")
	_, port, _ := net.SplitHostPort(f.addr)
	pw := pgRandom(t)
	for _, in := range []struct{ rule, raw string }{
		{"mysql-connection-uri", "mysql://shop:" + pw + "@" + f.addr + "/shop"},
		{"mysql-connection-uri", "mysql://shop:" + pw + "@localhost:" + port + "/shop"},
		{"mysql-connection-uri", "mysql://shop:" + pw + "@169.254.169.254/shop"},
		{"mysql-connection-uri", "mysql://shop:" + pw + "@[::ffff:127.0.0.1]:" + port + "/shop"},
		{"mysql-go-dsn", "shop:" + pw + "@tcp(" + f.addr + ")/shop"},
		{"mysql-go-dsn", "shop:" + pw + "@tcp(10.0.4.12:3306)/shop"},
		{"mysql-go-dsn", "shop:" + pw + "@unix(/var/run/mysqld/mysqld.sock)/shop"},
	} {
		got := mysqlVerify(t, &Options{}, in.rule, in.raw, pw)
		if got.Status != leak.Unknown || !strings.Contains(got.StatusReason, "is private; use --verify-private-hosts to allow") {
			t.Errorf("%s: status %s (%s), want unknown: private host", strings.Replace(in.raw, pw, "PW", 1), got.Status, got.StatusReason)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := f.accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the private host", n)
	}
}

func TestMySQLUnknownNothingListening(t *testing.T) {
	pw := pgRandom(t)
	got := mysqlVerify(t, &Options{PrivateHosts: true, Timeout: 2 * time.Second}, "mysql-connection-uri",
		"mysql://shop:"+pw+"@127.0.0.1:"+pgClosedPort(t)+"/shop", pw)
	if got.Status != leak.Unknown || !strings.Contains(got.StatusReason, "connection refused") {
		t.Fatalf("status %s (%s), want unknown: connection refused", got.Status, got.StatusReason)
	}
}

func TestMySQLUnknownTimeout(t *testing.T) {
	addr, _ := countingListenerSilent(t)
	pw := pgRandom(t)
	got := mysqlVerify(t, &Options{PrivateHosts: true, Timeout: 300 * time.Millisecond}, "mysql-go-dsn",
		"shop:"+pw+"@tcp("+addr+")/shop", pw)
	if got.Status != leak.Unknown || !strings.Contains(got.StatusReason, "timed out") {
		t.Fatalf("status %s (%s), want unknown: timed out", got.Status, got.StatusReason)
	}
}

func TestMySQLNoPasswordAndPasswordOnly(t *testing.T) {
	got := mysqlVerify(t, &Options{}, "mysql-connection-uri", "mysql://shop@db.public.test/shop", "")
	if got.Status != leak.Unknown || got.StatusReason != "no password in the URL" {
		t.Errorf("no password: status %s (%s)", got.Status, got.StatusReason)
	}
	pw := pgRandom(t)
	got = mysqlVerify(t, &Options{}, "mysql-go-dsn", pw, pw)
	if got.Status != leak.Unknown || got.StatusReason != dbNoURLReason {
		t.Errorf("password only: status %s (%s)", got.Status, got.StatusReason)
	}
}
