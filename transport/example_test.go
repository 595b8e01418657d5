package transport_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
)

// echoServer accepts associations on l and echoes every record, until l
// is closed.
func echoServer(l *transport.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 65536)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				c.Write(buf[:n])
			}
		}()
	}
}

// An echo over DTLS 1.2 with a pre-shared key, on the loopback interface.
func Example() {
	psk := func([]byte) ([]byte, error) { return []byte("a secret of sixteen+ bytes"), nil }
	l, err := transport.Listen("udp", "127.0.0.1:0", &dtls.Config{PSK: psk})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go echoServer(l)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, "udp", l.Addr().String(), &dtls.Config{PSK: psk, PSKIdentity: []byte("client-1")})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("hello")); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, conn.MaxPayload())
	n, err := conn.Read(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, over %s\n", buf[:n], dtls.CipherSuiteName(conn.ConnectionState().CipherSuite))
	// Output: hello, over TLS_PSK_WITH_AES_128_GCM_SHA256
}

// selfSigned returns a certificate for name and a pool that trusts it: a
// stand-in for a real certificate and CA.
func selfSigned(name string) (tls.Certificate, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// A server with a certificate, which the client verifies for its name.
func Example_certificate() {
	cert, roots := selfSigned("media.example")
	l, err := transport.Listen("udp", "127.0.0.1:0", &dtls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go echoServer(l)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, "udp", l.Addr().String(), &dtls.Config{RootCAs: roots, ServerName: "media.example"})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	fmt.Println(st.PeerCertificates[0].Subject.CommonName, len(st.VerifiedChains) > 0)
	// Output: media.example true
}

// The largest datagram the path takes now, and what a larger Write does:
// it sends nothing and says how much would fit, so that an application
// (a VPN sizing its inner MTU, say) can split or shrink its packets.
func ExampleConn_MaxPayload() {
	psk := func([]byte) ([]byte, error) { return []byte("a secret of sixteen+ bytes"), nil }
	l, err := transport.Listen("udp", "127.0.0.1:0", &dtls.Config{PSK: psk})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go echoServer(l)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, "udp", l.Addr().String(), &dtls.Config{PSK: psk, PSKIdentity: []byte("client-1")})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	limit := conn.MaxPayload()
	_, err = conn.Write(make([]byte, limit+1))
	var tooLarge *dtls.PayloadTooLargeError
	fmt.Println(errors.As(err, &tooLarge), tooLarge.Max == limit, conn.PathMTU() > limit)
	_, err = conn.Write(make([]byte, limit))
	fmt.Println(err)
	// Output:
	// true true true
	// <nil>
}

var _ net.Conn = (*transport.Conn)(nil)
