package tls13

// The context strings of CertificateVerify (RFC 8446, Section 4.4.3). DTLS
// 1.3 changes neither them nor the padding: its "dtls13" prefix is for
// HKDF-Expand-Label only (RFC 9147, Section 5.9).
const (
	serverSignatureContext = "TLS 1.3, server CertificateVerify"
	clientSignatureContext = "TLS 1.3, client CertificateVerify"
)

// signaturePadding is the length of the run of 0x20 bytes the signed
// content starts with.
const signaturePadding = 64

// SignedContent appends to dst the content a CertificateVerify signature
// covers (RFC 8446, Section 4.4.3): 64 bytes of 0x20, the context string of
// the signer ("TLS 1.3, server CertificateVerify" if server is true, "TLS
// 1.3, client CertificateVerify" otherwise), a zero byte, and the
// transcript hash through the Certificate message.
func SignedContent(dst []byte, server bool, transcriptHash []byte) []byte {
	context := clientSignatureContext
	if server {
		context = serverSignatureContext
	}
	for range signaturePadding {
		dst = append(dst, 0x20)
	}
	dst = append(dst, context...)
	dst = append(dst, 0)
	return append(dst, transcriptHash...)
}
