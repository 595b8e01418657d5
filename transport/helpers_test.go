package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testpki"
)

// testPKI is a CA and an ECDSA server certificate for localhost, 127.0.0.1
// and ::1.
type testPKI struct {
	cert  tls.Certificate
	roots *x509.CertPool
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

func getPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatalf("generating certificates: %v", pkiErr)
	}
	return &pki
}

func makePKI() error {
	ca, err := testpki.NewCA("transport test CA")
	if err != nil {
		return err
	}
	if pki.cert, err = ca.IssueECDSA(); err != nil {
		return err
	}
	pki.roots = ca.Pool()
	return nil
}

// configs returns a client and a server Config pinned to version v, with an
// ECDSA certificate or, if psk is set, a pre-shared key.
func configs(t testing.TB, v uint16, psk bool) (client, server *dtls.Config) {
	client = &dtls.Config{MinVersion: v, MaxVersion: v}
	server = &dtls.Config{MinVersion: v, MaxVersion: v}
	if psk {
		key := func([]byte) ([]byte, error) { return []byte("0123456789abcdef"), nil }
		client.PSK, client.PSKIdentity = key, []byte("client")
		server.PSK, server.PSKIdentityHint = key, []byte("hint")
		client.CipherSuites = []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256, dtls.TLS_PSK_WITH_AES_128_CBC_SHA}
		return client, server
	}
	p := getPKI(t)
	client.RootCAs = p.roots
	server.Certificates = []tls.Certificate{p.cert}
	return client, server
}

// listen starts a listener on the IPv4 loopback and closes it when the test
// ends.
func listen(t testing.TB, lc ListenConfig, config *dtls.Config) *Listener {
	t.Helper()
	l, err := lc.Listen("udp4", "127.0.0.1:0", config)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// serveEcho accepts associations and echoes every datagram on each, one
// goroutine per association, until the listener is closed. The returned
// function waits for every goroutine it started.
func serveEcho(l *Listener) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { echo(c) })
		}
	})
	return wg.Wait
}

// echo writes every datagram it reads back to the peer until an error.
func echo(c *Conn) {
	defer c.Close()
	buf := make([]byte, maxDatagram)
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

// dial connects to l with a deadline generous enough for a loaded machine.
func dial(t testing.TB, d Dialer, network string, l *Listener, config *dtls.Config) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, network, l.Addr().String(), config)
	if err != nil {
		t.Fatalf("Dial %s: %v", l.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg on c and checks that the same bytes come back.
func roundTrip(t testing.TB, c *Conn, msg []byte) {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("Write: %v", err)
	}
	buf := make([]byte, maxDatagram)
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if string(buf[:n]) != string(msg) {
		t.Fatalf("echo = %q, want %q", buf[:n], msg)
	}
}

// waitFor polls cond until it holds, failing the test if it never does
// within a bound far above what any healthy run needs.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
		runtime.Gosched()
	}
}

// isClosedErr reports whether err says the connection was closed, locally
// (net.ErrClosed) or by the peer's close_notify (io.EOF).
func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)
}
