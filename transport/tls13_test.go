package transport

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/memnet"
)

// TestBlackHole13 runs DTLS 1.3 handshakes whose server flight (a 5.7 KB
// chain) cannot cross a path that silently drops datagrams above 1000 or
// 600 bytes, beside DTLS 1.2 ones in the same virtual network: the
// client's ACK of the ServerHello, which goes alone in a small datagram,
// and of whatever else arrives, tells the server at once that the large
// datagrams are lost (RFC 9147 §7), where DTLS 1.2 waits for its timer.
// DTLS 1.3 must finish sooner.
func TestBlackHole13(t *testing.T) {
	p := getPKI(t)
	for _, hole := range []int{1000, 600} {
		t.Run(itoa(hole), func(t *testing.T) {
			var took [2]time.Duration
			for i, v := range []uint16{dtls.VersionDTLS12, dtls.VersionDTLS13} {
				synctest.Test(t, func(t *testing.T) {
					tn := newTestNet(t)
					tn.n.SetPath(tn.s4, tn.c4, memnet.PathConfig{MTU: hole, BlackHole: true})
					cc, sc := configs(t, p.big)
					cc.MaxVersion, sc.MaxVersion = v, v
					l := tn.listen(t, nil, sc, false)
					accept(t, l)
					start := time.Now()
					c, err := tn.dial(nil, cc, false)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					took[i] = time.Since(start)
					if st := c.ConnectionState(); st.Version != v {
						t.Fatalf("version %#x, want %#x", st.Version, v)
					}
					if d := took[i]; d >= 6*time.Second {
						t.Errorf("handshake through a %d-byte black hole took %v, want < 6s", hole, d)
					}
				})
			}
			t.Logf("through a %d-byte black hole: DTLS 1.2 %v, DTLS 1.3 %v", hole, took[0], took[1])
			if took[1] >= took[0] {
				t.Errorf("DTLS 1.3 took %v, DTLS 1.2 %v: the ACKs should have told the size sooner", took[1], took[0])
			}
		})
	}
}

// TestProbing13 finds the path MTU of a DTLS 1.3 association after its
// handshake, where there are no heartbeats: through a path that silently
// drops datagrams above 1400 bytes in both directions, the padded
// KeyUpdates that the peer acknowledges take the client's estimate to
// 1400 exactly, and the association goes on working (its keys updated by
// the probes).
func TestProbing13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		tn.n.SetPath(tn.c4, tn.s4, memnet.PathConfig{MTU: 1400, BlackHole: true})
		tn.n.SetPath(tn.s4, tn.c4, memnet.PathConfig{MTU: 1400, BlackHole: true})
		cc, sc := configs(t, getPKI(t).ecdsa)
		cc.MaxVersion, sc.MaxVersion = dtls.VersionDTLS13, dtls.VersionDTLS13
		l := tn.listen(t, nil, sc, false)
		accept(t, l)
		c, err := tn.dial(nil, cc, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.ConnectionState().Version != dtls.VersionDTLS13 {
			t.Fatal("not DTLS 1.3")
		}
		time.Sleep(2 * time.Minute)
		st := c.PathStats()
		if c.PathMTU() != 1400 || st.ProbesSent == 0 || st.ProbesAcked == 0 {
			t.Errorf("path MTU %d, stats %+v: want 1400 found by acknowledged probes", c.PathMTU(), st)
		}
		msg := make([]byte, c.MaxPayload())
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2000)
		if n, err := c.Read(buf); err != nil || n != len(msg) {
			t.Fatalf("echo of a %d-byte record: %d, %v", len(msg), n, err)
		}
	})
}
