package fragment

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"golang.org/x/crypto/cryptobyte"
)

// recordHeaderLen is the DTLSPlaintext header: type, version, epoch,
// sequence_number and length (RFC 6347, Section 4.1).
const recordHeaderLen = 13

// A sealing models what the record layer adds to a payload: wire returns the
// datagram bytes a record with an n-byte payload takes.
type sealing struct {
	name string
	wire func(n int) int
}

// roundUp16 rounds n up to a multiple of the AES block size.
func roundUp16(n int) int { return (n + 15) &^ 15 }

var sealings = []sealing{
	{"NULL", func(n int) int { return recordHeaderLen + n }},
	// AES-GCM: 8-byte explicit nonce, 16-byte tag (RFC 5288, Section 3).
	{"AES-GCM", func(n int) int { return recordHeaderLen + 8 + n + 16 }},
	// AES-CBC with HMAC-SHA256: explicit IV, MAC, and at least one padding byte
	// (RFC 5246, Section 6.2.3.2).
	{"AES-CBC-SHA256", func(n int) int { return recordHeaderLen + 16 + roundUp16(n+32+1) }},
	// AES-CBC with HMAC-SHA1, as in DTLS 1.0.
	{"AES-CBC-SHA1", func(n int) int { return recordHeaderLen + 16 + roundUp16(n+20+1) }},
}

// maxPlaintext returns the Pack callback for records sealed as s from epoch 1 on
// (epoch 0 is unprotected): the largest n with a wire size within space.
func (s sealing) maxPlaintext() func(epoch uint16, space int) int {
	return func(epoch uint16, space int) int {
		wire := s.wire
		if epoch == 0 {
			wire = sealings[0].wire
		}
		// Wire sizes grow with n, by at most one block at a time; step down
		// from an upper bound.
		n := space - recordHeaderLen
		for n > 0 && wire(n) > space {
			n--
		}
		return max(n, 0)
	}
}

// wireSize returns the datagram bytes record r takes when sealed as s.
func (s sealing) wireSize(r Record) int {
	if r.Epoch == 0 {
		return sealings[0].wire(len(r.Payload))
	}
	return s.wire(len(r.Payload))
}

// A fragmentOf is one handshake fragment parsed from a record.
type fragmentOf struct {
	h    handshake.Header
	body []byte
}

// parseHandshakeRecord splits a handshake record's payload into its fragments.
func parseHandshakeRecord(t testing.TB, payload []byte) []fragmentOf {
	t.Helper()
	var out []fragmentOf
	for len(payload) > 0 {
		h, frag, rest, ok := handshake.ParseFragment(payload)
		if !ok {
			t.Fatalf("record payload does not parse as fragments: %x", payload)
		}
		out = append(out, fragmentOf{h, frag})
		payload = rest
	}
	return out
}

// A wireRecord is a DTLSPlaintext or DTLSCiphertext record from a capture.
type wireRecord struct {
	typ     uint8
	epoch   uint16
	payload []byte
}

// parseDatagram splits a captured datagram into its records.
func parseDatagram(t testing.TB, d []byte) []wireRecord {
	t.Helper()
	var out []wireRecord
	s := cryptobyte.String(d)
	for !s.Empty() {
		var r wireRecord
		var version uint16
		var seq uint64
		var payload cryptobyte.String
		if !s.ReadUint8(&r.typ) || !s.ReadUint16(&version) || !s.ReadUint16(&r.epoch) ||
			!s.ReadUint48(&seq) || !s.ReadUint16LengthPrefixed(&payload) {
			t.Fatalf("datagram does not parse as records: %x", d)
		}
		r.payload = payload
		out = append(out, r)
	}
	return out
}

// A captured datagram, from a testdata capture file.
type captured struct {
	fromClient bool
	data       []byte
}

func loadCapture(t testing.TB, name string) []captured {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []captured
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		dir, h, ok := strings.Cut(line, " ")
		b, err := hex.DecodeString(h)
		if !ok || (dir != ">" && dir != "<") || err != nil {
			t.Fatalf("%s: bad line %.40q", name, line)
		}
		out = append(out, captured{fromClient: dir == ">", data: b})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// captureFragments returns the epoch-0 handshake fragments one side sent, in
// order, as a capture file shows them.
func captureFragments(t testing.TB, name string, fromClient bool) []fragmentOf {
	t.Helper()
	var out []fragmentOf
	for _, d := range loadCapture(t, name) {
		if d.fromClient != fromClient {
			continue
		}
		for _, r := range parseDatagram(t, d.data) {
			if r.epoch == 0 && r.typ == typeHandshake {
				out = append(out, parseHandshakeRecord(t, r.payload)...)
			}
		}
	}
	return out
}

var captures = []string{"openssl-dtls12-mtu400.txt", "openssl-dtls10-mtu300.txt"}
