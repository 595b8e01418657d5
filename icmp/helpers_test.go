package icmp

import (
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// Addresses of the hand-built messages.
var (
	local4  = netip.MustParseAddrPort("192.0.2.1:5684")
	remote4 = netip.MustParseAddrPort("198.51.100.7:4433")
	router4 = netip.MustParseAddr("203.0.113.1")
	local6  = netip.MustParseAddrPort("[2001:db8::1]:5684")
	remote6 = netip.MustParseAddrPort("[2001:db8:1::7]:4433")
	router6 = netip.MustParseAddr("2001:db8:ff::1")
)

// record is the start of a DTLS 1.2 record (RFC 6347 section 4.1):
// application data, epoch 1, sequence number 0x705, length 107.
var record = []byte("\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x07\x05\x00\x6bciphertext")

// icmpMsg builds an ICMP message; for ICMPv4 it fills in the checksum.
func icmpMsg(proto int, typ, code uint8, word uint32, body []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(typ)
	b.AddUint8(code)
	b.AddUint16(0)
	b.AddUint32(word)
	b.AddBytes(body)
	msg := b.BytesOrPanic()
	if proto == ProtocolICMP {
		setChecksum(msg)
	}
	return msg
}

// setChecksum sets the checksum of the ICMPv4 message msg.
func setChecksum(msg []byte) {
	if len(msg) < 4 {
		return
	}
	msg[2], msg[3] = 0, 0
	sum := checksum(msg)
	msg[2], msg[3] = byte(sum>>8), byte(sum)
}

// ipv4Datagram is the quote of an IPv4 UDP datagram: the IPv4 header with
// options opts, the UDP header, and the first bytes of a payload of
// payloadLen bytes.
type ipv4Datagram struct {
	src, dst   netip.AddrPort
	proto      uint8
	fragOff    uint16
	opts       []byte
	payloadLen int
	quote      []byte
}

func (d ipv4Datagram) bytes() []byte {
	var b cryptobyte.Builder
	b.AddUint8(0x40 | uint8(5+len(d.opts)/4))
	b.AddUint8(0)
	b.AddUint16(uint16(20 + len(d.opts) + 8 + d.payloadLen))
	b.AddUint16(0x1234)
	b.AddUint16(0x4000 | d.fragOff)
	b.AddUint8(64)
	b.AddUint8(d.proto)
	b.AddUint16(0)
	b.AddBytes(d.src.Addr().AsSlice())
	b.AddBytes(d.dst.Addr().AsSlice())
	b.AddBytes(d.opts)
	addUDP(&b, d.src, d.dst, d.payloadLen, d.quote)
	return b.BytesOrPanic()
}

// ipv6Datagram is the quote of an IPv6 UDP datagram, after extension
// headers ext (each with its next header written by bytes).
type ipv6Datagram struct {
	src, dst   netip.AddrPort
	ext        []ipv6Ext
	payloadLen int
	quote      []byte
}

type ipv6Ext struct {
	typ  uint8
	body []byte // after the next-header byte
}

func (d ipv6Datagram) bytes() []byte {
	var b cryptobyte.Builder
	b.AddUint32(6<<28 | 0xbeef)
	extLen := 0
	for _, e := range d.ext {
		extLen += 1 + len(e.body)
	}
	b.AddUint16(uint16(extLen + 8 + d.payloadLen))
	next := uint8(protoUDP)
	if len(d.ext) > 0 {
		next = d.ext[0].typ
	}
	b.AddUint8(next)
	b.AddUint8(64)
	b.AddBytes(d.src.Addr().AsSlice())
	b.AddBytes(d.dst.Addr().AsSlice())
	for i, e := range d.ext {
		next := uint8(protoUDP)
		if i+1 < len(d.ext) {
			next = d.ext[i+1].typ
		}
		b.AddUint8(next)
		b.AddBytes(e.body)
	}
	addUDP(&b, d.src, d.dst, d.payloadLen, d.quote)
	return b.BytesOrPanic()
}

func addUDP(b *cryptobyte.Builder, src, dst netip.AddrPort, payloadLen int, quote []byte) {
	b.AddUint16(src.Port())
	b.AddUint16(dst.Port())
	b.AddUint16(uint16(8 + payloadLen))
	b.AddUint16(0xcafe)
	b.AddBytes(quote)
}

// fragNeeded is an ICMPv4 fragmentation needed about a datagram of
// payloadLen bytes from local4 to remote4 starting with record.
func fragNeeded(mtu uint16, payloadLen int) []byte {
	d := ipv4Datagram{src: local4, dst: remote4, proto: protoUDP, payloadLen: payloadLen, quote: record}
	return icmpMsg(ProtocolICMP, 3, 4, uint32(mtu), d.bytes())
}

// packetTooBig is an ICMPv6 Packet Too Big about a datagram of payloadLen
// bytes from local6 to remote6 starting with record.
func packetTooBig(mtu uint32, payloadLen int) []byte {
	d := ipv6Datagram{src: local6, dst: remote6, payloadLen: payloadLen, quote: record}
	return icmpMsg(ProtocolICMPv6, 2, 0, mtu, d.bytes())
}

// readHex reads a hex file from testdata.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
