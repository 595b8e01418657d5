package tls13

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// TestSignedContentLayout checks the layout of RFC 8446, Section 4.4.3,
// whose example is a transcript hash of 32 bytes of 01.
func TestSignedContentLayout(t *testing.T) {
	th := bytes.Repeat([]byte{1}, 32)
	for _, server := range []bool{true, false} {
		context := "TLS 1.3, client CertificateVerify"
		if server {
			context = "TLS 1.3, server CertificateVerify"
		}
		want := append(bytes.Repeat([]byte{0x20}, 64), context...)
		want = append(append(want, 0), th...)
		got := SignedContent([]byte("x"), server, th)
		check(t, context, got[1:], want)
		if got[0] != 'x' || len(got) != 1+64+33+1+32 {
			t.Errorf("SignedContent did not append to dst: %d bytes", len(got))
		}
	}
}

// TestSignedContentRFC8448 verifies the server's CertificateVerify
// signature of RFC 8448, Section 3 (rsa_pss_rsae_sha256) with the key of its
// Certificate over SignedContent: the peer's signature is the check.
func TestSignedContentRFC8448(t *testing.T) {
	v := readVectors(t, "testdata/rfc8448.txt")
	get := func(name string) []byte { return v.get(t, "3/"+name) }
	tr := NewTranscript(crypto.SHA256)
	for _, m := range []string{"ClientHello", "ServerHello", "EncryptedExtensions", "Certificate"} {
		addMessage(t, tr, get(m))
	}

	// Certificate: context<0..2^8-1>, certificate_list<0..2^24-1> of
	// cert_data<1..2^24-1> and extensions<0..2^16-1>.
	s := cryptobyte.String(get("Certificate")[4:])
	var reqContext, list, certData, exts cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&reqContext) || !s.ReadUint24LengthPrefixed(&list) || !s.Empty() ||
		!list.ReadUint24LengthPrefixed(&certData) || !list.ReadUint16LengthPrefixed(&exts) || !list.Empty() {
		t.Fatal("cannot parse the Certificate message")
	}
	cert, err := x509.ParseCertificate(certData)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("public key is %T", cert.PublicKey)
	}

	// CertificateVerify: SignatureScheme algorithm, signature<0..2^16-1>.
	cv := cryptobyte.String(get("CertificateVerify")[4:])
	var scheme uint16
	var sig cryptobyte.String
	if !cv.ReadUint16(&scheme) || !cv.ReadUint16LengthPrefixed(&sig) || !cv.Empty() || scheme != 0x0804 {
		t.Fatal("cannot parse the CertificateVerify message")
	}
	withPrefix(t, "tls13 ") // not used by SignedContent; checks it does not matter
	content := SignedContent(nil, true, tr.Sum(nil))
	digest := crypto.SHA256.New()
	digest.Write(content)
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
	if err := rsa.VerifyPSS(pub, crypto.SHA256, digest.Sum(nil), sig, opts); err != nil {
		t.Errorf("the server's signature does not verify over SignedContent: %v", err)
	}
	if rsa.VerifyPSS(pub, crypto.SHA256, hashOf(crypto.SHA256, SignedContent(nil, false, tr.Sum(nil))), sig, opts) == nil {
		t.Error("the server's signature verifies over the client's content")
	}
}
