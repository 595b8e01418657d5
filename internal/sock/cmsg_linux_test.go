package sock

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// groCmsg returns the UDP_GRO control message of segment size `size`, as
// the kernel writes it (put_cmsg of an int).
func groCmsg(size int32) []byte {
	var data [4]byte
	binary.NativeEndian.PutUint32(data[:], uint32(size))
	b := make([]byte, unix.CmsgSpace(4))
	return b[:putCmsg(b, unix.SOL_UDP, unix.UDP_GRO, data[:])]
}

// TestGROControlMessageReal reads a coalesced buffer with recvmsg and
// checks that the kernel's control message is the one groCmsg builds, and
// that groSegmentSize reads it.
func TestGROControlMessageReal(t *testing.T) {
	a, _ := batchSocket(t, "udp4", offload{"gso", true, false})
	_, ub := batchSocket(t, "udp4", offload{"gro", false, true})
	sendAll(t, a, numbered(0, 4, 1000, ub.local))
	buf, oob := make([]byte, groSlotSize), make([]byte, oobSize)
	var n, oobn int
	var err error
	cerr := ub.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err = unix.Poll(fds, 10_000); err != unix.EINTR {
				break
			}
		}
		if err == nil {
			n, oobn, _, _, err = unix.Recvmsg(int(fd), buf, oob, unix.MSG_DONTWAIT)
		}
	})
	if cerr != nil || err != nil || n != 4000 {
		t.Fatalf("recvmsg = %d, %v, %v", n, err, cerr)
	}
	if want := groCmsg(1000); !bytes.Equal(oob[:oobn], want) {
		t.Fatalf("control message %x; want %x", oob[:oobn], want)
	}
	if size, ok := groSegmentSize(oob[:oobn]); size != 1000 || !ok {
		t.Fatalf("groSegmentSize = %d, %v", size, ok)
	}
}

// TestSegmentSizeMessage checks the UDP_SEGMENT message against the
// parser of x/sys.
func TestSegmentSizeMessage(t *testing.T) {
	b := make([]byte, oobSize)
	n := putSegmentSize(b, 1200)
	msgs, err := unix.ParseSocketControlMessage(b[:n])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("ParseSocketControlMessage = %v, %v", msgs, err)
	}
	m := msgs[0]
	if m.Header.Level != unix.SOL_UDP || m.Header.Type != unix.UDP_SEGMENT || int(m.Header.Len) != unix.CmsgLen(2) ||
		binary.NativeEndian.Uint16(m.Data) != 1200 {
		t.Fatalf("message %+v", m)
	}
	if size, ok := groSegmentSize(b[:n]); size != 0 || !ok {
		t.Fatalf("groSegmentSize of a UDP_SEGMENT message = %d, %v", size, ok)
	}
}

func TestGROSegmentSize(t *testing.T) {
	other := make([]byte, unix.CmsgSpace(4))
	other = other[:putCmsg(other, unix.IPPROTO_IP, unix.IP_TTL, []byte{64, 0, 0, 0})]
	for _, tc := range []struct {
		name string
		oob  []byte
		size int
		ok   bool
	}{
		{"none", nil, 0, true},
		{"gro", groCmsg(1400), 1400, true},
		{"after another", append(append([]byte(nil), other...), groCmsg(1200)...), 1200, true},
		{"another alone", other, 0, true},
		{"twice", append(groCmsg(1200), groCmsg(1200)...), 0, false},
		{"zero", groCmsg(0), 0, false},
		{"negative", groCmsg(-1), 0, false},
		{"short header", groCmsg(1000)[:cmsgDataOff-1], 0, false},
		{"short data", groCmsg(1000)[:unix.CmsgLen(4)-1], 0, false},
	} {
		if size, ok := groSegmentSize(tc.oob); size != tc.size || ok != tc.ok {
			t.Errorf("%s: groSegmentSize = %d, %v; want %d, %v", tc.name, size, ok, tc.size, tc.ok)
		}
	}
}

// FuzzGROSegmentSize checks that groSegmentSize never panics, reports a
// size only when it accepts, and reads back a UDP_GRO message of what it
// accepted.
func FuzzGROSegmentSize(f *testing.F) {
	f.Add([]byte{})
	f.Add(groCmsg(1000))
	f.Add(groCmsg(1))
	ttl := make([]byte, unix.CmsgSpace(4))
	f.Add(append(ttl[:putCmsg(ttl, unix.IPPROTO_IP, unix.IP_TTL, []byte{64, 0, 0, 0})], groCmsg(1200)...))
	seg := make([]byte, oobSize)
	f.Add(seg[:putSegmentSize(seg, 1200)])
	f.Fuzz(func(t *testing.T, oob []byte) {
		size, ok := groSegmentSize(oob)
		if size < 0 || !ok && size != 0 {
			t.Fatalf("groSegmentSize = %d, %v", size, ok)
		}
		if size > 0 {
			if again, ok := groSegmentSize(groCmsg(int32(size))); again != size || !ok {
				t.Fatalf("size %d read back as %d, %v", size, again, ok)
			}
		}
	})
}
