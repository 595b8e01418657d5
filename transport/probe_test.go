package transport

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/pmtu"
)

func TestProbePayload(t *testing.T) {
	tests := []struct {
		id   uint64
		want string
	}{
		{1, "0000000000000001"},
		{0x0102030405060708, "0102030405060708"},
		{^uint64(0), "ffffffffffffffff"},
	}
	for _, tt := range tests {
		b := probePayload(tt.id)
		if got := hex.EncodeToString(b); got != tt.want {
			t.Errorf("probePayload(%d) = %s, want %s", tt.id, got, tt.want)
		}
		if id, ok := parseProbePayload(b); !ok || id != tt.id {
			t.Errorf("parseProbePayload(%x) = %d, %v; want %d", b, id, ok, tt.id)
		}
		for i := range len(b) {
			if _, ok := parseProbePayload(b[:i]); ok {
				t.Errorf("parseProbePayload parsed the prefix %x", b[:i])
			}
		}
		if _, ok := parseProbePayload(append(b, 0)); ok {
			t.Errorf("parseProbePayload parsed %x with a trailing byte", b)
		}
	}
	if _, ok := parseProbePayload(probePayload(0)); ok {
		t.Error("parseProbePayload accepted ID 0, which no probe has")
	}
}

func FuzzProbePayload(f *testing.F) {
	f.Add(probePayload(1))
	f.Add(probePayload(42))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, ok := parseProbePayload(b)
		if ok && !bytes.Equal(probePayload(id), b) {
			t.Fatalf("%x parsed as %d, which encodes differently", b, id)
		}
	})
}

// probePair is a client and a server association on the loopback, with
// the server's Conn at hand.
type probePair struct {
	client, server *Conn
}

// dialProbing connects a client with d to a listener with lc, both with
// the certificate configuration.
func dialProbing(t *testing.T, d Dialer, lc ListenConfig) *probePair {
	t.Helper()
	cc, sc := configs(t, dtls.VersionDTLS12, false)
	l := listen(t, lc, sc)
	accepted := make(chan *Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil && c.Handshake(context.Background()) == nil {
			accepted <- c
		}
		close(accepted)
	}()
	p := &probePair{client: dial(t, d, "udp4", l, cc)}
	p.server = <-accepted
	if p.server == nil {
		t.Fatal("the server's handshake failed")
	}
	t.Cleanup(func() { p.server.Close() })
	return p
}

// readAll reads c in a goroutine, as an application would, until c is
// closed; the returned function waits for it to stop.
func readAll(c *Conn) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxDatagram)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	return func() { <-done }
}

// TestProbeLoopback checks that both ends, reading as applications do,
// probe their way up to the loopback's estimate, and count their probes.
func TestProbeLoopback(t *testing.T) {
	p := dialProbing(t, Dialer{}, ListenConfig{})
	clientDone, serverDone := readAll(p.client), readAll(p.server)
	for _, c := range []*Conn{p.client, p.server} {
		if !c.Probing() {
			t.Fatal("Probing() = false between two pathdtls ends")
		}
		want := c.path.search.Config().Max
		waitFor(t, "the search to complete", func() bool {
			c.path.mu.Lock()
			defer c.path.mu.Unlock()
			return c.path.search.State() == pmtu.SearchComplete
		})
		if got := c.PathMTU(); got != want {
			t.Errorf("PathMTU() = %d after the search; want %d", got, want)
		}
		s := c.PathStats()
		if s.ProbesAcked == 0 || s.ProbesLost != 0 || s.ProbesSent < s.ProbesAcked {
			t.Errorf("%+v; want probes acknowledged and none lost", s)
		}
	}
	if _, err := p.client.Write(make([]byte, p.client.MaxPayload())); err != nil {
		t.Errorf("Write(MaxPayload): %v", err)
	}
	p.client.Close()
	p.server.Close()
	clientDone()
	serverDone()
	if p.client.Probing() {
		t.Error("Probing() = true after Close")
	}
}

// TestProbeDisabled checks that DisableProbing sends no probe and keeps
// the estimate.
func TestProbeDisabled(t *testing.T) {
	p := dialProbing(t, Dialer{DisableProbing: true}, ListenConfig{DisableProbing: true})
	defer readAll(p.server)()
	defer p.server.Close()
	for _, c := range []*Conn{p.client, p.server} {
		if c.Probing() {
			t.Error("Probing() = true with DisableProbing")
		}
		if s := c.PathStats(); s.ProbesSent != 0 {
			t.Errorf("%+v; want no probes", s)
		}
	}
	if got, want := p.client.PathMTU(), p.client.path.search.Config().Max; got != want {
		t.Errorf("PathMTU() = %d; want the estimate, %d", got, want)
	}
}

// TestProbeNotReading checks that a probe whose timer expires while the
// application is not reading is not lost, and is sent again, and
// answered, once the application reads.
func TestProbeNotReading(t *testing.T) {
	const timeout = 20 * time.Millisecond
	p := dialProbing(t, Dialer{ProbeTimeout: timeout}, ListenConfig{})
	defer readAll(p.server)()
	defer p.server.Close()
	waitFor(t, "a probe to stall", func() bool { return p.client.path.stalled.Load() })
	if s := p.client.PathStats(); s.ProbesLost != 0 || s.ProbesAcked != 0 {
		t.Fatalf("%+v before the client read; want no probe acknowledged or lost", s)
	}
	defer readAll(p.client)()
	defer p.client.Close()
	waitFor(t, "the stalled probe to be answered", func() bool { return p.client.PathStats().ProbesAcked > 0 })
	if s := p.client.PathStats(); s.ProbesSent < 2 {
		t.Errorf("%+v; want the stalled probe sent again", s)
	}
}
