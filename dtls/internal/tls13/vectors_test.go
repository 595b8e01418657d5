package tls13

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// vectors holds the values of a testdata file, keyed by "section/name".
type vectors map[string][]byte

// readVectors reads a file of "name: hex" values, continued on indented
// lines, grouped by "[section]" lines, with "#" comments (the format of
// testdata/rfc8448.txt and testdata/openssl-dtls13.txt).
func readVectors(t testing.TB, path string) vectors {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := vectors{}
	var section, name string
	var text strings.Builder
	flush := func() {
		if name == "" {
			return
		}
		b, err := hex.DecodeString(strings.Join(strings.Fields(text.String()), ""))
		if err != nil {
			t.Fatalf("%s: %s/%s: %v", path, section, name, err)
		}
		v[section+"/"+name] = b
		name = ""
		text.Reset()
	}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "["):
			flush()
			section = strings.Trim(line, "[]")
		case line[0] == ' ' || line[0] == '\t':
			text.WriteString(line)
		default:
			flush()
			n, rest, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("%s: bad line %q", path, line)
			}
			name = n
			text.WriteString(rest)
		}
	}
	flush()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return v
}

// get returns the value section/name, failing the test if there is none.
func (v vectors) get(t testing.TB, key string) []byte {
	t.Helper()
	b, ok := v[key]
	if !ok {
		t.Fatalf("no test vector %q", key)
	}
	return b
}

// withPrefix switches the label prefix for the rest of the test, as RFC 8448
// needs "tls13 ". Tests that call it must not run in parallel.
func withPrefix(t testing.TB, prefix string) {
	t.Helper()
	old := labelPrefix
	labelPrefix = prefix
	t.Cleanup(func() { labelPrefix = old })
}

// check fails the test if got is not want, naming the first byte that
// differs.
func check(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s: first difference at byte %d\n got  %x\n want %x", what, i, got, want)
}

// addMessage adds a whole TLS-style handshake message (header included, as
// RFC 8448 prints them) to tr, checking its header's length.
func addMessage(t testing.TB, tr *Transcript, msg []byte) {
	t.Helper()
	if len(msg) < 4 || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
		t.Fatalf("bad message %x", msg)
	}
	if !tr.Add(msg[0], msg[4:]) {
		t.Fatalf("Add refused %x", msg[:4])
	}
}
