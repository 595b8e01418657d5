package handshake

import (
	"cmp"
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// CertificateRequest13 is the CertificateRequest message body of TLS 1.3
// (RFC 8446, Section 4.3.2), which DTLS 1.3 uses unchanged:
//
//	struct {
//	    opaque certificate_request_context<0..2^8-1>;
//	    Extension extensions<2..2^16-1>;
//	} CertificateRequest;
//
// Of the extensions, signature_algorithms (Extensions.SignatureAlgorithms)
// MUST be there; signature_algorithms_cert (SignatureAlgorithmsCert) and
// certificate_authorities (CertificateAuthorities, raw DER names) may be;
// oid_filters and the rest are skipped. Marshal requires
// signature_algorithms; Unmarshal does not, so that the engine can answer
// its absence with missing_extension rather than decode_error. The
// context is empty in a handshake and identifies the request in
// post-handshake authentication (RFC 8446, Section 4.6.2). After
// Unmarshal, the byte slices alias the body that was parsed.
type CertificateRequest13 struct {
	Context    []byte // certificate_request_context<0..2^8-1>
	Extensions Extensions
}

// Marshal returns the encoded CertificateRequest body, or an error if a
// field does not fit its bounds or signature_algorithms is missing.
func (m *CertificateRequest13) Marshal() ([]byte, error) {
	var noSigAlgs error
	if len(m.Extensions.SignatureAlgorithms) == 0 {
		noSigAlgs = errors.New("dtls: CertificateRequest without signature_algorithms")
	}
	err := cmp.Or(
		checkLen("CertificateRequest certificate_request_context", len(m.Context), 0, 1<<8-1),
		noSigAlgs,
		m.Extensions.check(inCertificateRequest),
	)
	if err != nil {
		return nil, err
	}
	a := newAppender(64)
	a.opaque8(m.Context)
	m.Extensions.marshal(&a)
	return a.result()
}

// Unmarshal parses a CertificateRequest body into m and reports whether it
// is well formed, with nothing left over.
func (m *CertificateRequest13) Unmarshal(body []byte) bool {
	*m = CertificateRequest13{}
	s := cryptobyte.String(body)
	// extensions<2..2^16-1>: the block is there and holds one extension at
	// least, so its encoding is longer than its 2-byte length.
	return readOpaque8(&s, &m.Context, 0) && len(s) > 2 &&
		m.Extensions.unmarshal(&s, inCertificateRequest)
}
