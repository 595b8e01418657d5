package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/testpki"
	"github.com/pathdtls/pathdtls/platform"
)

// A testNet is an in-memory network with a server host and a client host,
// for tests in testing/synctest virtual time. Both hosts have an IPv4 and
// an IPv6 address and 1500-byte interfaces; every path is perfect until a
// test configures it.
type testNet struct {
	n              *memnet.Network
	client, server *memnet.Host
	c4, s4, c6, s6 netip.Addr
}

func newTestNet(t *testing.T) *testNet {
	t.Helper()
	tn := &testNet{
		n:  memnet.New(),
		c4: netip.MustParseAddr("10.0.0.1"), s4: netip.MustParseAddr("10.0.1.1"),
		c6: netip.MustParseAddr("fd00::1"), s6: netip.MustParseAddr("fd00:1::1"),
	}
	var err error
	if tn.client, err = tn.n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{tn.c4, tn.c6}, MTU: 1500}); err != nil {
		t.Fatal(err)
	}
	if tn.server, err = tn.n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{tn.s4, tn.s6}, MTU: 1500}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tn.n.Close() })
	return tn
}

// serverAddr returns the server's address of the family v6 says, port 4433.
func (tn *testNet) serverAddr(v6 bool) netip.AddrPort {
	if v6 {
		return netip.AddrPortFrom(tn.s6, 4433)
	}
	return netip.AddrPortFrom(tn.s4, 4433)
}

// listen starts a listener on the server host with lc's options.
func (tn *testNet) listen(t *testing.T, lc *ListenConfig, config *dtls.Config, v6 bool) *Listener {
	t.Helper()
	sc, err := tn.server.Listen(tn.serverAddr(v6))
	if err != nil {
		t.Fatal(err)
	}
	if lc == nil {
		lc = new(ListenConfig)
	}
	if err := lc.check(config); err != nil {
		t.Fatal(err)
	}
	l := lc.serve(sc, config)
	t.Cleanup(func() { l.Close() })
	return l
}

// dial opens a client association from the client host to the server and
// runs its handshake.
func (tn *testNet) dial(d *Dialer, config *dtls.Config, v6 bool) (*Conn, error) {
	c, err := tn.clientConn(d, config, v6)
	if err != nil {
		return nil, err
	}
	if err := c.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// clientConn opens a client association without running its handshake.
func (tn *testNet) clientConn(d *Dialer, config *dtls.Config, v6 bool) (*Conn, error) {
	remote := tn.serverAddr(v6)
	local := netip.AddrPortFrom(tn.c4, 0)
	if v6 {
		local = netip.AddrPortFrom(tn.c6, 0)
	}
	sc, err := tn.client.Dial(local, remote)
	if err != nil {
		return nil, err
	}
	if d == nil {
		d = new(Dialer)
	}
	return d.newClient(sc, remote, config)
}

// established returns a test network whose server listens with an ECDSA
// certificate and echoes, and a client association to it whose handshake
// completed; everything is closed when the test ends.
func established(t *testing.T) (*testNet, *Listener, *Conn) {
	t.Helper()
	tn := newTestNet(t)
	cc, sc := configs(t, getPKI(t).ecdsa)
	l := tn.listen(t, nil, sc, false)
	accept(t, l)
	c, err := tn.dial(nil, cc, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return tn, l, c
}

// accept accepts associations from l and echoes what they send, in a
// goroutine per association, until l is closed.
func accept(t *testing.T, l *Listener) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.AcceptContext(context.Background())
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				echo(c)
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return &wg
}

// echo writes back every record c reads, until Read fails.
func echo(c *Conn) {
	defer c.Close()
	buf := make([]byte, 1<<16)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// PKI for the tests: a CA, an ECDSA leaf, an RSA-4096 leaf whose
// certificate alone needs two datagrams of about 1050 bytes, and a chain
// of about 5.7 KB.
type testPKI struct {
	roots               *x509.CertPool
	ecdsa, rsa4096, big tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func getPKI(t *testing.T) *testPKI {
	pkiOnce.Do(func() {
		ca, err := testpki.NewCA("transport test CA")
		if err != nil {
			panic(err)
		}
		pki.roots = ca.Pool()
		if pki.ecdsa, err = ca.IssueECDSA(); err != nil {
			panic(err)
		}
		rk, err := rsa.GenerateKey(rand.Reader, 4096)
		if err == nil {
			pki.rsa4096, err = ca.Issue(rk)
		}
		if err == nil {
			pki.big, err = bigChain(ca)
		}
		if err != nil {
			panic(err)
		}
	})
	return &pki
}

// bigChain returns a certificate for "localhost" whose chain is about 5.7 KB:
// a leaf with many subject alternative names and a long intermediate.
func bigChain(ca *testpki.CA) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := ca.Issue(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	// Pad the chain with a certificate nobody verifies: the client checks
	// the leaf against the roots, and extra certificates are allowed.
	names := make([]string, 180)
	for i := range names {
		names[i] = fmt.Sprintf("name-%03d.padding.example", i)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "padding"},
		NotBefore: time.Unix(631152000, 0), NotAfter: time.Unix(4102444800, 0), DNSNames: names,
	}
	pad, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf.Certificate = append(leaf.Certificate, pad)
	return leaf, nil
}

// chainLen returns the bytes of a certificate chain.
func chainLen(c tls.Certificate) int {
	n := 0
	for _, der := range c.Certificate {
		n += len(der)
	}
	return n
}

// configs returns a client and a server Config for cert's key type.
func configs(t *testing.T, cert tls.Certificate) (cc, sc *dtls.Config) {
	p := getPKI(t)
	return &dtls.Config{RootCAs: p.roots, ServerName: "localhost"}, &dtls.Config{Certificates: []tls.Certificate{cert}}
}

// pskConfigs returns a client and a server Config for PSK suites.
func pskConfigs(clientKey, serverKey []byte) (cc, sc *dtls.Config) {
	cc = &dtls.Config{
		CipherSuites: []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256},
		PSK:          func([]byte) ([]byte, error) { return clientKey, nil },
		PSKIdentity:  []byte("client"),
	}
	sc = &dtls.Config{
		CipherSuites: cc.CipherSuites,
		PSK:          func([]byte) ([]byte, error) { return serverKey, nil },
	}
	return cc, sc
}

func itoa(n int) string { return fmt.Sprint(n) }

func netipAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// portUnreachable is the error-queue entry of an ICMP port unreachable
// from reporter about a datagram sent to dest.
func portUnreachable(reporter netip.Addr, dest netip.AddrPort) platform.QueuedError {
	return platform.QueuedError{
		Errno: syscall.ECONNREFUSED, Origin: platform.OriginICMP, Type: 3, Code: 3,
		Offender: reporter, Dest: dest,
	}
}

// slowPair returns a client association, dialed with cc (nil: configs'
// client), and the server's end of it, over the in-memory network; the
// server's application does nothing but what the test does.
func slowPair(t *testing.T, tn *testNet, l *Listener, cc *dtls.Config) (c, s *Conn) {
	t.Helper()
	if cc == nil {
		cc, _ = configs(t, getPKI(t).ecdsa)
	}
	accepted := make(chan *Conn, 1)
	go func() {
		s, err := l.AcceptContext(context.Background())
		if err == nil {
			accepted <- s
		}
	}()
	c, err := tn.dial(nil, cc, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s = <-accepted
	t.Cleanup(func() { s.Close() })
	return c, s
}
