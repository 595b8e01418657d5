//go:build linux

package tests

import (
	"fmt"
	"net"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/transport"
)

// TestTransportSplitClientHello runs a client whose datagrams are fixed at
// dtls.MinDatagramSize bytes of UDP payload, so that its ClientHello (82
// bytes of body with the PSK suite, 114 with the cookie) takes 3 datagrams
// each time: our listener must reassemble it before it checks the cookie,
// and complete the handshake (issue 8, item 5; TestSplitClientHello in
// transport). A sniffer in the server's namespace proves the split.
func TestTransportSplitClientHello(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			tp := netns.New(t, netns.Options{})
			sniff := sniffUDP(t, tp.Server, network)
			cc, sc := pskConfigs()
			l := listenIn(t, tp.Server, transport.ListenConfig{}, network, sc)
			serveEcho(t, l)
			overhead := 28
			if network == "udp6" {
				overhead = 48
			}
			d := transport.Dialer{MTU: dtls.MinDatagramSize + overhead}
			c, took, err := dialIn(tp.Client, d, l, cc)
			if err != nil {
				t.Fatalf("Dial with MTU %d: %v; listener %+v", d.MTU, err, l.Stats())
			}
			defer c.Close()
			if err := echoOnce(c, []byte("split hello")); err != nil {
				t.Fatal(err)
			}
			local, remote := c.LocalAddr().(*net.UDPAddr).AddrPort(), l.Addr().(*net.UDPAddr).AddrPort()
			var fragments []string
			for covered, total := 0, -1; covered != total; {
				off, n, length, err := clientHelloFragment(sniff(local, remote))
				if err != nil {
					t.Fatalf("datagram %d from the client: %v", len(fragments)+1, err)
				}
				fragments = append(fragments, fmt.Sprintf("%d+%d", off, n))
				if total = length; off != covered {
					t.Fatalf("ClientHello fragments %v; want them in order", fragments)
				}
				covered += n
			}
			st := l.Stats()
			t.Logf("handshake in %v; first ClientHello in datagrams %v; listener %+v", took, fragments, st)
			if len(fragments) != 3 {
				t.Errorf("the first ClientHello took %d datagrams; want 3", len(fragments))
			}
			// Both ClientHellos, without and with the cookie, are split.
			if st.HelloFragments < 6 || st.Accepted != 1 {
				t.Errorf("listener %+v; want at least 6 ClientHello fragments and 1 association accepted", st)
			}
		})
	}
}

// clientHelloFragment parses a datagram that holds one record with a
// fragment of the first ClientHello (RFC 6347 §4.2.2, message_seq 0) and
// returns the fragment's offset and length and the message's length.
func clientHelloFragment(d []byte) (offset, n, length int, err error) {
	s := cryptobyte.String(d)
	var typ, msgType uint8
	var version, epoch, msgSeq uint16
	var seq uint64
	var body cryptobyte.String
	var msgLen, fragOff, fragLen uint32
	if !s.ReadUint8(&typ) || !s.ReadUint16(&version) || !s.ReadUint16(&epoch) || !s.ReadUint48(&seq) ||
		!s.ReadUint16LengthPrefixed(&body) || !s.Empty() {
		return 0, 0, 0, fmt.Errorf("not one DTLS record: % x", d)
	}
	if !body.ReadUint8(&msgType) || !body.ReadUint24(&msgLen) || !body.ReadUint16(&msgSeq) ||
		!body.ReadUint24(&fragOff) || !body.ReadUint24(&fragLen) || len(body) != int(fragLen) {
		return 0, 0, 0, fmt.Errorf("record of type %d holds no handshake fragment: % x", typ, d)
	}
	if typ != 22 || epoch != 0 || msgType != 1 || msgSeq != 0 {
		return 0, 0, 0, fmt.Errorf("record of type %d, epoch %d, handshake type %d, message_seq %d; want a ClientHello fragment of message_seq 0",
			typ, epoch, msgType, msgSeq)
	}
	return int(fragOff), int(fragLen), int(msgLen), nil
}
