package dtls

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// renegConfigs returns a client and a server Config that accept every
// renegotiation the peer asks for.
func renegConfigs() (*Config, *Config) {
	cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
	cc.Renegotiation, sc.Renegotiation = RenegotiateFreely, RenegotiateFreely
	return cc, sc
}

// stream sends n numbered records from a to b, one a millisecond, and
// counts at b how often each arrived.
type stream struct {
	n    int
	seen []int
	err  error
}

func runStream(wg *sync.WaitGroup, a, b *Conn, n int) *stream {
	s := &stream{n: n, seen: make([]int, n)}
	wg.Add(2)
	go func() {
		defer wg.Done()
		var buf [4]byte
		for i := range n {
			binary.BigEndian.PutUint32(buf[:], uint32(i))
			if _, err := a.Write(buf[:]); err != nil {
				s.err = err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 64)
		for got := 0; got < n; got++ {
			b.SetReadDeadline(time.Now().Add(time.Second)) // a record lost ends the wait
			k, err := b.Read(buf)
			if err != nil || k != 4 {
				s.err = fmt.Errorf("read %d: %d bytes, %v", got, k, err)
				return
			}
			s.seen[binary.BigEndian.Uint32(buf)]++
		}
	}()
	return s
}

// check reports the first record lost or received twice.
func (s *stream) check() error {
	if s.err != nil {
		return s.err
	}
	for i, k := range s.seen {
		if k != 1 {
			return fmt.Errorf("record %d arrived %d times", i, k)
		}
	}
	return nil
}

// TestRehandshakeMidStream renegotiates twice, started by either side, in
// the middle of streams of data both ways over links with 10 ms of
// latency, some reordering and duplication: every record arrives once,
// none lost across an epoch change and none replayed, and both sides end
// in epoch 3.
func TestRehandshakeMidStream(t *testing.T) {
	for _, tc := range []struct {
		name      string
		initiator string
		imp       dgramtest.Impairment
	}{
		{"server asks", "server", dgramtest.Impairment{Delay: 10 * time.Millisecond}},
		{"client asks", "client", dgramtest.Impairment{Delay: 10 * time.Millisecond}},
		{"server asks, reordered and duplicated", "server", dgramtest.Impairment{Delay: 10 * time.Millisecond, Reorder: 0.2, Duplicate: 0.2, Seed: 7}},
		{"client asks, reordered and duplicated", "client", dgramtest.Impairment{Delay: 10 * time.Millisecond, Reorder: 0.2, Duplicate: 0.2, Seed: 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := renegConfigs()
				ba := tc.imp
				ba.Seed++
				client, server, cerr, serr := handshakePair(t, cc, sc, tc.imp, ba)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				var wg sync.WaitGroup
				up, down := runStream(&wg, client, server, 400), runStream(&wg, server, client, 400)
				initiator := map[string]*Conn{"client": client, "server": server}[tc.initiator]
				for _, at := range []time.Duration{100 * time.Millisecond, 100 * time.Millisecond} {
					time.Sleep(at)
					if err := initiator.Rehandshake(context.Background()); err != nil {
						t.Fatalf("Rehandshake: %v", err)
					}
				}
				wg.Wait()
				if err := up.check(); err != nil {
					t.Errorf("client to server: %v", err)
				}
				if err := down.check(); err != nil {
					t.Errorf("server to client: %v", err)
				}
				for name, c := range map[string]*Conn{"client": client, "server": server} {
					c.in.Lock()
					in, out := c.in.cur.epoch, c.out.dataEpoch
					c.in.Unlock()
					if in != 3 || out != 3 {
						t.Errorf("%s reads epoch %d and writes epoch %d, want 3", name, in, out)
					}
					if st := c.Stats(); st.DroppedData != 0 {
						t.Errorf("%s dropped %d records of data", name, st.DroppedData)
					}
				}
				bothWays(t, client, server)
			})
		})
	}
}

// TestRenegotiationRefused checks the peer's refusals: a Conn whose Config
// refuses renegotiations answers with no_renegotiation, and the side that
// asked gets ErrRenegotiationRefused and keeps its association; with
// RenegotiateOnce, the second request is refused.
func TestRenegotiationRefused(t *testing.T) {
	for _, initiator := range []string{"client", "server"} {
		t.Run(initiator, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := renegConfigs()
				cc.Renegotiation, sc.Renegotiation = RenegotiateOnce, RenegotiateOnce
				client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				c := map[string]*Conn{"client": client, "server": server}[initiator]
				ctx := context.Background()
				if err := c.Rehandshake(ctx); err != nil {
					t.Fatalf("first Rehandshake: %v", err)
				}
				if err := c.Rehandshake(ctx); !errors.Is(err, ErrRenegotiationRefused) {
					t.Fatalf("second Rehandshake: %v, want ErrRenegotiationRefused", err)
				}
				bothWays(t, client, server)
			})
		})
	}
}

// TestRenegotiationUnanswered checks a HelloRequest that the client
// ignores until the handshake timeout: the server gives up, and the
// association goes on.
func TestRenegotiationUnanswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := renegConfigs()
		sc.HandshakeTimeout = 10 * time.Second
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		client.in.Lock()
		client.in.hs = &hsBase{c: client} // a client in a handshake ignores a HelloRequest
		client.in.Unlock()
		start := time.Now()
		if err := server.Rehandshake(context.Background()); !errors.Is(err, ErrRenegotiationRefused) {
			t.Fatalf("Rehandshake: %v, want ErrRenegotiationRefused", err)
		}
		if d := time.Since(start); d != sc.HandshakeTimeout {
			t.Errorf("gave up after %v, want %v", d, sc.HandshakeTimeout)
		}
		client.in.Lock()
		client.in.hs = nil
		client.in.Unlock()
		bothWays(t, client, server)
	})
}

// TestRenegotiationNotSecure checks that a Conn whose peer did not offer
// secure renegotiation starts none, and refuses the peer's.
func TestRenegotiationNotSecure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := renegConfigs()
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		for _, c := range []*Conn{client, server} {
			c.in.Lock()
			c.in.reneg.secure = false
			c.in.Unlock()
			if err := c.Rehandshake(context.Background()); !errors.Is(err, ErrNoSecureRenegotiation) {
				t.Errorf("Rehandshake: %v, want ErrNoSecureRenegotiation", err)
			}
		}
		bothWays(t, client, server)
	})
}

// TestRenegotiationInfoMismatch checks RFC 5746's binding: a renegotiation
// whose hello carries other verify_data than the last handshake's fails,
// on the server for a ClientHello and on the client for a ServerHello.
func TestRenegotiationInfoMismatch(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := renegConfigs()
				client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				c := map[string]*Conn{"client": client, "server": server}[side]
				c.in.Lock()
				c.in.reneg.clientFin[0] ^= 1 // as a man in the middle's would differ
				c.in.Unlock()
				err := client.Rehandshake(context.Background())
				if !errors.Is(err, AlertHandshakeFailure) {
					t.Fatalf("Rehandshake: %v, want handshake_failure", err)
				}
			})
		})
	}
}

// TestRenegotiationTimer checks the timer a renegotiation starts with: the
// value the last handshake ended with, unless the association was idle
// for ten times that (RFC 6347 §4.2.4.1).
func TestRenegotiationTimer(t *testing.T) {
	c := &Conn{config: &Config{}}
	now := time.Now()
	for _, tc := range []struct {
		last, idle, want time.Duration
	}{
		{4 * time.Second, 39 * time.Second, 4 * time.Second},
		{4 * time.Second, 40 * time.Second, time.Second},
		{0, 0, time.Second},
	} {
		c.in.reneg.timer, c.in.reneg.lastActive = tc.last, now.Add(-tc.idle)
		if got := c.renegotiationTimer(now).cur; got != tc.want {
			t.Errorf("timer %v, idle %v: starts at %v, want %v", tc.last, tc.idle, got, tc.want)
		}
	}
}

// TestRenegotiationKeepsSession checks that a renegotiation, which offers
// no session, leaves the client's session cache alone: the next
// association still resumes the first handshake's session, by ticket and
// by ID.
func TestRenegotiationKeepsSession(t *testing.T) {
	for _, mode := range resumeModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				mode.set(cc, sc)
				cc.Renegotiation, sc.Renegotiation = RenegotiateFreely, RenegotiateFreely
				client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				for _, c := range []*Conn{client, server} {
					if err := c.Rehandshake(context.Background()); err != nil {
						t.Fatalf("Rehandshake: %v", err)
					}
				}
				if !resumeWith(t, cc, sc) {
					t.Fatal("the session of the first handshake was not resumed after renegotiations")
				}
			})
		})
	}
}

// TestRenegotiationKeepsConfig renegotiates with a server whose first
// handshake took its Config from GetConfigForClient, while the server
// sends heartbeats, which read the Config without the handshake's lock:
// the renegotiation keeps the association's Config, calling
// GetConfigForClient only for the first handshake.
func TestRenegotiationKeepsConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := renegConfigs()
		calls := 0
		sc.GetConfigForClient = func(*ClientHelloInfo) (*Config, error) {
			calls++
			_, nc := renegConfigs()
			nc.GetConfigForClient = sc.GetConfigForClient
			return nc, nil
		}
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 200 {
				if _, err := server.SendHeartbeat([]byte("hb"), 200); err != nil {
					t.Errorf("SendHeartbeat: %v", err)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()
		if err := client.Rehandshake(context.Background()); err != nil {
			t.Fatalf("Rehandshake: %v", err)
		}
		<-done
		if calls != 1 {
			t.Errorf("GetConfigForClient called %d times, want 1 (the first handshake)", calls)
		}
		bothWays(t, client, server)
	})
}
