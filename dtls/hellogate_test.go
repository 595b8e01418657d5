package dtls

import (
	"bytes"
	"net/netip"
	"runtime"
	"testing"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// splitHello cuts the ClientHello in datagram (one record, one whole
// message) into fragments of at most n body bytes, one record each, with
// record sequence numbers from 10, and returns one datagram per fragment.
func splitHello(t testing.TB, datagram []byte, n int) [][]byte {
	t.Helper()
	rh, frag, _, ok := record.Split(datagram)
	hh, body, _, ok2 := handshake.ParseFragment(frag)
	if !ok || !ok2 {
		t.Fatal("not a ClientHello datagram")
	}
	var out [][]byte
	for off := 0; off < len(body); off += n {
		end := min(off+n, len(body))
		h := hh
		h.FragmentOffset, h.FragmentLength = uint32(off), uint32(end-off)
		r := rh
		r.Seq = uint64(10 + len(out))
		out = append(out, record.AppendRecord(nil, r, append(h.Append(nil), body[off:end]...), record.NewNull()))
	}
	return out
}

// TestHelloGateReassembles sends a ClientHello in three fragments, out of
// order, for the cookie exchange and again with the cookie: the gate
// answers the first with a HelloVerifyRequest and accepts the second,
// handing over the whole ClientHello numbered as its last record.
func TestHelloGateReassembles(t *testing.T) {
	cfg := &Config{}
	g := NewHelloGate(cfg, 4)
	addr := netip.MustParseAddrPort("192.0.2.1:5000")
	parts := splitHello(t, clientHelloDatagram(t, nil, 1), 20)
	if len(parts) < 3 {
		t.Fatalf("%d fragments", len(parts))
	}
	var v Verdict
	for _, i := range []int{2, 0, 1, 3, 4, 5} {
		if i < len(parts) {
			v = g.Check(parts[i], addr)
		}
	}
	if v.Reply == nil || v.Accept {
		t.Fatalf("first ClientHello: reply %v, accept %v", v.Reply != nil, v.Accept)
	}
	hello := clientHelloDatagram(t, hvrCookie(t, v.Reply), 1)
	for _, p := range splitHello(t, hello, 20) {
		v = g.Check(p, addr)
	}
	if !v.Accept || v.Reply != nil {
		t.Fatalf("ClientHello with its cookie: accept %v, reply %v", v.Accept, v.Reply != nil)
	}
	rh, hh, ch, body, ok := parseFirstClientHello(v.Hello)
	_, _, _, wantBody, _ := parseFirstClientHello(hello)
	if !ok || !bytes.Equal(body, wantBody) || rh.Seq < 10 || hh.FragmentLength != hh.Length || ch.Random[0] != 1 || v.Random != ch.Random {
		t.Fatalf("reassembled ClientHello: ok %v, seq %d", ok, rh.Seq)
	}
	if st := g.Stats(); st.Reassembled != 2 || st.Evicted != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestHelloGateFloodBounded sends first fragments of ClientHellos from
// 100 000 addresses: the table keeps its size, evicting the oldest, and a
// client that sends its whole ClientHello meanwhile is answered.
func TestHelloGateFloodBounded(t *testing.T) {
	cfg := &Config{}
	g := NewHelloGate(cfg, 16)
	first := splitHello(t, clientHelloDatagram(t, nil, 1), 20)[0]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 100000 {
		addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), uint16(1000+i%50000))
		if v := g.Check(first, addr); v.Reply != nil || v.Accept {
			t.Fatal("a fragment alone got an answer")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := after.HeapInuse - min(after.HeapInuse, before.HeapInuse); n > 1<<20 {
		t.Errorf("heap grew by %d bytes during the flood", n)
	}
	if st := g.Stats(); st.Evicted < 100000-16 {
		t.Errorf("stats %+v: want the oldest evicted", st)
	}
	if v := g.Check(clientHelloDatagram(t, nil, 2), netip.AddrPortFrom(netip.IPv4Unspecified(), 1)); v.Reply == nil {
		t.Fatal("a whole ClientHello went unanswered during the flood")
	}
}

// FuzzHelloGate feeds arbitrary datagrams to a gate from a few addresses:
// it must never panic, answer only ClientHellos, and accept only with a
// whole ClientHello that parses.
func FuzzHelloGate(f *testing.F) {
	f.Add(clientHelloDatagram(f, nil, 1), uint8(0))
	for _, p := range splitHello(f, clientHelloDatagram(f, []byte("cookie"), 2), 25) {
		f.Add(p, uint8(1))
	}
	f.Add([]byte{22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 1, 0, 12, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(2))
	g := NewHelloGate(&Config{InsecureNoCookie: true}, 2)
	f.Fuzz(func(t *testing.T, d []byte, from uint8) {
		v := g.Check(d, netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(from%4)))
		if v.Accept {
			if _, _, _, _, ok := parseFirstClientHello(v.Hello); !ok {
				t.Fatal("accepted a ClientHello that does not parse")
			}
		}
	})
}

// hvrCookie returns the cookie of a HelloVerifyRequest datagram.
func hvrCookie(t testing.TB, d []byte) []byte {
	t.Helper()
	_, frag, _, ok := record.Split(d)
	hh, body, _, ok2 := handshake.ParseFragment(frag)
	var hvr handshake.HelloVerifyRequest
	if !ok || !ok2 || hh.Type != handshake.TypeHelloVerifyRequest || !hvr.Unmarshal(body) {
		t.Fatal("not a HelloVerifyRequest")
	}
	return hvr.Cookie
}
