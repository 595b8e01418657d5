package handshake

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Certificate is the Certificate message body of RFC 5246, Section 7.4.2
// (RFC 4346, Section 7.4.2 for DTLS 1.0), sent by the server and, when asked
// with a CertificateRequest, by the client:
//
//	opaque ASN.1Cert<1..2^24-1>;
//
//	struct {
//	    ASN.1Cert certificate_list<0..2^24-1>;
//	} Certificate;
//
// Certificates holds DER certificates, the sender's own first. A client
// with no suitable certificate sends an empty list. After Unmarshal, the
// certificates alias the body that was parsed.
type Certificate struct {
	Certificates [][]byte
}

// Marshal returns the encoded Certificate body, or an error if a
// certificate is empty or the list does not fit its 24-bit length.
func (m *Certificate) Marshal() ([]byte, error) {
	total := 0
	for i, c := range m.Certificates {
		if err := checkLen(fmt.Sprintf("Certificate certificate_list[%d]", i), len(c), 1, 1<<24-1); err != nil {
			return nil, err
		}
		total += 3 + len(c)
	}
	if err := checkLen("Certificate certificate_list", total, 0, 1<<24-1); err != nil {
		return nil, err
	}
	a := newAppender(3 + total)
	at := a.begin(3)
	for _, c := range m.Certificates {
		a.opaque24(c)
	}
	a.end(at, 3)
	return a.result()
}

// Unmarshal parses a Certificate body into m and reports whether it is well
// formed, with nothing left over.
func (m *Certificate) Unmarshal(body []byte) bool {
	*m = Certificate{}
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return false
	}
	for !list.Empty() {
		var c []byte
		if !readOpaque24(&list, &c, 1) {
			return false
		}
		m.Certificates = append(m.Certificates, c)
	}
	return true
}
