package dtls

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// hasAESHardware reports whether the CPU has instructions for AES and for
// GCM's multiplication, as crypto/tls asks: without them AES-GCM runs in
// constant-time software, several times slower than ChaCha20-Poly1305.
var hasAESHardware = cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ ||
	cpu.ARM64.HasAES && cpu.ARM64.HasPMULL ||
	runtime.GOARCH == "s390x" && cpu.S390X.HasAES && cpu.S390X.HasAESGCM ||
	runtime.GOARCH == "ppc64le"

// preferredSuites is the default order of preference: the table's, or,
// without AES hardware, with each key exchange's ChaCha20-Poly1305 suite
// before its AES-GCM ones.
var preferredSuites = orderSuites(cipherSuites, hasAESHardware)

// orderSuites returns suites in the order of preference for a CPU with or
// without AES hardware.
func orderSuites(suites []*cipherSuite, aesHardware bool) []*cipherSuite {
	if aesHardware {
		return suites
	}
	out := make([]*cipherSuite, 0, len(suites))
	moved := make(map[*cipherSuite]bool)
	for _, s := range suites {
		if s.bulk == aesGCM {
			// Its key exchange's ChaCha20 suites go before it.
			for _, c := range suites {
				if c.kx == s.kx && c.bulk == chacha && !moved[c] {
					out, moved[c] = append(out, c), true
				}
			}
		}
		if !moved[s] {
			out, moved[s] = append(out, s), true
		}
	}
	return out
}
