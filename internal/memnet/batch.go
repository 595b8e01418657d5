package memnet

import (
	"github.com/pathdtls/pathdtls/internal/sock"
)

var _ sock.BatchConn = (*Conn)(nil)

// ReadBatch implements sock.BatchConn as Linux's recvmmsg behaves: it
// returns the pending error, if any, and otherwise waits for a datagram
// and takes the datagrams waiting, up to len(ms), without waiting for
// more. A datagram longer than its message's Buf is truncated.
func (c *Conn) ReadBatch(ms []sock.Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	k := 0
	err := c.receive(func(q *[]packet) int {
		k = min(len(ms), len(*q))
		for i, p := range (*q)[:k] {
			ms[i].N, ms[i].Addr = copy(ms[i].Buf, p.payload), p.src
		}
		c.stats.ReadBatches++
		return k
	})
	if err != nil {
		return 0, err
	}
	return k, nil
}

// WriteBatch implements sock.BatchConn as Linux's sendmmsg behaves: it
// sends ms in order, each as WriteTo does, until a send fails. The error
// of the first datagram is returned; that of a later one is lost, a
// pending error it met being cleared, as sendmmsg loses it: WriteBatch
// then returns how many it sent and no error.
func (c *Conn) WriteBatch(ms []sock.Message) (int, error) {
	c.net.mu.Lock()
	c.stats.WriteBatches++
	c.net.mu.Unlock()
	for i := range ms {
		if err := c.WriteTo(ms[i].Buf, ms[i].Addr); err != nil {
			if i == 0 {
				return 0, err
			}
			return i, nil
		}
	}
	return len(ms), nil
}
