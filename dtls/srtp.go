package dtls

import (
	"bytes"
	"errors"
	"slices"
	"strconv"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
)

// DTLS-SRTP (RFC 5764): the handshake negotiates an SRTP protection
// profile with the use_srtp extension, and the SRTP keys are exported from
// it with the label "EXTRACTOR-dtls_srtp" (RFC 5764 §4.2; see
// ConnectionState.ExportKeyingMaterial and SRTPKeyingMaterialLabel).

// An SRTPProtectionProfile names an SRTP protection profile (RFC 5764
// §4.1.2, RFC 7714 §14.2).
type SRTPProtectionProfile uint16

// The SRTP protection profiles pathdtls negotiates.
const (
	SRTP_AES128_CM_HMAC_SHA1_80 SRTPProtectionProfile = 0x0001 // RFC 5764 §4.1.2
	SRTP_AES128_CM_HMAC_SHA1_32 SRTPProtectionProfile = 0x0002 // RFC 5764 §4.1.2
	SRTP_AEAD_AES_128_GCM       SRTPProtectionProfile = 0x0007 // RFC 7714 §14.2
	SRTP_AEAD_AES_256_GCM       SRTPProtectionProfile = 0x0008 // RFC 7714 §14.2
)

// SRTPKeyingMaterialLabel is the exporter label of DTLS-SRTP's keys (RFC
// 5764 §4.2), for ConnectionState.ExportKeyingMaterial with a nil context.
const SRTPKeyingMaterialLabel = "EXTRACTOR-dtls_srtp"

// String returns the profile's name, or its number.
func (p SRTPProtectionProfile) String() string {
	switch p {
	case SRTP_AES128_CM_HMAC_SHA1_80:
		return "SRTP_AES128_CM_HMAC_SHA1_80"
	case SRTP_AES128_CM_HMAC_SHA1_32:
		return "SRTP_AES128_CM_HMAC_SHA1_32"
	case SRTP_AEAD_AES_128_GCM:
		return "SRTP_AEAD_AES_128_GCM"
	case SRTP_AEAD_AES_256_GCM:
		return "SRTP_AEAD_AES_256_GCM"
	}
	return "SRTPProtectionProfile(" + strconv.Itoa(int(p)) + ")"
}

// KeyLen and SaltLen return the lengths of the profile's master key and
// master salt; KeyingMaterialLen the keying material to export for it,
// 2 × (KeyLen + SaltLen): the client's key, the server's key, the client's
// salt, the server's salt (RFC 5764 §4.2). They are 0 for an unknown
// profile.
func (p SRTPProtectionProfile) KeyLen() int {
	switch p {
	case SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AES128_CM_HMAC_SHA1_32, SRTP_AEAD_AES_128_GCM:
		return 16
	case SRTP_AEAD_AES_256_GCM:
		return 32
	}
	return 0
}

func (p SRTPProtectionProfile) SaltLen() int {
	switch p {
	case SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AES128_CM_HMAC_SHA1_32:
		return 14
	case SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM:
		return 12
	}
	return 0
}

func (p SRTPProtectionProfile) KeyingMaterialLen() int { return 2 * (p.KeyLen() + p.SaltLen()) }

// offerSRTP puts use_srtp in a ClientHello, if the Config has profiles.
func (hs *clientHandshake) offerSRTP(ext *handshake.Extensions) {
	cfg := hs.c.config
	if len(cfg.SRTPProtectionProfiles) == 0 {
		return
	}
	ext.HasUseSRTP, ext.SRTPMKI = true, cfg.SRTPMKI
	for _, p := range cfg.SRTPProtectionProfiles {
		ext.SRTPProfiles = append(ext.SRTPProfiles, uint16(p))
	}
}

// takeSRTP checks the server's use_srtp (RFC 5764 §4.1.1; in DTLS 1.3
// it comes in EncryptedExtensions, RFC 8446 §4.2): only in answer
// to ours, one profile that we offered, and no other MKI than ours.
func (hs *clientHandshake) takeSRTP(ext *handshake.Extensions) error {
	if !ext.HasUseSRTP {
		return nil
	}
	if !hs.hello.Extensions.HasUseSRTP {
		return hs.c.sendAlert(AlertUnsupportedExtension, errors.New("dtls: server sent use_srtp we did not ask for"))
	}
	if len(ext.SRTPProfiles) != 1 || !slices.Contains(hs.hello.Extensions.SRTPProfiles, ext.SRTPProfiles[0]) {
		return hs.c.sendAlert(AlertIllegalParameter, errors.New("dtls: server chose an SRTP protection profile we did not offer"))
	}
	if len(ext.SRTPMKI) > 0 && !bytes.Equal(ext.SRTPMKI, hs.hello.Extensions.SRTPMKI) {
		return hs.c.sendAlert(AlertIllegalParameter, errors.New("dtls: server's SRTP MKI is not ours"))
	}
	hs.srtp = SRTPProtectionProfile(ext.SRTPProfiles[0])
	hs.srtpMKI = bytes.Clone(ext.SRTPMKI)
	return nil
}

// answerSRTP puts use_srtp in the ServerHello: the first of the Config's
// profiles that the client offers, with the client's MKI; none if no
// profile is shared (RFC 5764 §4.1.1).
func (hs *serverHandshake) answerSRTP(out *handshake.Extensions) {
	ext := &hs.ch.Extensions
	if !ext.HasUseSRTP {
		return
	}
	for _, p := range hs.c.config.SRTPProtectionProfiles {
		if slices.Contains(ext.SRTPProfiles, uint16(p)) {
			hs.srtp, hs.srtpMKI = p, bytes.Clone(ext.SRTPMKI)
			out.HasUseSRTP = true
			out.SRTPProfiles = []uint16{uint16(p)}
			out.SRTPMKI = hs.srtpMKI
			return
		}
	}
}
