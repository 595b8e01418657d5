package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pathdtls/pathdtls/dtls"
)

// The flags for what applications negotiate on top of the handshake:
// ALPN (RFC 7301), DTLS-SRTP (RFC 5764) and its keying material (RFC
// 5705), and the key log for Wireshark. Their names are OpenSSL's.

// srtpProfiles maps the profile names the flag takes, ours and OpenSSL's,
// to profiles.
var srtpProfiles = map[string]dtls.SRTPProtectionProfile{
	"SRTP_AES128_CM_HMAC_SHA1_80": dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	"SRTP_AES128_CM_SHA1_80":      dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	"SRTP_AES128_CM_HMAC_SHA1_32": dtls.SRTP_AES128_CM_HMAC_SHA1_32,
	"SRTP_AES128_CM_SHA1_32":      dtls.SRTP_AES128_CM_HMAC_SHA1_32,
	"SRTP_AEAD_AES_128_GCM":       dtls.SRTP_AEAD_AES_128_GCM,
	"SRTP_AEAD_AES_256_GCM":       dtls.SRTP_AEAD_AES_256_GCM,
}

// sessionOptions configures ALPN, SRTP, the exporter and the key log.
func (o *options) sessionOptions(c *dtls.Config) error {
	if o.alpn != "" {
		for p := range strings.SplitSeq(o.alpn, ",") {
			if p == "" || len(p) > 255 {
				return fmt.Errorf("-alpn %q: protocol names are 1 to 255 bytes, separated by commas", o.alpn)
			}
			c.NextProtos = append(c.NextProtos, p)
		}
	}
	if o.srtp != "" {
		for name := range strings.SplitSeq(o.srtp, ":") {
			p, ok := srtpProfiles[name]
			if !ok {
				return fmt.Errorf("-use_srtp: unknown profile %q; known: SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32, SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM, separated by colons", name)
			}
			c.SRTPProtectionProfiles = append(c.SRTPProtectionProfiles, p)
		}
	}
	if (o.keymatLabel == "") != (o.keymatLen == 0) || o.keymatLen < 0 || o.keymatLen > 1<<16 {
		return errors.New("-keymatexport LABEL and -keymatexportlen N (1 to 65536) go together")
	}
	if o.keylogFile != "" {
		f, err := os.OpenFile(o.keylogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("-keylogfile: %w", err)
		}
		c.KeyLogWriter = f // open until the process exits
	}
	return nil
}

// reportSession prints, after the handshake line, the application
// protocol, the SRTP profile and the exported keying material, each on a
// line of its own starting with prefix ("" for the client, the peer for
// the server).
func (o *options) reportSession(e *env, prefix string, st dtls.ConnectionState) {
	if st.NegotiatedProtocol != "" {
		e.stderr.printf("ALPN %s%s\n", prefix, st.NegotiatedProtocol)
	}
	if st.SRTPProtectionProfile != 0 {
		e.stderr.printf("SRTP %s%v\n", prefix, st.SRTPProtectionProfile)
	}
	if o.keymatLabel == "" {
		return
	}
	km, err := st.ExportKeyingMaterial(o.keymatLabel, nil, o.keymatLen)
	if err != nil {
		e.stderr.printf("KEYMAT %s%s\n", prefix, oneLine(err))
		return
	}
	material := strings.ToUpper(hex.EncodeToString(km))
	e.stderr.printf("KEYMAT %s%s %d %s\n", prefix, o.keymatLabel, o.keymatLen, material)
	// And as openssl s_client and s_server print it, for scripts written
	// for them.
	e.stderr.printf("Keying material exporter:\n    Label: '%s'\n    Length: %d bytes\n    Keying material: %s\n",
		o.keymatLabel, o.keymatLen, material)
}
