package pion

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// A datagram is one UDP payload as a relay saw it, and who sent it.
type datagram struct {
	from string // "client" or "server"
	data []byte
}

// A recordingRelay sits between a client and a server on loopback UDP: the
// client sends to front, the relay forwards from back to the server and
// the server's answers to the client, and it keeps every datagram in the
// order it received them, which for each direction is the order of
// sending.
type recordingRelay struct {
	front  *net.UDPConn // the client talks to it
	back   *net.UDPConn // it talks to the server
	server *net.UDPAddr

	mu     sync.Mutex
	client *net.UDPAddr
	log    []datagram
	last   time.Time // when the last datagram arrived
	wg     sync.WaitGroup
}

// newRecordingRelay starts a relay to server; Cleanup closes it and waits
// for its goroutines.
func newRecordingRelay(t *testing.T, server *net.UDPAddr) *recordingRelay {
	t.Helper()
	r := &recordingRelay{front: listenLoopback(t), back: listenLoopback(t), server: server}
	r.wg.Go(r.forward)
	r.wg.Go(r.backward)
	t.Cleanup(r.close)
	return r
}

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Addr is where the client sends.
func (r *recordingRelay) Addr() *net.UDPAddr { return r.front.LocalAddr().(*net.UDPAddr) }

func (r *recordingRelay) close() {
	r.front.Close()
	r.back.Close()
	r.wg.Wait()
}

func (r *recordingRelay) record(from string, b []byte) {
	r.mu.Lock()
	r.log = append(r.log, datagram{from: from, data: bytes.Clone(b)})
	r.last = time.Now()
	r.mu.Unlock()
}

func (r *recordingRelay) forward() {
	buf := make([]byte, 65536)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.client = from
		r.mu.Unlock()
		r.record("client", buf[:n])
		r.back.WriteToUDP(buf[:n], r.server)
	}
}

func (r *recordingRelay) backward() {
	buf := make([]byte, 65536)
	for {
		n, _, err := r.back.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.record("server", buf[:n])
		r.mu.Lock()
		c := r.client
		r.mu.Unlock()
		if c != nil {
			r.front.WriteToUDP(buf[:n], c)
		}
	}
}

// settle waits until no datagram has arrived for quiet, or until limit
// has passed, and returns what the relay has seen.
func (r *recordingRelay) settle(quiet, limit time.Duration) []datagram {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		r.mu.Lock()
		idle := time.Since(r.last)
		r.mu.Unlock()
		if idle >= quiet {
			break
		}
		time.Sleep(quiet / 4)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]datagram(nil), r.log...)
}
