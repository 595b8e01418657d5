package dtls

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

// config13 returns a client and a server Config that speak DTLS 1.3 only.
func config13(psk bool) (cc, sc *Config) {
	p := getPKI()
	cc = &Config{ServerName: "localhost", RootCAs: p.roots, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}
	sc = &Config{Certificates: []tls.Certificate{p.ecdsa}, MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}
	if psk {
		cc, sc = pskConfig(&Config{MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13}), pskConfig(&Config{MinVersion: VersionDTLS13, MaxVersion: VersionDTLS13})
	}
	return cc, sc
}

func echo13(t *testing.T, client, server *Conn) {
	t.Helper()
	msg := []byte("hello over DTLS 1.3")
	if _, err := client.Write(msg); err != nil {
		t.Fatalf("client Write: %v", err)
	}
	buf := make([]byte, 100)
	n, err := server.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("server Read = %q, %v", buf[:n], err)
	}
	if _, err := server.Write(buf[:n]); err != nil {
		t.Fatalf("server Write: %v", err)
	}
	if n, err = client.Read(buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("client Read = %q, %v", buf[:n], err)
	}
}

func TestHandshake13(t *testing.T) {
	for _, tc := range []struct {
		name string
		psk  bool
		imp  dgramtest.Impairment
	}{
		{"certificate", false, dgramtest.Impairment{}},
		{"psk", true, dgramtest.Impairment{}},
		{"certificate/loss30", false, dgramtest.Impairment{Loss: 0.3, Seed: 7}},
		{"psk/loss30", true, dgramtest.Impairment{Loss: 0.3, Seed: 9}},
		{"certificate/reorder+duplicate", false, dgramtest.Impairment{Reorder: 0.3, Duplicate: 0.3, Delay: 5 * time.Millisecond, Seed: 4}},
		{"psk/reorder+duplicate", true, dgramtest.Impairment{Reorder: 0.3, Duplicate: 0.3, Delay: 5 * time.Millisecond, Seed: 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := config13(tc.psk)
				client, server, cerr, serr := handshakePair(t, cc, sc, tc.imp, tc.imp)
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: client %v, server %v", cerr, serr)
				}
				for _, c := range []*Conn{client, server} {
					st := c.ConnectionState()
					if st.Version != VersionDTLS13 || suite13ByID(st.CipherSuite) == nil {
						t.Fatalf("state: version %#x suite %#x", st.Version, st.CipherSuite)
					}
				}
				if tc.imp.Loss == 0 {
					echo13(t, client, server)
				}
			})
		})
	}
}

// TestHandshake13Impaired runs DTLS 1.3 handshakes, with certificates
// and with a PSK, over links that lose 30% of the datagrams and reorder
// and duplicate 20% each way, under twenty seeds: every handshake
// completes in 1.3 and the association then carries data both ways
// (RFC 9147 §5.8).
func TestHandshake13Impaired(t *testing.T) {
	for _, psk := range []bool{false, true} {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("psk=%v/seed%d", psk, seed), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					imp := dgramtest.Impairment{Loss: 0.3, Reorder: 0.2, Duplicate: 0.2, Delay: 5 * time.Millisecond, Seed: seed}
					back := imp
					back.Seed += 100
					cc, sc := config13(psk)
					// Some seeds lose five datagrams in a row: the timer,
					// doubling from 1 s, then needs more than a minute.
					cc.HandshakeTimeout, sc.HandshakeTimeout = 5*time.Minute, 5*time.Minute
					client, server, cerr, serr := handshakePair(t, cc, sc, imp, back)
					if cerr != nil || serr != nil {
						t.Fatalf("handshake: client %v, server %v", cerr, serr)
					}
					if v := client.ConnectionState().Version; v != VersionDTLS13 {
						t.Fatalf("version %#x", v)
					}
					for _, c := range []*Conn{client, server} {
						c.link.(*netLink).conn.(*dgramtest.Conn).SetImpairment(dgramtest.Impairment{})
					}
					echo13(t, client, server)
				})
			})
		}
	}
}

// TestKeyUpdate13 updates the keys in the middle of a stream, in both
// directions (the client asks the server to update too), and checks that
// every record arrives, once, and that both sides then send in epoch 4
// (RFC 9147 §8).
func TestKeyUpdate13(t *testing.T) {
	for _, imp := range []dgramtest.Impairment{{}, {Loss: 0.2, Seed: 3}} {
		t.Run(fmt.Sprintf("loss%.1f", imp.Loss), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := config13(false)
				client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: client %v, server %v", cerr, serr)
				}
				client.link.(*netLink).conn.(*dgramtest.Conn).SetImpairment(imp)
				server.link.(*netLink).conn.(*dgramtest.Conn).SetImpairment(imp)
				const n = 40
				got := make(chan string, 2*n)
				go func() {
					buf := make([]byte, 100)
					for {
						k, err := server.Read(buf)
						if err != nil {
							close(got)
							return
						}
						got <- string(buf[:k])
					}
				}()
				for i := range n {
					if i == n/2 {
						if err := client.UpdateKeys(true); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := client.Write([]byte(fmt.Sprintf("record %d", i))); err != nil {
						t.Fatal(err)
					}
					time.Sleep(50 * time.Millisecond)
				}
				time.Sleep(10 * time.Second)
				seen := map[string]bool{}
				for len(got) > 0 {
					m := <-got
					if seen[m] {
						t.Fatalf("%q twice", m)
					}
					seen[m] = true
				}
				if imp.Loss == 0 && len(seen) != n {
					t.Fatalf("%d of %d records arrived", len(seen), n)
				}
				for _, c := range []*Conn{client, server} {
					c.out.Lock()
					e := c.out.dataEpoch
					c.out.Unlock()
					if e != 4 {
						t.Errorf("client %v sends in epoch %d, want 4", c.isClient, e)
					}
				}
			})
		})
	}
}

// dropConn drops the datagrams its drop function picks, by their order,
// and notes when each was written.
type dropConn struct {
	net.Conn
	mu      sync.Mutex
	n       int
	drop    func(n int) bool
	sizes   []int
	times   []time.Time
	dropped []bool
}

func (d *dropConn) Write(b []byte) (int, error) {
	d.mu.Lock()
	d.n++
	drop := d.drop(d.n)
	d.sizes, d.times, d.dropped = append(d.sizes, len(b)), append(d.times, time.Now()), append(d.dropped, drop)
	d.mu.Unlock()
	if drop {
		return len(b), nil
	}
	return d.Conn.Write(b)
}

// TestSelectiveRetransmission13 loses one datagram in the middle of the
// server's flight: the client acknowledges what it got (RFC 9147 §7.1),
// and the server sends again only what that ACK does not name, at once
// rather than when its timer runs out.
func TestSelectiveRetransmission13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(false)
		// A chain of several datagrams, which the client does not verify.
		cert := getPKI().rsa
		leaf := cert.Certificate[0]
		cert.Certificate = [][]byte{leaf, leaf, leaf}
		sc.Certificates = []tls.Certificate{cert}
		cc.InsecureSkipVerify, cc.RootCAs = true, nil
		sc.SessionTicketsDisabled = true // no NewSessionTicket after the flight
		imp := dgramtest.Impairment{Delay: 10 * time.Millisecond}
		a, b := dgramtest.Pipe(imp, imp)
		// Datagram 1 is the stateless HelloRetryRequest, 2 the ServerHello
		// alone, 3 and on the rest of the flight: lose 4.
		dc := &dropConn{Conn: b, drop: func(n int) bool { return n == 4 }}
		client, server := Client(a, cc), Server(dc, sc)
		defer client.Close()
		defer server.Close()
		done := make(chan error, 1)
		go func() { done <- server.Handshake() }()
		start := time.Now()
		if err := client.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("handshake took %v: the lost datagram waited for the timer", d)
		}
		dc.mu.Lock()
		defer dc.mu.Unlock()
		for i := range dc.sizes {
			t.Logf("server datagram %d: %d bytes at %v, dropped %v", i+1, dc.sizes[i], dc.times[i].Sub(start), dc.dropped[i])
		}
		flight, again := 0, 0
		for i := 1; i < len(dc.sizes); i++ {
			switch {
			case dc.times[i].Equal(dc.times[1]):
				flight += dc.sizes[i]
			case dc.sizes[i] > 100: // not an ACK
				again += dc.sizes[i]
			}
		}
		if again == 0 || again > dc.sizes[3]+100 {
			t.Errorf("the server sent %d bytes again of a %d-byte flight whose lost datagram had %d", again, flight, dc.sizes[3])
		}
	})
}

// TestResumption13 resumes a DTLS 1.3 session by the ticket the server
// sent after the first handshake (RFC 8446 §2.2), with certificates and
// with an external PSK, without loss and under 30% loss both ways; the
// resumed handshake sends no certificate.
func TestResumption13(t *testing.T) {
	for _, psk := range []bool{false, true} {
		for _, imp := range []dgramtest.Impairment{{}, {Loss: 0.3, Seed: 11}} {
			t.Run(fmt.Sprintf("psk=%v/loss%.1f", psk, imp.Loss), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := config13(psk)
					cc.ClientSessionCache = NewLRUClientSessionCache(4)
					if !psk {
						cc.ServerName = "localhost"
					}
					client, _, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
					if cerr != nil || serr != nil {
						t.Fatalf("first handshake: client %v, server %v", cerr, serr)
					}
					time.Sleep(time.Second) // the ticket arrives, and is acknowledged
					first := client.ConnectionState()
					if first.DidResume {
						t.Fatal("the first handshake resumed")
					}
					key := "localhost"
					if psk {
						key = client.RemoteAddr().String()
					}
					if _, ok := cc.ClientSessionCache.Get(key); !ok {
						t.Fatal("no ticket in the client's cache")
					}
					c2, s2, cerr, serr := handshakePair(t, cc, sc, imp, imp)
					if cerr != nil || serr != nil {
						t.Fatalf("resumption: client %v, server %v", cerr, serr)
					}
					for _, st := range []ConnectionState{c2.ConnectionState(), s2.ConnectionState()} {
						if !st.DidResume || st.Version != VersionDTLS13 {
							t.Fatalf("state %+v: want a resumed DTLS 1.3 session", st)
						}
					}
					if st := c2.ConnectionState(); !psk && len(st.PeerCertificates) == 0 {
						t.Error("the resumed session lost the server's certificates")
					}
					if imp.Loss == 0 {
						echo13(t, c2, s2)
					}
				})
			})
		}
	}
}

// TestHybridGroup13 runs handshakes with X25519MLKEM768: the client's
// ClientHello, whose key share alone is 1216 bytes, is fragmented, and the
// server takes the hybrid share; a server that prefers it asks a client
// that sent only X25519 for it (HelloRetryRequest).
func TestHybridGroup13(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server []tls.CurveID
	}{
		{"client sends the hybrid share", []tls.CurveID{tls.X25519MLKEM768, tls.X25519}, nil},
		{"server asks for it", []tls.CurveID{tls.X25519, tls.X25519MLKEM768}, []tls.CurveID{tls.X25519MLKEM768}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := config13(false)
				cc.CurvePreferences, sc.CurvePreferences = tc.client, tc.server
				client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: client %v, server %v", cerr, serr)
				}
				for _, c := range []*Conn{client, server} {
					if g := c.ConnectionState().CurveID; g != tls.X25519MLKEM768 {
						t.Errorf("group %v, want X25519MLKEM768", g)
					}
				}
				echo13(t, client, server)
			})
		})
	}
}

// TestSRTP13 negotiates DTLS-SRTP in DTLS 1.3, where use_srtp comes back
// in EncryptedExtensions, and exports the same keying material on both
// sides, from the exporter master secret (RFC 8446 §7.5).
func TestSRTP13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(false)
		cc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80}
		sc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AES128_CM_HMAC_SHA1_80}
		client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		var km [2][]byte
		for i, c := range []*Conn{client, server} {
			st := c.ConnectionState()
			if st.SRTPProtectionProfile != SRTP_AES128_CM_HMAC_SHA1_80 {
				t.Fatalf("profile %v", st.SRTPProtectionProfile)
			}
			var err error
			if km[i], err = st.ExportKeyingMaterial(SRTPKeyingMaterialLabel, nil, 60); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(km[0], km[1]) || len(km[0]) != 60 {
			t.Fatalf("keying material differs: %x, %x", km[0], km[1])
		}
	})
}

// TestSequenceResync13 loses 100000 records in a row, more than half the
// 16-bit sequence number field of the unified header (RFC 9147 §4.2.2):
// the receiver, whose reconstruction from the low bits now guesses a wrap
// too early, finds the records again after a few failures, instead of
// failing every record after.
func TestSequenceResync13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(true)
		client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		client.out.Lock()
		client.out.cur.seq += 100000 // as if so many records were lost
		client.out.Unlock()
		got := make(chan string, 64)
		go func() {
			buf := make([]byte, 100)
			for {
				n, err := server.Read(buf)
				if err != nil {
					close(got)
					return
				}
				got <- string(buf[:n])
			}
		}()
		for i := range 20 {
			if _, err := client.Write([]byte(fmt.Sprintf("record %d", i))); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		if n := len(got); n < 20-resyncAfter {
			t.Fatalf("%d of 20 records arrived after the loss (stats %+v)", n, server.Stats())
		}
	})
}

// TestIntegrityLimit13 sends forged records under CCM_8, whose integrity
// limit is 2^7 (RFC 9147 §4.5.3): at half of it the receiver asks for new
// keys, which the sender's KeyUpdate gives, and the count starts over.
func TestIntegrityLimit13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(true)
		cc.CipherSuites = []uint16{TLS_AES_128_CCM_8_SHA256}
		sc.CipherSuites = cc.CipherSuites
		client, server, cerr, serr := handshakePair(t, cc, sc, dgramtest.Impairment{}, dgramtest.Impairment{})
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		echo13(t, client, server) // the server reads the client's epoch 3
		forged := []byte{0x2b, 0x00, 0x00, 0x00, 0x20}
		forged = append(forged, make([]byte, 32)...)
		for range 70 {
			server.HandleDatagram(slices.Clone(forged))
		}
		time.Sleep(time.Second)
		echo13(t, client, server)
		server.in.Lock()
		epoch, failed := server.in.cur.epoch, server.p13.failed
		server.in.Unlock()
		if epoch != 4 || failed != 0 {
			t.Fatalf("the server reads epoch %d, %d failures counted, after 70 forgeries; want epoch 4 and 0: the client should have updated its keys", epoch, failed)
		}
	})
}

// TestDataPathDoesNotAllocate13 checks that DTLS 1.3's data path
// allocates nothing per record, as DTLS 1.2's does
// (TestDataPathDoesNotAllocate): a Write and the Read that receives it,
// and a forged record of the peer's next epoch, armed by a KeyUpdate but
// not used yet.
func TestDataPathDoesNotAllocate13(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector makes sync.Pool drop buffers: allocations are counted without it")
	}
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(false)
		client, server, cl, _ := pumpPair(t, cc, sc)
		defer client.Close()
		defer server.Close()
		msg, buf := make([]byte, 1000), make([]byte, 2000)
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := client.Write(msg); err != nil {
				t.Fatal(err)
			}
			cl.pump()
			if n, err := server.Read(buf); err != nil || n != len(msg) {
				t.Fatal(n, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v allocations per Write+Read, want 0", allocs)
		}

		// The server arms epoch 4 at the client's KeyUpdate; its ACK is
		// not delivered, so the client goes on writing in epoch 3.
		if err := client.UpdateKeys(false); err != nil {
			t.Fatal(err)
		}
		cl.pump()
		server.in.Lock()
		armed := server.in.next13 != nil && server.in.next13.epoch == 4
		server.in.Unlock()
		if !armed {
			t.Fatal("the server did not arm epoch 4")
		}
		if _, err := client.Write(msg[:100]); err != nil {
			t.Fatal(err)
		}
		cl.mu.Lock()
		forged := append([]byte(nil), cl.bufs[cl.n-1]...)
		cl.n = 0
		cl.mu.Unlock()
		forged[0] &^= 3            // the epoch bits of epoch 4
		forged[len(forged)-1] ^= 1 // a tag that fails
		d := make([]byte, len(forged))
		bad := server.stats.badRecords.Load()
		allocs = testing.AllocsPerRun(100, func() {
			copy(d, forged) // opening alters the record
			server.HandleDatagram(d)
		})
		if allocs != 0 {
			t.Errorf("%v allocations per forged record of the next epoch, want 0", allocs)
		}
		if n := server.stats.badRecords.Load() - bad; n != 101 {
			t.Errorf("%d records failed to authenticate, want 101", n)
		}
	})
}

// TestProbe13 sends DTLS 1.3 path probes (probe.go): each is a record of
// the KeyUpdate padded to the size asked, whose ACK hands the probe's
// payload to the handler; a size that cannot hold the KeyUpdate fails.
func TestProbe13(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := config13(false)
		client, server, cl, sl := pumpPair(t, cc, sc)
		defer client.Close()
		defer server.Close()
		if !client.ProbeAllowed() {
			t.Fatal("ProbeAllowed is false after a DTLS 1.3 handshake")
		}
		var got [][]byte
		client.SetProbeHandler(func(p []byte) { got = append(got, append([]byte(nil), p...)) })
		if _, err := client.SendProbe([]byte("small"), 20); !errors.Is(err, ErrProbeTooSmall) {
			t.Fatalf("SendProbe of 20 bytes: %v, want ErrProbeTooSmall", err)
		}
		for _, size := range []int{400, 1100} {
			n, err := client.SendProbe([]byte(fmt.Sprint(size)), size)
			if err != nil || n != size {
				t.Fatalf("SendProbe(%d) = %d, %v", size, n, err)
			}
			cl.mu.Lock()
			sent := len(cl.bufs[cl.n-1])
			cl.mu.Unlock()
			if sent != size {
				t.Errorf("probe of %d bytes went in a %d-byte datagram", size, sent)
			}
			cl.pump()
			synctest.Wait()
			sl.pump()
			synctest.Wait()
			if len(got) == 0 || string(got[len(got)-1]) != fmt.Sprint(size) {
				t.Fatalf("probe of %d: handler got %q", size, got)
			}
		}
	})
}
