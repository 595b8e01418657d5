package tls13

import "crypto"

// labelResumption derives a ticket's PSK from the resumption master secret.
const labelResumption = "resumption"

// ResumptionPSK returns the PSK of a NewSessionTicket with ticket_nonce
// ticketNonce (RFC 8446, Section 4.6.1), with the DTLS 1.3 label prefix
// like every other label:
//
//	HKDF-Expand-Label(resumption_master_secret,
//	                  "resumption", ticket_nonce, Hash.length)
func ResumptionPSK(h crypto.Hash, resumptionMaster, ticketNonce []byte) []byte {
	return ExpandLabel(h, resumptionMaster, labelResumption, ticketNonce, hashLen(h))
}
