package transport

import "sync"

// pooledDatagram is the capacity of the pooled buffers that carry a
// received datagram from the listener's reader to its association: enough
// for a 1500-byte path, and for most jumbo-free paths. Larger datagrams get
// a buffer of their own.
const pooledDatagram = 2048

// datagramPool recycles those buffers, so that the server's receive path
// does not allocate per datagram.
var datagramPool = sync.Pool{New: func() any {
	b := make([]byte, 0, pooledDatagram)
	return &b
}}

// copyDatagram returns a buffer holding a copy of d, from the pool when it
// fits.
func copyDatagram(d []byte) *[]byte {
	if len(d) > pooledDatagram {
		b := append([]byte(nil), d...)
		return &b
	}
	b := datagramPool.Get().(*[]byte)
	*b = append((*b)[:0], d...)
	return b
}

// releaseDatagram returns a buffer from copyDatagram to the pool.
func releaseDatagram(b *[]byte) {
	if cap(*b) == pooledDatagram {
		datagramPool.Put(b)
	}
}
