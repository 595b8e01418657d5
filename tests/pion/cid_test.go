package pion

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	piondtls "github.com/pion/dtls/v3"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
)

// psk is the key both sides use; identity the client's name for it.
var (
	psk      = []byte("pathdtls-pion interop key")
	identity = []byte("pion-client")
)

const timeout = 10 * time.Second

// ourConfig returns our side's Config: PSK with AES-128-GCM, connection IDs
// of cidLen bytes.
func ourConfig(cidLen int) *dtls.Config {
	return &dtls.Config{
		PSK:          func([]byte) ([]byte, error) { return psk, nil },
		PSKIdentity:  identity,
		CipherSuites: []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		ConnectionID: &dtls.ConnectionIDConfig{Length: cidLen},
	}
}

// pionOptions returns pion's options: the same key and suite, connection
// IDs of cidLen bytes (0: it sends ours but asks for none).
func pionOptions(cidLen int) []piondtls.Option {
	gen := piondtls.OnlySendCIDGenerator()
	if cidLen > 0 {
		gen = piondtls.RandomCIDGenerator(cidLen)
	}
	return []piondtls.Option{
		piondtls.WithPSK(func([]byte) ([]byte, error) { return psk, nil }),
		piondtls.WithPSKIdentityHint(identity),
		piondtls.WithCipherSuites(piondtls.TLS_PSK_WITH_AES_128_GCM_SHA256),
		piondtls.WithConnectionIDGenerator(gen),
	}
}

// pionClient dials addr with pion's options.
func pionClient(addr *net.UDPAddr, cidLen int) (*piondtls.Conn, error) {
	var opts []piondtls.ClientOption
	for _, o := range pionOptions(cidLen) {
		opts = append(opts, o)
	}
	return piondtls.DialWithOptions("udp", addr, opts...)
}

// pionListen listens on addr with pion's options.
func pionListen(addr *net.UDPAddr, cidLen int) (net.Listener, error) {
	var opts []piondtls.ServerOption
	for _, o := range pionOptions(cidLen) {
		opts = append(opts, o)
	}
	return piondtls.ListenWithOptions("udp", addr, opts...)
}

// echoOnce reads one record from c and writes it back.
func echoOnce(c net.Conn) error {
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(timeout))
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	_, err = c.Write(buf[:n])
	return err
}

// echoServer listens on 127.0.0.1 with cfg until the test ends, and
// echoes every record of each association it accepts, which it also hands
// over on the returned channel; the channel is closed once none comes for
// timeout, or the listener is closed.
func echoServer(t *testing.T, cfg *dtls.Config) (*transport.Listener, <-chan *transport.Conn) {
	t.Helper()
	l, err := transport.Listen("udp4", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan *transport.Conn, 4)
	go func() {
		defer close(accepted)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			c, err := l.AcceptContext(ctx)
			cancel()
			if err != nil {
				return
			}
			accepted <- c
			go func() {
				for echoOnce(c) == nil {
				}
				c.Close()
			}()
		}
	}()
	return l, accepted
}

// acceptedState returns the state of the next association that an
// echoServer accepted, and fails t if none was.
func acceptedState(t *testing.T, accepted <-chan *transport.Conn) dtls.ConnectionState {
	t.Helper()
	c, ok := <-accepted
	if !ok {
		t.Fatal("nothing accepted")
	}
	return c.ConnectionState()
}

// roundTrip writes msg on c and checks that it comes back.
func roundTrip(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(timeout))
	n, err := c.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
	}
}

// TestPionClientConnectionID connects pion clients, asking for no ID and
// for one of 4 bytes, to our listener, which asks for 8: records carry the
// IDs both ways, and data flows.
func TestPionClientConnectionID(t *testing.T) {
	for _, pionLen := range []int{0, 4} {
		t.Run(fmt.Sprintf("pion asks for %d", pionLen), func(t *testing.T) {
			l, accepted := echoServer(t, ourConfig(8))
			pc, err := pionClient(l.Addr().(*net.UDPAddr), pionLen)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if err := pc.HandshakeContext(ctx); err != nil {
				t.Fatalf("pion handshake: %v", err)
			}
			st := acceptedState(t, accepted)
			if len(st.ConnectionID) != 8 || len(st.PeerConnectionID) != pionLen {
				t.Fatalf("our IDs: ours %x, pion's %x", st.ConnectionID, st.PeerConnectionID)
			}
			for i := range 5 {
				roundTrip(t, pc, []byte(fmt.Sprintf("record %d", i)))
			}
		})
	}
}

// TestOurClientConnectionID connects our client, asking for no ID and for
// one of 6 bytes, to a pion server that asks for 8.
func TestOurClientConnectionID(t *testing.T) {
	for _, ourLen := range []int{0, 6} {
		t.Run(fmt.Sprintf("we ask for %d", ourLen), func(t *testing.T) {
			laddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
			l, err := pionListen(laddr, 8)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				for echoOnce(c) == nil {
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, err := transport.Dial(ctx, "udp", l.Addr().String(), ourConfig(ourLen))
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			st := c.ConnectionState()
			if len(st.PeerConnectionID) != 8 || len(st.ConnectionID) != ourLen {
				t.Fatalf("our IDs: ours %x, pion's %x", st.ConnectionID, st.PeerConnectionID)
			}
			for i := range 5 {
				roundTrip(t, c, []byte(fmt.Sprintf("record %d", i)))
			}
		})
	}
}
