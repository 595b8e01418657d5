package tests

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/logtest"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// resumeModes are the two ways to resume a session: by the session ID
// the server gave (the peer told not to use tickets) and by a session
// ticket (RFC 5077), which both peers use by default.
var resumeModes = []struct {
	name    string
	tickets bool
}{{"ID", false}, {"ticket", true}}

// TestInteropOpenSSLResumption resumes a session with OpenSSL, by its ID
// (RFC 5246 §7.4.1.2) and by ticket (RFC 5077), both roles: s_client
// saves its session (-sess_out) and offers it again (-sess_in) to our
// server, which resumes it; our client connects twice to one s_server,
// the second time offering the first's session. Both sides must say so,
// and our trace says how.
func TestInteropOpenSSLResumption(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, v := range interopVersions {
		for _, name := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_PSK_WITH_AES_128_CBC_SHA"} {
			for _, mode := range resumeModes {
				c := newInteropCase(t, v, name, chains)
				t.Run("server/"+mode.name+"/"+c.name(), func(t *testing.T) {
					t.Parallel()
					ourServerResumes(t, c, mode.tickets)
				})
				t.Run("client/"+mode.name+"/"+c.name(), func(t *testing.T) {
					t.Parallel()
					ourClientResumes(t, c, mode.tickets)
				})
			}
		}
	}
}

// ourServerResumes serves two s_client runs, the second offering the
// first's session, by ticket or by ID (s_client -no_ticket).
func ourServerResumes(t *testing.T, c interopCase, tickets bool) {
	cfg := c.serverConfig(t)
	how := resumedBy(cfg)
	l := listen(t, cfg)
	session := filepath.Join(t.TempDir(), "session.pem")
	for i, want := range []bool{false, true} {
		opts := c.peerOptions()
		opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
		flag := "-sess_out"
		if want {
			flag = "-sess_in"
		}
		opts.Args = []string{flag, session}
		opts.NoTickets = !tickets
		opts.Stdin = peer.Script{{Await: peer.OpenSSLClientHandshakeDone, Close: true}}
		client := peer.OpenSSLClient(t, opts)
		conn := accept(t, l)
		if got := conn.ConnectionState().DidResume; got != want {
			t.Errorf("handshake %d: DidResume %v, want %v", i, got, want)
		}
		reused := `(?m)^New, `
		if want {
			reused = `(?m)^Reused, `
		}
		client.Await(t, reused, interopTimeout)
		if err := client.Wait(t, interopTimeout); err != nil {
			t.Errorf("s_client %d: %v", i, err)
		}
		conn.Close()
	}
	checkResumedBy(t, how(), tickets)
}

// ourClientResumes connects twice to one s_server, which serves two
// connections, the second time offering the first's session. The server's
// socket stays unconnected (no -listen): a connected one would take the
// ICMP port unreachable that our first socket, closed, sends back for the
// server's close_notify, as the end of the second connection.
func ourClientResumes(t *testing.T, c interopCase, tickets bool) {
	opts := c.peerOptions()
	opts.Listen, opts.MTU, opts.Accept, opts.NoTickets = false, 1500, 2, !tickets
	server := peer.OpenSSLServer(t, opts)
	cfg := c.clientConfig(t)
	cfg.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
	how := resumedBy(cfg)
	for i, want := range []bool{false, true} {
		conn := dial(t, server.Addr, cfg)
		if got := conn.ConnectionState().DidResume; got != want {
			t.Errorf("handshake %d: DidResume %v, want %v", i, got, want)
		}
		line := fmt.Sprintf("hello from handshake %d", i)
		writeLine(t, conn, line)
		server.Await(t, regexp.QuoteMeta(line), interopTimeout) // s_server prints what it reads
		conn.Close()
	}
	checkResumedBy(t, how(), tickets)
}

// TestInteropGnuTLSResumption resumes a session with GnuTLS, by ID and by
// ticket: our client connects twice to one gnutls-serv, which keeps
// sessions and gives tickets unless told --noticket, and the second
// handshake resumes the first's; gnutls-cli --resume connects to our
// server twice, the second time offering the first's session.
func TestInteropGnuTLSResumption(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, name := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256"} {
		for _, mode := range resumeModes {
			c := newInteropCase(t, peer.DTLS12, name, chains)
			t.Run("client/"+mode.name+"/"+c.name(), func(t *testing.T) {
				t.Parallel()
				opts := c.peerOptions()
				opts.NoTickets = !mode.tickets
				server := peer.GnuTLSServer(t, opts)
				cfg := c.clientConfig(t)
				cfg.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
				how := resumedBy(cfg)
				for i, want := range []bool{false, true} {
					conn := dial(t, server.Addr, cfg)
					if got := conn.ConnectionState().DidResume; got != want {
						t.Errorf("handshake %d: DidResume %v, want %v", i, got, want)
					}
					line := fmt.Sprintf("hello from handshake %d", i)
					writeLine(t, conn, line)
					readLine(t, conn, line) // gnutls-serv echoes
					conn.Close()
				}
				checkResumedBy(t, how(), mode.tickets)
			})
			t.Run("server/"+mode.name+"/"+c.name(), func(t *testing.T) {
				t.Parallel()
				cfg := c.serverConfig(t)
				how := resumedBy(cfg)
				l := listen(t, cfg)
				opts := c.peerOptions()
				opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
				opts.Args, opts.NoTickets = []string{"--resume"}, !mode.tickets
				client := peer.GnuTLSClient(t, opts)
				for i, want := range []bool{false, true} {
					conn := accept(t, l)
					if got := conn.ConnectionState().DidResume; got != want {
						t.Errorf("handshake %d: DidResume %v, want %v", i, got, want)
					}
					conn.Close()
				}
				client.Await(t, `(?m)This is a resumed session`, interopTimeout)
				checkResumedBy(t, how(), mode.tickets)
			})
		}
	}
}

// resumedBy watches cfg's events for resumptions, and returns a function
// that gives how the last was resumed: by "ticket" or "session ID".
func resumedBy(cfg *dtls.Config) func() string {
	var mu sync.Mutex
	var last string
	watchEvents(cfg, func(r slog.Record) {
		if r.Message == "session resumed" {
			mu.Lock()
			last = logtest.String(r, "by")
			mu.Unlock()
		}
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// checkResumedBy checks how the events say the session was resumed.
func checkResumedBy(t *testing.T, how string, tickets bool) {
	t.Helper()
	want := "session ID"
	if tickets {
		want = "ticket"
	}
	if how != want {
		t.Errorf("resumed by %q, want by %s", how, want)
	}
}
