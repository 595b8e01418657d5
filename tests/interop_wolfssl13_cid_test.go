package tests

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
	"github.com/pathdtls/pathdtls/transport"
)

// wolf13CIDCase is a DTLS 1.3 handshake with connection IDs (RFC 9147,
// Section 9) between our side and a wolfSSL program: the length of the
// IDs we ask for, and the ID the program asks for, as text of at most
// peer.WolfSSLMaxCID bytes, empty for none.
type wolf13CIDCase struct {
	name   string
	ours   int
	wolfID string
}

// cidConfig turns on connection IDs of c.ours bytes in cfg, made of bytes
// the wolfSSL programs print unambiguously.
func (c wolf13CIDCase) cidConfig(cfg *dtls.Config) {
	cfg.ConnectionID = &dtls.ConnectionIDConfig{Length: c.ours}
	if c.ours > 0 {
		cfg.ConnectionID.Generate = printableCID(c.ours)
	}
}

// TestInteropWolfSSL13ConnectionID negotiates connection IDs with
// wolfSSL in DTLS 1.3, both roles: our client asking for none or for 8
// bytes, with a wolfSSL server that asks for 2 or for none; the wolfSSL
// client, asking for 2 bytes or none, with our listener, which asks for
// 8. Each side must report the IDs the other asked for, and a relay checks
// that every application data record carries the ID its receiver asked
// for, and that none carries an ID its receiver did not ask for.
func TestInteropWolfSSL13ConnectionID(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	clients := []wolf13CIDCase{
		{name: "ours-0/wolfSSL-2", ours: 0, wolfID: "ab"},
		{name: "ours-8/wolfSSL-2", ours: 8, wolfID: "ab"},
		{name: "ours-8/wolfSSL-0", ours: 8, wolfID: ""},
		{name: "ours-1/wolfSSL-1", ours: 1, wolfID: "z"},
	}
	for _, c := range clients {
		t.Run("client/"+c.name, func(t *testing.T) {
			t.Parallel()
			ourClientCID13(t, w, chain, c)
		})
	}
	servers := []wolf13CIDCase{
		{name: "ours-8/wolfSSL-2", ours: 8, wolfID: "xy"},
		{name: "ours-8/wolfSSL-0", ours: 8, wolfID: ""},
	}
	for _, c := range servers {
		t.Run("server/"+c.name, func(t *testing.T) {
			t.Parallel()
			ourServerCID13(t, w, chain, c)
		})
	}
}

// ourClientCID13 runs our client against the wolfSSL server, which
// echoes, through a relay: three lines there and back.
func ourClientCID13(t *testing.T, w *peer.Wolf, chain *peer.Chain, c wolf13CIDCase) {
	wc := wolf13Case{name: c.name, chain: chain, hrr: true}
	opts := wc.peerOptions()
	opts.Args = peer.WolfSSLCID(t, c.wolfID)
	server := w.Server(t, opts)
	r := newRelay(t, server.Addr)
	cfg, _ := wc.clientConfig(t)
	c.cidConfig(cfg)
	conn := dial(t, r.addr(), cfg)
	wc.checkState(t, conn, true)
	st := conn.ConnectionState()
	checkCIDState(t, st, c.ours, c.wolfID)
	for i := range 3 {
		line := fmt.Sprintf("hello from pathdtls client with connection IDs, %d", i)
		writeLine(t, conn, line)
		readLine(t, conn, line) // the echo
	}
	wc.checkPeer(t, server)
	checkWolfSSLCID(t, server, st.ConnectionID)
	r.checkCIDs(t, []byte(c.wolfID), st.ConnectionID)
	wolf13Finish(t, conn, server)
}

// ourServerCID13 runs the wolfSSL client against our listener through a
// relay: the client's line and our answer.
func ourServerCID13(t *testing.T, w *peer.Wolf, chain *peer.Chain, c wolf13CIDCase) {
	wc := wolf13Case{name: c.name, chain: chain, hrr: true}
	cfg, _ := wc.serverConfig(t)
	c.cidConfig(cfg)
	l := listen(t, cfg)
	r := newRelay(t, udpAddr(l))
	opts := wc.peerOptions()
	opts.Addr, opts.Args = r.addr(), peer.WolfSSLCID(t, c.wolfID)
	client := w.Client(t, opts)
	conn := accept(t, l)
	wc.checkState(t, conn, false)
	st := conn.ConnectionState()
	checkCIDState(t, st, c.ours, c.wolfID)
	readRecord(t, conn, []byte(peer.WolfSSLClientLine))
	line := "hello from pathdtls server with connection IDs"
	writeLine(t, conn, line)
	client.Await(t, linePattern(line), interopTimeout)
	wc.checkPeer(t, client)
	checkWolfSSLCID(t, client, st.ConnectionID)
	awaitEOF(t, conn)
	r.checkCIDs(t, st.ConnectionID, []byte(c.wolfID))
	wolf13Finish(t, conn, client)
}

// checkCIDState checks the IDs our side reports: ConnectionID, in the
// records we receive, ours bytes long, empty but not nil for none, and
// PeerConnectionID, in those we send, the ID the wolfSSL program asked
// for.
func checkCIDState(t *testing.T, st dtls.ConnectionState, ours int, wolfID string) {
	t.Helper()
	if st.ConnectionID == nil || len(st.ConnectionID) != ours {
		t.Errorf("ConnectionID %x (nil %v), want %d bytes", st.ConnectionID, st.ConnectionID == nil, ours)
	}
	if st.PeerConnectionID == nil || !bytes.Equal(st.PeerConnectionID, []byte(wolfID)) {
		t.Errorf("PeerConnectionID %x (nil %v), want %x", st.PeerConnectionID, st.PeerConnectionID == nil, wolfID)
	}
}

// checkWolfSSLCID checks that the wolfSSL program reports connection IDs,
// and puts ours, id, in the records it sends: "Sending CID is" followed
// by id in its format, or that we asked for none.
func checkWolfSSLCID(t *testing.T, p *peer.Peer, id []byte) {
	t.Helper()
	p.Await(t, peer.WolfSSLCIDNegotiated, interopTimeout)
	if len(id) == 0 {
		p.Await(t, peer.WolfSSLEmptyCID, interopTimeout)
		return
	}
	if got := p.Await(t, peer.WolfSSLSendingCID, interopTimeout)[1]; got != peer.WolfSSLCIDHex(id) {
		t.Errorf("%v sends connection ID %s, want %s (%x)", p, got, peer.WolfSSLCIDHex(id), id)
	}
}

// TestInteropWolfSSL13ConnectionIDRebinding runs the wolfSSL client, with
// connection IDs, through a relay that, in the middle of the stream,
// sends the client's datagrams from a new port, as a NAT whose binding
// expired does. The client updates its keys before its line (-I), so
// that it sends its line again once it has our answer, from the new port:
// our listener finds the association by its ID, moves it there on that
// authentic record (RFC 9146, Section 6; RFC 9147, Section 9), and the
// rest of the stream, the client's close_notify included, arrives. With
// one reader every datagram reaches one socket; with four, the new port
// most likely hashes to another socket than the old one (SO_REUSEPORT),
// whose reader then finds the association by its ID.
func TestInteropWolfSSL13ConnectionIDRebinding(t *testing.T) {
	t.Parallel()
	w := peer.WolfSSL(t)
	chain := peer.NewChain(t, peer.ChainOptions{Key: peer.ECDSAP256})
	for _, readers := range []int{1, 4} {
		t.Run(fmt.Sprintf("readers-%d", readers), func(t *testing.T) {
			t.Parallel()
			testRebinding13(t, w, chain, transport.ListenConfig{Readers: readers})
		})
	}
}

// testRebinding13 runs the rebinding case against a listener of lc.
func testRebinding13(t *testing.T, w *peer.Wolf, chain *peer.Chain, lc transport.ListenConfig) {
	c := wolf13CIDCase{name: "rebinding", ours: 8, wolfID: "nb"}
	wc := wolf13Case{name: c.name, chain: chain, hrr: true}
	cfg, events := wc.serverConfig(t)
	c.cidConfig(cfg)
	l, err := lc.Listen(t.Context(), "udp4", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := newRelay(t, udpAddr(l))
	opts := wc.peerOptions()
	opts.Addr = r.addr()
	opts.Args = append([]string{peer.WolfSSLClientKeyUpdate}, peer.WolfSSLCID(t, c.wolfID)...)
	client := w.Client(t, opts)
	conn := accept(t, l)
	st := conn.ConnectionState()
	checkCIDState(t, st, c.ours, c.wolfID)
	checkRemote(t, conn, r, 0)
	readRecord(t, conn, []byte(peer.WolfSSLClientLine))
	r.rebind()
	writeLine(t, conn, "answer 1") // to the old port, which still reaches the client
	client.Await(t, linePattern("answer 1"), interopTimeout)
	readRecord(t, conn, []byte(peer.WolfSSLClientLine)) // from the new port
	awaitEOF(t, conn)
	checkRemote(t, conn, r, 1)
	if n := events.awaitCount("peer moved", 1); n != 1 {
		t.Errorf("%d moves logged, want 1", n)
	}
	if ls := l.Stats(); ls.Moved != 1 {
		t.Errorf("the association moved %d times, want 1: %+v", ls.Moved, ls)
	}
	checkWolfSSLCID(t, client, st.ConnectionID)
	wolf13Finish(t, conn, client)
}

// checkRemote checks that the association is at the relay's port i.
func checkRemote(t *testing.T, conn *transport.Conn, r *relay, i int) {
	t.Helper()
	if got, want := conn.RemoteAddr().String(), r.port(i).String(); got != want {
		t.Errorf("the association is at %s, want %s (the relay's port %d)", got, want, i)
	}
}
