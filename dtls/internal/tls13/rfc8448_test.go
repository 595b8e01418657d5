package tls13

import (
	"crypto"
	"testing"
)

// TestRFC8448Simple runs the key schedule and the transcript over the
// "Simple 1-RTT Handshake" of RFC 8448, Section 3, with the TLS 1.3 prefix.
func TestRFC8448Simple(t *testing.T) {
	withPrefix(t, "tls13 ")
	v := readVectors(t, "testdata/rfc8448.txt")
	get := func(name string) []byte { return v.get(t, "3/"+name) }
	const h = crypto.SHA256

	tr := NewTranscript(h)
	addMessage(t, tr, get("ClientHello"))
	addMessage(t, tr, get("ServerHello"))
	helloHash := tr.Sum(nil)
	check(t, "hello hash", helloHash, get("hello hash"))

	early := NewEarlySecret(h, nil)
	check(t, "early secret", early.Secret(), get("early"))
	check(t, "derived", DeriveSecret(h, early.Secret(), "derived", EmptyHash(h)), get("derived"))
	hs := early.HandshakeSecret(get("ecdhe"))
	check(t, "handshake secret", hs.Secret(), get("handshake"))
	cHS := hs.ClientTrafficSecret(helloHash)
	sHS := hs.ServerTrafficSecret(helloHash)
	check(t, "c hs traffic", cHS, get("c hs traffic"))
	check(t, "s hs traffic", sHS, get("s hs traffic"))
	checkKeys(t, "s hs", sHS, get("s hs key"), get("s hs iv"))
	checkKeys(t, "c hs", cHS, get("c hs key"), get("c hs iv"))
	check(t, "derived for master", DeriveSecret(h, hs.Secret(), "derived", EmptyHash(h)), get("derived for master"))
	ms := hs.MasterSecret()
	check(t, "master secret", ms.Secret(), get("master"))

	for _, m := range []string{"EncryptedExtensions", "Certificate", "CertificateVerify"} {
		addMessage(t, tr, get(m))
	}
	cvHash := tr.Sum(nil)
	check(t, "s finished key", FinishedKey(h, sHS), get("s finished key"))
	check(t, "s finished", FinishedVerifyData(h, sHS, cvHash), get("s finished"))
	if !VerifyFinished(h, sHS, cvHash, get("s finished")) {
		t.Error("VerifyFinished refused the server's Finished")
	}
	addMessage(t, tr, get("server Finished"))
	finHash := tr.Sum(nil)
	check(t, "server finished hash", finHash, get("finished hash"))
	cAP := ms.ClientTrafficSecret(finHash)
	sAP := ms.ServerTrafficSecret(finHash)
	check(t, "c ap traffic", cAP, get("c ap traffic"))
	check(t, "s ap traffic", sAP, get("s ap traffic"))
	check(t, "exp master", ms.ExporterMasterSecret(finHash), get("exp master"))
	checkKeys(t, "s ap", sAP, get("s ap key"), get("s ap iv"))
	checkKeys(t, "c ap", cAP, get("c ap key"), get("c ap iv"))
	check(t, "c finished key", FinishedKey(h, cHS), get("c finished key"))
	check(t, "c finished", FinishedVerifyData(h, cHS, finHash), get("c finished"))

	addMessage(t, tr, get("client Finished"))
	clientFinHash := tr.Sum(nil)
	check(t, "client finished hash", clientFinHash, get("client finished hash"))
	rms := ms.ResumptionMasterSecret(clientFinHash)
	check(t, "res master", rms, get("res master"))
	check(t, "resumption psk", ResumptionPSK(h, rms, v.get(t, "4/ticket nonce")), v.get(t, "4/psk"))
}

// checkKeys checks the key and IV TrafficKeys derives from secret, and that
// its record number key is the "sn" expansion as long as the key.
func checkKeys(t *testing.T, what string, secret, wantKey, wantIV []byte) {
	t.Helper()
	key, iv, sn := TrafficKeys(crypto.SHA256, secret, len(wantKey), len(wantIV))
	check(t, what+" key", key, wantKey)
	check(t, what+" iv", iv, wantIV)
	check(t, what+" sn", sn, ExpandLabel(crypto.SHA256, secret, "sn", nil, len(wantKey)))
}

// TestRFC8448Resumed runs the "Resumed 0-RTT Handshake" of RFC 8448,
// Section 4: the PSK binder over the truncated ClientHello, the early
// secrets and the handshake secret from both the PSK and (EC)DHE.
func TestRFC8448Resumed(t *testing.T) {
	withPrefix(t, "tls13 ")
	v := readVectors(t, "testdata/rfc8448.txt")
	get := func(name string) []byte { return v.get(t, "4/"+name) }
	const h = crypto.SHA256

	early := NewEarlySecret(h, get("psk"))
	check(t, "early secret", early.Secret(), get("early"))
	binderKey := early.ResumptionBinderKey()
	check(t, "binder key", binderKey, get("binder key"))

	// The ClientHello's header announces the whole body, binders included:
	// a 2-byte list length, a 1-byte binder length and the binder.
	prefix := get("ClientHello prefix")
	bodyLen := int(prefix[1])<<16 | int(prefix[2])<<8 | int(prefix[3])
	tr := NewTranscript(h)
	binderHash := tr.BinderHash(nil, prefix[4:], bodyLen)
	check(t, "binder hash", binderHash, get("binder hash"))
	check(t, "binder finished key", FinishedKey(h, binderKey), get("binder finished key"))
	binder := FinishedVerifyData(h, binderKey, binderHash)
	check(t, "binder", binder, get("binder"))

	body := append(append(append([]byte{}, prefix[4:]...), 0x00, 0x21, 0x20), binder...)
	if len(body) != bodyLen {
		t.Fatalf("ClientHello body is %d bytes, its header says %d", len(body), bodyLen)
	}
	if !tr.Add(typeClientHello, body) {
		t.Fatal("Add refused the ClientHello")
	}
	chHash := tr.Sum(nil)
	check(t, "client hello hash", chHash, get("client hello hash"))
	cE := early.ClientEarlyTrafficSecret(chHash)
	check(t, "c e traffic", cE, get("c e traffic"))
	check(t, "e exp master", early.EarlyExporterMasterSecret(chHash), get("e exp master"))
	checkKeys(t, "c e", cE, get("c e key"), get("c e iv"))

	addMessage(t, tr, get("ServerHello"))
	helloHash := tr.Sum(nil)
	check(t, "derived", DeriveSecret(h, early.Secret(), "derived", EmptyHash(h)), get("derived"))
	hs := early.HandshakeSecret(get("ecdhe"))
	check(t, "handshake secret", hs.Secret(), get("handshake"))
	sHS := hs.ServerTrafficSecret(helloHash)
	check(t, "c hs traffic", hs.ClientTrafficSecret(helloHash), get("c hs traffic"))
	check(t, "s hs traffic", sHS, get("s hs traffic"))
	checkKeys(t, "s hs", sHS, get("s hs key"), get("s hs iv"))
	check(t, "derived for master", DeriveSecret(h, hs.Secret(), "derived", EmptyHash(h)), get("derived for master"))
	check(t, "master secret", hs.MasterSecret().Secret(), get("master"))
}

// TestHkdfLabelRFC8448 checks the HkdfLabel bytes against the "info" values
// RFC 8448 prints for its expansions.
func TestHkdfLabelRFC8448(t *testing.T) {
	v := readVectors(t, "testdata/rfc8448.txt")
	tests := []struct {
		vector, label string
		context       []byte
		length        int
	}{
		{"3/derived info", "derived", EmptyHash(crypto.SHA256), 32},
		{"3/c hs info", "c hs traffic", v.get(t, "3/hello hash"), 32},
		{"3/key info", "key", nil, 16},
		{"3/iv info", "iv", nil, 12},
		{"3/finished info", "finished", nil, 32},
		{"3/res master info", "res master", v.get(t, "3/client finished hash"), 32},
		{"4/resumption info", "resumption", v.get(t, "4/ticket nonce"), 32},
	}
	for _, tt := range tests {
		check(t, tt.vector, hkdfLabel("tls13 ", tt.label, tt.context, tt.length), v.get(t, tt.vector))
	}
}
