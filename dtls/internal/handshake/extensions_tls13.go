package handshake

import (
	"cmp"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// The extensions of TLS 1.3 (RFC 8446, Section 4.2) that DTLS 1.3 uses
// (RFC 9147, Section 5), from the IANA "TLS ExtensionType Values" registry.
// connection_id (54), which RFC 9147, Section 9 reuses unchanged from RFC
// 9146, is in extensions.go.
const (
	extPreSharedKey            uint16 = 41 // RFC 8446, Section 4.2.11
	extEarlyData               uint16 = 42 // RFC 8446, Section 4.2.10
	extSupportedVersions       uint16 = 43 // RFC 8446, Section 4.2.1
	extCookie                  uint16 = 44 // RFC 8446, Section 4.2.2
	extPSKKeyExchangeModes     uint16 = 45 // RFC 8446, Section 4.2.9
	extCertificateAuthorities  uint16 = 47 // RFC 8446, Section 4.2.4
	extSignatureAlgorithmsCert uint16 = 50 // RFC 8446, Section 4.2.3
	extKeyShare                uint16 = 51 // RFC 8446, Section 4.2.8
)

// PSKModeKE and PSKModeDHEKE are the PskKeyExchangeMode values of RFC 8446,
// Section 4.2.9, for Extensions.PSKModes: PSK-only key establishment, and
// PSK with (EC)DHE.
const (
	PSKModeKE    uint8 = 0
	PSKModeDHEKE uint8 = 1
)

// KeyShare is a KeyShareEntry of RFC 8446, Section 4.2.8:
//
//	struct {
//	    NamedGroup group;
//	    opaque key_exchange<1..2^16-1>;
//	} KeyShareEntry;
//
// After parsing, Data aliases the body that was parsed.
type KeyShare struct {
	Group uint16
	Data  []byte
}

// PSKIdentity is a PskIdentity of RFC 8446, Section 4.2.11:
//
//	struct {
//	    opaque identity<1..2^16-1>;
//	    uint32 obfuscated_ticket_age;
//	} PskIdentity;
//
// After parsing, Identity aliases the body that was parsed.
type PSKIdentity struct {
	Identity            []byte
	ObfuscatedTicketAge uint32
}

// extContext names the message an extensions block is in. It picks the form
// of the extensions whose layout depends on the message (RFC 8446, Section
// 4.2.1, 4.2.8 and 4.2.11):
//
//	                    ClientHello      ServerHello        HelloRetryRequest
//	supported_versions  versions<2..254> selected_version   selected_version
//	key_share           client_shares    server_share       selected_group
//	pre_shared_key      OfferedPsks      selected_identity  -
//
// In a message without a form for one of them (a HelloRetryRequest's
// pre_shared_key; any of them in EncryptedExtensions or CertificateRequest),
// the extension does not parse: RFC 8446, Section 4.2 wants the handshake
// aborted, with illegal_parameter where this package's callers send
// decode_error. Marshal refuses such a field in the same way.
type extContext uint8

const (
	inClientHello extContext = iota
	inServerHello
	inHelloRetryRequest
	inEncryptedExtensions
	inCertificateRequest
)

var extContextNames = [...]string{
	inClientHello:         "ClientHello",
	inServerHello:         "ServerHello",
	inHelloRetryRequest:   "HelloRetryRequest",
	inEncryptedExtensions: "EncryptedExtensions",
	inCertificateRequest:  "CertificateRequest",
}

func (c extContext) String() string { return extContextNames[c] }

// hasServerShare reports whether e holds a ServerHello's key_share.
func (e *Extensions) hasServerShare() bool {
	return e.ServerShare.Group != 0 || len(e.ServerShare.Data) > 0
}

// emptyTLS13 reports whether e holds none of the TLS 1.3 extensions.
func (e *Extensions) emptyTLS13() bool {
	return len(e.SupportedVersions) == 0 && e.SelectedVersion == 0 &&
		!e.HasKeyShares && len(e.KeyShares) == 0 && !e.hasServerShare() && e.HRRGroup == 0 &&
		len(e.Cookie) == 0 && len(e.PSKModes) == 0 &&
		len(e.PSKIdentities) == 0 && len(e.PSKBinders) == 0 && !e.HasSelectedIdentity &&
		len(e.SignatureAlgorithmsCert) == 0 && len(e.CertificateAuthorities) == 0 && !e.EarlyData
}

// checkTLS13 reports whether the TLS 1.3 extensions of e can be encoded in
// the message ctx names. Totals that overflow an extension's 16-bit length
// are caught by the appender.
func (e *Extensions) checkTLS13(ctx extContext) error {
	if err := e.checkForms(ctx); err != nil {
		return err
	}
	if err := e.checkKeyShares(); err != nil {
		return err
	}
	if err := e.checkPSK(); err != nil {
		return err
	}
	for i, dn := range e.CertificateAuthorities {
		if err := checkLen(fmt.Sprintf("certificate_authorities[%d]", i), len(dn), 1, 1<<16-1); err != nil {
			return err
		}
	}
	return cmp.Or(
		checkLen("supported_versions", 2*len(e.SupportedVersions), 0, 254),
		checkLen("cookie", len(e.Cookie), 0, 1<<16-1-2),
		checkLen("psk_key_exchange_modes", len(e.PSKModes), 0, 1<<8-1),
		checkLen("signature_algorithms_cert", 2*len(e.SignatureAlgorithmsCert), 0, 1<<16-2-2),
	)
}

// checkForms reports an error if e holds a form of supported_versions,
// key_share or pre_shared_key that the message ctx names does not carry.
func (e *Extensions) checkForms(ctx extContext) error {
	client := ctx == inClientHello
	server := ctx == inServerHello || ctx == inHelloRetryRequest
	var name string
	switch {
	case len(e.SupportedVersions) > 0 && !client, e.SelectedVersion != 0 && !server:
		name = "supported_versions"
	case (e.HasKeyShares || len(e.KeyShares) > 0) && !client,
		e.hasServerShare() && ctx != inServerHello,
		e.HRRGroup != 0 && ctx != inHelloRetryRequest:
		name = "key_share"
	case (len(e.PSKIdentities) > 0 || len(e.PSKBinders) > 0) && !client,
		e.HasSelectedIdentity && ctx != inServerHello:
		name = "pre_shared_key"
	default:
		return nil
	}
	return fmt.Errorf("dtls: %s in a form that a %v does not carry", name, ctx)
}

// checkKeyShares reports whether the key_share fields can be encoded.
func (e *Extensions) checkKeyShares() error {
	if !e.HasKeyShares && len(e.KeyShares) > 0 {
		return errors.New("dtls: key_share entries without HasKeyShares")
	}
	seen := make(map[uint16]bool, len(e.KeyShares))
	for i, ks := range e.KeyShares {
		if seen[ks.Group] {
			return fmt.Errorf("dtls: key_share has group %#04x twice", ks.Group)
		}
		seen[ks.Group] = true
		if err := checkLen(fmt.Sprintf("key_share[%d] key_exchange", i), len(ks.Data), 1, 1<<16-1); err != nil {
			return err
		}
	}
	if e.hasServerShare() {
		return checkLen("key_share server_share key_exchange", len(e.ServerShare.Data), 1, 1<<16-1-4)
	}
	return nil
}

// checkPSK reports whether the pre_shared_key fields can be encoded.
func (e *Extensions) checkPSK() error {
	if len(e.PSKIdentities) != len(e.PSKBinders) {
		return fmt.Errorf("dtls: pre_shared_key has %d identities but %d binders", len(e.PSKIdentities), len(e.PSKBinders))
	}
	for i, id := range e.PSKIdentities {
		if err := checkLen(fmt.Sprintf("pre_shared_key identity[%d]", i), len(id.Identity), 1, 1<<16-1); err != nil {
			return err
		}
	}
	for i, b := range e.PSKBinders {
		if err := checkLen(fmt.Sprintf("pre_shared_key binder[%d]", i), len(b), 32, 1<<8-1); err != nil {
			return err
		}
	}
	return nil
}

// marshalTLS13 appends the TLS 1.3 extensions but pre_shared_key, in type
// order (42 to 51).
func (e *Extensions) marshalTLS13(a *appender) {
	if e.EarlyData {
		a.end(beginExtension(a, extEarlyData), 2)
	}
	if len(e.SupportedVersions) > 0 {
		at := beginExtension(a, extSupportedVersions)
		list := a.begin(1)
		for _, v := range e.SupportedVersions {
			a.u16(v)
		}
		a.end(list, 1)
		a.end(at, 2)
	} else if e.SelectedVersion != 0 {
		at := beginExtension(a, extSupportedVersions)
		a.u16(e.SelectedVersion)
		a.end(at, 2)
	}
	if len(e.Cookie) > 0 {
		at := beginExtension(a, extCookie)
		a.opaque16(e.Cookie)
		a.end(at, 2)
	}
	if len(e.PSKModes) > 0 {
		at := beginExtension(a, extPSKKeyExchangeModes)
		a.opaque8(e.PSKModes)
		a.end(at, 2)
	}
	if len(e.CertificateAuthorities) > 0 {
		at := beginExtension(a, extCertificateAuthorities)
		list := a.begin(2)
		for _, dn := range e.CertificateAuthorities {
			a.opaque16(dn)
		}
		a.end(list, 2)
		a.end(at, 2)
	}
	if len(e.SignatureAlgorithmsCert) > 0 {
		at := beginExtension(a, extSignatureAlgorithmsCert)
		a.uint16List(e.SignatureAlgorithmsCert)
		a.end(at, 2)
	}
	e.marshalKeyShare(a)
}

// marshalKeyShare appends key_share in whichever form e holds.
func (e *Extensions) marshalKeyShare(a *appender) {
	switch {
	case e.HasKeyShares:
		at := beginExtension(a, extKeyShare)
		list := a.begin(2)
		for _, ks := range e.KeyShares {
			a.u16(ks.Group)
			a.opaque16(ks.Data)
		}
		a.end(list, 2)
		a.end(at, 2)
	case e.hasServerShare():
		at := beginExtension(a, extKeyShare)
		a.u16(e.ServerShare.Group)
		a.opaque16(e.ServerShare.Data)
		a.end(at, 2)
	case e.HRRGroup != 0:
		at := beginExtension(a, extKeyShare)
		a.u16(e.HRRGroup)
		a.end(at, 2)
	}
}

// marshalPreSharedKey appends pre_shared_key in whichever form e holds. The
// caller appends nothing after it, so that a ClientHello's binders end the
// message.
func (e *Extensions) marshalPreSharedKey(a *appender) {
	switch {
	case len(e.PSKIdentities) > 0:
		at := beginExtension(a, extPreSharedKey)
		ids := a.begin(2)
		for _, id := range e.PSKIdentities {
			a.opaque16(id.Identity)
			a.u32(id.ObfuscatedTicketAge)
		}
		a.end(ids, 2)
		binders := a.begin(2)
		for _, b := range e.PSKBinders {
			a.opaque8(b)
		}
		a.end(binders, 2)
		a.end(at, 2)
	case e.HasSelectedIdentity:
		at := beginExtension(a, extPreSharedKey)
		a.u16(e.SelectedIdentity)
		a.end(at, 2)
	}
}

// unmarshalTLS13 parses the extension_data of one TLS 1.3 extension of type
// typ in the message ctx names, and skips types it does not know.
func (e *Extensions) unmarshalTLS13(typ uint16, body cryptobyte.String, ctx extContext) bool {
	var ok bool
	switch typ {
	case extEarlyData:
		e.EarlyData, ok = true, true
	case extSupportedVersions:
		ok = e.unmarshalVersions(&body, ctx)
	case extCookie:
		ok = readOpaque16(&body, &e.Cookie, 1)
	case extPSKKeyExchangeModes:
		ok = readOpaque8(&body, &e.PSKModes, 1)
	case extCertificateAuthorities:
		ok = readDNList(&body, &e.CertificateAuthorities)
	case extSignatureAlgorithmsCert:
		ok = readUint16List(&body, &e.SignatureAlgorithmsCert)
	case extKeyShare:
		ok = e.unmarshalKeyShare(&body, ctx)
	case extPreSharedKey:
		ok = e.unmarshalPreSharedKey(&body, ctx)
	default:
		return true
	}
	return ok && body.Empty()
}

// unmarshalVersions parses supported_versions (RFC 8446, Section 4.2.1):
//
//	struct {
//	    select (Handshake.msg_type) {
//	        case client_hello:
//	             ProtocolVersion versions<2..254>;
//	        case server_hello: /* and HelloRetryRequest */
//	             ProtocolVersion selected_version;
//	    };
//	} SupportedVersions;
func (e *Extensions) unmarshalVersions(body *cryptobyte.String, ctx extContext) bool {
	switch ctx {
	case inClientHello:
		var list cryptobyte.String
		if !body.ReadUint8LengthPrefixed(&list) || list.Empty() || len(list)%2 != 0 {
			return false
		}
		e.SupportedVersions = make([]uint16, 0, len(list)/2)
		for !list.Empty() {
			var v uint16
			list.ReadUint16(&v)
			e.SupportedVersions = append(e.SupportedVersions, v)
		}
		return true
	case inServerHello, inHelloRetryRequest:
		return body.ReadUint16(&e.SelectedVersion) && e.SelectedVersion != 0
	}
	return false
}

// unmarshalKeyShare parses key_share (RFC 8446, Section 4.2.8):
//
//	struct {
//	    KeyShareEntry client_shares<0..2^16-1>;
//	} KeyShareClientHello;
//
//	struct {
//	    NamedGroup selected_group;
//	} KeyShareHelloRetryRequest;
//
//	struct {
//	    KeyShareEntry server_share;
//	} KeyShareServerHello;
//
// A ClientHello offering one group twice does not parse ("Clients MUST NOT
// offer multiple KeyShareEntry values for the same group").
func (e *Extensions) unmarshalKeyShare(body *cryptobyte.String, ctx extContext) bool {
	switch ctx {
	case inClientHello:
		var list cryptobyte.String
		if !body.ReadUint16LengthPrefixed(&list) {
			return false
		}
		e.HasKeyShares = true
		seen := make(map[uint16]bool)
		for !list.Empty() {
			var ks KeyShare
			if !list.ReadUint16(&ks.Group) || !readOpaque16(&list, &ks.Data, 1) || seen[ks.Group] {
				return false
			}
			seen[ks.Group] = true
			e.KeyShares = append(e.KeyShares, ks)
		}
		return true
	case inServerHello:
		return body.ReadUint16(&e.ServerShare.Group) && readOpaque16(body, &e.ServerShare.Data, 1)
	case inHelloRetryRequest:
		return body.ReadUint16(&e.HRRGroup) && e.HRRGroup != 0
	}
	return false
}

// unmarshalPreSharedKey parses pre_shared_key (RFC 8446, Section 4.2.11):
//
//	opaque PskBinderEntry<32..255>;
//
//	struct {
//	    PskIdentity identities<7..2^16-1>;
//	    PskBinderEntry binders<33..2^16-1>;
//	} OfferedPsks;
//
//	struct {
//	    select (Handshake.msg_type) {
//	        case client_hello: OfferedPsks;
//	        case server_hello: uint16 selected_identity;
//	    };
//	} PreSharedKeyExtension;
//
// OfferedPsks must have as many binders as identities. Its place, last in
// the ClientHello, is checked by the caller.
func (e *Extensions) unmarshalPreSharedKey(body *cryptobyte.String, ctx extContext) bool {
	switch ctx {
	case inClientHello:
		var ids, binders cryptobyte.String
		if !body.ReadUint16LengthPrefixed(&ids) || ids.Empty() ||
			!body.ReadUint16LengthPrefixed(&binders) || binders.Empty() {
			return false
		}
		for !ids.Empty() {
			var id PSKIdentity
			if !readOpaque16(&ids, &id.Identity, 1) || !ids.ReadUint32(&id.ObfuscatedTicketAge) {
				return false
			}
			e.PSKIdentities = append(e.PSKIdentities, id)
		}
		for !binders.Empty() {
			var b []byte
			if !readOpaque8(&binders, &b, 32) {
				return false
			}
			e.PSKBinders = append(e.PSKBinders, b)
		}
		return len(e.PSKBinders) == len(e.PSKIdentities)
	case inServerHello:
		e.HasSelectedIdentity = true
		return body.ReadUint16(&e.SelectedIdentity)
	}
	return false
}

// readDNList reads a DistinguishedName authorities<3..2^16-1> list (RFC
// 8446, Section 4.2.4): at least one DistinguishedName, each
// opaque<1..2^16-1>.
func readDNList(s *cryptobyte.String, out *[][]byte) bool {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return false
	}
	for !list.Empty() {
		var dn []byte
		if !readOpaque16(&list, &dn, 1) {
			return false
		}
		*out = append(*out, dn)
	}
	return true
}
