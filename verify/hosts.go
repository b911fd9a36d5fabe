package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The private-host guard.
//
// A database URL carries its own host, and a commit under scan is written
// by whoever pushed it: verifying such a URL as found would let a
// malicious commit make CI connect anywhere it can reach, the internal
// network and the cloud metadata service included. So credentials that
// carry their own host are verified only when the host is public, unless
// the operator allows private hosts (Options.PrivateHosts,
// --verify-private-hosts).
//
// The guard looks twice: before connecting, every address the host name
// resolves to must be public (a refusal then costs no connection), and at
// dial time a net.Dialer Control function checks the address the socket
// is actually connecting to, so a DNS answer that changes between the two
// (DNS rebinding) cannot slip through.

// dbPrivateHostError is the refusal of a private host. The host name is
// not secret and is shown.
type dbPrivateHostError struct{ host string }

func (e *dbPrivateHostError) Error() string {
	return "host " + e.host + " is private; use --verify-private-hosts to allow"
}

// dbHostGuard checks and dials the hosts of database credentials.
type dbHostGuard struct {
	// allowPrivate turns the guard off (--verify-private-hosts).
	allowPrivate bool
	// timeout bounds one dial.
	timeout time.Duration
	// lookup resolves a host name (net.DefaultResolver.LookupNetIP).
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

func newDBHostGuard(o *Options) *dbHostGuard {
	return &dbHostGuard{allowPrivate: o.PrivateHosts, timeout: o.timeout(), lookup: net.DefaultResolver.LookupNetIP}
}

// check refuses host when it is a Unix socket path or resolves to any
// private address. It returns nil for a public host, and always when
// private hosts are allowed.
func (g *dbHostGuard) check(ctx context.Context, host string) error {
	if g.allowPrivate {
		return nil
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if h == "" || strings.HasPrefix(h, "/") || strings.HasPrefix(h, "@") {
		// No host means the local default; a path is a Unix socket on
		// this machine (an abstract one starts with @).
		return &dbPrivateHostError{host: dbShowHost(host)}
	}
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i] // an IPv6 zone: only link-local addresses have one
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if dbPrivateAddr(ip) {
			return &dbPrivateHostError{host: host}
		}
		return nil
	}
	ips, err := g.lookup(ctx, "ip", h)
	if err != nil {
		return fmt.Errorf("host %s not found", host)
	}
	if len(ips) == 0 {
		return fmt.Errorf("host %s has no address", host)
	}
	for _, ip := range ips {
		if dbPrivateAddr(ip) {
			return &dbPrivateHostError{host: host}
		}
	}
	return nil
}

// dialer returns a net.Dialer whose Control function refuses a private
// address at the moment of connecting (unless private hosts are allowed).
// host names the host in the refusal.
func (g *dbHostGuard) dialer(host string) *net.Dialer {
	d := &net.Dialer{Timeout: g.timeout}
	if g.allowPrivate {
		return d
	}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || dbPrivateAddr(ap.Addr()) {
			return &dbPrivateHostError{host: host}
		}
		return nil
	}
	return d
}

// DialContext dials addr ("host:port") over TCP through the guard: the
// host is checked before dialing and the address connected to is checked
// again by the dialer. Unix sockets are refused unless private hosts are
// allowed.
func (g *dbHostGuard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network == "unix" || network == "unixgram" || network == "unixpacket" {
		if !g.allowPrivate {
			return nil, &dbPrivateHostError{host: dbShowHost(addr)}
		}
		return (&net.Dialer{Timeout: g.timeout}).DialContext(ctx, network, addr)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if err := g.check(ctx, host); err != nil {
		return nil, err
	}
	return g.dialer(host).DialContext(ctx, network, addr)
}

// dbShowHost is how a host is named in a refusal: a socket path as is,
// an empty host as "(local default)".
func dbShowHost(h string) string {
	if h == "" {
		return "(local default)"
	}
	return h
}

// dbSpecialPrefixes are the address ranges, besides those the netip
// predicates name, that are not the public internet: shared (CGNAT)
// address space, "this network", IETF protocol assignments, benchmarking,
// documentation, reserved (with broadcast), IPv6 discard, ORCHID, site-local
// and documentation ranges, and Teredo (whose embedded addresses are
// obscured).
var dbSpecialPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",
		"100.64.0.0/10",
		"192.0.0.0/24",
		"192.0.2.0/24",
		"198.18.0.0/15",
		"198.51.100.0/24",
		"203.0.113.0/24",
		"240.0.0.0/4",
		"100::/64",
		"2001::/32",
		"2001:10::/28",
		"2001:20::/28",
		"2001:db8::/32",
		"fec0::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

var (
	dbNAT64      = netip.MustParsePrefix("64:ff9b::/96")
	dbNAT64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	db6to4       = netip.MustParsePrefix("2002::/16")
	dbV4Compat   = netip.MustParsePrefix("::/96")
)

// dbPrivateAddr reports whether ip is anything but a public unicast
// address: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16
// with the cloud metadata address, fe80::/10), CGNAT, unspecified,
// multicast, and the special ranges above. IPv4 addresses written inside
// IPv6 ones (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::/96 and 6to4 2002::/16) are judged by the IPv4 address they
// carry.
func dbPrivateAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case dbNAT64.Contains(ip), dbV4Compat.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
			return dbPrivateAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case db6to4.Contains(ip):
			return dbPrivateAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		case dbNAT64Local.Contains(ip):
			return true
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range dbSpecialPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// dbIsPrivateRefusal reports whether err is (or wraps) a refusal of the
// guard, and returns it.
func dbIsPrivateRefusal(err error) (*dbPrivateHostError, bool) {
	var pe *dbPrivateHostError
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}
