package tls13

import "crypto"

// The labels of the traffic keys (RFC 8446, Sections 7.2 and 7.3; RFC 9147,
// Section 4.2.3), without the prefix.
const (
	labelKey           = "key"
	labelIV            = "iv"
	labelSN            = "sn"
	labelTrafficUpdate = "traffic upd"
)

// TrafficKeys returns the record protection keys of a traffic secret: the
// AEAD key and IV (RFC 8446, Section 7.3) and the record number encryption
// key (RFC 9147, Section 4.2.3), which is as long as the AEAD key:
//
//	[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
//	[sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
//	[sender]_sn_key    = HKDF-Expand-Label(Secret, "sn", "", key_length)
//
// secret may come from the schedule or from a key log line (for instance
// CLIENT_TRAFFIC_SECRET_0 decoded from hex). It returns three nils if a
// length is out of range or h is not available.
func TrafficKeys(h crypto.Hash, secret []byte, keyLen, ivLen int) (key, iv, sn []byte) {
	if !h.Available() {
		return nil, nil, nil
	}
	e := newExpander(h, secret)
	key = e.label(labelKey, nil, keyLen)
	iv = e.label(labelIV, nil, ivLen)
	sn = e.label(labelSN, nil, keyLen)
	if key == nil || iv == nil || sn == nil {
		return nil, nil, nil
	}
	return key, iv, sn
}

// NextTrafficSecret returns the traffic secret that follows secret after a
// KeyUpdate (RFC 8446, Section 7.2; in DTLS 1.3 the next epoch, RFC 9147,
// Section 8):
//
//	application_traffic_secret_N+1 =
//	    HKDF-Expand-Label(application_traffic_secret_N,
//	                      "traffic upd", "", Hash.length)
func NextTrafficSecret(h crypto.Hash, secret []byte) []byte {
	return ExpandLabel(h, secret, labelTrafficUpdate, nil, hashLen(h))
}
