package tls13

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestHelloRetryRequestRandom recomputes the HelloRetryRequest random of
// RFC 8446, Section 4.1.3.
func TestHelloRetryRequestRandom(t *testing.T) {
	sum := sha256.Sum256([]byte("HelloRetryRequest"))
	if string(sum[:]) != HelloRetryRequestRandom {
		t.Errorf("HelloRetryRequestRandom = %x, SHA-256 gives %x", HelloRetryRequestRandom, sum)
	}
}

// TestDowngradeSentinels checks the bytes of RFC 8446, Section 4.1.3.
func TestDowngradeSentinels(t *testing.T) {
	for s, want := range map[string]string{
		DowngradeDTLS12: "444f574e47524401",
		DowngradeDTLS10: "444f574e47524400",
	} {
		if got := hex.EncodeToString([]byte(s)); got != want || len(s) != DowngradeSentinelLen {
			t.Errorf("sentinel %x, want %s", s, want)
		}
	}
}
