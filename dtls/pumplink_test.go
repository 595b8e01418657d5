package dtls

import (
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
)

// A pumpLink is a Link whose datagrams wait in a mailbox until the test
// pumps them to the peer's HandleDatagram on its own goroutine: no reader
// goroutine, and no Conn's lock held while the other runs. Its buffers are
// reused, so that a measurement of the data path counts the Conn alone.
type pumpLink struct {
	mu     sync.Mutex
	bufs   [][]byte
	n      int // datagrams waiting in bufs[:n]
	size   int
	addr   net.Addr
	peer   *Conn
	done   []error
	closed bool

	sentBytes, sentDatagrams int // written so far
}

func (l *pumpLink) MaxDatagramSize() int { return l.size }
func (l *pumpLink) FlightLost(int)       {}
func (l *pumpLink) FlightAnswered(int)   {}
func (l *pumpLink) LocalAddr() net.Addr  { return l.addr }
func (l *pumpLink) RemoteAddr() net.Addr { return l.addr }
func (l *pumpLink) Close() error         { l.closed = true; return nil }
func (l *pumpLink) Ended(error)          {}

func (l *pumpLink) HandshakeDone(err error) {
	l.mu.Lock()
	l.done = append(l.done, err)
	l.mu.Unlock()
}

func (l *pumpLink) WriteDatagram(b []byte, _ RecordID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == len(l.bufs) {
		l.bufs = append(l.bufs, make([]byte, 0, 2048))
	}
	l.bufs[l.n] = append(l.bufs[l.n][:0], b...)
	l.n++
	l.sentBytes += len(b)
	l.sentDatagrams++
	return nil
}

// pump delivers the waiting datagrams to the peer and reports how many.
func (l *pumpLink) pump() int {
	l.mu.Lock()
	n := l.n
	l.mu.Unlock()
	for i := range n {
		l.peer.HandleDatagram(l.bufs[i])
	}
	l.mu.Lock()
	// Datagrams written while pumping (answers) move to the front, and the
	// delivered buffers behind them, for reuse.
	slices.Reverse(l.bufs[:n])
	slices.Reverse(l.bufs[n:])
	slices.Reverse(l.bufs)
	l.n -= n
	l.mu.Unlock()
	return n
}

// pumpPair returns a client and a server joined by pumpLinks, with their
// handshake done. Call it inside synctest.Test.
func pumpPair(t *testing.T, cc, sc *Config) (client, server *Conn, cl, sl *pumpLink) {
	t.Helper()
	cl = &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 1}}
	sl = &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 2}}
	client, server = ClientOn(cl, cc), ServerOn(sl, sc)
	cl.peer, sl.peer = server, client
	errc := make(chan error, 1)
	go func() { errc <- client.Handshake() }()
	for !server.handshakeDone.Load() || !client.handshakeDone.Load() {
		synctest.Wait()
		if cl.pump()+sl.pump() == 0 && !client.handshakeDone.Load() {
			t.Fatal("handshake stalled")
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return client, server, cl, sl
}

// TestDrivenHandshakeNeedsNoReader runs a handshake whose server nobody
// reads or asks: the datagrams its owner hands it are enough, and its
// link hears the end of the handshake once.
func TestDrivenHandshakeNeedsNoReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cl, sl := pumpPair(t, cc, sc)
		if len(cl.done) != 1 || cl.done[0] != nil || len(sl.done) != 1 || sl.done[0] != nil {
			t.Fatalf("HandshakeDone calls: client %v, server %v", cl.done, sl.done)
		}
		if _, err := client.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		cl.pump()
		buf := make([]byte, 100)
		if n, err := server.Read(buf); err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("Read = %q, %v", buf[:n], err)
		}
		client.Close()
		server.Close()
	})
}
