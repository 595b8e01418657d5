package handshake

import (
	"cmp"
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// The extensions that real-time media and application protocols ask for:
// use_srtp (RFC 5764, Section 4.1.1), which negotiates the SRTP protection
// profile whose keys the DTLS handshake exports, and ALPN (RFC 7301).
//
//	uint8 SRTPProtectionProfile[2];
//	SRTPProtectionProfile SRTPProtectionProfiles<2..2^16-1>;
//	struct {
//	    SRTPProtectionProfiles SRTPProtectionProfiles;
//	    opaque srtp_mki<0..255>;
//	} UseSRTPData;
//
//	opaque ProtocolName<1..2^8-1>;
//	struct {
//	    ProtocolName protocol_name_list<2..2^16-1>
//	} ProtocolNameList;

// checkMedia reports whether the use_srtp and ALPN fields can be encoded.
func (e *Extensions) checkMedia() error {
	if !e.HasUseSRTP && (len(e.SRTPProfiles) > 0 || len(e.SRTPMKI) > 0) {
		return errors.New("dtls: use_srtp data without HasUseSRTP")
	}
	if e.HasUseSRTP && len(e.SRTPProfiles) == 0 {
		return errors.New("dtls: use_srtp without a protection profile")
	}
	total := 0
	for _, p := range e.ALPNProtocols {
		if err := checkLen("ALPN protocol name", len(p), 1, 1<<8-1); err != nil {
			return err
		}
		total += 1 + len(p)
	}
	return cmp.Or(
		checkLen("use_srtp profiles", 2*len(e.SRTPProfiles), 0, 1<<16-2-2-256),
		checkLen("use_srtp MKI", len(e.SRTPMKI), 0, 1<<8-1),
		checkLen("ALPN protocol_name_list", total, 0, 1<<16-1-2),
	)
}

// marshalSRTP appends use_srtp (14), if present.
func (e *Extensions) marshalSRTP(a *appender) {
	if e.HasUseSRTP {
		at := beginExtension(a, extUseSRTP)
		a.uint16List(e.SRTPProfiles)
		a.opaque8(e.SRTPMKI)
		a.end(at, 2)
	}
}

// marshalALPN appends ALPN (16), if there are protocols.
func (e *Extensions) marshalALPN(a *appender) {
	if len(e.ALPNProtocols) > 0 {
		at := beginExtension(a, extALPN)
		list := a.begin(2)
		for _, p := range e.ALPNProtocols {
			a.opaque8([]byte(p))
		}
		a.end(list, 2)
		a.end(at, 2)
	}
}

// unmarshalALPN parses a ProtocolNameList: at least one name, none empty.
func (e *Extensions) unmarshalALPN(body *cryptobyte.String) bool {
	var list cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return false
	}
	for !list.Empty() {
		var name []byte
		if !readOpaque8(&list, &name, 1) {
			return false
		}
		e.ALPNProtocols = append(e.ALPNProtocols, string(name))
	}
	return true
}
