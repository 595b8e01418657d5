//go:build linux

package sock

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The layout of a control message (struct cmsghdr, cmsg(3)): a length as
// wide as a pointer (size_t), the level and the type (int each), then the
// data at the header's length rounded up to the alignment of a long.
var (
	cmsgHdrLen  = unix.SizeofCmsghdr
	cmsgDataOff = unix.CmsgLen(0)
)

// cmsgAlign rounds n up to the alignment of control messages.
func cmsgAlign(n int) int {
	return unix.CmsgSpace(n) - cmsgDataOff
}

// putCmsg writes a control message of level and typ whose data is data
// into b, which must have room for unix.CmsgSpace(len(data)) bytes, and
// returns the room it takes.
func putCmsg(b []byte, level, typ int32, data []byte) int {
	l := unix.CmsgLen(len(data))
	if cmsgHdrLen == 16 {
		binary.NativeEndian.PutUint64(b, uint64(l))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(l))
	}
	binary.NativeEndian.PutUint32(b[cmsgHdrLen-8:], uint32(level))
	binary.NativeEndian.PutUint32(b[cmsgHdrLen-4:], uint32(typ))
	copy(b[cmsgDataOff:l], data)
	return unix.CmsgSpace(len(data))
}

// putSegmentSize writes into b the UDP_SEGMENT control message that has
// the kernel cut a buffer into datagrams of size bytes, a __u16 (Linux
// udp_cmsg_send), and returns the room it takes.
func putSegmentSize(b []byte, size int) int {
	var data [2]byte
	binary.NativeEndian.PutUint16(data[:], uint16(size))
	return putCmsg(b, unix.SOL_UDP, unix.UDP_SEGMENT, data[:])
}

// groSegmentSize parses oob, the control messages of a read, strictly:
// every message well formed, nothing left over but padding. It returns
// the segment size of the UDP_GRO message, an int (Linux udp_cmsg_recv),
// or 0 if there is none, the datagram then standing alone; ok is false if
// oob is malformed or the size is not positive.
func groSegmentSize(oob []byte) (size int, ok bool) {
	for len(oob) > 0 {
		if len(oob) < cmsgDataOff {
			return 0, false
		}
		var l int
		if cmsgHdrLen == 16 {
			l = int(min(binary.NativeEndian.Uint64(oob), uint64(len(oob))+1))
		} else {
			l = int(min(uint64(binary.NativeEndian.Uint32(oob)), uint64(len(oob))+1))
		}
		if l < cmsgDataOff || l > len(oob) {
			return 0, false
		}
		level := int32(binary.NativeEndian.Uint32(oob[cmsgHdrLen-8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[cmsgHdrLen-4:]))
		if level == unix.SOL_UDP && typ == unix.UDP_GRO {
			if l != unix.CmsgLen(4) || size != 0 {
				return 0, false
			}
			v := int32(binary.NativeEndian.Uint32(oob[cmsgDataOff:]))
			if v <= 0 {
				return 0, false
			}
			size = int(v)
		}
		oob = oob[min(cmsgAlign(l), len(oob)):]
	}
	return size, true
}
