package dtls

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// cidConfigs returns a client and a server Config of suite id that use
// connection IDs: the client asks for clientLen bytes, the server for 8.
func cidConfigs(id uint16, clientLen int) (*Config, *Config) {
	cc, sc := suiteConfigs(id, VersionDTLS12)
	cc.ConnectionID = &ConnectionIDConfig{Length: clientLen}
	sc.ConnectionID = &ConnectionIDConfig{Length: 8}
	return cc, sc
}

// TestConnectionIDs negotiates connection IDs for every DTLS 1.2 suite,
// with a client that asks for none and one that asks for its own, and
// checks what ConnectionState says and that records carry the IDs.
func TestConnectionIDs(t *testing.T) {
	for _, s := range cipherSuites {
		if !s.usableIn(VersionDTLS12) {
			continue
		}
		for _, clientLen := range []int{0, 5} {
			t.Run(fmt.Sprintf("%s/client %d", s.name, clientLen), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := cidConfigs(s.id, clientLen)
					client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
					if cerr != nil || serr != nil {
						t.Fatalf("handshake: %v / %v", cerr, serr)
					}
					cs, ss := client.ConnectionState(), server.ConnectionState()
					if len(ss.ConnectionID) != 8 || !bytes.Equal(cs.PeerConnectionID, ss.ConnectionID) ||
						len(cs.ConnectionID) != clientLen || !bytes.Equal(ss.PeerConnectionID, cs.ConnectionID) ||
						cs.ConnectionID == nil || ss.PeerConnectionID == nil {
						t.Fatalf("client %x/%x, server %x/%x", cs.ConnectionID, cs.PeerConnectionID, ss.ConnectionID, ss.PeerConnectionID)
					}
					bothWays(t, client, server)
					for _, c := range []*Conn{client, server} {
						if n := c.MaxPayload(); n <= 0 || n >= client.link.MaxDatagramSize()-record.HeaderLen-8 {
							t.Errorf("MaxPayload %d does not leave room for the ID", n)
						}
						big := bytes.Repeat([]byte{1}, c.MaxPayload())
						if _, err := c.Write(big); err != nil {
							t.Errorf("a Write of MaxPayload: %v", err)
						}
					}
				})
			})
		}
	}
}

// TestConnectionIDNotNegotiated checks the cases without IDs: one side
// without a ConnectionIDConfig, or DTLS 1.0, which RFC 9146 does not
// extend.
func TestConnectionIDNotNegotiated(t *testing.T) {
	for name, set := range map[string]func(cc, sc *Config){
		"client without": func(cc, sc *Config) { cc.ConnectionID = nil },
		"server without": func(cc, sc *Config) { sc.ConnectionID = nil },
		"DTLS 1.0 server": func(cc, sc *Config) {
			cc.MinVersion, sc.MinVersion, sc.MaxVersion = VersionDTLS10, VersionDTLS10, VersionDTLS10
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := cidConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, 4)
				set(cc, sc)
				client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				if cs := client.ConnectionState(); cs.ConnectionID != nil || cs.PeerConnectionID != nil {
					t.Fatalf("IDs %x/%x", cs.ConnectionID, cs.PeerConnectionID)
				}
				bothWays(t, client, server)
			})
		})
	}
}

// TestConnectionIDGenerate checks the Config's generator: its IDs are
// used, and one of another length fails the handshake.
func TestConnectionIDGenerate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := cidConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, 0)
		sc.ConnectionID.Generate = func() ([]byte, error) { return []byte("server-1"), nil }
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if got := string(client.ConnectionState().PeerConnectionID); got != "server-1" {
			t.Fatalf("the client sends %q", got)
		}
		bothWays(t, client, server)
		sc.ConnectionID = &ConnectionIDConfig{Length: 4, Generate: sc.ConnectionID.Generate}
		if _, _, _, serr = handshakePair(t, cc, sc, clean, clean); serr == nil {
			t.Fatal("an ID of the wrong length was used")
		}
	})
}

// holdConn is a net.Conn that keeps a copy of every datagram written, and
// stops passing them on once held is set.
type holdConn struct {
	net.Conn
	mu    sync.Mutex
	held  bool
	wrote [][]byte
}

func (h *holdConn) Write(b []byte) (int, error) {
	h.mu.Lock()
	h.wrote = append(h.wrote, bytes.Clone(b))
	held := h.held
	h.mu.Unlock()
	if held {
		return len(b), nil
	}
	return h.Conn.Write(b)
}

func (h *holdConn) last() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wrote[len(h.wrote)-1]
}

// TestMovedDatagram checks what may move an association to a new address
// (RFC 9146 §6): a datagram whose record carries the ID, authenticates and
// is newer than every record before; not one altered, replayed or older,
// nor one without the ID.
func TestMovedDatagram(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := cidConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0)
		a, b := dgramtest.Pipe(clean, clean)
		hc := &holdConn{Conn: a}
		client, server := Client(hc, cc), Server(b, sc)
		defer client.Close()
		defer server.Close()
		done := make(chan error, 1)
		go func() { done <- server.Handshake() }()
		if err := client.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		exchange(t, client, server, 10)
		old := hc.last()
		hc.mu.Lock()
		hc.held = true
		hc.mu.Unlock()
		if _, err := client.Write([]byte("from the new address")); err != nil {
			t.Fatal(err)
		}
		moved := hc.last()
		forged := bytes.Clone(moved)
		forged[len(forged)-1] ^= 1
		for name, tc := range map[string]struct {
			d    []byte
			want bool
		}{
			"altered": {forged, false},
			"older":   {old, false},
		} {
			if got := server.HandleMovedDatagram(tc.d, nil); got != tc.want {
				t.Errorf("%s: moved %v", name, got)
			}
		}
		calls := 0
		if !server.HandleMovedDatagram(moved, func() { calls++ }) || calls != 1 {
			t.Fatal("a new record with the ID did not move the association")
		}
		buf := make([]byte, 100)
		if n, err := server.Read(buf); err != nil || string(buf[:n]) != "from the new address" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		if server.HandleMovedDatagram(moved, nil) {
			t.Error("a replayed record moved the association")
		}
		if st := server.Stats(); st.ReplayedRecords == 0 || st.BadRecords == 0 {
			t.Errorf("stats %+v: the replay and the forgery are not counted", st)
		}
	})
}
