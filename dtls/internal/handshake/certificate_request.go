package handshake

import (
	"cmp"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// CertificateRequest is the CertificateRequest message body of RFC 5246,
// Section 7.4.4 for DTLS 1.2:
//
//	opaque DistinguishedName<1..2^16-1>;
//
//	struct {
//	    ClientCertificateType certificate_types<1..2^8-1>;
//	    SignatureAndHashAlgorithm
//	      supported_signature_algorithms<2^16-1>;
//	    DistinguishedName certificate_authorities<0..2^16-1>;
//	} CertificateRequest;
//
// and of RFC 4346, Section 7.4.4 for DTLS 1.0, which lacks
// supported_signature_algorithms. That list is read with the bounds
// <2..2^16-2> that RFC 5246, Section 7.4.1.4.1 gives it: at least one
// algorithm. After Unmarshal, CertificateTypes and Authorities alias the
// body that was parsed.
type CertificateRequest struct {
	CertificateTypes    []uint8  // ClientCertificateType values, at least one
	SignatureAlgorithms []uint16 // DTLS 1.2 only: not written, and left nil, for DTLS 1.0
	Authorities         [][]byte // DER DistinguishedNames of acceptable CAs
}

// Marshal returns the encoded body for DTLS 1.2 if tls12 is true and for
// DTLS 1.0 otherwise, or an error if a field does not fit its vector's
// bounds.
func (m *CertificateRequest) Marshal(tls12 bool) ([]byte, error) {
	if err := m.check(tls12); err != nil {
		return nil, err
	}
	a := newAppender(64)
	a.opaque8(m.CertificateTypes)
	if tls12 {
		a.uint16List(m.SignatureAlgorithms)
	}
	at := a.begin(2)
	for _, dn := range m.Authorities {
		a.opaque16(dn)
	}
	a.end(at, 2)
	return a.result()
}

// check reports whether m can be encoded.
func (m *CertificateRequest) check(tls12 bool) error {
	total := 0
	for i, dn := range m.Authorities {
		if err := checkLen(fmt.Sprintf("CertificateRequest certificate_authorities[%d]", i), len(dn), 1, 1<<16-1); err != nil {
			return err
		}
		total += 2 + len(dn)
	}
	var sigAlgs error
	if tls12 {
		sigAlgs = checkLen("CertificateRequest supported_signature_algorithms", 2*len(m.SignatureAlgorithms), 2, 1<<16-2)
	}
	return cmp.Or(
		checkLen("CertificateRequest certificate_types", len(m.CertificateTypes), 1, 1<<8-1),
		sigAlgs,
		checkLen("CertificateRequest certificate_authorities", total, 0, 1<<16-1),
	)
}

// Unmarshal parses a body for DTLS 1.2 if tls12 is true and for DTLS 1.0
// otherwise, and reports whether it is well formed, with nothing left over.
func (m *CertificateRequest) Unmarshal(body []byte, tls12 bool) bool {
	*m = CertificateRequest{}
	s := cryptobyte.String(body)
	if !readOpaque8(&s, &m.CertificateTypes, 1) {
		return false
	}
	if tls12 && !readUint16List(&s, &m.SignatureAlgorithms) {
		return false
	}
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return false
	}
	for !list.Empty() {
		var dn []byte
		if !readOpaque16(&list, &dn, 1) {
			return false
		}
		m.Authorities = append(m.Authorities, dn)
	}
	return true
}
