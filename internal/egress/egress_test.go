package egress_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		want egress.Class
	}{
		// IPv4 public.
		{"8.8.8.8", egress.Public},
		{"1.1.1.1", egress.Public},
		{"52.94.236.248", egress.Public},
		{"100.63.255.255", egress.Public},
		{"100.128.0.0", egress.Public},
		{"172.15.255.255", egress.Public},
		{"172.32.0.0", egress.Public},
		{"192.167.255.255", egress.Public},
		{"192.169.0.0", egress.Public},
		{"198.17.255.255", egress.Public},
		{"198.20.0.0", egress.Public},
		{"223.255.255.255", egress.Public},
		{"169.253.255.255", egress.Public},
		{"11.0.0.1", egress.Public},
		// IPv4 not public.
		{"0.0.0.0", egress.Unspecified},
		{"0.1.2.3", egress.Reserved},
		{"10.0.0.1", egress.Private},
		{"10.255.255.255", egress.Private},
		{"100.64.0.1", egress.Shared},
		{"100.127.255.254", egress.Shared},
		{"127.0.0.1", egress.Loopback},
		{"127.255.255.254", egress.Loopback},
		{"169.254.0.1", egress.LinkLocal},
		{"169.254.169.253", egress.LinkLocal},
		{"169.254.169.254", egress.Metadata},
		{"169.254.170.2", egress.Metadata},
		{"169.254.170.23", egress.Metadata},
		{"100.100.100.200", egress.Metadata},
		{"192.0.0.192", egress.Metadata},
		{"172.16.0.1", egress.Private},
		{"172.31.255.255", egress.Private},
		{"192.0.0.8", egress.Reserved},
		{"192.0.2.10", egress.Reserved},
		{"192.88.99.1", egress.Reserved},
		{"192.168.1.1", egress.Private},
		{"198.18.0.1", egress.Reserved},
		{"198.19.255.255", egress.Reserved},
		{"198.51.100.7", egress.Reserved},
		{"203.0.113.9", egress.Reserved},
		{"224.0.0.1", egress.Multicast},
		{"239.255.255.250", egress.Multicast},
		{"240.0.0.1", egress.Reserved},
		{"255.255.255.254", egress.Reserved},
		{"255.255.255.255", egress.Broadcast},
		// IPv4-mapped IPv6 carries the IPv4 address's class.
		{"::ffff:8.8.8.8", egress.Public},
		{"::ffff:127.0.0.1", egress.Loopback},
		{"::ffff:7f00:1", egress.Loopback},
		{"::ffff:10.1.2.3", egress.Private},
		{"::ffff:169.254.169.254", egress.Metadata},
		{"::ffff:a9fe:a9fe", egress.Metadata},
		{"::ffff:100.64.0.1", egress.Shared},
		{"::ffff:0.0.0.0", egress.Unspecified},
		{"::ffff:255.255.255.255", egress.Broadcast},
		// IPv6 public.
		{"2001:4860:4860::8888", egress.Public},
		{"2606:4700:4700::1111", egress.Public},
		{"2a05:d018::1", egress.Public},
		// IPv6 not public.
		{"::", egress.Unspecified},
		{"::1", egress.Loopback},
		{"fc00::1", egress.Private},
		{"fd12:3456:789a::1", egress.Private},
		{"fd00:ec2::254", egress.Metadata},
		{"fd00:ec2::23", egress.Metadata},
		{"fd00:ec2::253", egress.Private},
		{"fe80::1", egress.LinkLocal},
		{"fe80::1%eth0", egress.LinkLocal},
		{"febf::1", egress.LinkLocal},
		{"fec0::1", egress.Reserved},
		{"ff02::1", egress.Multicast},
		{"ff05::2", egress.Multicast},
		{"::127.0.0.1", egress.Reserved},
		{"64:ff9b::a9fe:a9fe", egress.Reserved},
		{"64:ff9b:1::1", egress.Reserved},
		{"100::1", egress.Reserved},
		{"2001::1", egress.Reserved},
		{"2001:db8::1", egress.Reserved},
		{"2002:7f00:1::", egress.Reserved},
		{"3fff::1", egress.Reserved},
		{"4000::1", egress.Reserved},
	}
	for _, tt := range tests {
		if got := egress.Classify(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Classify(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
	if got := egress.Classify(netip.Addr{}); got != egress.Invalid {
		t.Errorf("Classify(zero) = %s, want %s", got, egress.Invalid)
	}
}

func TestCheckHost(t *testing.T) {
	tests := []struct {
		host     string
		strict   egress.Class // "" when the zero Policy admits it
		loopback egress.Class // with AllowLoopback
	}{
		{"api.twilio.com", "", ""},
		{"graph.facebook.com.", "", ""},
		{"8.8.8.8", "", ""},
		{"2001:4860:4860::8888", "", ""},
		{"[2001:4860:4860::8888]", "", ""},
		{"cafe.be", "", ""},
		{"127.0.0.1", egress.Loopback, ""},
		{"127.0.0.1.", egress.Loopback, ""},
		{"::1", egress.Loopback, ""},
		{"[::1]", egress.Loopback, ""},
		{"::ffff:127.0.0.1", egress.Loopback, ""},
		{"localhost", egress.Loopback, ""},
		{"LOCALHOST.", egress.Loopback, ""},
		{"api.localhost", egress.Loopback, ""},
		{"169.254.169.254", egress.Metadata, egress.Metadata},
		{"::ffff:169.254.169.254", egress.Metadata, egress.Metadata},
		{"fd00:ec2::254", egress.Metadata, egress.Metadata},
		{"10.0.0.5", egress.Private, egress.Private},
		{"fe80::1%25eth0", egress.LinkLocal, egress.LinkLocal},
		{"100.64.1.1", egress.Shared, egress.Shared},
		{"0.0.0.0", egress.Unspecified, egress.Unspecified},
		{"2130706433", egress.Ambiguous, egress.Ambiguous},
		{"127.1", egress.Ambiguous, egress.Ambiguous},
		{"0x7f.0.0.1", egress.Ambiguous, egress.Ambiguous},
		{"0x7f000001", egress.Ambiguous, egress.Ambiguous},
		{"", egress.Invalid, egress.Invalid},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			p    egress.Policy
			want egress.Class
		}{{egress.Policy{}, tt.strict}, {egress.Policy{AllowLoopback: true}, tt.loopback}} {
			err := c.p.CheckHost(strings.ReplaceAll(tt.host, "%25", "%"))
			var re *egress.RefusedError
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%+v CheckHost(%q) = %v, want nil", c.p, tt.host, err)
			case c.want != "" && (!errors.As(err, &re) || re.Class != c.want):
				t.Errorf("%+v CheckHost(%q) = %v, want refused as %s", c.p, tt.host, err, c.want)
			}
		}
	}
}

// refused checks that err is a connection egress refused, naming address.
func refused(t *testing.T, err error, address string, class egress.Class) {
	t.Helper()
	var re *egress.RefusedError
	if !errors.As(err, &re) || re.Class != class || !strings.Contains(err.Error(), address) {
		t.Fatalf("error = %v, want a refusal of %s as %s", err, address, class)
	}
}

// server counts the requests it is sent.
func server(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestSSRFLoopbackRefusedUnlessAllowed(t *testing.T) {
	srv, hits := server(t)
	_, err := egress.Policy{}.Client(time.Second).Get(srv.URL)
	refused(t, err, srv.Listener.Addr().String(), egress.Loopback)
	if hits.Load() != 0 {
		t.Fatal("the refused request reached the server")
	}
	resp, err := egress.Policy{AllowLoopback: true}.Client(time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("with loopback allowed: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("with loopback allowed, %d requests arrived", hits.Load())
	}
}

func TestSSRFMetadataAddress(t *testing.T) {
	// Refused before connecting: nothing is sent, on any network.
	for _, tt := range []struct{ url, address string }{
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254:80"},
		{"http://169.254.170.2/v2/credentials", "169.254.170.2:80"},
		{"http://[::ffff:169.254.169.254]/latest/api/token", "169.254.169.254:80"},
	} {
		for _, p := range []egress.Policy{{}, {AllowLoopback: true}} {
			_, err := p.Client(time.Second).Get(tt.url)
			refused(t, err, tt.address, egress.Metadata)
		}
	}
}

func TestSSRFPrivateAddresses(t *testing.T) {
	for _, target := range []string{"10.0.0.1:80", "192.168.0.1:443", "172.16.0.1:80", "100.64.0.1:80", "0.0.0.0:80", "198.18.0.1:80"} {
		_, err := egress.Policy{AllowLoopback: true}.Client(time.Second).Get("http://" + target + "/")
		var re *egress.RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), target) {
			t.Errorf("GET %s = %v, want refused", target, err)
		}
	}
}

func TestSSRFRedirectNotFollowed(t *testing.T) {
	target, hits := server(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	resp, err := egress.Policy{AllowLoopback: true}.Client(time.Second).Post(redirect.URL, "text/plain", strings.NewReader("secret body"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Fatalf("status %d, %d requests at the redirect's target; want the 307 itself and none", resp.StatusCode, hits.Load())
	}
}

func TestSSRFDNSRebinding(t *testing.T) {
	srv, hits := server(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// A public-looking name whose DNS answers 127.0.0.1, as a rebinding
	// attacker's server does after the name was checked.
	const name = "api.rebind.example"
	if err := (egress.Policy{}).CheckHost(name); err != nil {
		t.Fatalf("CheckHost(%s) = %v: a name passes up front", name, err)
	}
	resolver := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	target := "http://" + net.JoinHostPort(name, port) + "/"
	_, err := egress.Policy{Resolver: resolver}.Client(2 * time.Second).Get(target)
	refused(t, err, "127.0.0.1:"+port, egress.Loopback)
	if hits.Load() != 0 {
		t.Fatal("the rebound name reached the loopback server")
	}
	// The same resolver with loopback allowed does reach it: the refusal
	// above is the connect-time check, not a failed lookup.
	resp, err := egress.Policy{Resolver: resolver, AllowLoopback: true}.Client(2 * time.Second).Get(target)
	if err != nil {
		t.Fatalf("with loopback allowed: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("%d requests arrived, want 1", hits.Load())
	}
}

func TestRefusedErrorThroughURLError(t *testing.T) {
	_, err := egress.Policy{}.Client(time.Second).Get("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next")
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("error %T, want a *url.Error", err)
	}
	refused(t, err, "127.0.0.1:9001", egress.Loopback)
}

// fakeDNS is a resolver whose every A query is answered with addr and
// every other query with no records, over an in-memory connection.
func fakeDNS(t *testing.T, addr netip.Addr) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, srv := net.Pipe()
		go func() {
			defer srv.Close()
			// Not a net.PacketConn: the resolver frames messages as over TCP.
			var n uint16
			if err := binary.Read(srv, binary.BigEndian, &n); err != nil {
				return
			}
			query := make([]byte, n)
			if _, err := io.ReadFull(srv, query); err != nil {
				return
			}
			answer := dnsAnswer(query, addr)
			if answer == nil {
				t.Errorf("fake DNS: unreadable query %x", query)
				return
			}
			_ = binary.Write(srv, binary.BigEndian, uint16(len(answer)))
			_, _ = srv.Write(answer)
		}()
		return client, nil
	}}
}

// dnsAnswer answers a query's question: one A record of addr for an A
// question, none for others. nil for a query it cannot read.
func dnsAnswer(query []byte, addr netip.Addr) []byte {
	end := 12
	for end < len(query) && query[end] != 0 {
		end += int(query[end]) + 1
	}
	end += 5 // the root label, QTYPE, QCLASS
	if len(query) < 12 || end > len(query) {
		return nil
	}
	question := query[12:end]
	isA := binary.BigEndian.Uint16(question[len(question)-4:]) == 1
	msg := append([]byte{}, query[0], query[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0)
	msg = append(msg, question...)
	if isA {
		msg[7] = 1 // ANCOUNT
		ip := addr.As4()
		msg = append(msg, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		msg = append(msg, ip[:]...)
	}
	return msg
}
