package transport_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testpki"
	"github.com/pathdtls/pathdtls/transport"
)

// These benchmarks measure whole handshakes over the loopback with the
// package's public API only, so that the same code measures the transport
// before and after a change of its engine. Every call that opens, accepts
// or shakes hands on an association is in benchListen, benchDial and
// serveEcho; the rest uses only net.Conn and ConnectionState.

const (
	// stallThreshold is the handshake time counted as a stall: on the
	// loopback a handshake takes milliseconds, so one that takes this long
	// waited for a retransmission timer (1 s at first, RFC 6347 §4.2.4.1).
	stallThreshold = 500 * time.Millisecond
	// echoTimeout is how long a client waits for the echo of a datagram
	// before it counts the datagram as undelivered.
	echoTimeout = 2 * time.Second
	// dialTimeout bounds a client's handshake.
	dialTimeout = 30 * time.Second
	// concurrentClients is the number of clients that start at once in
	// BenchmarkHandshakeConcurrent100, and concurrentEchoes the datagrams
	// each has echoed.
	concurrentClients = 100
	concurrentEchoes  = 5
)

// A benchSuite is a pair of configurations that negotiate one cipher suite.
type benchSuite struct {
	name           string
	suite          uint16
	client, server *dtls.Config
}

// check returns an error if c did not negotiate s's suite.
func (s benchSuite) check(c *transport.Conn) error {
	if got := c.ConnectionState().CipherSuite; got != s.suite {
		return fmt.Errorf("negotiated %s, want %s", dtls.CipherSuiteName(got), dtls.CipherSuiteName(s.suite))
	}
	return nil
}

var (
	benchPKIOnce sync.Once
	benchCert    tls.Certificate
	benchCA      *testpki.CA
	benchPKIErr  error
)

// benchSuites returns DTLS 1.2 configurations for
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 over P-256 with a certificate
// from a throwaway CA, and for TLS_PSK_WITH_AES_128_GCM_SHA256.
func benchSuites(b *testing.B) []benchSuite {
	b.Helper()
	benchPKIOnce.Do(func() {
		if benchCA, benchPKIErr = testpki.NewCA("transport benchmark CA"); benchPKIErr == nil {
			benchCert, benchPKIErr = benchCA.IssueECDSA()
		}
	})
	if benchPKIErr != nil {
		b.Fatalf("generating certificates: %v", benchPKIErr)
	}
	ecdsa := []uint16{dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	p256 := []tls.CurveID{tls.CurveP256}
	key := func([]byte) ([]byte, error) { return []byte("0123456789abcdef"), nil }
	psk := []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256}
	return []benchSuite{
		{
			name:   "ECDSA",
			suite:  ecdsa[0],
			client: &dtls.Config{CipherSuites: ecdsa, CurvePreferences: p256, RootCAs: benchCA.Pool(), ServerName: "localhost"},
			server: &dtls.Config{CipherSuites: ecdsa, CurvePreferences: p256, Certificates: []tls.Certificate{benchCert}},
		},
		{
			name:   "PSK",
			suite:  psk[0],
			client: &dtls.Config{CipherSuites: psk, PSK: key, PSKIdentity: []byte("client")},
			server: &dtls.Config{CipherSuites: psk, PSK: key, PSKIdentityHint: []byte("hint")},
		},
	}
}

// benchListen opens a listener on the IPv4 loopback.
func benchListen(b *testing.B, config *dtls.Config) *transport.Listener {
	b.Helper()
	l, err := transport.Listen("udp4", "127.0.0.1:0", config)
	if err != nil {
		b.Fatalf("Listen: %v", err)
	}
	return l
}

// benchDial opens a new client socket to addr and completes a handshake.
func benchDial(ctx context.Context, addr string, config *dtls.Config) (*transport.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	return transport.Dial(ctx, "udp4", addr, config)
}

// serveEcho accepts associations on l until l is closed, and on each, in
// its own goroutine, completes the handshake and echoes every datagram
// until the client's close_notify or the listener's Close. The returned
// function waits for every goroutine it started.
func serveEcho(l *transport.Listener) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.AcceptContext(context.Background())
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
				defer cancel()
				if c.HandshakeContext(ctx) != nil {
					return
				}
				echo(c)
			})
		}
	})
	return wg.Wait
}

// echo writes every datagram it reads back to the peer until an error.
func echo(c net.Conn) {
	buf := make([]byte, 2048)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// exchange writes msg on c and reports whether the same bytes came back
// within echoTimeout; other datagrams, such as a late echo of an earlier
// message, are skipped.
func exchange(c net.Conn, msg []byte) bool {
	if _, err := c.Write(msg); err != nil {
		return false
	}
	if err := c.SetReadDeadline(time.Now().Add(echoTimeout)); err != nil {
		return false
	}
	buf := make([]byte, 2048)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return false
		}
		if string(buf[:n]) == string(msg) {
			return true
		}
	}
}

// startServer starts a listener for s with its echo server, and returns
// the listener's address and a function that closes the listener, waits
// for the server's goroutines, and checks that no goroutine started since
// startServer was called is left. The function also runs at cleanup, for
// a benchmark that fails early.
func startServer(b *testing.B, s benchSuite) (addr string, stop func()) {
	b.Helper()
	before := runtime.NumGoroutine()
	l := benchListen(b, s.server)
	wait := serveEcho(l)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Close()
			wait()
			checkGoroutines(b, before)
		})
	}
	b.Cleanup(stop)
	return l.Addr().String(), stop
}

// checkGoroutines fails b if more than want goroutines are left once the
// timers of the associations just closed have had time to finish.
func checkGoroutines(b *testing.B, want int) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			b.Errorf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkHandshakeSequential measures short-lived clients one after
// another: each iteration opens a new client socket, completes a
// handshake, has one datagram echoed and closes. Once a client has gone,
// its port is closed, so the server's next sends may meet the ICMP errors
// its last datagrams to that port caused. Besides the time of a whole
// iteration, it reports the handshakes per second of time spent in
// handshakes, the handshakes per iteration that took at least
// stallThreshold, and the echoes per iteration that did not come back
// within echoTimeout.
func BenchmarkHandshakeSequential(b *testing.B) {
	for _, s := range benchSuites(b) {
		b.Run(s.name, func(b *testing.B) {
			addr, stop := startServer(b, s)
			msg := []byte("ping")
			var n, stalls, undelivered int
			var handshaking time.Duration
			for b.Loop() {
				start := time.Now()
				c, err := benchDial(context.Background(), addr, s.client)
				if err != nil {
					b.Fatalf("handshake %d: %v", n, err)
				}
				d := time.Since(start)
				handshaking += d
				if d >= stallThreshold {
					stalls++
				}
				if err := s.check(c); err != nil {
					b.Fatal(err)
				}
				if !exchange(c, msg) {
					undelivered++
				}
				c.Close()
				n++
			}
			stop()
			b.ReportMetric(float64(n)/handshaking.Seconds(), "handshakes/s")
			b.ReportMetric(float64(stalls)/float64(n), "stalls/op")
			b.ReportMetric(float64(undelivered)/float64(n), "undelivered/op")
		})
	}
}

// BenchmarkHandshakeConcurrent100 measures concurrentClients clients that
// start at once: each iteration starts them all, and each completes a
// handshake, has concurrentEchoes datagrams echoed one after another, and
// closes. Besides the time of a whole iteration, it reports the
// handshakes per second from the start of an iteration until its last
// handshake completed, the handshakes per iteration that took at least
// stallThreshold, and the echoes per iteration that did not come back
// within echoTimeout.
func BenchmarkHandshakeConcurrent100(b *testing.B) {
	for _, s := range benchSuites(b) {
		b.Run(s.name, func(b *testing.B) {
			addr, stop := startServer(b, s)
			var n, stalls, undelivered int
			var handshaking time.Duration
			for b.Loop() {
				rs := make([]clientResult, concurrentClients)
				start := time.Now()
				var wg sync.WaitGroup
				for i := range rs {
					wg.Go(func() { rs[i] = concurrentClient(addr, s, i) })
				}
				wg.Wait()
				last := start
				for _, r := range rs {
					if r.err != nil {
						b.Fatalf("iteration %d: %v", n, r.err)
					}
					if r.done.After(last) {
						last = r.done
					}
					if r.handshake >= stallThreshold {
						stalls++
					}
					undelivered += r.lost
				}
				handshaking += last.Sub(start)
				n++
			}
			stop()
			b.ReportMetric(float64(n*concurrentClients)/handshaking.Seconds(), "handshakes/s")
			b.ReportMetric(float64(stalls)/float64(n), "stalls/op")
			b.ReportMetric(float64(undelivered)/float64(n), "undelivered/op")
		})
	}
}

// A clientResult is what a client of BenchmarkHandshakeConcurrent100 saw:
// how long its handshake took and when it completed, and how many echoes
// did not come back.
type clientResult struct {
	handshake time.Duration
	done      time.Time
	lost      int
	err       error
}

// concurrentClient is client i of BenchmarkHandshakeConcurrent100: it
// completes a handshake with addr and has concurrentEchoes datagrams
// echoed.
func concurrentClient(addr string, s benchSuite, i int) clientResult {
	start := time.Now()
	c, err := benchDial(context.Background(), addr, s.client)
	if err != nil {
		return clientResult{err: fmt.Errorf("client %d: %w", i, err)}
	}
	defer c.Close()
	done := time.Now()
	r := clientResult{handshake: done.Sub(start), done: done}
	if err := s.check(c); err != nil {
		return clientResult{err: fmt.Errorf("client %d: %w", i, err)}
	}
	for j := range concurrentEchoes {
		if !exchange(c, fmt.Appendf(nil, "client %d echo %d", i, j)) {
			r.lost++
		}
	}
	return r
}
