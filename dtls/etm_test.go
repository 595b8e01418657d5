package dtls

import (
	"testing"
	"testing/synctest"
)

// TestEncryptThenMAC checks that a CBC suite runs with encrypt-then-MAC
// (RFC 7366), whose records are longer than MAC-then-encrypt's for some
// lengths (100 bytes with HMAC-SHA1: 148 against 144), and an AEAD suite
// without it.
func TestEncryptThenMAC(t *testing.T) {
	for id, want := range map[uint16]int{
		TLS_PSK_WITH_AES_128_CBC_SHA:    16 + 112 + 20,
		TLS_PSK_WITH_AES_128_GCM_SHA256: 100 + 8 + 16,
	} {
		synctest.Test(t, func(t *testing.T) {
			cc, sc := suiteConfigs(id, VersionDTLS12)
			client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
			if cerr != nil || serr != nil {
				t.Fatalf("%v / %v", cerr, serr)
			}
			for _, c := range []*Conn{client, server} {
				if got := c.out.recordLen(c.out.dataEpoch, 100) - 13; got != want {
					t.Errorf("%s: a 100-byte record's fragment is %d bytes, want %d", CipherSuiteName(id), got, want)
				}
			}
			bothWays(t, client, server)
		})
	}
}
