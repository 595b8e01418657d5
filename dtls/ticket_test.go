package dtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// ticketOf returns the ticket the client's cache keeps for cc's server.
func ticketOf(t *testing.T, cc *Config) []byte {
	t.Helper()
	st, ok := cc.ClientSessionCache.Get(cc.ServerName)
	if !ok || len(st.ticket) == 0 {
		t.Fatal("the client keeps no ticket")
	}
	return st.ticket
}

// resumeWith runs a handshake of cc with sc and reports whether it
// resumed, failing the test on an error.
func resumeWith(t *testing.T, cc, sc *Config) bool {
	t.Helper()
	client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	bothWays(t, client, server)
	cs, ss := client.ConnectionState(), server.ConnectionState()
	if cs.DidResume != ss.DidResume {
		t.Fatalf("DidResume: client %v, server %v", cs.DidResume, ss.DidResume)
	}
	return cs.DidResume
}

// TestTicketFleet checks that a ticket sealed by one server's Config opens
// in another's with the same keys, and in a Clone, as the servers of a
// fleet behind one name need: each keeps no session of its own.
func TestTicketFleet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := [][32]byte{{1, 2, 3}}
		cc, a := resumeConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		_, b := resumeConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		a.SetSessionTicketKeys(keys)
		b.SetSessionTicketKeys(keys)
		if resumeWith(t, cc, a) {
			t.Fatal("the first handshake resumed")
		}
		for i, sc := range []*Config{b, a.Clone(), b} {
			if !resumeWith(t, cc, sc) {
				t.Fatalf("server %d of the fleet did not resume the session", i)
			}
		}
		_, stranger := resumeConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		if resumeWith(t, cc, stranger) {
			t.Fatal("a server with other keys resumed the session")
		}
	})
}

// TestTicketKeyRotation rotates the application's keys: a ticket sealed
// with a key that is no longer first is accepted and replaced by one
// sealed with the first, which survives the old key's removal; a ticket
// none of the keys sealed gets a full handshake.
func TestTicketKeyRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2, k3 := [32]byte{1}, [32]byte{2}, [32]byte{3}
		cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.ServerName = "fleet.example"
		sc.SetSessionTicketKeys([][32]byte{k1})
		if resumeWith(t, cc, sc) {
			t.Fatal("the first handshake resumed")
		}
		first := ticketOf(t, cc)
		if !resumeWith(t, cc, sc) || !bytes.Equal(ticketOf(t, cc), first) {
			t.Fatal("a ticket of the first key was not resumed as it was")
		}
		sc.SetSessionTicketKeys([][32]byte{k2, k1})
		if !resumeWith(t, cc, sc) {
			t.Fatal("a ticket of the second key was refused")
		}
		renewed := ticketOf(t, cc)
		if bytes.Equal(renewed, first) {
			t.Fatal("a ticket of the second key was not replaced")
		}
		sc.SetSessionTicketKeys([][32]byte{k2})
		if !resumeWith(t, cc, sc) || !bytes.Equal(ticketOf(t, cc), renewed) {
			t.Fatal("the replaced ticket was not resumed once the old key went")
		}
		sc.SetSessionTicketKeys([][32]byte{k3})
		if resumeWith(t, cc, sc) {
			t.Fatal("a ticket of a removed key resumed")
		}
		sc.SetSessionTicketKeys(nil) // back to the Config's own keys
		if resumeWith(t, cc, sc) {
			t.Fatal("a ticket of the application's key resumed under the Config's own")
		}
		if !resumeWith(t, cc, sc) {
			t.Fatal("a ticket of the Config's own key was refused")
		}
	})
}

// TestTicketAutoKeys checks the keys a Config draws: a new one every
// SessionLifetime, the one before kept for a SessionLifetime after it is
// replaced, and a session still fresh whose ticket an old key sealed is
// resumed and given a new ticket.
func TestTicketAutoKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		sc.SessionLifetime = time.Hour
		cc.SessionLifetime = time.Hour
		tk := sc.ticketKeyring()
		keys, _ := tk.keys(sc) // the first key is drawn at 0
		if len(keys) != 1 {
			t.Fatalf("%d keys", len(keys))
		}
		time.Sleep(50 * time.Minute)
		if resumeWith(t, cc, sc) {
			t.Fatal("the first handshake resumed")
		}
		first := ticketOf(t, cc)
		time.Sleep(20 * time.Minute) // 70 min: the first key is replaced
		if !resumeWith(t, cc, sc) {
			t.Fatal("a fresh session sealed with the previous key was refused")
		}
		if bytes.Equal(ticketOf(t, cc), first) {
			t.Fatal("a ticket of the previous key was not replaced")
		}
		if keys, _ = tk.keys(sc); len(keys) != 2 {
			t.Fatalf("%d keys after one rotation", len(keys))
		}
		time.Sleep(61 * time.Minute) // 131 min: a lifetime after its replacement
		if keys, _ = tk.keys(sc); len(keys) != 2 || keys[1].created != keys[0].created.Add(-61*time.Minute) {
			t.Fatalf("%d keys after two rotations, or the oldest kept", len(keys))
		}
		if _, _, err := sc.openTicket(first); !errors.Is(err, errBadTicket) {
			t.Fatalf("a ticket of a key retired opens: %v", err)
		}
	})
}

// TestTicketTampered checks that a ticket altered anywhere, truncated or
// empty of state is refused without harm: the handshake is a full one,
// which gives a new ticket.
func TestTicketTampered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.ServerName = "tamper.example"
		resumeWith(t, cc, sc)
		good := bytes.Clone(ticketOf(t, cc))
		for _, at := range []int{0, ticketKeyNameLen, ticketKeyNameLen + ticketNonceLen, len(good) - 1} {
			st, _ := cc.ClientSessionCache.Get(cc.ServerName)
			bad := *st
			bad.ticket = bytes.Clone(good)
			bad.ticket[at] ^= 0x80
			cc.ClientSessionCache.Put(cc.ServerName, &bad)
			if resumeWith(t, cc, sc) {
				t.Fatalf("a ticket altered at byte %d resumed", at)
			}
			if !resumeWith(t, cc, sc) {
				t.Fatal("the new ticket did not resume")
			}
		}
		for _, bad := range [][]byte{good[:ticketOverhead-1], good[:ticketOverhead]} {
			if _, _, err := sc.openTicket(bad); err == nil {
				t.Errorf("a %d-byte ticket opened", len(bad))
			}
		}
	})
}

// TestTicketClientCertificates resumes a session whose client gave a
// certificate: the server that resumes it verifies the certificate again
// against its own ClientCAs, and one that does not trust it runs a full
// handshake (which then fails, the certificate being unknown to it).
func TestTicketClientCertificates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := getPKI()
		cc, sc := resumeConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.Certificates = []tls.Certificate{p.ecdsa}
		sc.ClientAuth, sc.ClientCAs = tls.RequireAndVerifyClientCert, p.roots
		sc.SetSessionTicketKeys([][32]byte{{9}})
		resumeWith(t, cc, sc)
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil || !server.ConnectionState().DidResume {
			t.Fatalf("handshake: client %v, server %v, resumed %v", cerr, serr, server.ConnectionState().DidResume)
		}
		ss := server.ConnectionState()
		if len(ss.PeerCertificates) != len(p.ecdsa.Certificate) || len(ss.VerifiedChains) == 0 {
			t.Fatalf("resumed with %d client certificates, %d chains", len(ss.PeerCertificates), len(ss.VerifiedChains))
		}
		client.Close()

		other := sc.Clone()
		other.ClientCAs = x509.NewCertPool()
		_, _, _, serr = handshakePair(t, cc, other, clean, clean)
		if !errors.Is(serr, AlertUnknownCA) {
			t.Fatalf("a server that does not trust the client's CA: %v, want a full handshake that fails with unknown_ca", serr)
		}
	})
}

// TestTicketTooLong checks that a session whose ticket would not fit a
// ClientHello gets an empty NewSessionTicket, as RFC 5077 §3.3 allows.
func TestTicketTooLong(t *testing.T) {
	cfg := &Config{}
	hs := &serverHandshake{}
	hs.c = &Conn{config: cfg}
	s := &session{vers: VersionDTLS12, suite: TLS_PSK_WITH_AES_128_GCM_SHA256, created: cfg.now()}
	for _, tc := range []struct {
		identity  int
		wantEmpty bool
	}{{10, false}, {maxTicketLen, true}} {
		s.identity = make([]byte, tc.identity)
		out := hs.newSessionTicket(s)
		var m handshake.NewSessionTicket
		ok := m.Unmarshal(out.Body)
		hint := time.Duration(m.LifetimeHint) * time.Second
		if !ok || (len(m.Ticket) == 0) != tc.wantEmpty || hint > DefaultSessionLifetime || hint < DefaultSessionLifetime-time.Minute {
			t.Errorf("identity of %d bytes: ticket of %d bytes, hint %d", tc.identity, len(m.Ticket), m.LifetimeHint)
		}
	}
}

// TestTicketsOff checks SessionTicketsDisabled on either side: the session
// is resumed by ID, and no ticket is kept.
func TestTicketsOff(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				cc.ServerName = "off.example"
				map[string]*Config{"client": cc, "server": sc}[side].SessionTicketsDisabled = true
				resumeWith(t, cc, sc)
				if !resumeWith(t, cc, sc) {
					t.Fatal("not resumed by ID")
				}
				if st, _ := cc.ClientSessionCache.Get(cc.ServerName); len(st.ticket) != 0 || len(st.id) == 0 {
					t.Fatalf("the client keeps a ticket of %d bytes and an ID of %d", len(st.ticket), len(st.id))
				}
			})
		})
	}
}

// testSessionState is a session state with every field set.
func testSessionState() *sessionState {
	st := &sessionState{
		vers: VersionDTLS12, suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		created: 1_800_000_000, serverName: "example.com", identity: []byte("client1"),
		certs: [][]byte{getPKI().ecdsa.Certificate[0], {0x30, 0x00}},
	}
	for i := range st.master {
		st.master[i] = byte(i)
	}
	return st
}

// TestSessionState checks the encoding of a ticket's state: it round-trips,
// and a state cut short, lengthened, of another format or with an empty
// certificate is refused.
func TestSessionState(t *testing.T) {
	want := testSessionState()
	enc, err := want.marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got sessionState
	if !got.unmarshal(enc) {
		t.Fatal("a state does not parse")
	}
	again, _ := got.marshal()
	if !bytes.Equal(again, enc) || got.serverName != want.serverName || got.created != want.created {
		t.Fatalf("the state does not round-trip: %+v", got)
	}
	emptyCert := append(append([]byte(nil), enc[:len(enc)-3-len(want.certs[1])-3-len(want.certs[0])-3]...), 0, 0, 3, 0, 0, 0)
	for name, bad := range map[string][]byte{
		"short":       enc[:len(enc)-1],
		"long":        append(bytes.Clone(enc), 0),
		"format":      append([]byte{sessionStateFormat + 1}, enc[1:]...),
		"empty cert":  emptyCert,
		"empty input": nil,
	} {
		if got.unmarshal(bad) {
			t.Errorf("%s: parsed", name)
		}
	}
}

// FuzzSessionState parses arbitrary states: no panic, and what parses
// encodes to the same bytes.
func FuzzSessionState(f *testing.F) {
	enc, _ := testSessionState().marshal()
	f.Add(enc)
	psk := &sessionState{vers: VersionDTLS10, suite: TLS_PSK_WITH_AES_128_CBC_SHA, identity: []byte("id")}
	enc, _ = psk.marshal()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var st sessionState
		if !st.unmarshal(data) {
			return
		}
		again, err := st.marshal()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("re-encoded differently: %x, %v", again, err)
		}
	})
}
