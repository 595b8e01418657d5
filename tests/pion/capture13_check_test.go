package pion

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// keylogLabels13 are the labels a DTLS 1.3 key log must hold (the NSS key
// log format, for the secrets of RFC 8446, Section 7.1).
var keylogLabels13 = []string{
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	"SERVER_HANDSHAKE_TRAFFIC_SECRET",
	"CLIENT_TRAFFIC_SECRET_0",
	"SERVER_TRAFFIC_SECRET_0",
}

// TestCaptures13WellFormed reads every testdata/dtls13-session-*.json and
// checks that it stays usable: the fields are there, the hex decodes, the
// key log has the DTLS 1.3 labels for the client_random of the first
// ClientHello, and the first datagram is that ClientHello.
func TestCaptures13WellFormed(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "dtls13-session-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < len(sessions13) {
		t.Fatalf("%d captures, want %d", len(paths), len(sessions13))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			checkCapture13(t, path)
		})
	}
}

func checkCapture13(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c capture13
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Description == "" || c.Peer != pionV4 || !strings.HasPrefix(c.Suite, "TLS_") {
		t.Errorf("description %q, peer %q, suite %q", c.Description, c.Peer, c.Suite)
	}
	for _, id := range []string{c.CIDClient, c.CIDServer} {
		if _, err := hex.DecodeString(id); err != nil {
			t.Errorf("connection ID %q: %v", id, err)
		}
	}
	datagrams := decodeAll(t, "datagram", c.Datagrams)
	decodeAll(t, "app_data", c.AppData)
	if len(datagrams) == 0 || c.Datagrams[0].From != "client" || len(c.AppData) == 0 {
		t.Fatalf("%d datagrams, %d application messages", len(datagrams), len(c.AppData))
	}
	random, ok := clientHelloRandom(datagrams[0])
	if !ok {
		t.Fatalf("the first datagram is not a ClientHello: %x", datagrams[0])
	}
	checkKeylog13(t, c.Keylog, hex.EncodeToString(random))
}

// decodeAll decodes the hex of each item, which must come from the client
// or the server.
func decodeAll(t *testing.T, what string, items []capturedBytes) [][]byte {
	t.Helper()
	var out [][]byte
	for i, it := range items {
		b, err := hex.DecodeString(it.Hex)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s %d: %q: %v", what, i, it.Hex, err)
		}
		if it.From != "client" && it.From != "server" {
			t.Fatalf("%s %d from %q", what, i, it.From)
		}
		out = append(out, b)
	}
	return out
}

// checkKeylog13 checks that each line is "LABEL <client_random> <secret>"
// with random as the client_random, and that the 1.3 labels are there.
func checkKeylog13(t *testing.T, lines []string, random string) {
	t.Helper()
	var labels []string
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != random {
			t.Fatalf("key log line %q: want 3 fields with client_random %s", line, random)
		}
		if s, err := hex.DecodeString(f[2]); err != nil || (len(s) != 32 && len(s) != 48) {
			t.Fatalf("key log line %q: the secret is not a SHA-256 or SHA-384 output", line)
		}
		labels = append(labels, f[0])
	}
	for _, want := range keylogLabels13 {
		if !slices.Contains(labels, want) {
			t.Errorf("key log lacks %s: %q", want, labels)
		}
	}
}

// clientHelloRandom returns the Random of the ClientHello that opens a
// datagram: a DTLSPlaintext record of epoch 0 (RFC 9147, Section 4)
// holding an unfragmented ClientHello (Section 5.2, RFC 8446 Section 4.1.2).
func clientHelloRandom(datagram []byte) ([]byte, bool) {
	s := cryptobyte.String(datagram)
	var contentType, msgType uint8
	var version, epoch uint16
	var body cryptobyte.String
	var random []byte
	var length, fragOffset, fragLength uint32
	if !s.ReadUint8(&contentType) || contentType != 22 ||
		!s.ReadUint16(&version) || !s.ReadUint16(&epoch) || epoch != 0 ||
		!s.Skip(6) || // sequence_number
		!s.ReadUint16LengthPrefixed(&body) ||
		!body.ReadUint8(&msgType) || msgType != 1 ||
		!body.ReadUint24(&length) || !body.Skip(2) || // message_seq
		!body.ReadUint24(&fragOffset) || !body.ReadUint24(&fragLength) ||
		fragOffset != 0 || fragLength != length || len(body) != int(length) ||
		!body.Skip(2) || // legacy_version
		!body.ReadBytes(&random, 32) {
		return nil, false
	}
	return random, true
}
