package dtls

import (
	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// masterSecret computes the master secret, with the extended form of
// RFC 7627 §4 when it was negotiated (sessionHash non-nil).
func masterSecret(s *cipherSuite, v uint16, preMaster, clientRandom, serverRandom, sessionHash []byte) []byte {
	if sessionHash != nil {
		return prf.ExtendedMasterSecret(s.prf(v), preMaster, sessionHash)
	}
	return prf.MasterSecret(s.prf(v), preMaster, clientRandom, serverRandom)
}

func prfKeyBlock(s *cipherSuite, v uint16, master, clientRandom, serverRandom []byte) []byte {
	return prf.KeyBlock(s.prf(v), master, clientRandom, serverRandom, s.keyBlockLen())
}

func prfVerifyData(s *cipherSuite, v uint16, master, label, hash []byte) []byte {
	return prf.VerifyData(s.prf(v), master, label, hash)
}

// Finished labels (RFC 5246 §7.4.9), made once: a label passed to the PRF
// as a []byte converted from a string would be a new slice every time.
var (
	clientFinishedLabel = []byte("client finished")
	serverFinishedLabel = []byte("server finished")
)
