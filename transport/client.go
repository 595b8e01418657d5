package transport

import (
	"net/netip"
	"sync"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// A clientSide is what a client association has that a server's does not:
// a socket of its own and the goroutine that reads it, started with the
// association and stopped by its Close. The reader hands every datagram
// from the peer to the engine as it arrives, so that the engine answers
// the server, heartbeats and all, whether or not the application reads.
type clientSide struct {
	sock     *sock.Socket
	remote   netip.AddrPort
	a        *assoc
	conn     *Conn
	noProbe  bool
	stopOnce sync.Once
	done     chan struct{} // closed when the reader returns
	room     roomWaiter    // the reader's
}

// clientParts are a client's side, its assoc and its Conn, which live and
// die together, allocated as one.
type clientParts struct {
	cs clientSide
	a  assoc
	c  Conn
}

// newClientSide makes the association to remote over sc and starts its
// reader.
func newClientSide(sc sock.Conn, remote netip.AddrPort, p *path, config *dtls.Config, noProbe bool) *clientSide {
	parts := new(clientParts) // one allocation for the three
	cs, a := &parts.cs, &parts.a
	*cs = clientSide{remote: remote, noProbe: noProbe, done: make(chan struct{})}
	cs.sock = sock.New(sc, clientHandler{p})
	*a = assoc{
		sock:  cs.sock,
		local: sc.LocalAddr(),
		path:  p,
		owner: cs,
		ready: make(chan struct{}),
	}
	a.conn = dtls.ClientOn(a, config)
	p.shrink = a.conn
	cs.a = a
	cs.conn = &parts.c
	*cs.conn = Conn{a: a, dc: a.conn, caps: sc.Capabilities(), client: cs}
	go cs.read()
	return cs
}

// read hands the peer's datagrams to the engine until the socket is
// closed. Datagrams from other addresses are dropped.
func (cs *clientSide) read() {
	defer close(cs.done)
	bp := clientBuffers.Get().(*[]byte)
	defer clientBuffers.Put(bp)
	buf := *bp
	for {
		n, from, err := cs.sock.ReadFrom(buf)
		if err != nil {
			return // closed: the association is ending
		}
		if normalize(from) == cs.remote {
			cs.room.wait(cs.a, nil) // Close ends the engine, and the wait
			cs.a.conn.HandleDatagram(buf[:n])
		}
	}
}

// stop closes the socket and waits for the reader to return.
func (cs *clientSide) stop() {
	cs.stopOnce.Do(func() {
		cs.sock.Close()
		<-cs.done
	})
}

// handshakeDone starts probing once the handshake has completed. The
// first probe waits, as a listener's do, up to firstProbeSpread: the
// application's first datagrams go before it, an exchange shorter than
// that costs the peer no probe, and clients that start together (a fleet
// that reconnects) do not probe their server together.
func (cs *clientSide) handshakeDone(a *assoc, err error) {
	if err == nil && !cs.noProbe {
		a.path.startProbing(a.conn, nil, firstProbeSpread)
	}
}

// closed hears that the association ended: the engine was closed, by the
// application or by a failure.
func (cs *clientSide) closed(*assoc) {}

// clientHandler routes what the socket hears to the path: a connected
// socket hears only about its peer.
type clientHandler struct{ p *path }

func (h clientHandler) ICMP(ev icmp.Event) {
	if normalize(ev.Remote) == h.p.peer() {
		h.p.icmp(ev)
	}
}

// LocalLimit does nothing: the send that was refused returns the limit,
// which WriteDatagram gives the path.
func (clientHandler) LocalLimit(netip.AddrPort, int) {}

// maxDatagram is the size of the read buffers: the largest UDP payload.
const maxDatagram = 65535

// clientBuffers hold the read buffers of client readers, which a client
// that lives a moment hands to the next rather than leaving to the
// collector.
var clientBuffers = sync.Pool{New: func() any {
	b := make([]byte, maxDatagram)
	return &b
}}
