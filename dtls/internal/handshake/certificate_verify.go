package handshake

import (
	"golang.org/x/crypto/cryptobyte"
)

// CertificateVerify is the CertificateVerify message body of RFC 5246,
// Section 7.4.8 for DTLS 1.2:
//
//	struct {
//	     digitally-signed struct {
//	         opaque handshake_messages[handshake_messages_length];
//	     }
//	} CertificateVerify;
//
// where a digitally-signed element (RFC 5246, Section 4.7) is a
// SignatureAndHashAlgorithm followed by signature<0..2^16-1>. In DTLS 1.0
// (RFC 4346, Sections 4.7 and 7.4.8) only signature<0..2^16-1> is sent, and
// SigAlg is not written, and left zero by Unmarshal. TLS 1.3, and so DTLS
// 1.3, keeps the DTLS 1.2 layout (RFC 8446, Section 4.4.3), SigAlg being a
// SignatureScheme: it is read and written with tls12 true. After
// Unmarshal, Signature aliases the body that was parsed.
type CertificateVerify struct {
	SigAlg    uint16 // SignatureAndHashAlgorithm; DTLS 1.2 only
	Signature []byte // <0..2^16-1>
}

// Marshal returns the encoded body for DTLS 1.2 if tls12 is true and for
// DTLS 1.0 otherwise, or an error if the signature is longer than 2^16-1
// bytes.
func (m *CertificateVerify) Marshal(tls12 bool) ([]byte, error) {
	if err := checkLen("CertificateVerify signature", len(m.Signature), 0, 1<<16-1); err != nil {
		return nil, err
	}
	a := newAppender(4 + len(m.Signature))
	if tls12 {
		a.u16(m.SigAlg)
	}
	a.opaque16(m.Signature)
	return a.result()
}

// Unmarshal parses a body for DTLS 1.2 if tls12 is true and for DTLS 1.0
// otherwise, and reports whether it is well formed, with nothing left over.
func (m *CertificateVerify) Unmarshal(body []byte, tls12 bool) bool {
	*m = CertificateVerify{}
	s := cryptobyte.String(body)
	if tls12 && !s.ReadUint16(&m.SigAlg) {
		return false
	}
	return readOpaque16(&s, &m.Signature, 0) && s.Empty()
}
