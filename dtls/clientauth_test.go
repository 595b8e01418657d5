package dtls

import (
	"crypto/tls"
	"errors"
	"testing"
	"testing/synctest"
)

func TestClientAuth(t *testing.T) {
	p := getPKI()
	tests := []struct {
		name       string
		policy     tls.ClientAuthType
		clientCert *tls.Certificate
		wantErr    Alert // 0: success
	}{
		{"required and verified, ECDSA", tls.RequireAndVerifyClientCert, &p.ecdsa, 0},
		{"required and verified, RSA", tls.RequireAndVerifyClientCert, &p.rsa, 0},
		{"required, none given", tls.RequireAnyClientCert, nil, AlertHandshakeFailure},
		{"verify if given, none given", tls.VerifyClientCertIfGiven, nil, 0},
		{"request only", tls.RequestClientCert, &p.ecdsa, 0},
	}
	for _, tt := range tests {
		for _, v := range []uint16{VersionDTLS10, VersionDTLS12, VersionDTLS13} {
			t.Run(tt.name+"/"+versionName(v), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, v)
					sc.ClientAuth, sc.ClientCAs = tt.policy, p.roots
					if tt.clientCert != nil {
						cc.Certificates = []tls.Certificate{*tt.clientCert}
					}
					_, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
					if want := tt.wantErr; want != 0 {
						if want == AlertHandshakeFailure && v == VersionDTLS13 {
							want = AlertCertificateRequired // RFC 8446 §4.4.2.4
						}
						if !errors.Is(serr, want) {
							t.Fatalf("server error %v, want %v (client: %v)", serr, want, cerr)
						}
						return
					}
					if cerr != nil || serr != nil {
						t.Fatalf("handshake: %v / %v", cerr, serr)
					}
					if st := server.ConnectionState(); st.Version != v {
						t.Fatalf("version %#x, want %#x", st.Version, v)
					}
					got := server.ConnectionState().PeerCertificates
					if (tt.clientCert != nil) != (len(got) > 0) {
						t.Fatalf("server saw %d client certificates", len(got))
					}
				})
			})
		}
	}
}
