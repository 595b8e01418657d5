package dtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"io"
	"slices"
)

// SignatureScheme values (RFC 8446 §4.2.3, which names the RFC 5246 §7.4.1.4.1
// SignatureAndHashAlgorithm pairs).
const (
	sigRSAPKCS1SHA1   uint16 = 0x0201
	sigECDSASHA1      uint16 = 0x0203
	sigRSAPKCS1SHA256 uint16 = 0x0401
	sigECDSAP256      uint16 = 0x0403
	sigRSAPKCS1SHA384 uint16 = 0x0501
	sigECDSAP384      uint16 = 0x0503
	sigRSAPKCS1SHA512 uint16 = 0x0601
	sigECDSAP521      uint16 = 0x0603
	sigRSAPSSSHA256   uint16 = 0x0804
	sigRSAPSSSHA384   uint16 = 0x0805
	sigRSAPSSSHA512   uint16 = 0x0806
	sigEd25519        uint16 = 0x0807 // RFC 8422 §5.1.3: signs the message itself
)

// signatureAlgorithms is what we offer and accept in DTLS 1.2, in order of
// preference. SHA-1 is left out (RFC 9155).
var signatureAlgorithms = []uint16{
	sigECDSAP256, sigEd25519, sigECDSAP384, sigECDSAP521,
	sigRSAPSSSHA256, sigRSAPSSSHA384, sigRSAPSSSHA512,
	sigRSAPKCS1SHA256, sigRSAPKCS1SHA384, sigRSAPKCS1SHA512,
}

// sigHash returns the hash and whether the scheme is RSA-PSS.
func sigHash(alg uint16) (h crypto.Hash, pss bool, ok bool) {
	switch alg {
	case sigRSAPKCS1SHA1, sigECDSASHA1:
		return crypto.SHA1, false, true
	case sigRSAPKCS1SHA256, sigECDSAP256:
		return crypto.SHA256, false, true
	case sigRSAPKCS1SHA384, sigECDSAP384:
		return crypto.SHA384, false, true
	case sigRSAPKCS1SHA512, sigECDSAP521:
		return crypto.SHA512, false, true
	case sigRSAPSSSHA256:
		return crypto.SHA256, true, true
	case sigRSAPSSSHA384:
		return crypto.SHA384, true, true
	case sigRSAPSSSHA512:
		return crypto.SHA512, true, true
	}
	return 0, false, false
}

// sigMatchesKey reports whether a scheme can be used with a public key.
func sigMatchesKey(alg uint16, pub crypto.PublicKey) bool {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return alg&0xff == 0x03
	case *rsa.PublicKey:
		return alg&0xff == 0x01 || (alg >= sigRSAPSSSHA256 && alg <= sigRSAPSSSHA512)
	case ed25519.PublicKey:
		return alg == sigEd25519
	}
	return false
}

// pickSignature chooses the DTLS 1.2 scheme for our key among the peer's
// list. A peer without signature_algorithms implies SHA-1 (RFC 5246
// §7.4.1.4.1).
func pickSignature(pub crypto.PublicKey, peer []uint16) (uint16, bool) {
	if peer == nil {
		peer = []uint16{sigRSAPKCS1SHA1, sigECDSASHA1}
		for _, a := range peer {
			if sigMatchesKey(a, pub) {
				return a, true
			}
		}
		return 0, false
	}
	for _, a := range signatureAlgorithms {
		if sigMatchesKey(a, pub) && slices.Contains(peer, a) {
			return a, true
		}
	}
	return 0, false
}

// digest10 hashes a message the DTLS 1.0 way (RFC 4346 §7.4.3, RFC 4492
// §5.4): MD5||SHA-1 for RSA, SHA-1 for ECDSA.
func digest10(pub crypto.PublicKey, msg []byte) ([]byte, crypto.Hash) {
	if _, ok := pub.(*rsa.PublicKey); ok {
		m, s := md5.Sum(msg), sha1.Sum(msg)
		return append(m[:], s[:]...), crypto.MD5SHA1
	}
	s := sha1.Sum(msg)
	return s[:], crypto.SHA1
}

// sign signs msg with key: with scheme alg in DTLS 1.2, the DTLS 1.0 way
// otherwise.
func sign(rand io.Reader, key crypto.Signer, v uint16, alg uint16, msg []byte) ([]byte, error) {
	if v == VersionDTLS10 {
		if _, ok := key.Public().(ed25519.PublicKey); ok {
			return nil, errors.New("dtls: Ed25519 needs DTLS 1.2")
		}
		d, h := digest10(key.Public(), msg)
		return key.Sign(rand, d, h)
	}
	if alg == sigEd25519 {
		return key.Sign(rand, msg, crypto.Hash(0))
	}
	h, pss, ok := sigHash(alg)
	if !ok {
		return nil, errors.New("dtls: unsupported signature algorithm")
	}
	hh := h.New()
	hh.Write(msg)
	var opts crypto.SignerOpts = h
	if pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return key.Sign(rand, hh.Sum(nil), opts)
}

var errBadSignature = errors.New("dtls: invalid signature from peer")

// verifySignature checks a signature over msg by pub.
func verifySignature(pub crypto.PublicKey, v uint16, alg uint16, msg, sig []byte) error {
	if k, ok := pub.(ed25519.PublicKey); ok {
		if v == VersionDTLS10 || alg != sigEd25519 || !ed25519.Verify(k, msg, sig) {
			return errBadSignature
		}
		return nil
	}
	var digest []byte
	var h crypto.Hash
	pss := false
	if v == VersionDTLS10 {
		digest, h = digest10(pub, msg)
	} else {
		var ok bool
		if h, pss, ok = sigHash(alg); !ok || !sigMatchesKey(alg, pub) {
			return errBadSignature
		}
		hh := h.New()
		hh.Write(msg)
		digest = hh.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errBadSignature
		}
	case *rsa.PublicKey:
		var err error
		if pss {
			err = rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(k, h, digest, sig)
		}
		if err != nil {
			return errBadSignature
		}
	default:
		return errors.New("dtls: unsupported public key type")
	}
	return nil
}
