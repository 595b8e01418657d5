package tests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// TestInteropWolfSSL13Resumption resumes DTLS 1.3 sessions with wolfSSL
// by ticket (RFC 8446, Sections 2.2 and 4.6.1; RFC 9147, Section 5.8.4
// for the ticket's ACK), both roles: our client connects twice to a
// wolfSSL server that serves two connections (-r), the second time
// offering the ticket the first left in our ClientSessionCache; the
// wolfSSL client (-r) connects twice to our server, the second time with
// the ticket we gave it. The first handshake authenticates with an ECDSA
// certificate or with the wolfSSL programs' external PSK; the second, in
// psk_dhe_ke mode, with the ticket's PSK alone. Both sides must say that
// the second resumed: DidResume, our "session resumed" event by
// "ticket", and wolfSSL's "SSL reused session".
func TestInteropWolfSSL13Resumption(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	cases := []wolf13Case{
		{name: "ECDSA", chain: chain, skip: peerResumptionLabel13},
		{name: "PSK", psk: true, skip: peerResumptionLabel13},
	}
	for _, c := range cases {
		t.Run("client/"+c.name, func(t *testing.T) {
			t.Parallel()
			ourClientResumes13(t, w, c)
		})
		t.Run("server/"+c.name, func(t *testing.T) {
			t.Parallel()
			ourServerResumes13(t, w, c)
		})
	}
}

// peerResumptionLabel13 is why the resumption cases are skipped: wolfSSL
// 5.5.4 derives a ticket's PSK (RFC 8446, Section 4.6.1) with
// HKDF-Expand-Label's TLS 1.3 prefix, "tls13 ", in DTLS 1.3 too, where
// RFC 9147 (Section 5.9) makes every label's prefix "dtls13", as we and
// pion/dtls do; the PSK, hence each resumption binder, differs. Each side
// refuses the other's binder: the wolfSSL server with "binder does not
// verify" (-423), our server with decrypt_error (RFC 8446, Section
// 4.2.11); external PSKs, whose binder keys come from the early secret
// with the right prefix, are not affected. With our ticket PSK derived
// under "tls13 " instead (an experiment, not kept), every case passes in
// both roles, with the cookie exchange and without it. TestInteropWolfSSL13ResumptionLabel checks
// that the failure is still this one.
const peerResumptionLabel13 = `wolfSSL 5.5.4 derives DTLS 1.3 ticket PSKs with the "tls13 " label prefix (RFC 9147 §5.9 wants "dtls13"): every resumption binder fails`

// ourClientResumes13 connects our client twice to one wolfSSL server
// that serves two connections; each time a line goes there and back, so
// that the server's NewSessionTicket, sent with its last flight, has
// arrived before we close.
func ourClientResumes13(t *testing.T, w *peer.Wolf, c wolf13Case) {
	if c.skip != "" {
		t.Skip(c.skip)
	}
	opts := c.peerOptions()
	opts.Args = append(opts.Args, peer.WolfSSLServerResume)
	server := w.Server(t, opts)
	cfg, events := c.clientConfig(t)
	cfg.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
	how := resumedBy(cfg)
	for i, resumed := range []bool{false, true} {
		conn := dial(t, server.Addr, cfg)
		checkResumed13(t, c, conn, true, resumed)
		line := fmt.Sprintf("hello from pathdtls client, handshake %d", i)
		writeLine(t, conn, line)
		readLine(t, conn, line) // the echo
		if n := events.awaitCount("ticket received", i+1); n < i+1 {
			t.Errorf("handshake %d: %d tickets received so far, want %d", i, n, i+1)
		}
		if err := conn.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkRecords(t, conn)
	}
	c.checkPeer(t, server)
	server.Await(t, peer.WolfSSLResumed, interopTimeout)
	if err := server.Wait(t, interopTimeout); err != nil {
		t.Errorf("%v: %v", server, err)
	}
	checkResumedBy(t, how(), true)
}

// ourServerResumes13 serves the wolfSSL client twice; the second time it
// resumes with the ticket our server gave it the first.
func ourServerResumes13(t *testing.T, w *peer.Wolf, c wolf13Case) {
	if c.skip != "" {
		t.Skip(c.skip)
	}
	cfg, _ := c.serverConfig(t)
	how := resumedBy(cfg)
	l := listen(t, cfg)
	opts := c.peerOptions()
	opts.Addr = udpAddr(l)
	opts.Args = append(opts.Args, peer.WolfSSLClientResume)
	client := w.Client(t, opts)
	for i, resumed := range []bool{false, true} {
		conn := accept(t, l)
		checkResumed13(t, c, conn, false, resumed)
		want := peer.WolfSSLClientLine
		if resumed {
			want = peer.WolfSSLResumeLine
		}
		readRecord(t, conn, []byte(want))
		line := fmt.Sprintf("hello from pathdtls server, handshake %d", i)
		writeLine(t, conn, line)
		client.Await(t, linePattern(line), interopTimeout)
		awaitEOF(t, conn)
		if err := conn.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkRecords(t, conn)
	}
	c.checkPeer(t, client)
	client.Await(t, peer.WolfSSLResumed, interopTimeout)
	if err := client.Wait(t, interopTimeout); err != nil {
		t.Errorf("%v: %v", client, err)
	}
	checkResumedBy(t, how(), true)
}

// checkResumed13 checks what our side reports of a handshake that must
// have resumed, or not: DidResume, and what checkState checks, which a
// resumed session keeps from the first handshake.
func checkResumed13(t *testing.T, c wolf13Case, conn *transport.Conn, client, resumed bool) {
	t.Helper()
	if st := conn.ConnectionState(); st.DidResume != resumed {
		t.Errorf("DidResume %v, want %v", st.DidResume, resumed)
	}
	c.checkState(t, conn, client)
}

// TestInteropWolfSSL13ResumptionLabel checks that resumption with wolfSSL
// 5.5.4 still fails as peerResumptionLabel13 says, in both roles: the
// first handshake gives a ticket, and the second, which offers it, fails
// on its binder. Once it no longer does, the resumption cases can run.
func TestInteropWolfSSL13ResumptionLabel(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	c := wolf13Case{name: "label", chain: peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})}
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		resumptionLabelClient(t, w, c)
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		resumptionLabelServer(t, w, c)
	})
}

// resumptionLabelClient connects our client twice to a wolfSSL server
// that serves two connections: the server refuses the binder of the
// second's ticket and exits.
func resumptionLabelClient(t *testing.T, w *peer.Wolf, c wolf13Case) {
	opts := c.peerOptions()
	opts.Args = []string{peer.WolfSSLServerResume}
	server := w.Server(t, opts)
	cfg, events := c.clientConfig(t)
	cfg.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
	conn := dial(t, server.Addr, cfg)
	writeLine(t, conn, "first")
	readLine(t, conn, "first")
	if n := events.awaitCount("ticket received", 1); n != 1 {
		t.Fatalf("%d tickets received, want 1", n)
	}
	conn.Close()
	// The server exits once it refused the binder; the dial ends then.
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	go func() {
		<-server.Done()
		cancel()
	}()
	if conn, err := transport.Dial(ctx, "udp", server.Addr.String(), cfg); err == nil {
		conn.Close()
		t.Fatalf("the second handshake completed (resumed %v): %s", conn.ConnectionState().DidResume, fixedResumption13)
	}
	server.Await(t, `(?m)^SSL_accept error -423, binder does not verify$`, interopTimeout)
}

// resumptionLabelServer serves the wolfSSL client twice: our server
// refuses the binder of the second's ticket with decrypt_error.
func resumptionLabelServer(t *testing.T, w *peer.Wolf, c wolf13Case) {
	cfg, _ := c.serverConfig(t)
	failed := make(chan error, 1)
	lc := transport.ListenConfig{HandshakeFailed: func(_ net.Addr, err error) {
		select {
		case failed <- err:
		default:
		}
	}}
	l, err := lc.Listen(t.Context(), "udp4", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	opts := c.peerOptions()
	opts.Addr, opts.Args = udpAddr(l), []string{peer.WolfSSLClientResume}
	client := w.Client(t, opts)
	conn := accept(t, l)
	readRecord(t, conn, []byte(peer.WolfSSLClientLine))
	writeLine(t, conn, "first")
	awaitEOF(t, conn)
	var alert *dtls.AlertError
	select {
	case err := <-failed:
		// RFC 8446, Section 4.2.11: a binder that does not verify
		// ends the handshake with decrypt_error.
		if !errors.As(err, &alert) || alert.Remote || !errors.Is(err, dtls.AlertDecryptError) {
			t.Errorf("the second handshake failed with %v, want our decrypt_error", err)
		}
	case <-time.After(interopTimeout):
		t.Fatalf("the second handshake did not fail: %s", fixedResumption13)
	}
	client.Await(t, `(?m)^wolfSSL_connect resume error -313, received alert fatal error$`, interopTimeout)
	if err := client.Wait(t, interopTimeout); err == nil {
		t.Errorf("%v exited successfully", client)
	}
}

// fixedResumption13 is what TestInteropWolfSSL13ResumptionLabel says when
// resumption works.
const fixedResumption13 = "wolfSSL resumes now: drop peerResumptionLabel13"
