package handshake

import "fmt"

// An appender encodes a message into one buffer. Fixed-width fields are
// appended; a vector opens with begin, which appends room for its length,
// and closes with end, which writes the length and checks that it fits its
// width. As with cryptobyte.Builder, which the parsers use, nobody counts
// bytes; unlike it, no Builder and no closure is allocated for each length
// prefix, which matters on a server that marshals hellos for every client.
type appender struct {
	b   []byte
	err error // the first length that did not fit
}

func newAppender(size int) appender { return appender{b: make([]byte, 0, size)} }

func (a *appender) u8(v uint8)   { a.b = append(a.b, v) }
func (a *appender) u16(v uint16) { a.b = append(a.b, byte(v>>8), byte(v)) }
func (a *appender) u32(v uint32) {
	a.b = append(a.b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
func (a *appender) bytes(v []byte) {
	a.b = append(a.b, v...)
}

// begin opens a vector whose length takes width bytes, and returns where
// the length goes, for end.
func (a *appender) begin(width int) int {
	at := len(a.b)
	for range width {
		a.b = append(a.b, 0)
	}
	return at
}

// end closes the vector opened at at with width bytes of length.
func (a *appender) end(at, width int) {
	n := len(a.b) - at - width
	if n >= 1<<(8*width) {
		if a.err == nil {
			a.err = fmt.Errorf("dtls: a vector of %d bytes exceeds its %d-byte length", n, width)
		}
		return
	}
	for i := range width {
		a.b[at+i] = byte(n >> (8 * (width - 1 - i)))
	}
}

// opaque8, opaque16 and opaque24 append v as a vector with an 8-, 16- or
// 24-bit length.
func (a *appender) opaque8(v []byte)  { a.opaque(1, v) }
func (a *appender) opaque16(v []byte) { a.opaque(2, v) }
func (a *appender) opaque24(v []byte) { a.opaque(3, v) }

func (a *appender) opaque(width int, v []byte) {
	at := a.begin(width)
	a.bytes(v)
	a.end(at, width)
}

// uint16List appends list as a vector of uint16 values with a 16-bit
// length.
func (a *appender) uint16List(list []uint16) {
	at := a.begin(2)
	for _, x := range list {
		a.u16(x)
	}
	a.end(at, 2)
}

// result returns the message, or the first length that did not fit.
func (a *appender) result() ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	return a.b, nil
}
