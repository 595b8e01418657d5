package prf

import (
	"crypto"
	"testing"
)

// BenchmarkPRF derives what a DTLS 1.2 handshake with SHA-256 derives on
// one side: a master secret, the key block of AES-128-GCM and two Finished
// messages.
func BenchmarkPRF(b *testing.B) {
	prf := PRF12(crypto.SHA256)
	pre, random, hash := make([]byte, 48), make([]byte, 32), make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		master := MasterSecret(nil, prf, pre, random, random)
		KeyBlock(nil, prf, master, random, random, 40)
		VerifyData(nil, prf, master, []byte("client finished"), hash)
		VerifyData(nil, prf, master, []byte("server finished"), hash)
	}
}
