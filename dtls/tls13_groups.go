package dtls

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/tls"
	"errors"
	"io"
)

// The key exchange groups of DTLS 1.3 (RFC 8446 §4.2.7): the elliptic
// curves of DTLS 1.2, and the hybrid X25519MLKEM768, ML-KEM-768 (FIPS 203)
// beside X25519, in the form the IETF's hybrid design for TLS 1.3 gives
// it: the client's share is the ML-KEM encapsulation key followed by its
// X25519 public key (1216 bytes), the server's the ML-KEM ciphertext
// followed by its X25519 public key (1120 bytes), and the shared secret the
// ML-KEM shared key followed by the X25519 one. Its ClientHello is about
// 1.4 KB, more than one datagram of 1200 bytes, so it is used only when
// Config.CurvePreferences names it.

// x25519MLKEM768 is the group's code point.
const x25519MLKEM768 = uint16(tls.X25519MLKEM768)

const (
	mlkemEncapsulationKeyLen = mlkem.EncapsulationKeySize768
	mlkemCiphertextLen       = mlkem.CiphertextSize768
	x25519Len                = 32
)

// groupUsable13 reports whether DTLS 1.3 can use group id.
func groupUsable13(id tls.CurveID) bool {
	return uint16(id) == x25519MLKEM768 || curveFor(id) != nil
}

// groups13 returns the groups of prefs that DTLS 1.3 can use.
func groups13(prefs []tls.CurveID) []uint16 {
	var out []uint16
	for _, id := range prefs {
		if groupUsable13(id) {
			out = append(out, uint16(id))
		}
	}
	return out
}

// A keyShare13 is a client's private half of a key share.
type keyShare13 struct {
	ecdh  *ecdh.PrivateKey           // the elliptic curve key; X25519's in the hybrid
	mlkem *mlkem.DecapsulationKey768 // the hybrid's ML-KEM key, or nil
}

// newKeyShare13 makes a key share for group.
func newKeyShare13(group uint16, rand io.Reader) (*keyShare13, error) {
	if group == x25519MLKEM768 {
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, err
		}
		x, err := ecdh.X25519().GenerateKey(rand)
		return &keyShare13{ecdh: x, mlkem: dk}, err
	}
	curve := curveFor(tls.CurveID(group))
	if curve == nil {
		return nil, errors.New("dtls: unsupported group")
	}
	k, err := curve.GenerateKey(rand)
	return &keyShare13{ecdh: k}, err
}

// public returns the share for the ClientHello.
func (k *keyShare13) public() []byte {
	if k.mlkem != nil {
		return append(k.mlkem.EncapsulationKey().Bytes(), k.ecdh.PublicKey().Bytes()...)
	}
	return k.ecdh.PublicKey().Bytes()
}

// shared returns the shared secret of the server's share.
func (k *keyShare13) shared(server []byte) ([]byte, error) {
	if k.mlkem == nil {
		return ecdheShared(k.ecdh, server)
	}
	if len(server) != mlkemCiphertextLen+x25519Len {
		return nil, errors.New("dtls: malformed X25519MLKEM768 key share")
	}
	ss, err := k.mlkem.Decapsulate(server[:mlkemCiphertextLen])
	if err != nil {
		return nil, err
	}
	xs, err := ecdheShared(k.ecdh, server[mlkemCiphertextLen:])
	if err != nil {
		return nil, err
	}
	return append(ss, xs...), nil
}

// serverShare13 answers the client's share for group: our share for the
// ServerHello, and the shared secret.
func serverShare13(group uint16, client []byte, rand io.Reader) (share, shared []byte, err error) {
	if group != x25519MLKEM768 {
		k, err := newKeyShare13(group, rand)
		if err != nil {
			return nil, nil, err
		}
		shared, err := k.shared(client)
		return k.public(), shared, err
	}
	if len(client) != mlkemEncapsulationKeyLen+x25519Len {
		return nil, nil, errors.New("dtls: malformed X25519MLKEM768 key share")
	}
	ek, err := mlkem.NewEncapsulationKey768(client[:mlkemEncapsulationKeyLen])
	if err != nil {
		return nil, nil, err
	}
	ss, ct := ek.Encapsulate()
	x, err := ecdh.X25519().GenerateKey(rand)
	if err != nil {
		return nil, nil, err
	}
	xs, err := ecdheShared(x, client[mlkemEncapsulationKeyLen:])
	if err != nil {
		return nil, nil, err
	}
	return append(ct, x.PublicKey().Bytes()...), append(ss, xs...), nil
}
