package handshake

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// The tests in this file check this package against the plaintext
// handshake messages (ClientHello, HelloRetryRequest, ServerHello) of DTLS
// 1.3 sessions between pion/dtls v4 peers, captured in testdata in the
// format of the OpenSSL captures.

// loadCaptures13 returns the messages of every DTLS 1.3 capture.
func loadCaptures13(tb testing.TB) []captured {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "pion-dtls13-*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no DTLS 1.3 captures in testdata: %v", err)
	}
	var msgs []captured
	for _, f := range files {
		msgs = append(msgs, loadCapture(tb, filepath.Base(f))...)
	}
	return msgs
}

// helloExtensionsBlock returns the extensions block of a captured hello
// and the context it is parsed in.
func helloExtensionsBlock(tb testing.TB, m captured) (extContext, []byte) {
	tb.Helper()
	s := cryptobyte.String(m.body)
	var v cryptobyte.String
	ctx := inClientHello
	ok := s.Skip(2+32) && s.ReadUint8LengthPrefixed(&v) // version, random, session_id
	if m.typ == TypeClientHello {
		ok = ok && s.ReadUint8LengthPrefixed(&v) && s.ReadUint16LengthPrefixed(&v) && s.ReadUint8LengthPrefixed(&v)
	} else {
		ctx = inServerHello
		if bytes.Equal(m.body[2:34], HelloRetryRequestRandom[:]) {
			ctx = inHelloRetryRequest
		}
		ok = ok && s.Skip(3) // cipher_suite, compression_method
	}
	if !ok {
		tb.Fatalf("captured %v too short", m.typ)
	}
	return ctx, []byte(s)
}

// pionSession is the plaintext messages of a captured session: the
// ClientHello, the HelloRetryRequest carrying a cookie, the ClientHello
// with the cookie, and the ServerHello; or, from a server that skips the
// cookie exchange, the ClientHello and the ServerHello.
type pionSession struct {
	name string
	ch1  ClientHello
	hrr  *ServerHello // nil without a cookie exchange
	ch2  *ClientHello // the ClientHello the ServerHello answers: &ch1 without one
	sh   ServerHello
	raw  [][]byte
}

func loadPionSessions(t *testing.T) []pionSession {
	files, err := filepath.Glob(filepath.Join("testdata", "pion-dtls13-*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no DTLS 1.3 captures in testdata: %v", err)
	}
	var sessions []pionSession
	for _, f := range files {
		msgs := loadCapture(t, filepath.Base(f))
		ps := pionSession{name: filepath.Base(f)}
		var dst []message
		switch len(msgs) {
		case 2:
			ps.ch2 = &ps.ch1
			dst = []message{&ps.ch1, &ps.sh}
		case 4:
			ps.hrr, ps.ch2 = new(ServerHello), new(ClientHello)
			dst = []message{&ps.ch1, ps.hrr, ps.ch2, &ps.sh}
		default:
			t.Fatalf("%s: %d messages, want 2 or 4", f, len(msgs))
		}
		for i, m := range msgs {
			if want := []Type{TypeClientHello, TypeServerHello}[i%2]; m.typ != want {
				t.Fatalf("%s: message %d is a %v, want a %v", f, i, m.typ, want)
			}
			ps.raw = append(ps.raw, m.body)
			if !dst[i].Unmarshal(m.body) {
				t.Fatalf("%s: message %d (%v) does not parse", f, i, m.typ)
			}
		}
		sessions = append(sessions, ps)
	}
	return sessions
}

func TestPionHellos13(t *testing.T) {
	for _, ps := range loadPionSessions(t) {
		t.Run(ps.name, func(t *testing.T) {
			for _, ch := range []*ClientHello{&ps.ch1, ps.ch2} {
				if ch.Version != 0xfefd || len(ch.Cookie) != 0 || !slices.Equal(ch.CompressionMethods, []uint8{0}) {
					t.Errorf("ClientHello legacy fields: version %#04x, cookie %x, compression %v", ch.Version, ch.Cookie, ch.CompressionMethods)
				}
				if !slices.Contains(ch.Extensions.SupportedVersions, 0xfefc) || !ch.Extensions.HasKeyShares {
					t.Errorf("ClientHello without DTLS 1.3 in supported_versions, or without key_share: %+v", ch.Extensions)
				}
			}
			if ps.sh.IsHelloRetryRequest() {
				t.Errorf("IsHelloRetryRequest of the ServerHello = true")
			}
			if len(ps.ch1.Extensions.Cookie) != 0 {
				t.Errorf("the first ClientHello has a cookie")
			}
			if ps.hrr != nil {
				checkHelloRetryRequest(t, ps.hrr, ps.ch2)
			}
			for _, sh := range []*ServerHello{ps.hrr, &ps.sh} {
				if sh != nil && (sh.Version != 0xfefd || sh.Extensions.SelectedVersion != 0xfefc || sh.CompressionMethod != 0) {
					t.Errorf("ServerHello: version %#04x, selected_version %#04x", sh.Version, sh.Extensions.SelectedVersion)
				}
			}
			share := ps.sh.Extensions.ServerShare
			switch {
			case !ps.sh.Extensions.hasServerShare():
				// psk_ke: key establishment from the PSK alone
				if !slices.Equal(ps.ch2.Extensions.PSKModes, []uint8{PSKModeKE}) || !ps.sh.Extensions.HasSelectedIdentity {
					t.Errorf("ServerHello without key_share, but the client offered PSK modes %v", ps.ch2.Extensions.PSKModes)
				}
			case !slices.ContainsFunc(ps.ch2.Extensions.KeyShares, func(ks KeyShare) bool { return ks.Group == share.Group }):
				t.Errorf("ServerHello share %+v is not of a group the ClientHello shared", share)
			}
			for i, raw := range ps.raw {
				checkStable(t, []func() message{newClientHello, newServerHello}[i%2], raw, false)
			}
		})
	}
}

// checkHelloRetryRequest checks a captured HelloRetryRequest against the
// ClientHello that answers it.
func checkHelloRetryRequest(t *testing.T, hrr *ServerHello, ch2 *ClientHello) {
	t.Helper()
	if !hrr.IsHelloRetryRequest() {
		t.Errorf("IsHelloRetryRequest of the HelloRetryRequest = false")
	}
	if len(hrr.Extensions.Cookie) == 0 || !bytes.Equal(hrr.Extensions.Cookie, ch2.Extensions.Cookie) {
		t.Errorf("cookie %x in the HelloRetryRequest, %x in the second ClientHello", hrr.Extensions.Cookie, ch2.Extensions.Cookie)
	}
	if g := hrr.Extensions.HRRGroup; g != 0 && (len(ch2.Extensions.KeyShares) != 1 || ch2.Extensions.KeyShares[0].Group != g) {
		t.Errorf("HelloRetryRequest asks for group %#04x; the second ClientHello shares %+v", g, ch2.Extensions.KeyShares)
	}
}

// TestPionHelloRetryRequestGroup checks the session in which the server
// asks for P-256 by a HelloRetryRequest's key_share.
func TestPionHelloRetryRequestGroup(t *testing.T) {
	for _, ps := range loadPionSessions(t) {
		if ps.name == "pion-dtls13-ecdsa-aes128gcm-hrr-p256.txt" && ps.hrr != nil {
			if ps.hrr.Extensions.HRRGroup != 0x0017 || ps.sh.Extensions.ServerShare.Group != 0x0017 {
				t.Errorf("selected_group %#04x, server_share group %#04x; want secp256r1 (0x0017)", ps.hrr.Extensions.HRRGroup, ps.sh.Extensions.ServerShare.Group)
			}
			return
		}
	}
	t.Fatal("no HelloRetryRequest capture")
}

// pionPSK is the external PSK of the captured PSK sessions.
var pionPSK = []byte("pathdtls-pion dtls13 key, 32 by")

// binderKey13 derives the finished key for an external PSK's binder with
// SHA-256 (RFC 8446, Sections 4.2.11.2 and 7.1, with the "dtls13" label
// prefix of RFC 9147, Section 5.9).
func binderKey13(t *testing.T, psk []byte) []byte {
	expandLabel := func(secret []byte, label string, context []byte, n int) []byte {
		var b cryptobyte.Builder
		b.AddUint16(uint16(n))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("dtls13" + label)) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(context) })
		out, err := hkdf.Expand(sha256.New, secret, string(b.BytesOrPanic()), n)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	early, err := hkdf.Extract(sha256.New, psk, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	empty := sha256.Sum256(nil)
	return expandLabel(expandLabel(early, "ext binder", empty[:], 32), "finished", nil, 32)
}

// tlsMessage prepends the TLS 1.3 handshake header, msg_type and a 24-bit
// length, which the DTLS 1.3 transcript uses (RFC 9147, Section 5.2).
func tlsMessage(typ Type, body []byte) []byte {
	return append([]byte{byte(typ), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// binder13 returns the binder over transcript, which ends with a partial
// ClientHello.
func binder13(key, transcript []byte) []byte {
	sum := sha256.Sum256(transcript)
	mac := hmac.New(sha256.New, key)
	mac.Write(sum[:])
	return mac.Sum(nil)
}

// TestPionPSKBinders recomputes the binders of the captured PSK sessions
// over the partial ClientHellos that PSKBindersLen marks out: the first
// ClientHello alone, and the second after the message_hash of the first and
// the HelloRetryRequest (RFC 8446, Section 4.4.1). It then rebuilds the
// second ClientHello with this package: zero binders, Marshal,
// SetPSKBinders, and checks the binder verifies there too.
func TestPionPSKBinders(t *testing.T) {
	key := binderKey13(t, pionPSK)
	n := 0
	for _, ps := range loadPionSessions(t) {
		if len(ps.ch1.Extensions.PSKIdentities) == 0 {
			continue
		}
		n++
		if string(ps.ch1.Extensions.PSKIdentities[0].Identity) != "pathdtls-psk13" || !ps.sh.Extensions.HasSelectedIdentity || ps.sh.Extensions.SelectedIdentity != 0 {
			t.Errorf("%s: identities %+v, selected %v %d", ps.name, ps.ch1.Extensions.PSKIdentities, ps.sh.Extensions.HasSelectedIdentity, ps.sh.Extensions.SelectedIdentity)
		}
		ch1 := tlsMessage(TypeClientHello, ps.raw[0])
		partial1 := ch1[:len(ch1)-ps.ch1.Extensions.PSKBindersLen()]
		if got := binder13(key, partial1); !hmac.Equal(got, ps.ch1.Extensions.PSKBinders[0]) {
			t.Errorf("%s: first binder %x, want %x", ps.name, ps.ch1.Extensions.PSKBinders[0], got)
		}
		var prefix []byte // the transcript before the ClientHello the ServerHello answers
		if ps.hrr != nil {
			hash1 := sha256.Sum256(ch1)
			prefix = append(tlsMessage(TypeMessageHash, hash1[:]), tlsMessage(TypeServerHello, ps.raw[1])...)
			ch2 := tlsMessage(TypeClientHello, ps.raw[2])
			partial2 := ch2[:len(ch2)-ps.ch2.Extensions.PSKBindersLen()]
			want := binder13(key, append(bytes.Clone(prefix), partial2...))
			if !hmac.Equal(want, ps.ch2.Extensions.PSKBinders[0]) {
				t.Errorf("%s: second binder %x, want %x", ps.name, ps.ch2.Extensions.PSKBinders[0], want)
			}
		}

		// The same, as a client built with this package computes it.
		m := *ps.ch2
		m.Extensions.PSKBinders = [][]byte{make([]byte, 32)}
		body, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		msg := tlsMessage(TypeClientHello, body)
		b := binder13(key, append(bytes.Clone(prefix), msg[:len(msg)-m.Extensions.PSKBindersLen()]...))
		if err := SetPSKBinders(body, [][]byte{b}); err != nil {
			t.Fatal(err)
		}
		var back ClientHello
		if !back.Unmarshal(body) || !hmac.Equal(back.Extensions.PSKBinders[0], b) {
			t.Fatalf("%s: rebuilt ClientHello does not parse, or lost its binder", ps.name)
		}
	}
	if n == 0 {
		t.Fatal("no PSK capture")
	}
}
