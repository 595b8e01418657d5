package transport

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/icmp"
)

// record returns a datagram of size bytes that starts with a DTLS 1.2
// application-data record header of epoch and seq.
func record(epoch uint16, seq uint64, size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{23, 0xfe, 0xfd, byte(epoch >> 8), byte(epoch),
		byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq),
		byte((size - recordHeaderLen) >> 8), byte(size - recordHeaderLen)})
	return b
}

func TestParseRecordIDPrefixes(t *testing.T) {
	b := record(1, 0x123456789abc, 100)
	id, ok := parseRecordID(b)
	want := recordID{typ: 23, version: 0xfefd, epoch: 1, seq: 0x123456789abc, length: 87}
	if !ok || id != want {
		t.Fatalf("parseRecordID = %+v, %v; want %+v", id, ok, want)
	}
	for n := range recordHeaderLen {
		if _, ok := parseRecordID(b[:n]); ok {
			t.Errorf("a %d-byte prefix parsed", n)
		}
	}
}

func FuzzParseRecordID(f *testing.F) {
	f.Add(record(0, 0, 13))
	f.Add(record(1, 1<<47, 1400))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r sentRing
		r.add(b)
		size, ok := r.lookup(b)
		if _, parsed := parseRecordID(b); parsed && b[0] != 0 && (!ok || size != len(b)) {
			t.Fatalf("lookup of a sent datagram = %d, %v", size, ok)
		}
	})
}

func TestSentRingForgets(t *testing.T) {
	var r sentRing
	for seq := range uint64(sentRingLen + 1) {
		r.add(record(1, seq, 1000+int(seq)))
	}
	if _, ok := r.lookup(record(1, 0, 1000)); ok {
		t.Error("the oldest datagram is still matched after the ring wrapped")
	}
	if size, ok := r.lookup(record(1, sentRingLen, 1000+sentRingLen)[:recordHeaderLen]); !ok || size != 1000+sentRingLen {
		t.Errorf("lookup of the newest = %d, %v", size, ok)
	}
	if got := r.largest(); got != 1000+sentRingLen {
		t.Errorf("largest = %d", got)
	}
}

// tooBigEvent is an ICMP event about a datagram from local to remote
// quoting quote and reporting mtu.
func tooBigEvent(local, remote netip.AddrPort, mtu int, quote []byte) icmp.Event {
	return icmp.Event{Local: local, Remote: remote, MTU: mtu, Kind: icmp.KindFragNeeded, Type: 3, Code: 4, Quote: quote}
}

func TestPathTooBig(t *testing.T) {
	local := netip.MustParseAddrPort("192.0.2.1:1000")
	remote := netip.MustParseAddrPort("192.0.2.2:2000")
	sent := record(1, 7, 1472)
	tests := []struct {
		name    string
		mtu     int
		quote   []byte
		want    int // path MTU afterwards
		wantErr error
	}{
		{"accepted", 1280, sent[:548], 1280, nil},
		{"short quote", 1280, nil, 1280, nil},
		{"never sent", 1280, record(1, 8, 1472)[:548], 1500, icmp.ErrNotSent},
		{"MTU not below size", 1500, sent[:548], 1500, icmp.ErrMTUNotBelowSize},
		{"other peer", 1280, sent[:548], 1500, icmp.ErrNotOurs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPath(remote, pathConfig{est: 1500})
			p.sending(sent)
			ev := tooBigEvent(local, remote, tt.mtu, tt.quote)
			if tt.wantErr == icmp.ErrNotOurs {
				ev.Remote = netip.MustParseAddrPort("192.0.2.3:2000")
			}
			shrunk := p.tooBig(ev, local)
			if got := p.MTU(); got != tt.want || shrunk != (tt.want < 1500) || p.takeShrunk() != shrunk {
				t.Errorf("path MTU %d (shrunk %v); want %d", got, shrunk, tt.want)
			}
			s := p.validator.Stats()
			if tt.wantErr == nil && s.Accepted != 1 || tt.wantErr != nil && s.Rejected() != 1 {
				t.Errorf("validator stats %+v", s)
			}
		})
	}
}

func TestPathHandshakeTimeout(t *testing.T) {
	remote := netip.MustParseAddrPort("192.0.2.2:2000")
	p := newPath(remote, pathConfig{est: 1500})
	// A flight of small datagrams: stepping down could not help.
	p.sending(record(0, 0, 200))
	p.HandshakeTimeout(p.MaxDatagramSize(), 1)
	if got := p.MTU(); got != 1500 {
		t.Fatalf("path MTU %d after a small flight timed out; want 1500", got)
	}
	p.sending(record(0, 1, 1472))
	p.HandshakeTimeout(1472, 2)
	if got := p.MTU(); got != 1200 {
		t.Fatalf("path MTU %d after a full-size flight timed out; want BASE, 1200", got)
	}
	if n := p.lostFlights.Load(); n != 2 {
		t.Errorf("timer retransmissions %d; want 2", n)
	}
	fixed := newPath(remote, pathConfig{est: 1500, fixed: 300})
	fixed.sending(record(0, 0, 272))
	fixed.HandshakeTimeout(272, 1)
	fixed.MessageTooLong(272)
	if got := fixed.MaxDatagramSize(); got != 272 {
		t.Errorf("fixed path: datagram size %d; want 272", got)
	}
}

func TestSendRetriesAfterPendingError(t *testing.T) {
	remote := netip.MustParseAddrPort("192.0.2.2:2000")
	tests := []struct {
		name       string
		size       int
		fails      int // writes that fail with errno
		errno      syscall.Errno
		wantWrites int
		wantTooBig bool
	}{
		{"no error", 100, 0, syscall.EMSGSIZE, 1, false},
		{"pending error consumed", 100, 1, syscall.EMSGSIZE, 2, false},
		{"too long twice, then sent", 100, 2, syscall.EMSGSIZE, 3, false},
		{"too long every time", 100, sendAttempts, syscall.EMSGSIZE, sendAttempts, true},
		// With an error queue, a refusal of this datagram would have
		// been queued: the errors are ICMP about earlier datagrams,
		// which a flood of forgeries keeps coming.
		{"too long every time, error queue", 100, sendAttempts, syscall.EMSGSIZE, sendAttempts, false},
		{"above the path after draining", 1472, 1, syscall.EMSGSIZE, 1, true},
		// Another peer's port unreachable, again and again: this
		// datagram counts as lost, not as a failure of the association.
		{"refused every time", 100, sendAttempts, syscall.ECONNREFUSED, sendAttempts, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPath(remote, pathConfig{est: 1500, errQueue: strings.HasSuffix(tt.name, "error queue")})
			writes, drains := 0, 0
			write := func(b []byte) (int, error) {
				writes++
				if writes <= tt.fails {
					return 0, tt.errno
				}
				return len(b), nil
			}
			drain := func() {
				drains++
				p.localLimit(1280) // as a queued local refusal would
			}
			if tt.size <= 1252 {
				drain = func() { drains++ }
			}
			_, err := p.send(record(0, 0, tt.size), write, drain)
			if !tt.wantTooBig && err != nil {
				t.Errorf("send: %v; want the datagram sent or counted as lost", err)
			}
			if writes != tt.wantWrites || errors.Is(err, dtls.ErrMessageTooLong) != tt.wantTooBig {
				t.Errorf("send: %d writes, error %v; want %d writes, too long %v", writes, err, tt.wantWrites, tt.wantTooBig)
			}
			if tt.wantTooBig && !errors.Is(err, syscall.EMSGSIZE) {
				t.Errorf("error %v does not wrap EMSGSIZE", err)
			}
			if drains != min(tt.fails, tt.wantWrites) {
				t.Errorf("%d drains; want %d", drains, min(tt.fails, tt.wantWrites))
			}
		})
	}
}
