package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The tests in this file check this package against real handshakes
// between OpenSSL peers, captured in testdata.

// codecFor returns the parser for a captured message of type typ, and
// whether its encoding is canonical (the same bytes come back out).
func codecFor(typ Type, cf captureFile) (fresh func() message, canonical bool) {
	switch typ {
	case TypeClientHello:
		return newClientHello, false // unknown extensions are dropped
	case TypeServerHello:
		return newServerHello, false // and the rest reordered
	case TypeHelloVerifyRequest:
		return newHelloVerifyRequest, true
	case TypeCertificate:
		return newCertificate, true
	case TypeServerKeyExchange:
		switch {
		case cf.psk:
			return newSKEPSK, true
		case cf.tls12:
			return newSKE12, true
		}
		return newSKE10, true
	case TypeCertificateRequest:
		if cf.tls12 {
			return newCR12, true
		}
		return newCR10, true
	case TypeServerHelloDone:
		return func() message { return new(ServerHelloDone) }, true
	case TypeCertificateVerify:
		if cf.tls12 {
			return newCV12, true
		}
		return newCV10, true
	case TypeClientKeyExchange:
		if cf.psk {
			return newCKEPSK, true
		}
		return newCKEECDHE, true
	case TypeFinished:
		return func() message { return new(Finished) }, true
	}
	return nil, false
}

func TestOpenSSLCapturesParse(t *testing.T) {
	for _, cf := range captureFiles {
		t.Run(cf.name, func(t *testing.T) {
			for _, m := range loadCapture(t, cf.name) {
				fresh, canonical := codecFor(m.typ, cf)
				if fresh == nil {
					t.Fatalf("no parser for %v", m.typ)
				}
				if !fresh().Unmarshal(m.body) {
					t.Errorf("%v (message_seq %d) does not parse", m.typ, m.seq)
					continue
				}
				checkStable(t, fresh, m.body, canonical)
			}
		})
	}
}

// find returns the n-th (from 0) captured message of type typ from the
// given side, parsed into dst.
func find(t *testing.T, msgs []captured, fromClient bool, typ Type, n int, dst message) bool {
	t.Helper()
	for _, m := range msgs {
		if m.fromClient != fromClient || m.typ != typ {
			continue
		}
		if n > 0 {
			n--
			continue
		}
		if !dst.Unmarshal(m.body) {
			t.Fatalf("%v does not parse", typ)
		}
		return true
	}
	return false
}

func TestOpenSSLHellos(t *testing.T) {
	for _, cf := range captureFiles {
		t.Run(cf.name, func(t *testing.T) {
			msgs := loadCapture(t, cf.name)
			var ch1, ch2 ClientHello
			var hvr HelloVerifyRequest
			var sh ServerHello
			if !find(t, msgs, true, TypeClientHello, 0, &ch1) || !find(t, msgs, true, TypeClientHello, 1, &ch2) ||
				!find(t, msgs, false, TypeHelloVerifyRequest, 0, &hvr) || !find(t, msgs, false, TypeServerHello, 0, &sh) {
				t.Fatal("capture lacks a hello")
			}
			if len(ch1.Cookie) != 0 || len(hvr.Cookie) == 0 || !bytes.Equal(ch2.Cookie, hvr.Cookie) {
				t.Errorf("cookies: first ClientHello %x, HelloVerifyRequest %x, second ClientHello %x", ch1.Cookie, hvr.Cookie, ch2.Cookie)
			}
			if ch1.Random != ch2.Random || !slices.Equal(ch1.CipherSuites, ch2.CipherSuites) {
				t.Error("the ClientHello answering the HelloVerifyRequest changed more than the cookie")
			}
			if !slices.Contains(ch2.CipherSuites, sh.CipherSuite) {
				t.Errorf("ServerHello chose %#04x, which the client did not offer", sh.CipherSuite)
			}
			if !ch2.Extensions.ExtendedMasterSecret || !sh.Extensions.ExtendedMasterSecret || !sh.Extensions.SecureRenegotiation {
				t.Errorf("extended_master_secret or renegotiation_info missing: %+v, %+v", ch2.Extensions, sh.Extensions)
			}
			sni := strings.Contains(cf.name, "ecdsa") // those captures used -servername example.com
			if got := ch2.Extensions.ServerName; (got == "example.com") != sni {
				t.Errorf("server_name %q; want example.com: %v", got, sni)
			}
			if v := uint16(0xfeff); !cf.tls12 && (ch2.Version != v || sh.Version != v) {
				t.Errorf("versions %#04x, %#04x; want %#04x", ch2.Version, sh.Version, v)
			}
		})
	}
}

func TestOpenSSLPSK(t *testing.T) {
	for _, cf := range captureFiles {
		if !cf.psk {
			continue
		}
		msgs := loadCapture(t, cf.name)
		var ske ServerKeyExchangePSK
		var cke ClientKeyExchangePSK
		if !find(t, msgs, false, TypeServerKeyExchange, 0, &ske) || !find(t, msgs, true, TypeClientKeyExchange, 0, &cke) {
			t.Fatalf("%s: no key exchange", cf.name)
		}
		if string(ske.IdentityHint) != "pathdtls-hint" || string(cke.Identity) != "Client_identity" {
			t.Errorf("%s: hint %q, identity %q", cf.name, ske.IdentityHint, cke.Identity)
		}
	}
}

// TestOpenSSLSignatures verifies OpenSSL's signatures over bytes this
// package rebuilt: ServerKeyExchangeECDHE.Params, and for CertificateVerify
// the handshake transcript, each message under a header from
// Header.Append.
func TestOpenSSLSignatures(t *testing.T) {
	for _, cf := range captureFiles {
		if cf.psk {
			continue
		}
		t.Run(cf.name, func(t *testing.T) {
			msgs := loadCapture(t, cf.name)
			var ch ClientHello
			var sh ServerHello
			var ske ServerKeyExchangeECDHE
			var cert Certificate
			if !find(t, msgs, true, TypeClientHello, 1, &ch) || !find(t, msgs, false, TypeServerHello, 0, &sh) ||
				!find(t, msgs, false, TypeServerKeyExchange, 0, atVersion{&ske, cf.tls12}) ||
				!find(t, msgs, false, TypeCertificate, 0, &cert) {
				t.Fatal("capture lacks a message")
			}
			signed := ske.AppendParams(slices.Concat(ch.Random[:], sh.Random[:]))
			if err := verifySignature(leafKey(t, &cert), cf.tls12, ske.SigAlg, signed, ske.Signature); err != nil {
				t.Errorf("ServerKeyExchange: %v", err)
			}
			var cv CertificateVerify
			if !find(t, msgs, true, TypeCertificateVerify, 0, atVersion{&cv, cf.tls12}) {
				return // no client authentication
			}
			var clientCert Certificate
			find(t, msgs, true, TypeCertificate, 0, &clientCert)
			if err := verifySignature(leafKey(t, &clientCert), cf.tls12, cv.SigAlg, transcript(msgs), cv.Signature); err != nil {
				t.Errorf("CertificateVerify: %v", err)
			}
		})
	}
}

// transcript returns the handshake messages a CertificateVerify signs (RFC
// 6347, Section 4.2.6): each message as one fragment with its header, from
// the ClientHello that carries the cookie up to the CertificateVerify.
func transcript(msgs []captured) []byte {
	var out []byte
	for i, m := range msgs {
		if i < 2 { // the first ClientHello and the HelloVerifyRequest
			continue
		}
		if m.typ == TypeCertificateVerify {
			break
		}
		h := Header{m.typ, uint32(len(m.body)), m.seq, 0, uint32(len(m.body))}
		out = append(h.Append(out), m.body...)
	}
	return out
}

func leafKey(t *testing.T, m *Certificate) crypto.PublicKey {
	t.Helper()
	if len(m.Certificates) == 0 {
		t.Fatal("empty certificate list")
	}
	leaf, err := x509.ParseCertificate(m.Certificates[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.PublicKey
}

// verifySignature checks sig over signed for the few signature schemes the
// captures use: in DTLS 1.2 the given SignatureAndHashAlgorithm, in DTLS
// 1.0 ECDSA with SHA-1 or RSA PKCS #1 v1.5 with MD5 and SHA-1 (RFC 4346,
// Section 4.7).
func verifySignature(pub crypto.PublicKey, tls12 bool, sigAlg uint16, signed, sig []byte) error {
	sha1Sum, sha256Sum, md5Sum := sha1.Sum(signed), sha256.Sum256(signed), md5.Sum(signed)
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		digest := sha1Sum[:]
		if tls12 {
			if sigAlg != 0x0403 { // ecdsa_secp256r1_sha256
				return fmt.Errorf("signature algorithm %#04x not handled by this test", sigAlg)
			}
			digest = sha256Sum[:]
		}
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case *rsa.PublicKey:
		if !tls12 {
			return rsa.VerifyPKCS1v15(pub, crypto.MD5SHA1, slices.Concat(md5Sum[:], sha1Sum[:]), sig)
		}
		if sigAlg != 0x0804 { // rsa_pss_rsae_sha256
			return fmt.Errorf("signature algorithm %#04x not handled by this test", sigAlg)
		}
		return rsa.VerifyPSS(pub, crypto.SHA256, sha256Sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return fmt.Errorf("key type %T not handled by this test", pub)
}
