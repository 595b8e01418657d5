package peer

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// GnuTLSServer starts "gnutls-serv" in echo mode as opts asks and waits
// until it listens. It sends back each record of application data it
// receives, reads nothing from its standard input, and never exits by
// itself: it is killed when the test ends.
func GnuTLSServer(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(true)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--udp", "--echo", "--port", strconv.Itoa(int(opts.Addr.Port())),
		"--priority", gnuTLSPriority(opts, suite)}
	if opts.Chain != nil {
		args = append(args, "--x509certfile", opts.Chain.CertFile, "--x509keyfile", opts.Chain.KeyFile)
	}
	if opts.PSK != nil {
		passwd := filepath.Join(t.TempDir(), "psk.passwd")
		line := opts.PSK.Identity + ":" + hex.EncodeToString(opts.PSK.Key) + "\n"
		if err := os.WriteFile(passwd, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--pskpasswd", passwd)
		if opts.PSK.Hint != "" {
			args = append(args, "--pskhint", opts.PSK.Hint)
		}
	}
	args = append(args, gnuTLSCommonArgs(opts)...)
	p := &Peer{Process: opts.start(t, "gnutls-serv", args), Addr: opts.Addr}
	family := "IPv4"
	if !opts.Addr.Addr().Unmap().Is4() {
		family = "IPv6"
	}
	p.Await(t, `(?m)^UDP Echo Server listening on `+family+` .* port \d+\.\.\.done$`, readyTimeout)
	return p
}

// GnuTLSClient starts "gnutls-cli" connecting to opts.Addr as opts asks.
// It sends each line of its standard input and exits when standard input
// closes, after waiting up to about 2 s for the server to answer its
// close_notify (gnutls-serv does not).
//
// gnutls-cli 3.7.9 pauses 50 to 100 ms after each handshake datagram it
// reads, so a server whose flight takes more than about ten datagrams
// retransmits it before the client answers.
func GnuTLSClient(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(false)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--udp", "--port", strconv.Itoa(int(opts.Addr.Port())),
		"--priority", gnuTLSPriority(opts, suite)}
	if opts.Chain != nil {
		args = append(args, "--x509cafile", opts.Chain.CAFile, "--verify-hostname", "localhost")
	} else {
		args = append(args, "--insecure")
	}
	if opts.PSK != nil {
		args = append(args, "--pskusername", opts.PSK.Identity, "--pskkey", hex.EncodeToString(opts.PSK.Key))
	}
	args = append(args, gnuTLSCommonArgs(opts)...)
	args = append(args, opts.Addr.Addr().String())
	return &Peer{Process: opts.start(t, "gnutls-cli", args), Addr: opts.Addr}
}

// gnuTLSPriority returns the priority string for opts: the NORMAL set
// narrowed to one protocol version and, if asked, one cipher suite. PSK
// key exchange is not in NORMAL and is added when opts has a PSK;
// %NO_TICKETS turns tickets off when opts says so.
func gnuTLSPriority(opts Options, suite *Suite) string {
	p := "NORMAL:-VERS-ALL:+VERS-DTLS1.2"
	if opts.Version == DTLS10 {
		p = "NORMAL:-VERS-ALL:+VERS-DTLS1.0"
	}
	switch {
	case suite != nil:
		p += ":-KX-ALL:-CIPHER-ALL:-MAC-ALL:" + suite.GnuTLS
	case opts.PSK != nil && opts.Chain == nil:
		p += ":-KX-ALL:+PSK"
	case opts.PSK != nil:
		p += ":+PSK"
	}
	if opts.NoTickets {
		p += ":%NO_TICKETS"
	}
	return p
}

// gnuTLSCommonArgs returns the arguments that servers and clients share:
// the MTU and the caller's extra arguments.
func gnuTLSCommonArgs(opts Options) []string {
	var args []string
	if opts.MTU > 0 {
		args = append(args, "--mtu", strconv.Itoa(opts.MTU-datagramOverhead(opts.Addr)))
	}
	return append(args, opts.Args...)
}
