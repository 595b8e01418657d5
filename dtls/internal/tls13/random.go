package tls13

// HelloRetryRequestRandom is the Random of a ServerHello that is a
// HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446,
// Section 4.1.3). Compare a 32-byte random r with
// string(r[:]) == HelloRetryRequestRandom.
const HelloRetryRequestRandom = "\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91" +
	"\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"

// The downgrade sentinels a server that supports DTLS 1.3 writes in the
// last 8 bytes of its ServerHello.random when it negotiates an older version
// (RFC 8446, Section 4.1.3). RFC 9147, Section 5.3 applies TLS 1.3's
// sentinel for TLS 1.2 to DTLS 1.2, and the one for TLS 1.1 and below to
// DTLS 1.0. A client that offered DTLS 1.3 and finds one of them in the
// random of a ServerHello of an older version aborts with an
// illegal_parameter alert.
const (
	DowngradeDTLS12 = "DOWNGRD\x01"
	DowngradeDTLS10 = "DOWNGRD\x00"
)

// DowngradeSentinelLen is the length of the downgrade sentinels, which end
// ServerHello.random.
const DowngradeSentinelLen = 8
