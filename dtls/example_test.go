package dtls_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"math/big"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/transport"
)

// pair runs a handshake between a listener of server and a client of
// client over the loopback interface, and returns both ends and a
// function that closes them and the listener.
func pair(server, client *dtls.Config) (s, c *transport.Conn, closeAll func()) {
	l, err := transport.Listen("udp", "127.0.0.1:0", server)
	if err != nil {
		log.Fatal(err)
	}
	accepted := make(chan *transport.Conn, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		accepted <- conn.(*transport.Conn)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err = transport.Dial(ctx, "udp", l.Addr().String(), client)
	if err != nil {
		log.Fatal(err)
	}
	s = <-accepted
	return s, c, func() { c.Close(); l.Close() }
}

func pskConfigs() (server, client *dtls.Config) {
	psk := func([]byte) ([]byte, error) { return []byte("a secret of sixteen+ bytes"), nil }
	return &dtls.Config{PSK: psk}, &dtls.Config{PSK: psk, PSKIdentity: []byte("client-1")}
}

// DTLS-SRTP (RFC 5764), as WebRTC keys its media: the handshake
// negotiates a protection profile, and each side exports the same SRTP
// master keys and salts from it.
func ExampleConnectionState_ExportKeyingMaterial() {
	server, client := pskConfigs()
	server.SRTPProtectionProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80}
	client.SRTPProtectionProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80}
	s, c, closeAll := pair(server, client)
	defer closeAll()

	st := c.ConnectionState()
	p := st.SRTPProtectionProfile
	keys, err := st.ExportKeyingMaterial(dtls.SRTPKeyingMaterialLabel, nil, p.KeyingMaterialLen())
	if err != nil {
		log.Fatal(err)
	}
	// client key, server key, client salt, server salt (RFC 5764 §4.2)
	clientKey, serverKey := keys[:p.KeyLen()], keys[p.KeyLen():2*p.KeyLen()]
	serverState := s.ConnectionState()
	same, _ := serverState.ExportKeyingMaterial(dtls.SRTPKeyingMaterialLabel, nil, p.KeyingMaterialLen())
	fmt.Println(p, len(clientKey), len(serverKey), bytes.Equal(keys, same))
	// Output: SRTP_AES128_CM_HMAC_SHA1_80 16 16 true
}

// certificate returns a self-signed certificate for name and a pool that
// trusts it: stand-ins for real ones.
func certificate(name string) (tls.Certificate, *x509.CertPool) {
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

// One server for two names, each with its certificate, chosen by the
// server_name the client sends (RFC 6066 §3).
func ExampleConfig_getCertificate() {
	a, rootsA := certificate("a.example")
	b, rootsB := certificate("b.example")
	server := &dtls.Config{GetCertificate: func(hello *dtls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName == "b.example" {
			return &b, nil
		}
		return &a, nil
	}}
	for name, roots := range map[string]*x509.CertPool{"a.example": rootsA, "b.example": rootsB} {
		_, c, closeAll := pair(server, &dtls.Config{ServerName: name, RootCAs: roots})
		fmt.Println(name, "->", c.ConnectionState().PeerCertificates[0].Subject.CommonName)
		closeAll()
	}
	// Unordered output:
	// a.example -> a.example
	// b.example -> b.example
}

// Servers that share their session ticket keys resume each other's
// sessions: the client's second association, with another server of the
// fleet, is an abbreviated handshake.
func ExampleConfig_SetSessionTicketKeys() {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil { // in a fleet: from its secret store, rotated
		log.Fatal(err)
	}
	server1, client := pskConfigs()
	server2, _ := pskConfigs()
	server1.SetSessionTicketKeys([][32]byte{key})
	server2.SetSessionTicketKeys([][32]byte{key})
	client.ServerName = "fleet.example"
	client.ClientSessionCache = dtls.NewLRUClientSessionCache(0)
	for _, server := range []*dtls.Config{server1, server2} {
		s, c, closeAll := pair(server, client)
		fmt.Println("resumed:", c.ConnectionState().DidResume)
		// A DTLS 1.3 server sends its ticket after the handshake, before
		// its first data: by the time the client reads that, it holds it.
		if _, err := s.Write([]byte("hello")); err != nil {
			log.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 100)); err != nil {
			log.Fatal(err)
		}
		closeAll()
	}
	// Output:
	// resumed: false
	// resumed: true
}
