package dtls

import (
	"crypto/tls"
	"errors"
	"testing"
	"testing/synctest"
)

// TestGetCertificate serves two names with two certificates, chosen by
// the client's server_name (RFC 6066 §3), and falls back to Certificates
// when the callback returns nil.
func TestGetCertificate(t *testing.T) {
	p := getPKI()
	synctest.Test(t, func(t *testing.T) {
		_, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		sc.CipherSuites = []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
		sc.Certificates = []tls.Certificate{p.ecdsa}
		var seen []string
		sc.GetCertificate = func(info *ClientHelloInfo) (*tls.Certificate, error) {
			seen = append(seen, info.ServerName)
			switch info.ServerName {
			case "rsa.localhost":
				return &p.rsa, nil
			case "fail.localhost":
				return nil, errors.New("no such name")
			}
			return nil, nil
		}
		for name, wantRSA := range map[string]bool{"rsa.localhost": true, "localhost": false} {
			cc := &Config{RootCAs: p.roots, ServerName: name, InsecureSkipVerify: name != "localhost",
				CipherSuites: sc.CipherSuites}
			client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
			if cerr != nil || serr != nil {
				t.Fatalf("%s: %v / %v", name, cerr, serr)
			}
			if gotRSA := client.ConnectionState().CipherSuite == TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; gotRSA != wantRSA {
				t.Errorf("%s: suite %s", name, CipherSuiteName(client.ConnectionState().CipherSuite))
			}
		}
		cc := &Config{ServerName: "fail.localhost", InsecureSkipVerify: true}
		if _, _, _, serr := handshakePair(t, cc, sc, clean, clean); !errors.Is(serr, AlertInternalError) {
			t.Errorf("a failing GetCertificate: %v", serr)
		}
		if len(seen) != 3 {
			t.Errorf("GetCertificate saw %q", seen)
		}
	})
}

// TestGetConfigForClient switches a server to another Config, here one
// with a PSK, by the client's name.
func TestGetConfigForClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, psk := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		cc.ServerName = "psk.localhost"
		_, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		sc.GetConfigForClient = func(info *ClientHelloInfo) (*Config, error) {
			if info.ServerName == "psk.localhost" {
				return psk, nil
			}
			return nil, nil
		}
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("%v / %v", cerr, serr)
		}
		if s := client.ConnectionState().CipherSuite; s != TLS_PSK_WITH_AES_128_GCM_SHA256 {
			t.Fatalf("suite %s", CipherSuiteName(s))
		}
	})
}

// TestGetClientCertificate presents the callback's certificate, and an
// empty chain when it returns none.
func TestGetClientCertificate(t *testing.T) {
	p := getPKI()
	for _, give := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
			sc.ClientAuth, sc.ClientCAs = tls.VerifyClientCertIfGiven, p.roots
			var info *CertificateRequestInfo
			cc.GetClientCertificate = func(i *CertificateRequestInfo) (*tls.Certificate, error) {
				info = i
				if give {
					return &p.ecdsa, nil
				}
				return &tls.Certificate{}, nil
			}
			_, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
			if cerr != nil || serr != nil {
				t.Fatalf("%v / %v", cerr, serr)
			}
			if got := len(server.ConnectionState().PeerCertificates) > 0; got != give || info == nil || len(info.SignatureSchemes) == 0 {
				t.Fatalf("certificate given %v, want %v; info %+v", got, give, info)
			}
		})
	}
}

// TestVerifyConnection fails a handshake from either side's
// VerifyConnection, full and resumed, and sees the ConnectionState.
func TestVerifyConnection(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				cfg := map[string]*Config{"client": cc, "server": sc}[side]
				calls, refuse := 0, false
				cfg.VerifyConnection = func(st ConnectionState) error {
					calls++
					if st.Version != VersionDTLS12 || st.CipherSuite == 0 {
						t.Errorf("state %+v", st)
					}
					if refuse {
						return errors.New("refused")
					}
					return nil
				}
				if first := resumeWith(t, cc, sc); first || !resumeWith(t, cc, sc) {
					t.Fatal("a full handshake and then a resumed one were expected")
				}
				refuse = true
				cerr, serr := lossyHandshake(t, cc, sc, clean, clean)
				err := map[string]error{"client": cerr, "server": serr}[side]
				if !errors.Is(err, AlertBadCertificate) || calls != 3 {
					t.Fatalf("error %v after %d calls, want bad_certificate after 3", err, calls)
				}
			})
		})
	}
}
