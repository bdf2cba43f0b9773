package xray

import (
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The X-Ray daemon (in Lambda, the one the service runs beside each
// function) takes segment documents over UDP, one per datagram, each
// preceded by a header line.
const (
	daemonHeader  = "{\"format\": \"json\", \"version\": 1}\n"
	defaultDaemon = "127.0.0.1:2000"
	// maxDatagram keeps a datagram within X-Ray's 64 KB document limit.
	maxDatagram = 64000
	// sendTimeout bounds a send; a UDP send to the local daemon takes
	// microseconds, so it only ever applies to a socket gone wrong.
	sendTimeout = 50 * time.Millisecond
)

// daemon is the socket the documents go out on, dialled at the first send
// and again when AWS_XRAY_DAEMON_ADDRESS changes.
var daemon struct {
	mu   sync.Mutex
	addr string
	conn *net.UDPConn
}

// dropped counts the documents that could not be sent. Tracing is best
// effort: a failed send never fails or delays the call it records.
var dropped atomic.Uint64

// daemonAddress returns the UDP address AWS_XRAY_DAEMON_ADDRESS names, in
// either of its forms, "host:port" or "udp:host:port tcp:host:port" (in
// any order), or the default when the variable is empty or malformed.
func daemonAddress(env string) (string, bool) {
	fields := strings.Fields(env)
	switch {
	case len(fields) == 0:
		return defaultDaemon, true
	case len(fields) == 1 && validHostPort(fields[0]):
		return fields[0], true
	}
	udp := ""
	for _, f := range fields {
		switch {
		case strings.HasPrefix(f, "udp:") && udp == "" && validHostPort(f[4:]):
			udp = f[4:]
		case strings.HasPrefix(f, "tcp:") && validHostPort(f[4:]):
		default:
			return defaultDaemon, false
		}
	}
	if udp == "" {
		return defaultDaemon, false
	}
	return udp, true
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	p, err := strconv.Atoi(port)
	return err == nil && p > 0 && p < 1<<16
}

// send sends doc to the daemon, best effort.
func send(doc *subsegment) {
	b, err := json.Marshal(doc)
	if err != nil {
		drop("encode", err)
		return
	}
	if len(daemonHeader)+len(b) > maxDatagram {
		drop("size", nil)
		return
	}
	conn, err := daemonConn()
	if err != nil {
		drop("dial", err)
		return
	}
	_ = conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	if _, err := conn.Write(append([]byte(daemonHeader), b...)); err != nil {
		drop("write", err)
	}
}

// daemonConn returns the socket to the daemon AWS_XRAY_DAEMON_ADDRESS
// names now.
func daemonConn() (*net.UDPConn, error) {
	addr, ok := daemonAddress(os.Getenv("AWS_XRAY_DAEMON_ADDRESS"))
	if !ok {
		slog.Debug("xray: AWS_XRAY_DAEMON_ADDRESS is malformed; using the default", "default", defaultDaemon)
	}
	daemon.mu.Lock()
	defer daemon.mu.Unlock()
	if daemon.conn != nil && daemon.addr == addr {
		return daemon.conn, nil
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	if daemon.conn != nil {
		_ = daemon.conn.Close()
	}
	daemon.addr, daemon.conn = addr, conn
	return conn, nil
}

func drop(why string, err error) {
	dropped.Add(1)
	slog.Debug("xray: subsegment not sent", "why", why, "err", err)
}
