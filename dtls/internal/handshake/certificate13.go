package handshake

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Certificate13 is the Certificate message body of TLS 1.3 (RFC 8446,
// Section 4.4.2), which DTLS 1.3 uses unchanged:
//
//	struct {
//	    select (certificate_type) {
//	        case RawPublicKey:
//	          /* From RFC 7250 ASN.1_subjectPublicKeyInfo */
//	          opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
//
//	        case X509:
//	          opaque cert_data<1..2^24-1>;
//	    };
//	    Extension extensions<0..2^16-1>;
//	} CertificateEntry;
//
//	struct {
//	    opaque certificate_request_context<0..2^8-1>;
//	    CertificateEntry certificate_list<0..2^24-1>;
//	} Certificate;
//
// Certificates holds the cert_data of each entry, DER X.509 certificates
// with the sender's own first (pathdtls negotiates no raw public keys). A
// client with no suitable certificate sends an empty list.
//
// The entries' extensions (status_request and signed_certificate_timestamp
// are the ones RFC 8446 allows there, and pathdtls uses neither) are kept
// raw in EntryExtensions: nil, or one per certificate, each the content of
// the extensions vector without its length (nil for none). Unmarshal checks
// that each is a well-formed list of extensions without a duplicate type,
// and sets one per certificate. After Unmarshal, the byte slices alias the
// body that was parsed.
type Certificate13 struct {
	Context         []byte   // certificate_request_context<0..2^8-1>
	Certificates    [][]byte // cert_data<1..2^24-1>
	EntryExtensions [][]byte // nil, or len(Certificates) raw extension lists
}

// Marshal returns the encoded Certificate body, or an error if a field does
// not fit its vector's bounds.
func (m *Certificate13) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	a := newAppender(64)
	a.opaque8(m.Context)
	list := a.begin(3)
	for i, c := range m.Certificates {
		a.opaque24(c)
		var ext []byte
		if m.EntryExtensions != nil {
			ext = m.EntryExtensions[i]
		}
		a.opaque16(ext)
	}
	a.end(list, 3)
	return a.result()
}

// check reports whether m can be encoded. The total length is checked by
// the appender.
func (m *Certificate13) check() error {
	if err := checkLen("Certificate certificate_request_context", len(m.Context), 0, 1<<8-1); err != nil {
		return err
	}
	if m.EntryExtensions != nil && len(m.EntryExtensions) != len(m.Certificates) {
		return fmt.Errorf("dtls: Certificate has %d certificates but %d extension lists", len(m.Certificates), len(m.EntryExtensions))
	}
	for i, c := range m.Certificates {
		if err := checkLen(fmt.Sprintf("Certificate cert_data[%d]", i), len(c), 1, 1<<24-1); err != nil {
			return err
		}
	}
	for i, ext := range m.EntryExtensions {
		if err := checkLen(fmt.Sprintf("Certificate extensions[%d]", i), len(ext), 0, 1<<16-1); err != nil {
			return err
		}
		if !validExtensionList(ext) {
			return fmt.Errorf("dtls: Certificate extensions[%d] is not a list of extensions", i)
		}
	}
	return nil
}

// Unmarshal parses a Certificate body into m and reports whether it is well
// formed, with nothing left over.
func (m *Certificate13) Unmarshal(body []byte) bool {
	*m = Certificate13{}
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !readOpaque8(&s, &m.Context, 0) || !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return false
	}
	for !list.Empty() {
		var c, ext []byte
		if !readOpaque24(&list, &c, 1) || !readOpaque16(&list, &ext, 0) || !validExtensionList(ext) {
			return false
		}
		m.Certificates = append(m.Certificates, c)
		m.EntryExtensions = append(m.EntryExtensions, ext)
	}
	return true
}

// validExtensionList reports whether b, the content of an extensions
// vector, is a sequence of Extension structs (RFC 8446, Section 4.2) with no
// type twice.
func validExtensionList(b []byte) bool {
	s := cryptobyte.String(b)
	var seen map[uint16]bool
	for !s.Empty() {
		var typ uint16
		var body cryptobyte.String
		if !s.ReadUint16(&typ) || !s.ReadUint16LengthPrefixed(&body) || seen[typ] {
			return false
		}
		if seen == nil {
			seen = make(map[uint16]bool)
		}
		seen[typ] = true
	}
	return true
}
