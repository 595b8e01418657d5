package peer

import (
	"encoding/hex"
	"strconv"
	"testing"
	"time"
)

// readyTimeout bounds how long a server peer may take to start listening.
const readyTimeout = 10 * time.Second

// OpenSSLServer starts "openssl s_server" as opts asks and waits until it
// listens. It serves opts.Accept connections, one by default, then exits;
// it also exits when its standard input closes. What it reads from
// standard input, it sends to the client.
func OpenSSLServer(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(true)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"s_server", openSSLVersionFlag(opts.Version), "-accept", opts.Addr.String()}
	switch {
	case opts.Accept == 0:
		args = append(args, "-naccept", "1")
	case opts.Accept > 0:
		args = append(args, "-naccept", strconv.Itoa(opts.Accept))
	}
	if opts.Listen {
		args = append(args, "-listen")
	}
	if opts.Chain != nil {
		args = append(args, "-cert", opts.Chain.CertFile, "-cert_chain", opts.Chain.IntermediatesFile,
			"-key", opts.Chain.KeyFile)
	} else {
		args = append(args, "-nocert")
	}
	if opts.PSK != nil {
		args = append(args, "-psk", hex.EncodeToString(opts.PSK.Key), "-psk_identity", opts.PSK.Identity)
		if opts.PSK.Hint != "" {
			args = append(args, "-psk_hint", opts.PSK.Hint)
		}
	}
	args = append(args, openSSLCommonArgs(opts, suite)...)
	p := &Peer{Process: opts.start(t, "openssl", args), Addr: opts.Addr}
	p.Await(t, `(?m)^ACCEPT$`, readyTimeout)
	return p
}

// OpenSSLClient starts "openssl s_client" connecting to opts.Addr as opts
// asks. It sends what it reads from standard input to the server, and
// exits when the connection or its standard input closes, or when the
// server's certificate does not verify.
func OpenSSLClient(t testing.TB, opts Options) *Peer {
	t.Helper()
	opts, suite, err := opts.resolve(false)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"s_client", openSSLVersionFlag(opts.Version), "-connect", opts.Addr.String()}
	if opts.Chain != nil {
		args = append(args, "-CAfile", opts.Chain.CAFile, "-verify", "9", "-verify_return_error",
			"-verify_hostname", "localhost")
	}
	if opts.PSK != nil {
		args = append(args, "-psk", hex.EncodeToString(opts.PSK.Key), "-psk_identity", opts.PSK.Identity)
	}
	args = append(args, openSSLCommonArgs(opts, suite)...)
	return &Peer{Process: opts.start(t, "openssl", args), Addr: opts.Addr}
}

func openSSLVersionFlag(v Version) string {
	if v == DTLS10 {
		return "-dtls1"
	}
	return "-dtls1_2"
}

// openSSLCommonArgs returns the arguments that servers and clients share:
// the cipher list, the MTU, tickets off if asked, and the caller's extra
// arguments.
func openSSLCommonArgs(opts Options, suite *Suite) []string {
	var args []string
	ciphers := ""
	if suite != nil {
		ciphers = suite.OpenSSL
	}
	if opts.Version == DTLS10 {
		if ciphers == "" {
			ciphers = "DEFAULT"
		}
		ciphers += ":@SECLEVEL=0"
	}
	if ciphers != "" {
		args = append(args, "-cipher", ciphers)
	}
	if opts.MTU > 0 {
		args = append(args, "-mtu", strconv.Itoa(opts.MTU))
	}
	if opts.NoTickets {
		args = append(args, "-no_ticket")
	}
	return append(args, opts.Args...)
}
