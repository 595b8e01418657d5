package record

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// session13 is a DTLS 1.3 session between a pion/dtls v4 client and server,
// captured by a relay with the peers' NSS key log (tests/pion, branch
// h13-pion, commit 1e8503e): every datagram in order, each direction's
// traffic secrets, and the application data each side sent.
type session13 struct {
	Description string
	Peer        string
	Suite       string
	CIDClient   string `json:"cid_client"` // the client's, in the server's records
	CIDServer   string `json:"cid_server"` // the server's, in the client's records
	Datagrams   []struct{ From, Hex string }
	Keylog      []string
	AppData     []struct{ From, Hex string } `json:"app_data"`
}

// loadSessions13 reads every testdata/dtls13-session*.json.
func loadSessions13(t testing.TB) map[string]*session13 {
	t.Helper()
	files, err := filepath.Glob("testdata/dtls13-session*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no DTLS 1.3 captures in testdata: %v", err)
	}
	out := make(map[string]*session13)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := new(session13)
		if err := json.Unmarshal(b, s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = s
	}
	return out
}

// suite13ByName returns the Suite13 that String names name.
func suite13ByName(t testing.TB, name string) Suite13 {
	t.Helper()
	for _, s := range suites13 {
		if s.String() == name {
			return s
		}
	}
	t.Fatalf("unknown suite %q", name)
	return 0
}

// secret returns the key log's secret labelled label, such as
// CLIENT_TRAFFIC_SECRET_0.
func (s *session13) secret(t testing.TB, label string) []byte {
	t.Helper()
	for _, line := range s.Keylog {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == label {
			return mustHex(t, f[2])
		}
	}
	t.Fatalf("no %s in the key log", label)
	return nil
}

// cidLen returns the length of the connection IDs in the records that
// from ("client" or "server") sends: the other side's.
func (s *session13) cidLen(from string) int {
	if from == "client" {
		return len(s.CIDServer) / 2
	}
	return len(s.CIDClient) / 2
}

// unifiedRecords13 calls fn with every DTLSCiphertext of the session, in
// order, as on the wire, after skipping its DTLSPlaintext records (Split).
func (s *session13) unifiedRecords13(t testing.TB, fn func(from string, record []byte)) {
	t.Helper()
	for i, d := range s.Datagrams {
		b, err := hex.DecodeString(d.Hex)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			if !IsUnifiedHeader(b[0]) {
				_, _, rest, ok := Split(b)
				if !ok {
					t.Fatalf("datagram %d: bad DTLSPlaintext record %x", i, b)
				}
				b = rest
				continue
			}
			hdr, body, rest, err := ParseUnified(b, s.cidLen(d.From))
			if err != nil {
				t.Fatalf("datagram %d: ParseUnified(%x): %v", i, b, err)
			}
			fn(d.From, b[:len(hdr)+len(body)])
			b = rest
		}
	}
}

// receiver13 opens one direction's records as its receiver would: it
// knows the epoch it reads (2 during the handshake, the next after each
// KeyUpdate it processes), reconstructs each record's epoch and sequence
// number, and keeps one Cipher13 and one expected number per epoch.
type receiver13 struct {
	suite    Suite13
	secrets  map[uint64][]byte
	ciphers  map[uint64]*Cipher13
	expected map[uint64]uint64
	current  uint64
}

func newReceiver13(t testing.TB, s *session13, from string) *receiver13 {
	suite := suite13ByName(t, s.Suite)
	side := strings.ToUpper(from)
	r := &receiver13{
		suite: suite,
		secrets: map[uint64][]byte{
			2: s.secret(t, side+"_HANDSHAKE_TRAFFIC_SECRET"),
			3: s.secret(t, side+"_TRAFFIC_SECRET_0"),
		},
		ciphers:  make(map[uint64]*Cipher13),
		expected: make(map[uint64]uint64),
		current:  2,
	}
	return r
}

// cipher returns the Cipher13 of epoch e, deriving the secrets of the
// epochs after 3 by KeyUpdate (RFC 8446, Section 7.2).
func (r *receiver13) cipher(t testing.TB, e uint64) *Cipher13 {
	t.Helper()
	if c, ok := r.ciphers[e]; ok {
		return c
	}
	if e < 2 {
		t.Fatalf("record in epoch %d", e)
	}
	for i := uint64(4); i <= e; i++ {
		if r.secrets[i] == nil {
			r.secrets[i] = nextSecret13(t, r.suite, r.secrets[i-1])
		}
	}
	r.ciphers[e] = newCipher13FromSecret(t, r.suite, r.secrets[e])
	return r.ciphers[e]
}

// opened is one record that receiver13 opened.
type opened13 struct {
	epoch, seq uint64
	typ        ContentType
	content    []byte
}

// open opens a copy of record, whose header ParseUnified splits with
// cidLen, and moves the receiver to the next epoch after a KeyUpdate.
func (r *receiver13) open(t testing.TB, record []byte, cidLen int) opened13 {
	t.Helper()
	hdr, body, _, err := ParseUnified(bytes.Clone(record), cidLen)
	if err != nil {
		t.Fatal(err)
	}
	e := ReconstructEpoch(hdr[0]&3, r.current)
	typ, content, seq, err := r.cipher(t, e).Open(hdr, body, e, r.expected[e])
	if err != nil {
		t.Fatalf("Open(%x) in epoch %d, expecting %d: %v", record, e, r.expected[e], err)
	}
	r.expected[e] = max(r.expected[e], seq+1)
	const keyUpdate = 24 // HandshakeType key_update (RFC 8446, Section 4)
	if typ == Handshake && len(content) > 0 && content[0] == keyUpdate {
		r.current = e + 1
	}
	return opened13{epoch: e, seq: seq, typ: typ, content: content}
}

// TestPionSessions13 opens every protected record of pion/dtls v4's DTLS
// 1.3 sessions, both directions, handshake (epoch 2), application (3) and
// after a KeyUpdate (4), and finds the application data each side sent.
// Where pion's header has our form (S and L set), AppendRecord seals the
// opened record again to the same bytes.
func TestPionSessions13(t *testing.T) {
	for name, s := range loadSessions13(t) {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			testPionSession13(t, s)
		})
	}
}

func testPionSession13(t *testing.T, s *session13) {
	recv := map[string]*receiver13{"client": newReceiver13(t, s, "client"), "server": newReceiver13(t, s, "server")}
	var apps []string // "from:hex" of each application_data record, in order
	epochs := make(map[string]int)
	resealed := 0
	s.unifiedRecords13(t, func(from string, record []byte) {
		r := recv[from]
		o := r.open(t, record, s.cidLen(from))
		epochs[from+"/"+string(rune('0'+o.epoch))]++
		if o.typ == ApplicationData {
			apps = append(apps, from+":"+hex.EncodeToString(o.content))
		}
		if record[0]&(unifiedS|unifiedL) != unifiedS|unifiedL {
			return
		}
		cidLen := s.cidLen(from)
		cid := record[1 : 1+cidLen]
		padding := len(record) - HeaderLen13(cidLen) - r.suite.TagLen() - len(o.content) - 1
		got := r.cipher(t, o.epoch).AppendRecord(nil, o.epoch, o.seq, cid, o.typ, o.content, padding)
		if !bytes.Equal(got, record) {
			t.Errorf("resealed %s record %d/%d:\n got %x\nwant %x", from, o.epoch, o.seq, got, record)
		}
		resealed++
	})
	var want []string
	for _, a := range s.AppData {
		want = append(want, a.From+":"+a.Hex)
	}
	if strings.Join(apps, " ") != strings.Join(want, " ") {
		t.Errorf("application data\n got %v\nwant %v", apps, want)
	}
	for _, k := range []string{"client/2", "client/3", "server/2", "server/3"} {
		if epochs[k] == 0 {
			t.Errorf("no record from %s in epoch %s", k[:6], k[7:])
		}
	}
	if strings.Contains(s.Description, "KeyUpdate") && (epochs["client/4"] == 0 || epochs["server/4"] == 0) {
		t.Errorf("no records in epoch 4: %v", epochs)
	}
	if resealed == 0 {
		t.Error("no record of our header form to seal again")
	}
	t.Logf("%s: records per direction/epoch %v, %d sealed again", s.Peer, epochs, resealed)
}
