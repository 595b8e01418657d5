package tests

import (
	"log/slog"
	"sync/atomic"
	"testing"
)

// TestInteropEncryptThenMAC checks that the CBC suites run with
// encrypt-then-MAC (RFC 7366) against OpenSSL, GnuTLS and Mbed TLS, which
// all grant and ask for it by default: our trace says it was negotiated,
// and the records of both directions authenticate.
func TestInteropEncryptThenMAC(t *testing.T) {
	t.Parallel()
	chains := newInteropChains(t, false)
	for _, v := range interopVersions {
		c := newInteropCase(t, v, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", chains)
		for name, p := range map[string][2]interopPeer{
			"openssl": {sServerPeer, sClientPeer},
			"gnutls":  {gnutlsServPeer, gnutlsCliPeer},
		} {
			t.Run(name+"/client/"+c.name(), func(t *testing.T) {
				t.Parallel()
				c, etm := watchingEtM(c)
				testOurClient(t, p[0], c)
				etm.check(t)
			})
			t.Run(name+"/server/"+c.name(), func(t *testing.T) {
				t.Parallel()
				c, etm := watchingEtM(c)
				testOurServer(t, p[1], c)
				etm.check(t)
			})
		}
	}
}

// etmSeen records whether our side logged that encrypt-then-MAC was
// negotiated.
type etmSeen struct{ seen atomic.Bool }

// watchingEtM returns c with a watch of its events that feeds the returned
// etmSeen.
func watchingEtM(c interopCase) (interopCase, *etmSeen) {
	e := new(etmSeen)
	c.watch = func(r slog.Record) {
		if r.Message == "encrypt-then-MAC negotiated" {
			e.seen.Store(true)
		}
	}
	return c, e
}

func (e *etmSeen) check(t *testing.T) {
	t.Helper()
	if !e.seen.Load() {
		t.Error("encrypt-then-MAC was not negotiated")
	}
}
