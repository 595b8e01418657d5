package transport

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls"
)

// TestRehandshake renegotiates a listener's association, started by
// either side, between two exchanges of data: the server's association is
// driven by the listener's engine, without a goroutine of its own, and
// the peer's renegotiation needs no Read to advance.
func TestRehandshake(t *testing.T) {
	for _, initiator := range []string{"client", "server"} {
		t.Run(initiator, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := newTestNet(t)
				cc, sc := configs(t, getPKI(t).ecdsa)
				cc.Renegotiation, sc.Renegotiation = dtls.RenegotiateFreely, dtls.RenegotiateFreely
				l := tn.listen(t, nil, sc, false)
				c, s := slowPair(t, tn, l, cc)
				sendOne(t, c, s, "before")
				ask := map[string]*Conn{"client": c, "server": s}[initiator]
				for range 2 {
					if err := ask.Rehandshake(context.Background()); err != nil {
						t.Fatalf("Rehandshake: %v", err)
					}
				}
				sendOne(t, c, s, "after")
				sendOne(t, s, c, "and back")
			})
		})
	}
}

// sendOne sends msg from a to b and checks that it arrives.
func sendOne(t *testing.T, a, b *Conn, msg string) {
	t.Helper()
	if _, err := a.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, err := b.Read(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
	}
}
