package transport

import (
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/dtls"
)

// TestWriteAfterPeerClosed closes each end in turn: the other end reads
// the data sent before close_notify, then io.EOF, and its Write and
// WriteBatch then fail with dtls.ErrPeerClosed instead of sending into the
// void; the listener lets the association go once both ends are closed.
func TestWriteAfterPeerClosed(t *testing.T) {
	for _, closer := range []string{"client", "server"} {
		t.Run(closer, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := newTestNet(t)
				_, sc := configs(t, getPKI(t).ecdsa)
				l := tn.listen(t, nil, sc, false)
				c, s := slowPair(t, tn, l, nil)
				gone, left := c, s
				if closer == "server" {
					gone, left = s, c
				}
				if _, err := gone.Write([]byte("bye")); err != nil {
					t.Fatal(err)
				}
				gone.Close()
				synctest.Wait()
				buf := make([]byte, 100)
				if n, err := left.Read(buf); err != nil || string(buf[:n]) != "bye" {
					t.Fatalf("Read = %q, %v", buf[:n], err)
				}
				if _, err := left.Read(buf); err != io.EOF {
					t.Fatalf("Read after close_notify: %v, want io.EOF", err)
				}
				if _, err := left.Write([]byte("anyone?")); !errors.Is(err, dtls.ErrPeerClosed) {
					t.Errorf("Write after the peer closed: %v, want dtls.ErrPeerClosed", err)
				}
				if _, err := left.WriteBatch([][]byte{[]byte("a"), []byte("b")}); !errors.Is(err, dtls.ErrPeerClosed) {
					t.Errorf("WriteBatch after the peer closed: %v, want dtls.ErrPeerClosed", err)
				}
				left.Close()
				synctest.Wait()
				if n := l.Stats().Associations; n != 0 {
					t.Errorf("the listener holds %d associations once both ends closed", n)
				}
			})
		})
	}
}

// TestResumption dials the same listener twice with a client session
// cache: the second handshake resumes the first's session, on both ends.
func TestResumption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := configs(t, getPKI(t).ecdsa)
		cc.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
		l := tn.listen(t, nil, sc, false)
		for i, want := range []bool{false, true} {
			c, s := slowPair(t, tn, l, cc)
			if got := c.ConnectionState().DidResume; got != want {
				t.Errorf("handshake %d: the client's DidResume is %v", i, got)
			}
			if got := s.ConnectionState().DidResume; got != want {
				t.Errorf("handshake %d: the server's DidResume is %v", i, got)
			}
			c.Close()
			s.Close()
		}
	})
}
