package handshake

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// message is what the shared test helpers need of a handshake message.
type message interface {
	Marshal() ([]byte, error)
	Unmarshal(body []byte) bool
}

// versionedMessage is a message whose layout depends on the version.
type versionedMessage interface {
	Marshal(tls12 bool) ([]byte, error)
	Unmarshal(body []byte, tls12 bool) bool
}

// atVersion adapts a versionedMessage to message for one version.
type atVersion struct {
	m     versionedMessage
	tls12 bool
}

func (v atVersion) Marshal() ([]byte, error) { return v.m.Marshal(v.tls12) }
func (v atVersion) Unmarshal(b []byte) bool  { return v.m.Unmarshal(b, v.tls12) }

// unhex decodes hex strings written in pieces, one field per piece, with
// spaces allowed anywhere.
func unhex(tb testing.TB, pieces ...string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(pieces, ""), " ", ""))
	if err != nil {
		tb.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// checkVector checks that want encodes to exactly raw, that raw parses into
// a message that encodes back to raw (the encodings are injective, so this
// means it parsed into want), that raw with a byte appended does not parse,
// and that no strict prefix of raw parses except those whose length
// validPrefix accepts (nil accepts none), as a hello may end before its
// extensions block.
func checkVector(t *testing.T, want message, fresh func() message, raw []byte, validPrefix func(n int) bool) {
	t.Helper()
	got, err := want.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(got, raw) {
		t.Errorf("Marshal =\n%x\nwant\n%x", got, raw)
	}
	m := fresh()
	if !m.Unmarshal(raw) {
		t.Fatalf("Unmarshal(%x) failed", raw)
	}
	if again, err := m.Marshal(); err != nil || !bytes.Equal(again, raw) {
		t.Errorf("Unmarshal gave %+v, which marshals to %x, %v; want %+v", m, again, err, want)
	}
	if fresh().Unmarshal(append(bytes.Clone(raw), 0)) {
		t.Errorf("Unmarshal accepted a trailing byte")
	}
	for n := range len(raw) {
		want := validPrefix != nil && validPrefix(n)
		if got := fresh().Unmarshal(raw[:n]); got != want {
			t.Errorf("Unmarshal of the %d-byte prefix = %v, want %v", n, got, want)
		}
	}
}

// checkStable checks that if b parses, the result marshals, that encoding
// parses again into a message that marshals identically, and that parsing
// left b untouched. If canonical, b must be exactly the encoding of what it
// parsed into: true of every message without extensions.
func checkStable(t *testing.T, fresh func() message, b []byte, canonical bool) {
	t.Helper()
	orig := bytes.Clone(b)
	m := fresh()
	if !m.Unmarshal(b) {
		return
	}
	if !bytes.Equal(b, orig) {
		t.Fatalf("Unmarshal modified its input")
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatalf("Unmarshal(%x) = %+v, which does not marshal: %v", b, m, err)
	}
	if canonical && !bytes.Equal(out, b) {
		t.Fatalf("Unmarshal(%x) = %+v, which marshals to %x", b, m, out)
	}
	m2 := fresh()
	if !m2.Unmarshal(out) {
		t.Fatalf("re-encoding %x of %x does not parse", out, b)
	}
	if out2, err := m2.Marshal(); err != nil || !bytes.Equal(out2, out) {
		t.Fatalf("unstable: %x -> %x -> %x, %v", b, out, out2, err)
	}
}

// captured is one handshake message from an OpenSSL capture in testdata.
type captured struct {
	fromClient bool
	seq        uint16
	typ        Type
	body       []byte
}

// captureFile describes one capture in testdata.
type captureFile struct {
	name  string
	tls12 bool // DTLS 1.2, else DTLS 1.0
	psk   bool // PSK key exchange, else ECDHE with certificates
}

var captureFiles = []captureFile{
	{"openssl-dtls12-ecdsa.txt", true, false},
	{"openssl-dtls12-rsa.txt", true, false},
	{"openssl-dtls12-psk.txt", true, true},
	{"openssl-dtls10-rsa.txt", false, false},
	{"openssl-dtls10-ecdsa.txt", false, false},
	{"openssl-dtls10-psk.txt", false, true},
}

// loadCapture reads a capture: lines of sender, message_seq, type name and
// body hex, with # comments.
func loadCapture(tb testing.TB, name string) []captured {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	types := make(map[string]Type)
	for t, s := range typeNames {
		if s != "" {
			types[s] = Type(t)
		}
	}
	var msgs []captured
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		fields = append(fields, "") // an empty body has no hex field
		seq, errSeq := strconv.ParseUint(fields[1], 10, 16)
		typ, okType := types[fields[2]]
		body, errHex := hex.DecodeString(fields[3])
		if len(fields) > 5 || (fields[0] != "c" && fields[0] != "s") || errSeq != nil || !okType || errHex != nil {
			tb.Fatalf("%s:%d: malformed line", name, line)
		}
		msgs = append(msgs, captured{fields[0] == "c", uint16(seq), typ, body})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return msgs
}

// addCaptured seeds f with the body of every captured message of type typ,
// from the OpenSSL captures and the DTLS 1.3 ones.
func addCaptured(f *testing.F, typ Type) {
	var msgs []captured
	for _, cf := range captureFiles {
		msgs = append(msgs, loadCapture(f, cf.name)...)
	}
	for _, m := range append(msgs, loadCaptures13(f)...) {
		if m.typ == typ {
			f.Add(m.body)
		}
	}
}

// unhexConst decodes a hex constant for a package-level test value, where
// there is no testing.TB to report to: a bad constant decodes to nil, which
// the tests using it then fail on.
func unhexConst(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}
