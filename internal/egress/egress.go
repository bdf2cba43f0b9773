// Package egress is the one way Parley reaches an address a tenant
// configured: a provider's base URL, the agent-platform connector, a
// service account's token URI. Its HTTP client refuses, at the moment each
// connection is made, every address that is not public — loopback,
// private, link-local, cloud metadata, multicast, unspecified, CGNAT and
// the other reserved ranges, in IPv4, IPv6 and IPv4-mapped IPv6 forms — so
// neither an IP literal nor a name that resolves (or re-resolves, as in DNS
// rebinding) to such an address reaches it. It follows no redirects and
// never goes through a proxy, so the address checked is the address
// reached.
//
// Loopback is admitted only by a Policy that says so
// (PARLEY_ALLOW_LOOPBACK_EGRESS, for parley serve against local providers
// and for tests); never on AWS, where 127.0.0.1:9001 is the Lambda runtime
// API.
//
// CheckHost makes the same decision up front, without resolving names, so
// a configuration naming such an address is refused when it is saved; the
// connect-time check is the guard.
package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Timeouts of the client's connections. Client's timeout bounds each whole
// request on top of them.
const (
	DialTimeout         = 5 * time.Second
	TLSHandshakeTimeout = 5 * time.Second
	IdleConnTimeout     = 90 * time.Second
	// DefaultTimeout is a request's bound when Client is given none.
	DefaultTimeout = 30 * time.Second
	// maxResponseHeader bounds the headers of an answer.
	maxResponseHeader = 64 << 10
)

// Class is the kind of range an address is in.
type Class string

// Classes. Only Public is reachable, and Loopback when a Policy allows it.
const (
	Public      Class = "public"
	Loopback    Class = "loopback"       // 127.0.0.0/8, ::1, localhost names
	Private     Class = "private"        // RFC 1918, IPv6 unique local fc00::/7
	LinkLocal   Class = "link-local"     // 169.254.0.0/16, fe80::/10
	Metadata    Class = "metadata"       // cloud instance and task metadata services
	Multicast   Class = "multicast"      // 224.0.0.0/4, ff00::/8
	Unspecified Class = "unspecified"    // 0.0.0.0, ::
	Shared      Class = "shared (CGNAT)" // 100.64.0.0/10
	Broadcast   Class = "broadcast"      // 255.255.255.255
	// Reserved is every other range that is not publicly routable:
	// "this network", protocol assignments, documentation, benchmarking,
	// future use, and IPv6 outside global unicast (2000::/3) or that embeds
	// an IPv4 address (6to4, Teredo, NAT64).
	Reserved Class = "reserved"
	// Ambiguous is a host that is a number but not an IP address in
	// canonical form ("127.1", "2130706433", "0x7f.1"), which some
	// resolvers read as an IPv4 address.
	Ambiguous Class = "numeric host not in canonical IP form"
	// Invalid is an address that cannot be read.
	Invalid Class = "invalid"
)

// ranges lists the non-public ranges, most specific first: the first that
// contains an address classifies it.
var ranges = []struct {
	prefix netip.Prefix
	class  Class
}{
	{netip.MustParsePrefix("169.254.169.254/32"), Metadata}, // AWS, Google Cloud, Azure instance metadata
	{netip.MustParsePrefix("169.254.170.2/32"), Metadata},   // ECS task metadata and credentials
	{netip.MustParsePrefix("169.254.170.23/32"), Metadata},  // EKS Pod Identity credentials
	{netip.MustParsePrefix("fd00:ec2::254/128"), Metadata},  // AWS instance metadata over IPv6
	{netip.MustParsePrefix("fd00:ec2::23/128"), Metadata},   // EKS Pod Identity over IPv6
	{netip.MustParsePrefix("192.0.0.192/32"), Metadata},     // Oracle Cloud instance metadata
	{netip.MustParsePrefix("100.100.100.200/32"), Metadata}, // Alibaba Cloud instance metadata
	{netip.MustParsePrefix("0.0.0.0/32"), Unspecified},
	{netip.MustParsePrefix("0.0.0.0/8"), Reserved}, // "this network"
	{netip.MustParsePrefix("10.0.0.0/8"), Private},
	{netip.MustParsePrefix("100.64.0.0/10"), Shared},
	{netip.MustParsePrefix("127.0.0.0/8"), Loopback},
	{netip.MustParsePrefix("169.254.0.0/16"), LinkLocal},
	{netip.MustParsePrefix("172.16.0.0/12"), Private},
	{netip.MustParsePrefix("192.0.0.0/24"), Reserved},   // IETF protocol assignments
	{netip.MustParsePrefix("192.0.2.0/24"), Reserved},   // documentation (TEST-NET-1)
	{netip.MustParsePrefix("192.88.99.0/24"), Reserved}, // 6to4 relay anycast
	{netip.MustParsePrefix("192.168.0.0/16"), Private},
	{netip.MustParsePrefix("198.18.0.0/15"), Reserved},   // benchmarking
	{netip.MustParsePrefix("198.51.100.0/24"), Reserved}, // documentation (TEST-NET-2)
	{netip.MustParsePrefix("203.0.113.0/24"), Reserved},  // documentation (TEST-NET-3)
	{netip.MustParsePrefix("224.0.0.0/4"), Multicast},
	{netip.MustParsePrefix("255.255.255.255/32"), Broadcast},
	{netip.MustParsePrefix("240.0.0.0/4"), Reserved}, // future use
	{netip.MustParsePrefix("::/128"), Unspecified},
	{netip.MustParsePrefix("::1/128"), Loopback},
	{netip.MustParsePrefix("fc00::/7"), Private},
	{netip.MustParsePrefix("fe80::/10"), LinkLocal},
	{netip.MustParsePrefix("ff00::/8"), Multicast},
	{netip.MustParsePrefix("2001::/23"), Reserved},     // IETF protocol assignments, Teredo
	{netip.MustParsePrefix("2001:db8::/32"), Reserved}, // documentation
	{netip.MustParsePrefix("2002::/16"), Reserved},     // 6to4, which embeds an IPv4 address
	{netip.MustParsePrefix("3fff::/20"), Reserved},     // documentation
}

// globalUnicast is the only IPv6 range with public addresses.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// Classify returns the class of ip. An IPv4-mapped IPv6 address (such as
// ::ffff:127.0.0.1) is classified as the IPv4 address it carries, and a
// zone is ignored.
func Classify(ip netip.Addr) Class {
	if !ip.IsValid() {
		return Invalid
	}
	ip = ip.Unmap().WithZone("")
	for _, r := range ranges {
		if r.prefix.Contains(ip) {
			return r.class
		}
	}
	if ip.Is6() && !globalUnicast.Contains(ip) {
		return Reserved
	}
	return Public
}

// RefusedError is a destination a Policy refused: at connect time the
// address being connected to ("ip:port"), up front the configured host.
type RefusedError struct {
	Address string
	Class   Class
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is not a public address (%s)", e.Address, e.Class)
}

// Policy decides which addresses outbound connections may reach. The zero
// Policy admits public addresses only: what production runs with.
type Policy struct {
	// AllowLoopback admits loopback addresses (127.0.0.0/8, ::1) and
	// localhost names; PARLEY_ALLOW_LOOPBACK_EGRESS, off unless set. Every
	// other non-public class stays refused.
	AllowLoopback bool
	// Resolver looks host names up; nil means net.DefaultResolver. Whatever
	// it answers, the address connected to is checked.
	Resolver *net.Resolver
}

// allows reports whether p reaches addresses of class c.
func (p Policy) allows(c Class) bool {
	return c == Public || c == Loopback && p.AllowLoopback
}

// control is the dialer's hook: it runs after each socket is created and
// before it connects, with the address actually dialed, so a name's
// resolution cannot get around it.
func (p Policy) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Address: address, Class: Invalid}
	}
	if c := Classify(ap.Addr()); !p.allows(c) {
		return &RefusedError{Address: address, Class: c}
	}
	return nil
}

// Dialer returns a dialer that refuses, as it connects, every address p
// does not admit.
func (p Policy) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second, Resolver: p.Resolver, ControlContext: p.control}
}

// Transport returns an HTTP transport that connects through p's Dialer,
// directly: HTTP(S)_PROXY is ignored, since a proxy would make the
// connection the check does not see.
func (p Policy) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            p.Dialer().DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        IdleConnTimeout,
		TLSHandshakeTimeout:    TLSHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeader,
	}
}

// Client returns an HTTP client that reaches only what p admits, follows no
// redirects (a 3xx answer is returned as it is) and bounds each request by
// timeout (DefaultTimeout when not above zero). A refused connection fails
// the request with an error wrapping a *RefusedError.
func (p Policy) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Transport: p.Transport(), Timeout: timeout, CheckRedirect: NoRedirects}
}

// NoRedirects is a CheckRedirect that follows none.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// CheckHost refuses up front, without resolving anything, a configured host
// (a URL's Hostname) that p would refuse to reach whatever DNS says: an IP
// literal outside the ranges p admits, a localhost name (localhost and
// *.localhost, which RFC 6761 sends to loopback), or a number that is not
// an IP address in canonical form. Other names pass; what they resolve to
// is checked when connecting. The error is a *RefusedError.
func (p Policy) CheckHost(host string) error {
	if c := hostClass(host); !p.allows(c) {
		return &RefusedError{Address: host, Class: c}
	}
	return nil
}

// LoopbackHost reports whether host is a loopback IP literal or a
// localhost name.
func LoopbackHost(host string) bool { return hostClass(host) == Loopback }

// hostClass classifies a configured host without resolving it: the class
// of an IP literal, Loopback for localhost names, Ambiguous for other
// numbers, Public for other names.
func hostClass(host string) Class {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	if ip, err := netip.ParseAddr(h); err == nil {
		return Classify(ip)
	}
	switch {
	case h == "":
		return Invalid
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return Loopback
	case numeric(h[strings.LastIndexByte(h, '.')+1:]):
		// No top-level domain is a number: this is an address in a form
		// only some resolvers read.
		return Ambiguous
	}
	return Public
}

// numeric reports whether a DNS label is a decimal, octal or hexadecimal
// number.
func numeric(label string) bool {
	digits := "0123456789"
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		label, digits = rest, "0123456789abcdef"
	}
	return label != "" && strings.Trim(label, digits) == ""
}
