package record

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// A capture is a DTLS connection between OpenSSL's s_client and s_server,
// recorded in testdata/openssl-*.txt.
type capture struct {
	prf         prf.Func
	suite       string // "aes128gcm" or "aes128cbcsha1"
	preMaster   []byte
	random      [2][]byte // client, server
	master      []byte
	sessionHash []byte
	datagrams   []capturedDatagram
}

type capturedDatagram struct {
	fromClient bool
	data       []byte
}

func readCapture(t testing.TB, path string) *capture {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := new(capture)
	fields := map[string]*[]byte{
		"pre_master": &c.preMaster, "client_random": &c.random[0], "server_random": &c.random[1],
		"master_secret": &c.master, "session_hash": &c.sessionHash,
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		switch {
		case len(words) == 0 || strings.HasPrefix(words[0], "#"):
		case words[0] == "prf" && words[1] == "sha256":
			c.prf = prf.PRF12(crypto.SHA256)
		case words[0] == "prf" && words[1] == "md5sha1":
			c.prf = prf.PRF10
		case words[0] == "suite":
			c.suite = words[1]
		case words[0] == "datagram" && len(words) == 3:
			c.datagrams = append(c.datagrams, capturedDatagram{words[1] == "c", mustHex(t, words[2])})
		case fields[words[0]] != nil && len(words) == 2:
			*fields[words[0]] = mustHex(t, words[1])
		default:
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// ciphers derives the key block of RFC 5246, Section 6.3, and returns the
// client's and the server's write ciphers.
func (c *capture) ciphers(t *testing.T) [2]Cipher {
	t.Helper()
	var ciphers [2]Cipher
	var err error
	switch c.suite {
	case "aes128gcm": // client key, server key, client IV, server IV
		kb := prf.KeyBlock(nil, c.prf, c.master, c.random[0], c.random[1], 2*16+2*4)
		for i := range ciphers {
			ciphers[i], err = NewAESGCM(kb[i*16:(i+1)*16], kb[32+i*4:32+(i+1)*4])
		}
	case "aes128cbcsha1": // client MAC key, server MAC key, client key, server key
		kb := prf.KeyBlock(nil, c.prf, c.master, c.random[0], c.random[1], 2*20+2*16)
		for i := range ciphers {
			ciphers[i], err = NewCBCSHA1(kb[40+i*16:40+(i+1)*16], kb[i*20:(i+1)*20], nil)
		}
	default:
		t.Fatalf("unknown suite %q", c.suite)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ciphers
}

// TestOpenSSLRecords takes real connections apart: it derives their master
// secrets and keys with package prf, splits every datagram, opens every
// protected record, checks the client's Finished, and seals the CBC
// plaintexts again to get OpenSSL's bytes back.
func TestOpenSSLRecords(t *testing.T) {
	paths, err := filepath.Glob("testdata/openssl-*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c := readCapture(t, path)
			master := prf.ExtendedMasterSecret(nil, c.prf, c.preMaster, c.sessionHash)
			if !bytes.Equal(master, c.master) {
				t.Fatalf("extended master secret = %x, OpenSSL has %x", master, c.master)
			}
			clientVerify := prf.VerifyData(nil, c.prf, master, []byte("client finished"), c.sessionHash)
			ciphers := c.ciphers(t)
			windows := [2]*Window{NewWindow(64), NewWindow(64)}
			var opened []string
			for _, d := range c.datagrams {
				side := 1
				if d.fromClient {
					side = 0
				}
				rest := d.data
				for len(rest) > 0 {
					h, fragment, next, ok := Split(rest)
					if !ok {
						t.Fatalf("Split failed on %x", rest)
					}
					rest = next
					if h.Epoch == 0 {
						continue
					}
					if !windows[side].Check(h.Seq) {
						t.Fatalf("%+v: rejected by the replay window", h)
					}
					original := bytes.Clone(fragment)
					plaintext, err := ciphers[side].Open(h, fragment)
					if err != nil {
						t.Fatalf("%+v: Open: %v", h, err)
					}
					windows[side].Mark(h.Seq)
					opened = append(opened, describe(t, h, side, plaintext, clientVerify))
					resealRecord(t, ciphers[side], h, plaintext, original)
				}
			}
			want := []string{"client Finished", "server Finished", "client application_data", "server close_notify", "client close_notify"}
			if strings.Join(opened, ", ") != strings.Join(want, ", ") {
				t.Errorf("opened %q, want %q", opened, want)
			}
		})
	}
}

// describe checks a record's plaintext against what the connection sent and
// names it.
func describe(t *testing.T, h Header, side int, plaintext, clientVerify []byte) string {
	t.Helper()
	who := [2]string{"client", "server"}[side]
	switch h.Type {
	case Handshake: // Finished: type 20, length 12, message_seq, offset 0, length 12
		if len(plaintext) != 24 || !bytes.HasPrefix(plaintext, []byte{20, 0, 0, 12}) ||
			!bytes.Equal(plaintext[6:12], []byte{0, 0, 0, 0, 0, 12}) {
			t.Fatalf("%s: not a Finished message: %x", who, plaintext)
		}
		if side == 0 && !bytes.Equal(plaintext[12:], clientVerify) {
			t.Fatalf("client verify_data = %x, want %x", plaintext[12:], clientVerify)
		}
		return who + " Finished"
	case ApplicationData:
		if string(plaintext) != "ping from openssl s_client\n" {
			t.Fatalf("%s: application data %q", who, plaintext)
		}
		return who + " application_data"
	case Alert:
		if !bytes.Equal(plaintext, []byte{1, 0}) {
			t.Fatalf("%s: alert %x", who, plaintext)
		}
		return who + " close_notify"
	}
	t.Fatalf("%s: unexpected %v record", who, h.Type)
	return ""
}

// resealRecord seals the plaintext of a CBC record again, with the IV of
// the original, and checks that the result is the fragment OpenSSL sent.
// AES-GCM records are left out: OpenSSL counts its explicit nonces up from
// a random start, where Seal uses the epoch and sequence number; RFC 5288,
// Section 3, allows both.
func resealRecord(t *testing.T, c Cipher, h Header, plaintext, original []byte) {
	t.Helper()
	cbc, ok := c.(*cbcCipher)
	if !ok {
		return
	}
	cbc.rand = bytes.NewReader(original[:aes.BlockSize])
	if got := c.Seal(nil, h, plaintext); !bytes.Equal(got, original) {
		t.Errorf("%+v: Seal =\n%s, OpenSSL sent\n%s", h, hex.EncodeToString(got), hex.EncodeToString(original))
	}
}
