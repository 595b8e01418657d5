package dtls

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// resumeConfigs returns a client and a server Config of suite id and
// version v that resume sessions: the client with a session cache.
func resumeConfigs(id, v uint16) (*Config, *Config) {
	cc, sc := suiteConfigs(id, v)
	cc.ClientSessionCache = NewLRUClientSessionCache(4)
	return cc, sc
}

// bothWays checks that data goes both ways between client and server.
func bothWays(t *testing.T, client, server *Conn) {
	t.Helper()
	exchange(t, client, server, 100)
	exchange(t, server, client, 100)
}

// resumeModes are the two ways to resume: by session ID (the server has
// tickets off, though the client asks for them) and by ticket.
var resumeModes = []struct {
	name string
	set  func(cc, sc *Config)
}{
	{"session ID", func(cc, sc *Config) { sc.SessionTicketsDisabled = true }},
	{"ticket", func(cc, sc *Config) {}},
}

// TestResume runs a full handshake and then two that resume its session,
// by session ID and by ticket, for every suite and version, checking what
// ConnectionState says on both sides and that data flows. A server that
// gives tickets keeps no session by ID.
func TestResume(t *testing.T) {
	for _, mode := range resumeModes {
		for _, s := range cipherSuites {
			for _, v := range []uint16{VersionDTLS10, VersionDTLS12} {
				if !s.usableIn(v) {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%s", mode.name, s.name, versionName(v)), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						cc, sc := resumeConfigs(s.id, v)
						mode.set(cc, sc)
						clean := dgramtest.Impairment{}
						for i, want := range []bool{false, true, true} {
							client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
							if cerr != nil || serr != nil {
								t.Fatalf("handshake %d: client %v, server %v", i, cerr, serr)
							}
							checkResumed(t, i, client, server, s, v, want)
							bothWays(t, client, server)
						}
						if kept := len(sc.serverSessions().m); kept != 0 && !sc.SessionTicketsDisabled {
							t.Errorf("the server gave tickets and kept %d sessions by ID", kept)
						}
					})
				})
			}
		}
	}
}

// checkResumed checks the two sides' ConnectionState after handshake i.
func checkResumed(t *testing.T, i int, client, server *Conn, s *cipherSuite, v uint16, want bool) {
	t.Helper()
	cs, ss := client.ConnectionState(), server.ConnectionState()
	if cs.DidResume != want || ss.DidResume != want {
		t.Fatalf("handshake %d: DidResume client %v, server %v; want %v", i, cs.DidResume, ss.DidResume, want)
	}
	if cs.CipherSuite != s.id || ss.CipherSuite != s.id || cs.Version != v || !cs.ExtendedMasterSecret {
		t.Fatalf("handshake %d: %+v", i, cs)
	}
	if !s.psk() && len(cs.PeerCertificates) == 0 {
		t.Errorf("handshake %d: the client's state has no peer certificates", i)
	}
	if s.psk() && string(ss.PSKIdentity) != "client1" {
		t.Errorf("handshake %d: the server's PSK identity is %q", i, ss.PSKIdentity)
	}
}

// TestResumeUnderLoss resumes sessions over links that lose 30% of the
// datagrams each way: every handshake completes, and every one after the
// first resumes, the abbreviated flights retransmitted as the full ones
// are (the client keeps its final flight, the server waits for it).
func TestResumeUnderLoss(t *testing.T) {
	for _, mode := range resumeModes {
		for _, id := range []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_PSK_WITH_AES_128_GCM_SHA256} {
			t.Run(mode.name+"/"+CipherSuiteName(id), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := resumeConfigs(id, VersionDTLS12)
					mode.set(cc, sc)
					// As TestHandshakeUnderLoss: at 30% the timer may back
					// off past the default deadline.
					cc.HandshakeTimeout, sc.HandshakeTimeout = 10*time.Minute, 10*time.Minute
					resumed := 0
					for i := range 40 {
						ab := dgramtest.Impairment{Loss: 0.3, Seed: uint64(2*i + 1)}
						ba := dgramtest.Impairment{Loss: 0.3, Seed: uint64(2*i + 2)}
						client, server, cerr, serr := handshakePair(t, cc, sc, ab, ba)
						if cerr != nil || serr != nil {
							t.Fatalf("handshake %d: client %v, server %v", i, cerr, serr)
						}
						cs, ss := client.ConnectionState(), server.ConnectionState()
						if cs.DidResume != ss.DidResume || cs.DidResume != (i > 0) {
							t.Fatalf("handshake %d: DidResume client %v, server %v", i, cs.DidResume, ss.DidResume)
						}
						if cs.DidResume {
							resumed++
						}
					}
					if resumed != 39 {
						t.Errorf("%d of 39 handshakes after the first resumed", resumed)
					}
				})
			})
		}
	}
}

// TestNoResumption checks the cases where a session offered is not
// resumed, and a full handshake runs instead: the server keeps no
// sessions, forgot it, it expired, another server name, or the server's
// Config is another (its cache and its ticket keys too); by session ID
// (tickets off on the client) and by ticket.
func TestNoResumption(t *testing.T) {
	clean := dgramtest.Impairment{}
	full := func(t *testing.T, cc, sc *Config) {
		t.Helper()
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		if client.ConnectionState().DidResume || server.ConnectionState().DidResume {
			t.Fatal("resumed")
		}
		bothWays(t, client, server)
	}
	id := TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	cases := map[string]func(t *testing.T, cc, sc *Config) *Config{
		"server without a cache or tickets": func(t *testing.T, cc, sc *Config) *Config {
			sc.SessionCacheSize, sc.SessionTicketsDisabled = -1, true
			return sc
		},
		"expired": func(t *testing.T, cc, sc *Config) *Config {
			time.Sleep(DefaultSessionLifetime + time.Second)
			return sc
		},
		"another server name": func(t *testing.T, cc, sc *Config) *Config {
			cc.ServerName, cc.InsecureSkipVerify = "", true
			return sc
		},
		"another Config": func(t *testing.T, cc, sc *Config) *Config { return sc.Clone() },
		"forgotten": func(t *testing.T, cc, sc *Config) *Config {
			other, _ := resumeConfigs(id, VersionDTLS12)
			other.SessionTicketsDisabled = true
			full(t, other, sc) // its session takes the only place
			return sc
		},
		"ticket refused": func(t *testing.T, cc, sc *Config) *Config {
			sc.SetSessionTicketKeys([][32]byte{{1}})
			return sc
		},
	}
	for _, byTicket := range []bool{false, true} {
		for name, prepare := range cases {
			if byTicket && name == "forgotten" || !byTicket && name == "ticket refused" {
				continue
			}
			t.Run(fmt.Sprintf("%s/ticket=%v", name, byTicket), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := resumeConfigs(id, VersionDTLS12)
					cc.SessionTicketsDisabled = !byTicket
					if name == "forgotten" {
						sc.SessionCacheSize = 1
					}
					full(t, cc, sc)
					sc = prepare(t, cc, sc)
					full(t, cc, sc)
				})
			})
		}
	}
}

// TestClientSessionCacheLRU checks the bounded cache: the least recently
// used goes first, and a nil state removes a key.
func TestClientSessionCacheLRU(t *testing.T) {
	c := NewLRUClientSessionCache(2)
	a, b, d := &ClientSessionState{id: []byte("a")}, &ClientSessionState{id: []byte("b")}, &ClientSessionState{id: []byte("d")}
	c.Put("a", a)
	c.Put("b", b)
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Put("d", d) // evicts b
	if _, ok := c.Get("b"); ok {
		t.Error("b kept beyond the capacity")
	}
	if got, ok := c.Get("a"); !ok || got != a {
		t.Error("a evicted, though used more recently than b")
	}
	c.Put("a", nil)
	if _, ok := c.Get("a"); ok {
		t.Error("a kept after Put(nil)")
	}
	c.Put("nothing", nil)
	if _, ok := c.Get("nothing"); ok {
		t.Error("Put(nil) of an absent key added it")
	}
}

// TestServerSessionCache checks the server's cache: the oldest session
// goes first once it is full, forget removes one, and an ID of another
// length is never found.
func TestServerSessionCache(t *testing.T) {
	c := newServerSessionCache(2)
	ids := make([][sessionIDLen]byte, 3)
	for i := range ids {
		ids[i][0] = byte(i + 1)
		c.put(ids[i], &session{suite: uint16(i)})
	}
	if _, ok := c.get(ids[0][:]); ok {
		t.Error("the oldest session kept beyond the capacity")
	}
	for _, i := range []int{1, 2} {
		if s, ok := c.get(ids[i][:]); !ok || s.suite != uint16(i) {
			t.Errorf("session %d: %v, %v", i, s, ok)
		}
	}
	c.forget(ids[1][:])
	if _, ok := c.get(ids[1][:]); ok {
		t.Error("a forgotten session kept")
	}
	if _, ok := c.get(ids[2][:5]); ok {
		t.Error("a short ID found a session")
	}
	if n := testing.AllocsPerRun(100, func() { c.put(ids[0], nil) }); n != 0 {
		t.Errorf("put allocates %v times", n)
	}
}
