package dtls

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/dgramtest"
)

// marshalHeartbeat encodes m with padding taken from pad.
func marshalHeartbeat(m *heartbeatMessage, pad []byte) ([]byte, error) {
	b, err := m.appendHeader(nil)
	return append(b, pad[:m.padding]...), err
}

func TestHeartbeatMessage(t *testing.T) {
	pad := bytes.Repeat([]byte{0xee}, 32)
	m := heartbeatMessage{typ: heartbeatRequest, payload: []byte("probe-1"), padding: 16}
	b, err := marshalHeartbeat(&m, pad)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{1, 0, 7}, "probe-1"...)
	want = append(want, pad[:16]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("marshal = %x, want %x", b, want)
	}
	var got heartbeatMessage
	if !got.unmarshal(b) || got.typ != m.typ || !bytes.Equal(got.payload, m.payload) || got.padding != 16 {
		t.Fatalf("unmarshal = %+v", got)
	}
	for i := range len(b) {
		if got.unmarshal(b[:i]) {
			t.Errorf("a %d-byte prefix (padding under 16 bytes) parsed", i)
		}
	}
	bad := append([]byte(nil), b...)
	bad[0] = 3
	if got.unmarshal(bad) {
		t.Error("unknown heartbeat type parsed")
	}
	bad[0], bad[2] = 1, 200 // payload_length past the record
	if got.unmarshal(bad) {
		t.Error("payload_length past the record parsed")
	}
}

func FuzzHeartbeatMessage(f *testing.F) {
	m := heartbeatMessage{typ: heartbeatResponse, payload: []byte("p"), padding: 16}
	seed, _ := marshalHeartbeat(&m, make([]byte, 16))
	f.Add(seed)
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m heartbeatMessage
		if !m.unmarshal(b) {
			return
		}
		out, err := marshalHeartbeat(&m, b[len(b)-m.padding:])
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %x → %+v → %x, %v", b, m, out, err)
		}
	})
}

// TestHeartbeatProbes sends padded HeartbeatRequests across a link that
// drops datagrams over 1100 bytes: a 1000-byte probe is answered, a
// 1200-byte one is not. The server answers on its own, with no Read.
func TestHeartbeatProbes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		narrow := dgramtest.Impairment{MaxSize: 1100}
		client, server, cerr, serr := handshakePair(t, cc, sc, narrow, narrow)
		if cerr != nil || serr != nil {
			t.Fatalf("handshake: %v / %v", cerr, serr)
		}
		if !client.HeartbeatAllowed() || !server.HeartbeatAllowed() {
			t.Fatal("heartbeat not negotiated")
		}
		acked := make(chan string, 2)
		client.SetHeartbeatHandler(func(p []byte) { acked <- string(p) })
		for _, probe := range []struct {
			payload string
			size    int
		}{{"fits", 1000}, {"too big", 1200}} {
			n, err := client.SendHeartbeat([]byte(probe.payload), probe.size)
			if err != nil || n != probe.size {
				t.Fatalf("SendHeartbeat(%d) = %d, %v", probe.size, n, err)
			}
			time.Sleep(time.Second)
		}
		var got []string
		for len(acked) > 0 {
			got = append(got, <-acked)
		}
		if len(got) != 1 || got[0] != "fits" {
			t.Fatalf("acknowledged probes %q, want only \"fits\"", got)
		}
	})
}
