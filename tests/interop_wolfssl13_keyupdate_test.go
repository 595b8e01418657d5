package tests

import (
	"strconv"
	"testing"

	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// TestInteropWolfSSL13KeyUpdate updates traffic keys after a DTLS 1.3
// handshake with wolfSSL (RFC 9147, Section 8; RFC 8446, Section 4.6.3),
// each side starting, in each role. Our events say what happened: "KeyUpdate
// received" for each of the peer's, "keys updated" once the peer's ACK of
// one of ours let us send in the new epoch.
func TestInteropWolfSSL13KeyUpdate(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	c := wolf13Case{name: "KeyUpdate", chain: peer.NewChain(t, peer.ChainOptions{}), hrr: true}

	// The wolfSSL client updates its keys before its line (-I), and
	// sends the line again once it has our answer.
	t.Run("wolfSSL-client-starts", func(t *testing.T) {
		t.Parallel()
		conn, client, events := wolf13Accept(t, w, c, peer.WolfSSLClientKeyUpdate)
		readRecord(t, conn, []byte(peer.WolfSSLClientLine))
		writeLine(t, conn, "answer 1")
		client.Await(t, linePattern("answer 1"), interopTimeout)
		readRecord(t, conn, []byte(peer.WolfSSLClientLine))
		awaitEOF(t, conn)
		if n := events.awaitCount("KeyUpdate received", 1); n != 1 {
			t.Errorf("%d of the client's KeyUpdates arrived, want 1", n)
		}
		wolf13Finish(t, conn, client)
	})

	// The wolfSSL server (-U) reads one record, updates its keys,
	// answers with its line, and reads one more record.
	t.Run("wolfSSL-server-starts", func(t *testing.T) {
		t.Parallel()
		conn, server, events := wolf13Dial(t, w, c, peer.WolfSSLServerKeyUpdate)
		writeLine(t, conn, "line 1")
		readRecord(t, conn, []byte(peer.WolfSSLServerLine))
		writeLine(t, conn, "line 2")
		server.Await(t, linePattern("line 2"), interopTimeout)
		if n := events.awaitCount("KeyUpdate received", 1); n != 1 {
			t.Errorf("%d of the server's KeyUpdates arrived, want 1", n)
		}
		wolf13Finish(t, conn, server)
	})

	// Our client updates its keys twice, asking the echoing server to
	// update its own each time.
	t.Run("our-client-starts", func(t *testing.T) {
		t.Parallel()
		conn, server, events := wolf13Dial(t, w, c)
		for i := range 4 {
			if i == 1 || i == 2 {
				if err := conn.UpdateKeys(true); err != nil {
					t.Fatalf("UpdateKeys: %v", err)
				}
			}
			line := "line " + strconv.Itoa(i)
			writeLine(t, conn, line)
			readLine(t, conn, line)
		}
		if sent, got := events.awaitCount("keys updated", 2), events.awaitCount("KeyUpdate received", 2); sent != 2 || got != 2 {
			t.Errorf("%d updates of ours took effect, %d of the server's arrived; want 2 and 2", sent, got)
		}
		wolf13Finish(t, conn, server)
	})

	// Our server updates its keys, asking the client to follow, before
	// it answers the client's line. (With -I the client would update
	// its keys first and ask us to follow; UpdateKeys does nothing while
	// our answer to that waits for its ACK.)
	t.Run("our-server-starts", func(t *testing.T) {
		t.Parallel()
		conn, client, events := wolf13Accept(t, w, c)
		readRecord(t, conn, []byte(peer.WolfSSLClientLine))
		if err := conn.UpdateKeys(true); err != nil {
			t.Fatalf("UpdateKeys: %v", err)
		}
		writeLine(t, conn, "answer 1")
		client.Await(t, linePattern("answer 1"), interopTimeout)
		awaitEOF(t, conn)
		if sent, got := events.awaitCount("keys updated", 1), events.awaitCount("KeyUpdate received", 1); sent != 1 || got != 1 {
			t.Errorf("%d updates of ours took effect, %d of the client's arrived; want 1 and 1", sent, got)
		}
		wolf13Finish(t, conn, client)
	})
}

// wolf13Dial starts the wolfSSL server for c with args and connects our
// client to it.
func wolf13Dial(t *testing.T, w *peer.Wolf, c wolf13Case, args ...string) (*transport.Conn, *peer.Peer, *eventCounts) {
	t.Helper()
	opts := c.peerOptions()
	opts.Args = args
	server := w.Server(t, opts)
	cfg, events := c.clientConfig(t)
	conn := dial(t, server.Addr, cfg)
	c.checkState(t, conn, true)
	return conn, server, events
}

// wolf13Accept starts our server and the wolfSSL client for c with args,
// and accepts the client.
func wolf13Accept(t *testing.T, w *peer.Wolf, c wolf13Case, args ...string) (*transport.Conn, *peer.Peer, *eventCounts) {
	t.Helper()
	cfg, events := c.serverConfig(t)
	l := listen(t, cfg)
	opts := c.peerOptions()
	opts.Addr, opts.Args = udpAddr(l), args
	client := w.Client(t, opts)
	conn := accept(t, l)
	c.checkState(t, conn, false)
	return conn, client, events
}

// wolf13Finish closes our side and checks that the wolfSSL program exits
// successfully and that every record it sent authenticated.
func wolf13Finish(t *testing.T, conn *transport.Conn, p *peer.Peer) {
	t.Helper()
	if err := conn.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := p.Wait(t, interopTimeout); err != nil {
		t.Errorf("%v: %v", p, err)
	}
	checkRecords(t, conn)
}
