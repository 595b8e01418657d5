package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		v     uint16
		psk   bool
		suite uint16
	}{
		{"DTLS1.2/ECDSA", dtls.VersionDTLS12, false, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"DTLS1.0/ECDSA", dtls.VersionDTLS10, false, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		{"DTLS1.2/PSK", dtls.VersionDTLS12, true, dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		{"DTLS1.0/PSK", dtls.VersionDTLS10, true, dtls.TLS_PSK_WITH_AES_128_CBC_SHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, sc := configs(t, tt.v, tt.psk)
			// Without probing, both ends keep the route's MTU, so that an
			// echo of the client's MaxPayload fits the server's too; with
			// it, each end's size moves with its own probes
			// (TestProbeLoopback).
			l := listen(t, ListenConfig{DisableProbing: true}, sc)
			wait := serveEcho(l)
			c := dial(t, Dialer{DisableProbing: true}, "udp", l, cc)
			st := c.ConnectionState()
			if st.Version != tt.v || st.CipherSuite != tt.suite {
				t.Errorf("negotiated %#04x %s, want %#04x %s", st.Version,
					dtls.CipherSuiteName(st.CipherSuite), tt.v, dtls.CipherSuiteName(tt.suite))
			}
			for i := range 5 {
				roundTrip(t, c, fmt.Appendf(nil, "datagram %d", i))
			}
			roundTrip(t, c, make([]byte, c.MaxPayload()))
			c.Close()
			l.Close()
			wait()
		})
	}
}

// TestServerNameFromAddress checks that Dial verifies the server's
// certificate against the host part of the address when the Config names
// no server, without changing the caller's Config.
func TestServerNameFromAddress(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	l := listen(t, ListenConfig{}, sc)
	wait := serveEcho(l)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	// The certificate is for localhost, 127.0.0.1 and ::1.
	for _, host := range []string{"localhost", "127.0.0.1"} {
		c, err := Dial(context.Background(), "udp4", net.JoinHostPort(host, port), cc)
		if err != nil {
			t.Fatalf("Dial %s: %v", host, err)
		}
		c.Close()
	}
	if cc.ServerName != "" {
		t.Errorf("Dial changed the caller's Config: ServerName = %q", cc.ServerName)
	}
	l.Close()
	wait()
}

func TestDialBadServerName(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	cc.ServerName = "not-the-server.example"
	cc.HandshakeTimeout = -1
	l := listen(t, ListenConfig{}, sc)
	wait := serveEcho(l)
	defer wait()
	defer l.Close()
	if c, err := Dial(context.Background(), "udp", l.Addr().String(), cc); err == nil {
		c.Close()
		t.Fatal("Dial succeeded against a certificate for another name")
	}
}

func TestSeveralClients(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	l := listen(t, ListenConfig{}, sc)
	wait := serveEcho(l)
	const clients = 6
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := Dial(context.Background(), "udp4", l.Addr().String(), cc)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			buf := make([]byte, 100)
			for j := range 10 {
				msg := fmt.Sprintf("client %d message %d", i, j)
				if _, err := c.Write([]byte(msg)); err != nil {
					errs <- err
					return
				}
				n, err := c.Read(buf)
				if err != nil || string(buf[:n]) != msg {
					errs <- fmt.Errorf("client %d: read %q, %v; want %q", i, buf[:n], err, msg)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := l.stats.created.Load(); got != clients {
		t.Errorf("created %d associations, want %d", got, clients)
	}
	l.Close()
	wait()
}

func TestDualStack(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	l, err := Listen("udp", "[::]:0", sc)
	if err != nil {
		testenv.SkipOrFail(t, "no IPv6 wildcard socket: %v", err)
	}
	defer l.Close()
	wait := serveEcho(l)
	defer wait()
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	for _, host := range []string{"127.0.0.1", "::1"} {
		c, err := Dial(context.Background(), "udp", net.JoinHostPort(host, port), cc)
		if err != nil {
			if host == "::1" && isNoIPv6(err) {
				t.Logf("skipping ::1: %v", err)
				continue
			}
			t.Fatalf("Dial %s: %v", host, err)
		}
		roundTrip(t, c, []byte("over "+host))
		// The server reports an IPv4 peer by its IPv4 address.
		local := c.LocalAddr().(*net.UDPAddr).AddrPort()
		l.mu.Lock()
		_, ok := l.assocs[local]
		l.mu.Unlock()
		if !ok {
			t.Errorf("no association keyed by the client's address %v", local)
		}
		c.Close()
	}
}

func isNoIPv6(err error) bool {
	return strings.Contains(err.Error(), "network is unreachable") ||
		strings.Contains(err.Error(), "cannot assign requested address")
}

var traceSizes = regexp.MustCompile(`(\d+) bytes \(`)

// TestFixedMTU checks that a fixed MTU of 300 bytes keeps every handshake
// datagram within 272 bytes of UDP payload (IPv4) on both sides, and sizes
// MaxPayload from it.
func TestFixedMTU(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	var mu sync.Mutex
	var sizes []int
	trace := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range traceSizes.FindAllStringSubmatch(msg, -1) {
			n, _ := strconv.Atoi(m[1])
			sizes = append(sizes, n)
		}
	}
	cc.Trace, sc.Trace = trace, trace
	l := listen(t, ListenConfig{MTU: 300}, sc)
	wait := serveEcho(l)
	c := dial(t, Dialer{MTU: 300}, "udp4", l, cc)
	roundTrip(t, c, make([]byte, c.MaxPayload()))
	// AES-128-GCM: 13-byte header, 8-byte explicit nonce, 16-byte tag.
	if want := 272 - 13 - 8 - 16; c.MaxPayload() != want {
		t.Errorf("MaxPayload = %d, want %d", c.MaxPayload(), want)
	}
	c.Close()
	l.Close()
	wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) < 5 {
		t.Fatalf("trace showed only %d datagrams: %v", len(sizes), sizes)
	}
	for _, n := range sizes {
		if n > 272 {
			t.Errorf("handshake datagram of %d bytes exceeds 272", n)
		}
	}
}

func TestPayloadTooLarge(t *testing.T) {
	cc, sc := configs(t, dtls.VersionDTLS12, true)
	l := listen(t, ListenConfig{}, sc)
	wait := serveEcho(l)
	c := dial(t, Dialer{}, "udp4", l, cc)
	max := c.MaxPayload()
	_, err := c.Write(make([]byte, max+1))
	var pe *dtls.PayloadTooLargeError
	if !errors.As(err, &pe) || pe.Max != max || pe.Size != max+1 {
		t.Fatalf("Write(%d bytes) = %v, want *dtls.PayloadTooLargeError{%d, %d}", max+1, err, max+1, max)
	}
	// Nothing was sent: the next echo is the next datagram.
	roundTrip(t, c, []byte("after"))
	c.Close()
	l.Close()
	wait()
}

func TestBadArguments(t *testing.T) {
	_, sc := configs(t, dtls.VersionDTLS12, true)
	ctx := context.Background()
	if _, err := Dial(ctx, "tcp", "127.0.0.1:1", nil); err == nil {
		t.Error("Dial over tcp succeeded")
	}
	if _, err := Dial(ctx, "udp", "127.0.0.1", nil); err == nil || !strings.HasPrefix(err.Error(), "dtls: ") {
		t.Errorf("Dial without a port: %v", err)
	}
	if _, err := (&Dialer{MTU: 100}).Dial(ctx, "udp", "127.0.0.1:1", nil); err == nil {
		t.Error("Dial with a 100-byte MTU succeeded")
	}
	if _, err := Listen("udp", "127.0.0.1:0", nil); err == nil {
		t.Error("Listen without a Config succeeded")
	}
	if _, err := (&ListenConfig{Backlog: -1}).Listen("udp", "127.0.0.1:0", sc); err == nil {
		t.Error("Listen with a negative backlog succeeded")
	}
	if _, err := Listen("ip4:icmp", "127.0.0.1", sc); err == nil {
		t.Error("Listen on ip4:icmp succeeded")
	}
}
