package tls13_test

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// ExampleTrafficKeys derives the record keys of TLS_AES_128_GCM_SHA256 from
// a line of an NSS key log (the secret is the server handshake traffic
// secret of RFC 8448, Section 3, which is TLS 1.3: with DTLS 1.3's prefix,
// the keys differ from the RFC's; OpenSSL's TLS13-KDF with prefix "dtls13"
// gives the same).
func ExampleTrafficKeys() {
	line := "SERVER_HANDSHAKE_TRAFFIC_SECRET " + strings.Repeat("00", 32) +
		" b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
	fields := strings.Fields(line)
	secret, err := hex.DecodeString(fields[2])
	if err != nil {
		panic(err)
	}
	key, iv, sn := tls13.TrafficKeys(crypto.SHA256, secret, 16, 12)
	fmt.Printf("key %x\niv  %x\nsn  %x\n", key, iv, sn)
	// Output:
	// key 58bd1a16d6a428c20fe7cafa548be5e6
	// iv  5a3c3548c594ea2418c17aa7
	// sn  7893fd8b77badc5877ebf892be89c2ea
}
