package tests

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/peer"
)

// TestInteropOpenSSLResumption resumes a session by its ID with OpenSSL
// (RFC 5246 §7.4.1.2): s_client saves its session (-sess_out) and offers
// it again (-sess_in) to our server, which resumes it; both sides must say
// so. Our client's resumption is tested against GnuTLS: s_server serves one
// DTLS connection and closes its socket, so no second one could resume.
func TestInteropOpenSSLResumption(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, v := range interopVersions {
		for _, name := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_PSK_WITH_AES_128_CBC_SHA"} {
			c := newInteropCase(t, v, name, chains)
			t.Run("server/"+c.name(), func(t *testing.T) {
				t.Parallel()
				ourServerResumes(t, c)
			})
		}
	}
}

// ourServerResumes serves two s_client runs, the second offering the
// first's session.
func ourServerResumes(t *testing.T, c interopCase) {
	l := listen(t, c.serverConfig(t))
	session := filepath.Join(t.TempDir(), "session.pem")
	for i, want := range []bool{false, true} {
		opts := c.peerOptions()
		opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
		flag := "-sess_out"
		if want {
			flag = "-sess_in"
		}
		opts.Args = []string{flag, session}
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
}

// TestInteropGnuTLSResumption resumes a session by its ID with GnuTLS:
// our client connects twice to one gnutls-serv, which keeps sessions, and
// the second handshake resumes the first's; gnutls-cli --resume connects
// to our server twice, the second time offering the first's session.
func TestInteropGnuTLSResumption(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, name := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256"} {
		c := newInteropCase(t, peer.DTLS12, name, chains)
		t.Run("client/"+c.name(), func(t *testing.T) {
			t.Parallel()
			server := peer.GnuTLSServer(t, c.peerOptions())
			cfg := c.clientConfig(t)
			cfg.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
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
		})
		t.Run("server/"+c.name(), func(t *testing.T) {
			t.Parallel()
			l := listen(t, c.serverConfig(t))
			opts := c.peerOptions()
			opts.Addr = l.Addr().(*net.UDPAddr).AddrPort()
			opts.Args = []string{"--resume"}
			client := peer.GnuTLSClient(t, opts)
			for i, want := range []bool{false, true} {
				conn := accept(t, l)
				if got := conn.ConnectionState().DidResume; got != want {
					t.Errorf("handshake %d: DidResume %v, want %v", i, got, want)
				}
				conn.Close()
			}
			client.Await(t, `(?m)This is a resumed session`, interopTimeout)
		})
	}
}
