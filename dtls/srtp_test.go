package dtls

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// TestSRTP negotiates DTLS-SRTP: the server takes the first of its
// profiles that the client offers, echoes the client's MKI, and both sides
// export the same keying material of the profile's length (RFC 5764).
func TestSRTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80}
		cc.SRTPMKI = []byte{7, 7}
		sc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_256_GCM, SRTP_AEAD_AES_128_GCM}
		client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		cs, ss := client.ConnectionState(), server.ConnectionState()
		for _, st := range []ConnectionState{cs, ss} {
			if st.SRTPProtectionProfile != SRTP_AES128_CM_HMAC_SHA1_80 || !bytes.Equal(st.SRTPMKI, []byte{7, 7}) {
				t.Fatalf("profile %v, MKI %x", st.SRTPProtectionProfile, st.SRTPMKI)
			}
		}
		n := cs.SRTPProtectionProfile.KeyingMaterialLen()
		ck, err1 := cs.ExportKeyingMaterial(SRTPKeyingMaterialLabel, nil, n)
		sk, err2 := ss.ExportKeyingMaterial(SRTPKeyingMaterialLabel, nil, n)
		if err1 != nil || err2 != nil || n != 60 || len(ck) != 60 || !bytes.Equal(ck, sk) {
			t.Fatalf("keying material %x / %x (%v, %v), want 60 equal bytes", ck, sk, err1, err2)
		}
		other, _ := cs.ExportKeyingMaterial("EXPERIMENTAL other", nil, n)
		empty, _ := cs.ExportKeyingMaterial(SRTPKeyingMaterialLabel, []byte{}, n)
		if bytes.Equal(other, ck) || bytes.Equal(empty, ck) {
			t.Error("another label, or an empty context rather than none, gives the same material")
		}
		for _, label := range reservedLabels {
			if _, err := cs.ExportKeyingMaterial(label, nil, 16); err == nil {
				t.Errorf("the reserved label %q was used", label)
			}
		}
	})
}

// TestSRTPNoSharedProfile checks that a server with none of the client's
// profiles answers without use_srtp, and the handshake completes.
func TestSRTPNoSharedProfile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AEAD_AES_256_GCM}
		sc.SRTPProtectionProfiles = []SRTPProtectionProfile{SRTP_AES128_CM_HMAC_SHA1_32}
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if p := client.ConnectionState().SRTPProtectionProfile; p != 0 {
			t.Fatalf("profile %v", p)
		}
	})
}

// TestExporterWithoutEMS checks that no keying material is exported from
// a session without the extended master secret (RFC 7627 §5.4).
func TestExporterWithoutEMS(t *testing.T) {
	hs := &hsBase{suite: suiteByID(TLS_PSK_WITH_AES_128_GCM_SHA256), vers: VersionDTLS12}
	cs := ConnectionState{HandshakeComplete: true, ekm: hs.newExporter(make([]byte, 48), make([]byte, 32), make([]byte, 32), false)}
	if _, err := cs.ExportKeyingMaterial(SRTPKeyingMaterialLabel, nil, 60); err == nil {
		t.Fatal("exported without the extended master secret")
	}
	var zero ConnectionState
	if _, err := zero.ExportKeyingMaterial(SRTPKeyingMaterialLabel, nil, 60); err == nil {
		t.Fatal("exported before a handshake")
	}
}

// TestALPN checks the server's choice, by its own preference, and its
// refusal of a client that offers none of its protocols (RFC 7301 §3.2).
func TestALPN(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server []string
		want           string
		alert          Alert
	}{
		{"server's preference", []string{"coap", "h2"}, []string{"h2", "coap"}, "h2", 0},
		{"server without protocols", []string{"coap"}, nil, "", 0},
		{"client without protocols", nil, []string{"coap"}, "", 0},
		{"none shared", []string{"coap"}, []string{"h2"}, "", AlertNoApplicationProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				cc.NextProtos, sc.NextProtos = tc.client, tc.server
				client, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
				if tc.alert != 0 {
					if !errors.Is(serr, tc.alert) || !errors.Is(cerr, tc.alert) {
						t.Fatalf("errors %v / %v, want %v", cerr, serr, tc.alert)
					}
					return
				}
				if cerr != nil || serr != nil {
					t.Fatalf("handshake: %v / %v", cerr, serr)
				}
				if c, s := client.ConnectionState().NegotiatedProtocol, server.ConnectionState().NegotiatedProtocol; c != tc.want || s != tc.want {
					t.Fatalf("negotiated %q / %q, want %q", c, s, tc.want)
				}
			})
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestKeyLogWriter checks the NSS key log lines: one per side, the same
// client random and master secret on both.
func TestKeyLogWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, VersionDTLS12)
		var cl, sl lockedBuffer
		cc.KeyLogWriter, sc.KeyLogWriter = &cl, &sl
		if _, _, cerr, serr := handshakePair(t, cc, sc, clean, clean); cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		line := regexp.MustCompile(`^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$`)
		if !line.MatchString(cl.b.String()) || cl.b.String() != sl.b.String() {
			t.Fatalf("key logs %q / %q", cl.b.String(), sl.b.String())
		}
		if strings.Count(cl.b.String(), "\n") != 1 {
			t.Fatal("more than one line")
		}
	})
}

// TestConfigChecksMediaFields checks that a Config with an ALPN name,
// an SRTP profile or an MKI that cannot be sent is refused before any
// datagram goes out.
func TestConfigChecksMediaFields(t *testing.T) {
	for name, c := range map[string]*Config{
		"empty ALPN name": {NextProtos: []string{"h2", ""}},
		"long ALPN name":  {NextProtos: []string{strings.Repeat("x", 256)}},
		"unknown profile": {SRTPProtectionProfiles: []SRTPProtectionProfile{0x0003}},
		"MKI over 255":    {SRTPMKI: make([]byte, 256)},
	} {
		if err := c.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
