package tests

import (
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
)

// floodPSK is the key of the flood test's legitimate client and server;
// the attacker does not know it, nor does it need to.
var floodPSK = []byte("a key the attacker does not know")

// TestHalfOpenFlood is what one attacker without keys can do to a listener
// on a real socket: complete the cookie exchange from 3 000 ports, each
// proving it receives at its address, then stall, after stuffing each
// association with the largest handshake fragments and held records it
// will take. The live heap must stay within a bound (64 MB for the default
// table of 2048 half-open associations: about 20 KB each), the half-open
// table within DefaultMaxHalfOpen, and a legitimate client must connect
// during the flood.
func TestHalfOpenFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a listener for several seconds")
	}
	const attackers = 3000
	server := &dtls.Config{
		CipherSuites: []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		PSK:          func([]byte) ([]byte, error) { return floodPSK, nil },
	}
	l, err := new(transport.ListenConfig).Listen(t.Context(), "udp4", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.AcceptContext(context.Background())
			if err != nil {
				return
			}
			go serveOneEcho(c)
		}
	}()
	base := liveHeap()
	var peak uint64
	for i := range attackers {
		if err := stallOne(l.Addr().String()); err != nil {
			t.Fatalf("attacker %d: %v", i, err)
		}
		if i == attackers/2 {
			legitimate(t, l.Addr().String())
		}
		if i%500 == 499 {
			peak = max(peak, liveHeap())
		}
	}
	legitimate(t, l.Addr().String())
	peak = max(peak, liveHeap())
	st := l.Stats()
	grew := peak - min(peak, base)
	t.Logf("live heap %d MB before, %d MB at the peak; %+v", base>>20, peak>>20, st)
	if st.HalfOpen > transport.DefaultMaxHalfOpen || st.Created < attackers {
		t.Errorf("half-open %d, created %d: want the table bounded and every attacker served", st.HalfOpen, st.Created)
	}
	const bound = 64 << 20
	if grew > bound {
		t.Errorf("the flood grew the live heap by %d MB, more than %d MB", grew>>20, bound>>20)
	}
}

// liveHeap returns the bytes of live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// legitimate connects a client that knows the key, and checks an echo.
func legitimate(t *testing.T, addr string) {
	t.Helper()
	client := &dtls.Config{
		CipherSuites: []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		PSK:          func([]byte) ([]byte, error) { return floodPSK, nil },
		PSKIdentity:  []byte("legitimate"),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := transport.Dial(ctx, "udp4", addr, client)
	if err != nil {
		t.Fatalf("a legitimate client during the flood: %v", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("echo during the flood: %q, %v", buf[:n], err)
	}
}

// serveOneEcho echoes one record, then closes.
func serveOneEcho(c *transport.Conn) {
	defer c.Close()
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(buf); err == nil {
		c.Write(buf[:n])
	}
}

// stallOne runs the cookie exchange from a new port, sends the second
// ClientHello, and then, instead of the rest of the handshake, the largest
// fragments of the next messages the server will buffer and records of
// epoch 1 for it to hold; then it goes away.
func stallOne(addr string) error {
	uc, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer uc.Close()
	link := &captureLink{conn: uc}
	c := dtls.ClientOn(link, &dtls.Config{
		CipherSuites: []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		PSK:          func([]byte) ([]byte, error) { return []byte("guess"), nil },
		PSKIdentity:  []byte("attacker"),
	})
	defer c.Close()
	go c.Handshake() // sends the first ClientHello; ends with Close
	uc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, err := uc.Read(buf) // the HelloVerifyRequest
	if err != nil {
		return err
	}
	c.HandleDatagram(buf[:n])               // answered with the ClientHello and its cookie
	if _, err := uc.Read(buf); err != nil { // the server's flight 4: the association exists
		return err
	}
	for _, d := range bloat() {
		if _, err := uc.Write(d); err != nil {
			return err
		}
	}
	return nil
}

// bloat returns datagrams that claim the largest messages the server
// expects (2 × 128 KiB, 1 byte each, as the attack the limits answer) and
// records of epoch 1 to hold.
func bloat() [][]byte {
	var out [][]byte
	for seq := uint16(2); seq < 4; seq++ {
		out = append(out, handshakeFragment(seq, 128<<10))
	}
	for i := range 40 {
		out = append(out, record(23, 1, uint64(i), make([]byte, 1400)))
	}
	return out
}

// handshakeFragment is a datagram of one epoch-0 record holding the first
// byte of a ClientKeyExchange of message_seq seq that claims length bytes.
func handshakeFragment(seq uint16, length uint32) []byte {
	h := []byte{16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}
	putUint24(h[1:], length)
	binary.BigEndian.PutUint16(h[4:], seq)
	putUint24(h[9:], 1)
	return record(22, 0, 100+uint64(seq), h)
}

// record is a DTLS 1.2 record of type typ, epoch and sequence number seq.
func record(typ uint8, epoch uint16, seq uint64, payload []byte) []byte {
	b := []byte{typ, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[3:], epoch)
	binary.BigEndian.PutUint16(b[5:], uint16(seq>>32))
	binary.BigEndian.PutUint32(b[7:], uint32(seq))
	binary.BigEndian.PutUint16(b[11:], uint16(len(payload)))
	return append(b, payload...)
}

func putUint24(b []byte, v uint32) {
	b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
}

// captureLink is the Link of the attacker's engine: it writes to a
// connected UDP socket that the attacker reads itself.
type captureLink struct {
	mu   sync.Mutex
	conn net.Conn
}

func (l *captureLink) MaxDatagramSize() int { return 1200 }
func (l *captureLink) FlightLost(int)       {}
func (l *captureLink) FlightAnswered(int)   {}
func (l *captureLink) HandshakeDone(error)  {}
func (l *captureLink) Ended(error)          {}
func (l *captureLink) LocalAddr() net.Addr  { return l.conn.LocalAddr() }
func (l *captureLink) RemoteAddr() net.Addr { return l.conn.RemoteAddr() }
func (l *captureLink) Close() error         { return nil }

func (l *captureLink) WriteDatagram(b []byte, _ dtls.RecordID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.conn.Write(b)
	return err
}
