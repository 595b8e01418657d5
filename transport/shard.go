package transport

import (
	"sync"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/sock"
)

// A shard is one of a Listener's sockets and its reader, with the
// associations of the peers whose datagrams the system hands to that
// socket, and the cookie gate of its new peers. The shards of a Listener
// share its accept queue, pacer and path cache, not their tables, so that
// their readers do not wait for one another: Linux keeps a peer's
// datagrams on one socket of a group that shares an address.
type shard struct {
	l        *Listener
	sock     *sock.Socket
	gate     *dtls.HelloGate
	readDone chan struct{} // closed when the reader returns
	room     roomWaiter    // the reader's

	mu    sync.Mutex
	table *assocTable
	shut  bool // the Listener is closing: no association starts
}

// newShard makes the shard of sc, which keeps at most halfOpen
// associations whose handshake is in progress.
func newShard(l *Listener, sc sock.Conn, halfOpen int) *shard {
	if rb, ok := sc.(sock.ReadBufferSetter); ok {
		_ = rb.SetReadBuffer(listenerReadBuffer) // best effort: the system may give less
	}
	if o, ok := sc.(sock.Offloader); ok && sc.Capabilities().GRO {
		_ = o.EnableGRO() // best effort: without it, datagrams come one by one
	}
	s := &shard{
		l: l,
		// Every shard checks cookies with the secret of the Config.
		gate:     dtls.NewHelloGate(l.config, 0),
		readDone: make(chan struct{}),
		table:    newAssocTable(halfOpen),
	}
	s.sock = sock.New(sc, listenerHandler{s})
	return s
}

// shutDown stops new associations and returns those there are.
func (s *shard) shutDown() []*serverAssoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shut = true
	return s.table.all()
}
