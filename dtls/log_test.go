package dtls

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/internal/logtest"
)

// loggedConfigs returns cc and sc with Loggers that record into the
// returned Recorders.
func loggedConfigs(cc, sc *Config) (client, server *logtest.Recorder) {
	cc.Logger, client = logtest.Logger()
	sc.Logger, server = logtest.Logger()
	return client, server
}

// wantEvent checks that r recorded the event msg at level, last with the
// attributes want, and returns it.
func wantEvent(t *testing.T, who string, r *logtest.Recorder, level slog.Level, msg string, want map[string]string) slog.Record {
	t.Helper()
	ev, ok := r.Find(msg)
	if !ok {
		t.Errorf("%s logged no %q event", who, msg)
		return ev
	}
	if ev.Level != level {
		t.Errorf("%s: %q at %v, want %v", who, msg, ev.Level, level)
	}
	for k, v := range want {
		if got := logtest.String(ev, k); got != v {
			t.Errorf("%s: %q has %s=%q, want %q", who, msg, k, got, v)
		}
	}
	return ev
}

// TestHandshakeEvents checks the events of a full handshake: its flights
// and messages at Debug, its completion at Info with the version and the
// suite, and encrypt-then-MAC only with a CBC suite.
func TestHandshakeEvents(t *testing.T) {
	for _, id := range []uint16{TLS_PSK_WITH_AES_128_CBC_SHA, TLS_PSK_WITH_AES_128_GCM_SHA256} {
		synctest.Test(t, func(t *testing.T) {
			cc, sc := suiteConfigs(id, VersionDTLS12)
			cr, sr := loggedConfigs(cc, sc)
			if _, _, cerr, serr := handshakePair(t, cc, sc, clean, clean); cerr != nil || serr != nil {
				t.Fatalf("%v / %v", cerr, serr)
			}
			name := CipherSuiteName(id)
			for who, r := range map[string]*logtest.Recorder{"client": cr, "server": sr} {
				wantEvent(t, who, r, slog.LevelInfo, "handshake complete", map[string]string{"version": "DTLS 1.2", "suite": name})
				wantEvent(t, who, r, slog.LevelDebug, "negotiated", map[string]string{"version": "DTLS 1.2", "suite": name})
				if _, etm := r.Find("encrypt-then-MAC negotiated"); etm != (id == TLS_PSK_WITH_AES_128_CBC_SHA) {
					t.Errorf("%s with %s: encrypt-then-MAC logged %v", who, name, etm)
				}
				if _, ok := r.Find("session resumed"); ok {
					t.Errorf("%s: a full handshake logged a resumption", who)
				}
			}
			first := cr.All("flight sent")
			if len(first) == 0 || logtest.String(first[0], "flight") != "[ClientHello]" || logtest.String(first[0], "datagrams") != "1" {
				t.Errorf("the client's first flight sent: %v", first)
			}
			wantEvent(t, "client", cr, slog.LevelDebug, "HelloVerifyRequest received", map[string]string{"cookie_len": "32"})
			wantEvent(t, "server", sr, slog.LevelDebug, "message received", map[string]string{"type": "Finished"})
		})
	}
}

// TestResumeEvents checks that both sides log a resumption, and how: by
// ticket or by session ID.
func TestResumeEvents(t *testing.T) {
	for _, mode := range resumeModes {
		t.Run(mode.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := resumeConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				mode.set(cc, sc)
				cr, sr := loggedConfigs(cc, sc)
				for i := range 2 {
					if _, _, cerr, serr := handshakePair(t, cc, sc, clean, clean); cerr != nil || serr != nil {
						t.Fatalf("handshake %d: %v / %v", i, cerr, serr)
					}
				}
				wantEvent(t, "client", cr, slog.LevelInfo, "session resumed", map[string]string{"by": mode.name})
				wantEvent(t, "server", sr, slog.LevelInfo, "session resumed",
					map[string]string{"by": mode.name, "suite": "TLS_PSK_WITH_AES_128_GCM_SHA256"})
				if n := cr.Count("handshake complete"); n != 2 {
					t.Errorf("the client logged %d handshakes complete, want 2", n)
				}
				if mode.name == "ticket" {
					wantEvent(t, "server", sr, slog.LevelDebug, "session ticket sent", nil)
					wantEvent(t, "client", cr, slog.LevelDebug, "session ticket received", nil)
				}
			})
		})
	}
}

// TestRenegotiationEvents checks that each side logs a renegotiation it
// completes, with the new epoch.
func TestRenegotiationEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := renegConfigs()
		cr, sr := loggedConfigs(cc, sc)
		client, _, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if err := client.Rehandshake(context.Background()); err != nil {
			t.Fatalf("Rehandshake: %v", err)
		}
		synctest.Wait() // the server completes after sending its Finished
		for who, r := range map[string]*logtest.Recorder{"client": cr, "server": sr} {
			wantEvent(t, who, r, slog.LevelInfo, "renegotiation complete", map[string]string{"epoch": "2"})
			if n := r.Count("renegotiation complete"); n != 1 {
				t.Errorf("%s logged %d renegotiations, want 1", who, n)
			}
		}
		wantEvent(t, "client", cr, slog.LevelDebug, "renegotiation started", map[string]string{"epoch": "1"})
	})
}

// TestConnectionIDEvents checks that both sides log the connection IDs
// they negotiated, in hex: the client asked for none.
func TestConnectionIDEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := cidConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, 0)
		cr, sr := loggedConfigs(cc, sc)
		_, server, cerr, serr := handshakePair(t, cc, sc, clean, clean)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		id := hex.EncodeToString(server.ConnectionState().ConnectionID)
		if len(id) != 16 {
			t.Fatalf("the server's connection ID is %q, want 8 bytes", id)
		}
		wantEvent(t, "server", sr, slog.LevelDebug, "connection ID negotiated", map[string]string{"own": id, "peer": ""})
		wantEvent(t, "client", cr, slog.LevelDebug, "connection ID negotiated", map[string]string{"own": "", "peer": id})
	})
}

// TestTraceLines checks that the deprecated Trace still receives each
// event as the line it always did, and that every line renders whole.
func TestTraceLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_CBC_SHA, VersionDTLS12)
		var mu sync.Mutex
		var lines []string
		cc.Trace = func(s string) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, s)
		}
		if _, _, cerr, serr := handshakePair(t, cc, sc, clean, clean); cerr != nil || serr != nil {
			t.Fatalf("%v / %v", cerr, serr)
		}
		mu.Lock()
		all := strings.Join(lines, "\n")
		mu.Unlock()
		for _, want := range []string{
			"sent flight [ClientHello] in 1 datagram(s) of at most ",
			"received HelloVerifyRequest with a 32-byte cookie",
			"negotiated DTLS 1.2 with TLS_PSK_WITH_AES_128_CBC_SHA",
			"handshake complete: DTLS 1.2, TLS_PSK_WITH_AES_128_CBC_SHA",
			"encrypt-then-MAC (RFC 7366)",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("the trace lacks %q:\n%s", want, all)
			}
		}
		if strings.Contains(all, "%!") {
			t.Errorf("a trace line renders badly:\n%s", all)
		}
	})
}
