package tls13

import (
	"bytes"
	"crypto"
	"crypto/hkdf"
	"crypto/sha256"
	"strings"
	"testing"
)

// TestHkdfLabelDTLS checks, byte by byte, the HkdfLabel ExpandLabel builds
// with the DTLS 1.3 prefix (RFC 8446, Section 7.1; RFC 9147, Section 5.9):
// the output length, then "dtls13" and the label with no space between them
// behind a one-byte length, then the context behind a one-byte length.
func TestHkdfLabelDTLS(t *testing.T) {
	ctx := []byte{0x86, 0x0c, 0x06, 0xed}
	got := hkdfLabel(labelPrefix, "c hs traffic", ctx, 32)
	want := []byte{
		0x00, 0x20, // uint16 length = 32
		18,                                // label length: 6 + 12
		'd', 't', 'l', 's', '1', '3', 'c', // "dtls13" + "c..."
		' ', 'h', 's', ' ', 't', 'r', 'a', 'f', 'f', 'i', 'c',
		4, // context length
		0x86, 0x0c, 0x06, 0xed,
	}
	check(t, "HkdfLabel", got, want)

	// ExpandLabel is HKDF-Expand over exactly these bytes.
	secret := bytes.Repeat([]byte{7}, 32)
	expanded, err := hkdf.Expand(sha256.New, secret, string(want), 32)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "ExpandLabel", ExpandLabel(crypto.SHA256, secret, "c hs traffic", ctx, 32), expanded)

	// "traffic upd", the longest label of the key schedule, for SHA-384, and
	// an empty context.
	got = hkdfLabel(labelPrefix, "traffic upd", nil, 48)
	want = append([]byte{0x00, 0x30, 17}, "dtls13traffic upd"...)
	want = append(want, 0)
	check(t, "HkdfLabel traffic upd", got, want)
}

// TestScheduleDTLS runs the whole key schedule with the "dtls13" prefix over
// the inputs of RFC 8448, Section 3, for SHA-256 and SHA-384, and compares
// every value with those OpenSSL computes for the same inputs
// (testdata/openssl-dtls13.sh).
func TestScheduleDTLS(t *testing.T) {
	rfc := readVectors(t, "testdata/rfc8448.txt")
	ossl := readVectors(t, "testdata/openssl-dtls13.txt")
	for _, tt := range []struct {
		name   string
		hash   crypto.Hash
		keyLen int
	}{
		{"SHA256", crypto.SHA256, 16},
		{"SHA384", crypto.SHA384, 32},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.hash
			want := func(name string) []byte { return ossl.get(t, tt.name+"/"+name) }
			hashes := rfc8448Hashes(t, rfc, h)
			helloHash, cvHash, finHash, clientFinHash := hashes[0], hashes[1], hashes[2], hashes[3]
			for i, name := range []string{"hello hash", "certificate verify hash", "server finished hash", "client finished hash"} {
				check(t, name, hashes[i], want(name))
			}

			early := NewEarlySecret(h, nil)
			check(t, "early", early.Secret(), want("early"))
			hs := early.HandshakeSecret(rfc.get(t, "3/ecdhe"))
			check(t, "handshake", hs.Secret(), want("handshake"))
			sHS := hs.ServerTrafficSecret(helloHash)
			check(t, "c hs traffic", hs.ClientTrafficSecret(helloHash), want("c hs traffic"))
			check(t, "s hs traffic", sHS, want("s hs traffic"))
			ms := hs.MasterSecret()
			check(t, "master", ms.Secret(), want("master"))
			sAP := ms.ServerTrafficSecret(finHash)
			check(t, "c ap traffic", ms.ClientTrafficSecret(finHash), want("c ap traffic"))
			check(t, "s ap traffic", sAP, want("s ap traffic"))
			exp := ms.ExporterMasterSecret(finHash)
			check(t, "exp master", exp, want("exp master"))
			rms := ms.ResumptionMasterSecret(clientFinHash)
			check(t, "res master", rms, want("res master"))

			key, iv, sn := TrafficKeys(h, sHS, tt.keyLen, 12)
			check(t, "s hs key", key, want("s hs key"))
			check(t, "s hs iv", iv, want("s hs iv"))
			check(t, "s hs sn", sn, want("s hs sn"))
			check(t, "s finished key", FinishedKey(h, sHS), want("s finished key"))
			check(t, "s finished", FinishedVerifyData(h, sHS, cvHash), want("s finished"))
			check(t, "s ap traffic 1", NextTrafficSecret(h, sAP), want("s ap traffic 1"))
			check(t, "resumption psk", ResumptionPSK(h, rms, []byte{0, 0}), want("resumption psk"))
			out, err := ExportKeyingMaterial(h, exp, "EXPERIMENTAL-pathdtls", []byte("context"), 42)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "exporter", out, want("exporter"))
		})
	}
}

// rfc8448Hashes returns the transcript hashes, taken with h, of the messages
// of RFC 8448, Section 3 through the ServerHello, the CertificateVerify, the
// server's Finished and the client's Finished.
func rfc8448Hashes(t *testing.T, rfc vectors, h crypto.Hash) [4][]byte {
	t.Helper()
	var out [4][]byte
	tr := NewTranscript(h)
	for i, upTo := range [][]string{
		{"ClientHello", "ServerHello"},
		{"EncryptedExtensions", "Certificate", "CertificateVerify"},
		{"server Finished"},
		{"client Finished"},
	} {
		for _, m := range upTo {
			addMessage(t, tr, rfc.get(t, "3/"+m))
		}
		out[i] = tr.Sum(nil)
	}
	return out
}

// TestPrefixSeparates checks that the DTLS and TLS prefixes give different
// keys from the same secret (RFC 9147, Section 5.9: key separation).
func TestPrefixSeparates(t *testing.T) {
	secret := make([]byte, 32)
	dtls := ExpandLabel(crypto.SHA256, secret, "key", nil, 16)
	withPrefix(t, "tls13 ")
	tls := ExpandLabel(crypto.SHA256, secret, "key", nil, 16)
	if dtls == nil || tls == nil || string(dtls) == string(tls) {
		t.Errorf("dtls13 %x, tls13 %x", dtls, tls)
	}
}

// TestBadLengths checks that out-of-range arguments give nil or an error,
// never a panic or a short key.
func TestBadLengths(t *testing.T) {
	secret := make([]byte, 32)
	long := strings.Repeat("x", 250)
	for _, tt := range []struct {
		name    string
		h       crypto.Hash
		label   string
		context []byte
		length  int
	}{
		{"negative length", crypto.SHA256, "key", nil, -1},
		{"length over uint16", crypto.SHA512, "key", nil, 1 << 16},
		{"length over 255 hashes", crypto.SHA256, "key", nil, 255*32 + 1},
		{"label over 255 with prefix", crypto.SHA256, long, nil, 16},
		{"context over 255", crypto.SHA256, "key", make([]byte, 256), 16},
		{"unknown hash", crypto.Hash(0), "key", nil, 16},
		{"unlinked hash", crypto.BLAKE2b_256, "key", nil, 16},
	} {
		if got := ExpandLabel(tt.h, secret, tt.label, tt.context, tt.length); got != nil {
			t.Errorf("%s: ExpandLabel = %x, want nil", tt.name, got)
		}
	}
	// The bounds themselves are fine.
	if got := ExpandLabel(crypto.SHA256, secret, long[:249], make([]byte, 255), 255*32); len(got) != 255*32 {
		t.Errorf("ExpandLabel at the bounds returned %d bytes", len(got))
	}
	if got := ExpandLabel(crypto.SHA256, secret, "key", nil, 0); got == nil || len(got) != 0 {
		t.Errorf("ExpandLabel of 0 bytes = %x", got)
	}
	if k, iv, sn := TrafficKeys(crypto.SHA256, secret, 16, -1); k != nil || iv != nil || sn != nil {
		t.Error("TrafficKeys with a bad IV length returned keys")
	}
	if NewTranscript(crypto.Hash(0)) != nil {
		t.Error("NewTranscript of an unknown hash")
	}
	if VerifyFinished(crypto.Hash(0), secret, secret, nil) {
		t.Error("VerifyFinished with an unknown hash")
	}
	if VerifyFinished(crypto.SHA256, secret, secret, nil) {
		t.Error("VerifyFinished accepted empty verify_data")
	}
	for _, tt := range []struct {
		name   string
		h      crypto.Hash
		label  string
		length int
	}{
		{"label", crypto.SHA256, long, 16},
		{"negative length", crypto.SHA256, "EXPORTER-x", -1},
		{"long", crypto.SHA256, "EXPORTER-x", 255*32 + 1},
		{"hash", crypto.Hash(0), "EXPORTER-x", 16},
	} {
		if out, err := ExportKeyingMaterial(tt.h, secret, tt.label, nil, tt.length); err == nil {
			t.Errorf("ExportKeyingMaterial (%s) = %x, want an error", tt.name, out)
		}
	}
}

// TestVerifyFinished checks that a changed bit or length of verify_data is
// refused.
func TestVerifyFinished(t *testing.T) {
	key, th := make([]byte, 32), make([]byte, 32)
	vd := FinishedVerifyData(crypto.SHA256, key, th)
	if !VerifyFinished(crypto.SHA256, key, th, vd) {
		t.Fatal("refused its own verify_data")
	}
	for i := range len(vd) * 8 {
		bad := append([]byte{}, vd...)
		bad[i/8] ^= 1 << (i % 8)
		if VerifyFinished(crypto.SHA256, key, th, bad) {
			t.Fatalf("accepted verify_data with bit %d flipped", i)
		}
	}
	if VerifyFinished(crypto.SHA256, key, th, vd[:31]) || VerifyFinished(crypto.SHA256, key, th, append(vd, 0)) {
		t.Error("accepted verify_data of the wrong length")
	}
}
