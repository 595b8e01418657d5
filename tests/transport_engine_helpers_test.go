//go:build linux

package tests

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// The engine tests of issue 8 are the real-kernel twins of the tests in
// transport/engine_test.go: our client and server in the namespaces of a
// netns topology, where the transport must do on its own, whatever the
// applications do, what the in-memory network checks in virtual time.

// engineWait bounds every handshake, read and wait of the engine tests. It
// is reached only when something is broken.
const engineWait = 20 * time.Second

// enginePSK is the key of the engine tests' PSK associations.
var enginePSK = []byte("pathdtls engine tests key")

// pskConfigs returns a client and a server Config for
// TLS_PSK_WITH_AES_128_GCM_SHA256 with enginePSK: the cheapest handshake,
// for tests that run many.
func pskConfigs() (client, server *dtls.Config) {
	key := func([]byte) ([]byte, error) { return enginePSK, nil }
	suites := []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256}
	client = &dtls.Config{CipherSuites: suites, PSK: key, PSKIdentity: []byte("engine")}
	server = &dtls.Config{CipherSuites: suites, PSK: key}
	return client, server
}

// certConfigs returns a client and a server Config in which the server
// presents cert, a chain that chain's roots verify, and the client asks
// for no more.
func certConfigs(chain *peer.Chain, cert tls.Certificate) (client, server *dtls.Config) {
	client = &dtls.Config{RootCAs: chain.Roots, ServerName: "localhost"}
	server = &dtls.Config{Certificates: []tls.Certificate{cert}}
	return client, server
}

// listenIn opens a listener with lc's options on ns's west address for
// network, closed when the test ends.
func listenIn(t *testing.T, ns *netns.Namespace, lc transport.ListenConfig, network string, cfg *dtls.Config) *transport.Listener {
	t.Helper()
	var l *transport.Listener
	ns.Run(t, func() {
		var err error
		l, err = lc.Listen(t.Context(), network, netip.AddrPortFrom(ns.West.Addr(network), 0).String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(func() { l.Close() })
	return l
}

// dialIn opens a client association from ns to the listener l with d's
// options and runs its handshake within engineWait. It returns the
// association and how long Dial took, or Dial's error. It may be called
// from any goroutine.
func dialIn(ns *netns.Namespace, d transport.Dialer, l *transport.Listener, cfg *dtls.Config) (*transport.Conn, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), engineWait)
	defer cancel()
	addr := l.Addr().(*net.UDPAddr).AddrPort()
	network := "udp4"
	if addr.Addr().Is6() {
		network = "udp6"
	}
	var c *transport.Conn
	var took time.Duration
	err := ns.Do(func() error {
		start := time.Now()
		var err error
		c, err = d.Dial(ctx, network, addr.String(), cfg)
		took = time.Since(start)
		return err
	})
	return c, took, err
}

// serveEcho accepts associations from l and echoes every record each
// reads, in a goroutine per association, until the test ends.
func serveEcho(t *testing.T, l *transport.Listener) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.AcceptContext(context.Background())
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 1<<16)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() { l.Close(); wg.Wait() })
}

// echoOnce writes msg to c and checks that the same comes back within
// engineWait.
func echoOnce(c *transport.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(engineWait)); err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("reading the echo of %d bytes: %w", len(msg), err)
	}
	if !bytes.Equal(buf[:n], msg) {
		return fmt.Errorf("echo of %d bytes came back as %d different bytes", len(msg), n)
	}
	return nil
}

// writeOnlyServer is a server application that only writes: it accepts
// one association and writes a record of its MaxPayload every interval,
// never reading, until stop.
type writeOnlyServer struct {
	conns   chan *transport.Conn
	written atomic.Int64 // records written
	stopped chan struct{}
	done    chan struct{}
}

// serveWriteOnly starts a writeOnlyServer on l, stopped when the test
// ends.
func serveWriteOnly(t *testing.T, l *transport.Listener, interval time.Duration) *writeOnlyServer {
	w := &writeOnlyServer{conns: make(chan *transport.Conn, 1), stopped: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		c, err := l.AcceptContext(t.Context())
		if err != nil {
			return
		}
		defer c.Close()
		w.conns <- c
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-w.stopped:
				return
			case <-tick.C:
			}
			if _, err := c.Write(make([]byte, c.MaxPayload())); err != nil {
				return
			}
			w.written.Add(1)
		}
	}()
	t.Cleanup(w.stop)
	return w
}

// conn returns the association the server accepted.
func (w *writeOnlyServer) conn(t *testing.T) *transport.Conn {
	t.Helper()
	select {
	case c := <-w.conns:
		w.conns <- c
		return c
	case <-time.After(engineWait):
		t.Fatalf("the server accepted no association within %v", engineWait)
		return nil
	}
}

// stop stops the writes and waits for the writer to return; it may be
// called more than once.
func (w *writeOnlyServer) stop() {
	select {
	case <-w.stopped:
	default:
		close(w.stopped)
	}
	<-w.done
}

// readOnly is a client application that only reads, counting records.
type readOnly struct {
	read atomic.Int64
	done chan struct{}
}

// startReadOnly reads c until it is closed, which happens when the test
// ends.
func startReadOnly(t *testing.T, c *transport.Conn) *readOnly {
	r := &readOnly{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 1<<16)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			r.read.Add(1)
		}
	}()
	t.Cleanup(func() { c.Close(); <-r.done })
	return r
}

// mtuWatch records every path MTU a Conn reports, from when it starts.
type mtuWatch struct {
	mu   sync.Mutex
	seen []int
	stop chan struct{}
	done chan struct{}
}

// watchMTU follows c's path MTU through PathMTUChanged until the test
// ends.
func watchMTU(t *testing.T, c *transport.Conn) *mtuWatch {
	w := &mtuWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			changed := c.PathMTUChanged()
			mtu := c.PathMTU()
			w.mu.Lock()
			if len(w.seen) == 0 || w.seen[len(w.seen)-1] != mtu {
				w.seen = append(w.seen, mtu)
			}
			w.mu.Unlock()
			select {
			case <-changed:
			case <-w.stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(w.stop); <-w.done })
	return w
}

// history returns the path MTUs seen so far, in order, and the lowest.
func (w *mtuWatch) history() (seen []int, lowest int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen), slices.Min(w.seen)
}

// durations summarises a series of measured times.
type durations []time.Duration

// String returns the median, the 99th percentile and the largest.
func (ds durations) String() string {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprintf("median %v, p99 %v, max %v", s[len(s)/2].Round(10*time.Microsecond),
		s[len(s)*99/100].Round(10*time.Microsecond), s[len(s)-1].Round(10*time.Microsecond))
}

// max returns the longest of ds and its index.
func (ds durations) max() (time.Duration, int) {
	i := 0
	for j, d := range ds {
		if d > ds[i] {
			i = j
		}
	}
	return ds[i], i
}
