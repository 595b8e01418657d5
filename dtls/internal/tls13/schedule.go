package tls13

import "crypto"

// The labels of the key schedule (RFC 8446, Section 7.1), without the
// prefix, which ExpandLabel adds.
const (
	labelDerived          = "derived"
	labelExternalBinder   = "ext binder"
	labelResumptionBinder = "res binder"
	labelClientEarly      = "c e traffic"
	labelEarlyExporter    = "e exp master"
	labelClientHandshake  = "c hs traffic"
	labelServerHandshake  = "s hs traffic"
	labelClientAppTraffic = "c ap traffic"
	labelServerAppTraffic = "s ap traffic"
	labelExporterMaster   = "exp master"
	labelResumptionMaster = "res master"
)

// EarlySecret is the first stage of the key schedule (RFC 8446,
// Section 7.1): HKDF-Extract(0, PSK), from which the binder keys, the early
// traffic secret and the handshake secret derive.
type EarlySecret struct {
	hash   crypto.Hash
	secret []byte
}

// NewEarlySecret returns the early secret of a handshake whose cipher suite
// hashes with h, from the pre-shared key psk; a nil or empty psk stands for
// Hash.length zero bytes, as in a handshake without a PSK (RFC 8446,
// Section 7.1):
//
//	Early Secret = HKDF-Extract(salt = 0, IKM = PSK)
func NewEarlySecret(h crypto.Hash, psk []byte) *EarlySecret {
	return &EarlySecret{hash: h, secret: extract(h, psk, nil)}
}

// Secret returns the early secret itself, as the key log of a test might
// want it. The caller must not modify it.
func (s *EarlySecret) Secret() []byte { return s.secret }

// ExternalBinderKey returns the binder key of an external PSK,
// Derive-Secret(., "ext binder", "") (RFC 8446, Section 7.1), the base key
// of its PSK binder (RFC 8446, Section 4.2.11.2; see FinishedVerifyData).
func (s *EarlySecret) ExternalBinderKey() []byte {
	return DeriveSecret(s.hash, s.secret, labelExternalBinder, EmptyHash(s.hash))
}

// ResumptionBinderKey returns the binder key of a resumption PSK,
// Derive-Secret(., "res binder", "") (RFC 8446, Section 7.1).
func (s *EarlySecret) ResumptionBinderKey() []byte {
	return DeriveSecret(s.hash, s.secret, labelResumptionBinder, EmptyHash(s.hash))
}

// ClientEarlyTrafficSecret returns client_early_traffic_secret,
// Derive-Secret(., "c e traffic", ClientHello) (RFC 8446, Section 7.1),
// which protects 0-RTT data (epoch 1 in DTLS 1.3, RFC 9147, Section 6.1).
// transcriptHash is the hash of the transcript through the ClientHello.
func (s *EarlySecret) ClientEarlyTrafficSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelClientEarly, transcriptHash)
}

// EarlyExporterMasterSecret returns early_exporter_master_secret,
// Derive-Secret(., "e exp master", ClientHello) (RFC 8446, Section 7.1).
func (s *EarlySecret) EarlyExporterMasterSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelEarlyExporter, transcriptHash)
}

// HandshakeSecret returns the second stage of the key schedule from the
// (EC)DHE shared secret; a nil or empty sharedSecret stands for Hash.length
// zero bytes, as in a psk_ke handshake (RFC 8446, Section 7.1):
//
//	Handshake Secret = HKDF-Extract(
//	    salt = Derive-Secret(Early Secret, "derived", ""),
//	    IKM = (EC)DHE)
func (s *EarlySecret) HandshakeSecret(sharedSecret []byte) *HandshakeSecret {
	salt := DeriveSecret(s.hash, s.secret, labelDerived, EmptyHash(s.hash))
	return &HandshakeSecret{hash: s.hash, secret: extract(s.hash, sharedSecret, salt)}
}

// HandshakeSecret is the second stage of the key schedule (RFC 8446,
// Section 7.1), from which the handshake traffic secrets and the master
// secret derive.
type HandshakeSecret struct {
	hash   crypto.Hash
	secret []byte
}

// Secret returns the handshake secret itself. The caller must not modify
// it.
func (s *HandshakeSecret) Secret() []byte { return s.secret }

// ClientTrafficSecret returns client_handshake_traffic_secret,
// Derive-Secret(., "c hs traffic", ClientHello...ServerHello) (RFC 8446,
// Section 7.1), which protects the client's epoch 2 (RFC 9147,
// Section 6.1).
func (s *HandshakeSecret) ClientTrafficSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelClientHandshake, transcriptHash)
}

// ServerTrafficSecret returns server_handshake_traffic_secret,
// Derive-Secret(., "s hs traffic", ClientHello...ServerHello) (RFC 8446,
// Section 7.1).
func (s *HandshakeSecret) ServerTrafficSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelServerHandshake, transcriptHash)
}

// MasterSecret returns the last stage of the key schedule (RFC 8446,
// Section 7.1):
//
//	Master Secret = HKDF-Extract(
//	    salt = Derive-Secret(Handshake Secret, "derived", ""),
//	    IKM = 0)
func (s *HandshakeSecret) MasterSecret() *MasterSecret {
	salt := DeriveSecret(s.hash, s.secret, labelDerived, EmptyHash(s.hash))
	return &MasterSecret{hash: s.hash, secret: extract(s.hash, nil, salt)}
}

// MasterSecret is the last stage of the key schedule (RFC 8446,
// Section 7.1), from which the application traffic secrets, the exporter
// master secret and the resumption master secret derive.
type MasterSecret struct {
	hash   crypto.Hash
	secret []byte
}

// Secret returns the master secret itself. The caller must not modify it.
func (s *MasterSecret) Secret() []byte { return s.secret }

// ClientTrafficSecret returns client_application_traffic_secret_0,
// Derive-Secret(., "c ap traffic", ClientHello...server Finished)
// (RFC 8446, Section 7.1), which protects the client's epoch 3 (RFC 9147,
// Section 6.1).
func (s *MasterSecret) ClientTrafficSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelClientAppTraffic, transcriptHash)
}

// ServerTrafficSecret returns server_application_traffic_secret_0,
// Derive-Secret(., "s ap traffic", ClientHello...server Finished)
// (RFC 8446, Section 7.1).
func (s *MasterSecret) ServerTrafficSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelServerAppTraffic, transcriptHash)
}

// ExporterMasterSecret returns exporter_master_secret,
// Derive-Secret(., "exp master", ClientHello...server Finished) (RFC 8446,
// Section 7.1), the secret of ExportKeyingMaterial.
func (s *MasterSecret) ExporterMasterSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelExporterMaster, transcriptHash)
}

// ResumptionMasterSecret returns resumption_master_secret,
// Derive-Secret(., "res master", ClientHello...client Finished) (RFC 8446,
// Section 7.1), from which ResumptionPSK derives each ticket's PSK. Note
// that its transcript ends with the client's Finished, not the server's.
func (s *MasterSecret) ResumptionMasterSecret(transcriptHash []byte) []byte {
	return DeriveSecret(s.hash, s.secret, labelResumptionMaster, transcriptHash)
}
