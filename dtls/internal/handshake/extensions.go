package handshake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// Extension types this package understands, from the IANA "TLS
// ExtensionType Values" registry.
const (
	extServerName           uint16 = 0      // RFC 6066, Section 3
	extSupportedGroups      uint16 = 10     // RFC 8422, Section 5.1.1
	extECPointFormats       uint16 = 11     // RFC 8422, Section 5.1.2
	extSignatureAlgorithms  uint16 = 13     // RFC 5246, Section 7.4.1.4.1
	extUseSRTP              uint16 = 14     // RFC 5764, Section 4.1.1
	extHeartbeat            uint16 = 15     // RFC 6520, Section 2
	extALPN                 uint16 = 16     // RFC 7301, Section 3.1
	extEncryptThenMAC       uint16 = 22     // RFC 7366, Section 2
	extExtendedMasterSecret uint16 = 23     // RFC 7627, Section 5.1
	extSessionTicket        uint16 = 35     // RFC 5077, Section 3.2
	extConnectionID         uint16 = 54     // RFC 9146, Section 3
	extRenegotiationInfo    uint16 = 0xff01 // RFC 5746, Section 3.2
)

// nameTypeHostName is the host_name NameType of RFC 6066, Section 3.
const nameTypeHostName uint8 = 0

// HeartbeatPeerAllowedToSend and HeartbeatPeerNotAllowedToSend are the
// HeartbeatMode values of RFC 6520, Section 2, for Extensions.Heartbeat.
const (
	HeartbeatPeerAllowedToSend    uint8 = 1
	HeartbeatPeerNotAllowedToSend uint8 = 2
)

// Extensions holds the hello extensions pathdtls understands (RFC 5246,
// Section 7.4.1.4):
//
//	struct {
//	    ExtensionType extension_type;
//	    opaque extension_data<0..2^16-1>;
//	} Extension;
//
//	Extension extensions<0..2^16-1>;
//
// Unknown extensions are skipped when parsing; a duplicate extension or an
// extension whose body has bytes left over makes parsing fail. Marshal writes
// them in a fixed order (ascending type, but pre_shared_key last) and writes
// no extensions block at all when none is present; Unmarshal accepts an
// absent block.
//
// The same struct serves every message that carries extensions, so parsing
// does not reject an extension in the wrong message (say, ServerNameAck in a
// ClientHello): the handshake engine checks what a peer may send. Only the
// TLS 1.3 extensions whose layout differs between messages
// (supported_versions, key_share, pre_shared_key) depend on the message
// being parsed; see extensions_tls13.go.
type Extensions struct {
	// ServerName is the one host_name of a ClientHello's server_name
	// extension (0), RFC 6066, Section 3: ASCII, not empty, no trailing dot.
	// Names of other types are skipped when parsing.
	ServerName string
	// ServerNameAck is a server_name extension (0) with an empty body, the
	// form a ServerHello uses (RFC 6066, Section 3).
	ServerNameAck bool
	// SupportedGroups is the named_curve_list of supported_groups (10),
	// RFC 8422, Section 5.1.1.
	SupportedGroups []uint16
	// PointFormats is the ec_point_format_list of ec_point_formats (11),
	// RFC 8422, Section 5.1.2.
	PointFormats []uint8
	// SignatureAlgorithms is the supported_signature_algorithms list of
	// signature_algorithms (13), RFC 5246, Section 7.4.1.4.1.
	SignatureAlgorithms []uint16
	// Heartbeat is the mode of heartbeat (15), RFC 6520, Section 2: 0 when
	// absent, else HeartbeatPeerAllowedToSend or
	// HeartbeatPeerNotAllowedToSend.
	Heartbeat uint8
	// EncryptThenMAC is encrypt_then_mac (22), which has an empty body
	// (RFC 7366, Section 2).
	EncryptThenMAC bool
	// ExtendedMasterSecret is extended_master_secret (23), which has an
	// empty body (RFC 7627, Section 5.1).
	ExtendedMasterSecret bool
	// SecureRenegotiation is whether renegotiation_info (0xff01) is
	// present (RFC 5746, Section 3.2).
	SecureRenegotiation bool
	// RenegotiationInfo is its renegotiated_connection<0..255>, empty in an
	// initial handshake.
	RenegotiationInfo []byte
	// HasConnectionID is whether connection_id (54) is present (RFC 9146,
	// Section 3).
	HasConnectionID bool
	// ConnectionID is its cid<0..2^8-1>: the connection ID the sender
	// wants to find in the records it receives. Empty, with HasConnectionID
	// set, it says that the sender will put the peer's connection ID in the
	// records it sends but wants none in the records it receives.
	ConnectionID []byte
	// HasSessionTicket is whether SessionTicket (35) is present (RFC 5077,
	// Section 3.2).
	HasSessionTicket bool
	// SessionTicket is its extension_data, the ticket itself: empty from a
	// client that has no ticket but would take one, and from a server that
	// will send one.
	SessionTicket []byte
	// HasUseSRTP is whether use_srtp (14) is present (RFC 5764, Section
	// 4.1.1); SRTPProfiles are its SRTPProtectionProfiles, at least one,
	// and SRTPMKI its srtp_mki<0..255>.
	HasUseSRTP   bool
	SRTPProfiles []uint16
	SRTPMKI      []byte
	// ALPNProtocols is the ProtocolNameList of
	// application_layer_protocol_negotiation (16), RFC 7301, Section 3.1:
	// at least one name, each of 1 to 255 bytes. A ServerHello carries
	// exactly one.
	ALPNProtocols []string

	// The fields below are the extensions of TLS 1.3 (RFC 8446, Section
	// 4.2) that DTLS 1.3 uses (RFC 9147, Section 5); extensions_tls13.go
	// holds their encoding.

	// SupportedVersions is the versions<2..254> list of a ClientHello's
	// supported_versions (43), RFC 8446, Section 4.2.1, most preferred
	// first: DTLS 1.3 is 0xfefc and DTLS 1.2 0xfefd (RFC 9147, Section
	// 5.3).
	SupportedVersions []uint16
	// SelectedVersion is the selected_version of supported_versions in a
	// ServerHello or HelloRetryRequest, 0 when absent (0 is no version, and
	// does not parse).
	SelectedVersion uint16
	// HasKeyShares is whether a ClientHello carries key_share (51), RFC
	// 8446, Section 4.2.8, and KeyShares its client_shares: possibly none
	// (a client that waits for a HelloRetryRequest to pick the group),
	// never two of the same group.
	HasKeyShares bool
	KeyShares    []KeyShare
	// ServerShare is the server_share of key_share in a ServerHello; it is
	// absent when both its Group and its Data are zero.
	ServerShare KeyShare
	// HRRGroup is the selected_group of key_share in a HelloRetryRequest,
	// 0 when absent (0 is no group, and does not parse).
	HRRGroup uint16
	// Cookie is the cookie<1..2^16-1> of cookie (44), RFC 8446, Section
	// 4.2.2, which DTLS 1.3 uses instead of HelloVerifyRequest (RFC 9147,
	// Section 5.1). Absent when empty.
	Cookie []byte
	// PSKModes is the ke_modes<1..255> of psk_key_exchange_modes (45), RFC
	// 8446, Section 4.2.9: PSKModeKE or PSKModeDHEKE. Absent when empty.
	PSKModes []uint8
	// PSKIdentities and PSKBinders are the OfferedPsks of a ClientHello's
	// pre_shared_key (41), RFC 8446, Section 4.2.11: at least one
	// identity, and one binder of 32 to 255 bytes per identity. It is the
	// last extension of a ClientHello; PSKBindersLen and SetPSKBinders
	// help compute the binders over the ClientHello that carries them.
	PSKIdentities []PSKIdentity
	PSKBinders    [][]byte
	// HasSelectedIdentity is whether a ServerHello carries pre_shared_key,
	// and SelectedIdentity is its selected_identity.
	HasSelectedIdentity bool
	SelectedIdentity    uint16
	// SignatureAlgorithmsCert is the supported_signature_algorithms_cert
	// list of signature_algorithms_cert (50), RFC 8446, Section 4.2.3.
	SignatureAlgorithmsCert []uint16
	// CertificateAuthorities is the authorities list of
	// certificate_authorities (47), RFC 8446, Section 4.2.4: DER
	// DistinguishedNames, each of 1 to 2^16-1 bytes. Absent when empty.
	CertificateAuthorities [][]byte
	// EarlyData is early_data (42) with the empty body of a ClientHello or
	// an EncryptedExtensions (RFC 8446, Section 4.2.10). pathdtls sends no
	// 0-RTT data; the flag lets the engine see an offer and ignore it.
	EarlyData bool
}

// check reports whether e can be encoded in the message ctx names.
func (e *Extensions) check(ctx extContext) error {
	if e.ServerName != "" && e.ServerNameAck {
		return errors.New("dtls: server_name has both a host name and the empty acknowledgement")
	}
	if e.ServerName != "" && !validHostName([]byte(e.ServerName)) {
		return errors.New("dtls: server_name host name is not an ASCII host name without a trailing dot")
	}
	if e.Heartbeat > HeartbeatPeerNotAllowedToSend {
		return fmt.Errorf("dtls: heartbeat mode %d is not 0 (absent), 1 or 2", e.Heartbeat)
	}
	if !e.SecureRenegotiation && len(e.RenegotiationInfo) > 0 {
		return errors.New("dtls: renegotiation_info data without SecureRenegotiation")
	}
	if !e.HasConnectionID && len(e.ConnectionID) > 0 {
		return errors.New("dtls: connection_id data without HasConnectionID")
	}
	if !e.HasSessionTicket && len(e.SessionTicket) > 0 {
		return errors.New("dtls: SessionTicket data without HasSessionTicket")
	}
	if err := cmp.Or(e.checkMedia(), e.checkTLS13(ctx)); err != nil {
		return err
	}
	// Each extension_data is at most 2^16-1 bytes and also holds the list's
	// length (2 bytes) and, for server_name, a name type and the name's
	// length (3 more); lists of uint16 have an even length.
	return cmp.Or(
		checkLen("server_name host name", len(e.ServerName), 0, 1<<16-1-5),
		checkLen("supported_groups", 2*len(e.SupportedGroups), 0, 1<<16-2-2),
		checkLen("ec_point_formats", len(e.PointFormats), 0, 1<<8-1),
		checkLen("signature_algorithms", 2*len(e.SignatureAlgorithms), 0, 1<<16-2-2),
		checkLen("renegotiation_info", len(e.RenegotiationInfo), 0, 1<<8-1),
		checkLen("connection_id", len(e.ConnectionID), 0, 1<<8-1),
		checkLen("SessionTicket", len(e.SessionTicket), 0, 1<<16-1),
	)
}

// empty reports whether e holds no extension at all.
func (e *Extensions) empty() bool {
	return e.ServerName == "" && !e.ServerNameAck &&
		len(e.SupportedGroups) == 0 && len(e.PointFormats) == 0 &&
		len(e.SignatureAlgorithms) == 0 && e.Heartbeat == 0 &&
		!e.ExtendedMasterSecret && !e.EncryptThenMAC && !e.SecureRenegotiation && !e.HasConnectionID &&
		!e.HasSessionTicket && !e.HasUseSRTP && len(e.ALPNProtocols) == 0 &&
		e.emptyTLS13()
}

// marshal appends the extensions block to a, in extension type order, or
// nothing if e is empty. The caller has checked e.
func (e *Extensions) marshal(a *appender) {
	if e.empty() {
		return
	}
	block := a.begin(2)
	if e.ServerName != "" || e.ServerNameAck {
		at := beginExtension(a, extServerName)
		e.marshalServerName(a)
		a.end(at, 2)
	}
	if len(e.SupportedGroups) > 0 {
		at := beginExtension(a, extSupportedGroups)
		a.uint16List(e.SupportedGroups)
		a.end(at, 2)
	}
	if len(e.PointFormats) > 0 {
		at := beginExtension(a, extECPointFormats)
		a.opaque8(e.PointFormats)
		a.end(at, 2)
	}
	if len(e.SignatureAlgorithms) > 0 {
		at := beginExtension(a, extSignatureAlgorithms)
		a.uint16List(e.SignatureAlgorithms)
		a.end(at, 2)
	}
	e.marshalSRTP(a)
	e.marshalFlags(a)
	e.marshalPreSharedKey(a) // RFC 8446, Section 4.2.11: the last one
	a.end(block, 2)
}

// marshalFlags appends the extensions that carry a flag or a short value.
func (e *Extensions) marshalFlags(a *appender) {
	if e.Heartbeat != 0 {
		at := beginExtension(a, extHeartbeat)
		a.u8(e.Heartbeat)
		a.end(at, 2)
	}
	e.marshalALPN(a)
	if e.EncryptThenMAC {
		a.end(beginExtension(a, extEncryptThenMAC), 2)
	}
	if e.ExtendedMasterSecret {
		a.end(beginExtension(a, extExtendedMasterSecret), 2)
	}
	if e.HasSessionTicket {
		at := beginExtension(a, extSessionTicket)
		a.bytes(e.SessionTicket)
		a.end(at, 2)
	}
	e.marshalTLS13(a)
	if e.HasConnectionID {
		at := beginExtension(a, extConnectionID)
		a.opaque8(e.ConnectionID)
		a.end(at, 2)
	}
	if e.SecureRenegotiation {
		at := beginExtension(a, extRenegotiationInfo)
		a.opaque8(e.RenegotiationInfo)
		a.end(at, 2)
	}
}

// beginExtension opens one Extension of type typ; the caller appends its
// extension_data and closes it with a.end(at, 2).
func beginExtension(a *appender, typ uint16) (at int) {
	a.u16(typ)
	return a.begin(2)
}

// marshalServerName writes the server_name extension_data: empty for the
// acknowledgement, else a ServerNameList holding one host_name.
func (e *Extensions) marshalServerName(a *appender) {
	if e.ServerNameAck {
		return
	}
	at := a.begin(2)
	a.u8(nameTypeHostName)
	a.opaque16([]byte(e.ServerName))
	a.end(at, 2)
}

// unmarshal parses the rest of a hello message, s, as an optional extensions
// block of the message ctx names, and requires nothing after it. It resets e
// first.
func (e *Extensions) unmarshal(s *cryptobyte.String, ctx extContext) bool {
	*e = Extensions{}
	if s.Empty() {
		return true // RFC 5246, Section 7.4.1.2: the block may be absent
	}
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) || !s.Empty() {
		return false
	}
	seen := make(map[uint16]bool)
	for !block.Empty() {
		var typ uint16
		var body cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&body) {
			return false
		}
		if seen[typ] {
			return false // RFC 5246, Section 7.4.1.4
		}
		seen[typ] = true
		if !e.unmarshalOne(typ, body, ctx) {
			return false
		}
		if typ == extPreSharedKey && ctx == inClientHello && !block.Empty() {
			return false // RFC 8446, Section 4.2.11: it MUST be the last
		}
	}
	return true
}

// unmarshalOne parses the extension_data of one extension of type typ,
// skipping types it does not know.
func (e *Extensions) unmarshalOne(typ uint16, body cryptobyte.String, ctx extContext) bool {
	var ok bool
	switch typ {
	case extServerName:
		ok = e.unmarshalServerName(&body)
	case extSupportedGroups:
		ok = readUint16List(&body, &e.SupportedGroups)
	case extECPointFormats:
		ok = readOpaque8(&body, &e.PointFormats, 1)
	case extSignatureAlgorithms:
		ok = readUint16List(&body, &e.SignatureAlgorithms)
	case extHeartbeat:
		ok = body.ReadUint8(&e.Heartbeat) &&
			(e.Heartbeat == HeartbeatPeerAllowedToSend || e.Heartbeat == HeartbeatPeerNotAllowedToSend)
	case extExtendedMasterSecret:
		e.ExtendedMasterSecret, ok = true, true
	case extEncryptThenMAC:
		e.EncryptThenMAC, ok = true, true
	case extSessionTicket:
		// The extension_data is the ticket, whatever its bytes.
		e.HasSessionTicket, e.SessionTicket = true, slices.Clip([]byte(body))
		body, ok = nil, true
	case extConnectionID:
		e.HasConnectionID = true
		ok = readOpaque8(&body, &e.ConnectionID, 0)
	case extRenegotiationInfo:
		e.SecureRenegotiation = true
		ok = readOpaque8(&body, &e.RenegotiationInfo, 0)
	case extUseSRTP:
		e.HasUseSRTP = true
		ok = readUint16List(&body, &e.SRTPProfiles) && readOpaque8(&body, &e.SRTPMKI, 0)
	case extALPN:
		ok = e.unmarshalALPN(&body)
	default:
		return e.unmarshalTLS13(typ, body, ctx) // or skip an unknown type
	}
	return ok && body.Empty()
}

// unmarshalServerName parses server_name extension_data (RFC 6066,
// Section 3):
//
//	struct {
//	    NameType name_type;
//	    select (name_type) {
//	        case host_name: HostName;
//	    } name;
//	} ServerName;
//
//	opaque HostName<1..2^16-1>;
//
//	struct {
//	    ServerName server_name_list<1..2^16-1>
//	} ServerNameList;
//
// Every name is read as opaque<1..2^16-1>, the layout RFC 6066 keeps for
// future name types, so names of unknown types can be skipped.
func (e *Extensions) unmarshalServerName(body *cryptobyte.String) bool {
	if body.Empty() {
		e.ServerNameAck = true
		return true
	}
	var list cryptobyte.String
	if !body.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return false
	}
	for !list.Empty() {
		var nameType uint8
		var name []byte
		if !list.ReadUint8(&nameType) || !readOpaque16(&list, &name, 1) {
			return false
		}
		if nameType != nameTypeHostName {
			continue
		}
		// "The ServerNameList MUST NOT contain more than one name of the
		// same name_type."
		if e.ServerName != "" || !validHostName(name) {
			return false
		}
		e.ServerName = string(name)
	}
	return true
}

// validHostName reports whether name is a HostName as RFC 6066, Section 3
// describes it: non-empty printable ASCII without a trailing dot. Whether
// the name is a DNS name the caller wants is the caller's business.
func validHostName(name []byte) bool {
	if len(name) == 0 || name[len(name)-1] == '.' {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
