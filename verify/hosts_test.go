package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDBPrivateAddr(t *testing.T) {
	cases := []struct {
		addr    string
		private bool
	}{
		// loopback
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		// RFC 1918 and fc00::/7
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.254", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		// link-local, the cloud metadata service among them
		{"169.254.169.254", true},
		{"169.254.0.1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		// CGNAT
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		// unspecified, multicast, broadcast, reserved
		{"0.0.0.0", true},
		{"::", true},
		{"0.1.2.3", true},
		{"224.0.0.1", true},
		{"239.1.2.3", true},
		{"ff02::1", true},
		{"ff0e::1", true},
		{"255.255.255.255", true},
		{"240.0.0.1", true},
		// documentation and benchmarking
		{"192.0.2.5", true},
		{"198.18.0.1", true},
		{"2001:db8::1", true},
		// IPv4 inside IPv6
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.1.2.3", true},
		{"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true},
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::a9fe:a9fe", true},
		{"2002:7f00:1::1", true},
		{"2002:a00:1::1", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, // Teredo
		// public
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
		{"172.32.0.1", false},
		{"169.253.255.255", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false},
		{"2002:808:808::1", false},
		{"2606:4700:4700::1111", false},
		{"2a00:1450:4001:80b::200e", false},
	}
	for _, tc := range cases {
		ip, err := netip.ParseAddr(tc.addr)
		if err != nil {
			t.Fatalf("%s: %v", tc.addr, err)
		}
		if got := dbPrivateAddr(ip); got != tc.private {
			t.Errorf("dbPrivateAddr(%s) = %v, want %v", tc.addr, got, tc.private)
		}
	}
	if !dbPrivateAddr(netip.Addr{}) {
		t.Errorf("the zero address must count as private")
	}
}

// countingListener is a loopback TCP listener that counts the connections
// it accepts (and closes them at once).
func countingListener(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

func TestDBHostGuardCheck(t *testing.T) {
	g := &dbHostGuard{timeout: time.Second, lookup: func(_ context.Context, _, host string) ([]netip.Addr, error) {
		switch host {
		case "db.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		case "sneaky.example.com": // one public and one private answer
			return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.5")}, nil
		case "metadata.example.com":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		}
		return nil, errors.New("no such host")
	}}
	ctx := context.Background()
	for _, host := range []string{"db.example.com", "8.8.8.8", "[2606:4700:4700::1111]"} {
		if err := g.check(ctx, host); err != nil {
			t.Errorf("check(%s) = %v, want nil", host, err)
		}
	}
	for _, host := range []string{"sneaky.example.com", "metadata.example.com", "127.0.0.1", "[::1]", "::ffff:127.0.0.1", "fe80::1%eth0", "", "/var/run/postgresql", "@abstract"} {
		err := g.check(ctx, host)
		if _, ok := dbIsPrivateRefusal(err); !ok {
			t.Errorf("check(%q) = %v, want a private-host refusal", host, err)
			continue
		}
		if !strings.Contains(err.Error(), "--verify-private-hosts") {
			t.Errorf("refusal %q does not say how to allow it", err)
		}
	}
	if err := g.check(ctx, "nowhere.example.com"); err == nil || strings.Contains(err.Error(), "private") {
		t.Errorf("an unresolvable host: %v, want a not-found error", err)
	}
	g.allowPrivate = true
	if err := g.check(ctx, "127.0.0.1"); err != nil {
		t.Errorf("with private hosts allowed: %v", err)
	}
}

func TestDBHostGuardDialRefusesPrivate(t *testing.T) {
	addr, accepted := countingListener(t)
	g := newDBHostGuard(&Options{Timeout: time.Second})

	// Through DialContext: refused before dialing.
	if _, err := g.DialContext(context.Background(), "tcp", addr); err == nil {
		t.Fatal("dialing 127.0.0.1 with private hosts refused succeeded")
	} else if _, ok := dbIsPrivateRefusal(err); !ok {
		t.Fatalf("dial error %v, want a private-host refusal", err)
	}
	// The dial-time check alone (what stops DNS rebinding: a name that was
	// public when checked and private when dialed).
	if _, err := g.dialer("rebinding.example.com").DialContext(context.Background(), "tcp", addr); err == nil {
		t.Fatal("the guarded dialer connected to 127.0.0.1")
	} else if pe, ok := dbIsPrivateRefusal(err); !ok || pe.host != "rebinding.example.com" {
		t.Fatalf("dial error %v, want a private-host refusal naming the host", err)
	}
	if _, err := g.DialContext(context.Background(), "unix", "/var/run/postgresql/.s.PGSQL.5432"); err == nil {
		t.Fatal("a Unix socket was dialed")
	} else if _, ok := dbIsPrivateRefusal(err); !ok {
		t.Fatalf("unix dial error %v, want a private-host refusal", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the listener accepted %d connections; the guard must refuse before connecting", n)
	}

	// Allowed, the same dial connects.
	g = newDBHostGuard(&Options{Timeout: time.Second, PrivateHosts: true})
	c, err := g.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial with private hosts allowed: %v", err)
	}
	c.Close()
}
