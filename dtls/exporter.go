package dtls

import (
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/pathdtls/pathdtls/dtls/internal/prf"
	"github.com/pathdtls/pathdtls/dtls/internal/tls13"
)

// Keying material exporters (RFC 5705 §4): PRF(master_secret, label,
// client_random + server_random [+ context_length + context]), which
// DTLS-SRTP keys SRTP with (RFC 5764 §4.2).

// reservedLabels are the PRF labels of TLS itself, which an exporter may
// not use (RFC 5705 §4).
var reservedLabels = []string{"client finished", "server finished", "master secret", "key expansion", "extended master secret"}

// An exporter holds what ExportKeyingMaterial needs of a handshake.
type exporter struct {
	prf     prf.Func
	master  [prf.MasterSecretLen]byte
	randoms [64]byte // client_random + server_random
	// hash and secret are DTLS 1.3's: its exporter_master_secret, from
	// which RFC 8446 §7.5 derives the material instead.
	hash   crypto.Hash
	secret []byte
}

// newExporter returns the exporter of a handshake, or nil without the
// extended master secret: RFC 7627 §5.4 warns that the keys of a session
// without it may be shared with another.
func (hs *hsBase) newExporter(master, clientRandom, serverRandom []byte, ems bool) *exporter {
	if !ems {
		return nil
	}
	e := &exporter{prf: hs.suite.prf(hs.vers)}
	copy(e.master[:], master)
	copy(e.randoms[:32], clientRandom)
	copy(e.randoms[32:], serverRandom)
	return e
}

// ExportKeyingMaterial returns length bytes of keying material exported
// from the association's master secret under label (RFC 5705 §4); in DTLS
// 1.3, from its exporter master secret (RFC 8446 §7.5). Up to DTLS 1.2 a
// nil context and an empty one differ: only a non-nil context enters the
// seed, after its length; DTLS 1.3 makes no difference. DTLS-SRTP uses SRTPKeyingMaterialLabel with a nil
// context and the length of SRTPProtectionProfile.KeyingMaterialLen. It
// fails for the labels TLS reserves, and, as crypto/tls does, when the
// handshake did not use the extended master secret (RFC 7627 §5.4).
func (cs *ConnectionState) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	e := cs.ekm
	switch {
	case !cs.HandshakeComplete:
		return nil, errors.New("dtls: ExportKeyingMaterial before the handshake completed")
	case e == nil:
		return nil, errors.New("dtls: ExportKeyingMaterial needs the extended master secret (RFC 7627), which the handshake did not use")
	case length < 0:
		return nil, fmt.Errorf("dtls: ExportKeyingMaterial length %d is negative", length)
	case len(context) >= 1<<16:
		return nil, errors.New("dtls: ExportKeyingMaterial context is longer than 2^16-1 bytes")
	}
	for _, r := range reservedLabels {
		if label == r {
			return nil, fmt.Errorf("dtls: ExportKeyingMaterial label %q is reserved (RFC 5705 §4)", label)
		}
	}
	if e.secret != nil {
		return tls13.ExportKeyingMaterial(e.hash, e.secret, label, context, length)
	}
	seed := make([]byte, 0, 64+2+len(context))
	seed = append(seed, e.randoms[:]...)
	if context != nil {
		seed = binary.BigEndian.AppendUint16(seed, uint16(len(context)))
		seed = append(seed, context...)
	}
	out := make([]byte, length)
	e.prf(out, e.master[:], []byte(label), seed)
	return out, nil
}

// keyLogMu serializes the key log lines of every Conn.
var keyLogMu sync.Mutex

// logKey writes the master secret of a handshake to Config.KeyLogWriter
// in the NSS key log format, which Wireshark reads: CLIENT_RANDOM, the
// client's random and the master secret, in hex. It is for debugging:
// whoever reads the log can decrypt the association.
func (hs *hsBase) logKey(master, clientRandom []byte) {
	w := hs.c.config.KeyLogWriter
	if w == nil {
		return
	}
	keyLogMu.Lock()
	defer keyLogMu.Unlock()
	_, _ = fmt.Fprintf(w, "CLIENT_RANDOM %x %x\n", clientRandom, master)
}
