package ccm

import (
	"crypto/subtle"
	"encoding/binary"
)

// state is the scratch of one Seal or Open: the CBC-MAC's chaining block X_i
// (RFC 3610, Section 2.2), the counter block A_i, S_0 = E(K, A_0), which
// encrypts the tag, and a batch of key stream blocks S_i (Section 2.3).
//
// It cannot live on the stack, as the blocks are passed to the block cipher's
// Encrypt through an interface, which escape analysis must assume keeps them;
// each AEAD keeps a spare one instead (see getState).
type state struct {
	x  [blockSize]byte
	a  [blockSize]byte
	s0 [blockSize]byte
	ks [batch * blockSize]byte
}

// getState takes the AEAD's spare state, or allocates a new one when another
// goroutine holds the spare, so that sequential use allocates nothing and
// concurrent use stays correct.
func (c *ccmAEAD) getState() *state {
	if s := c.spare.Swap(nil); s != nil {
		return s
	}
	return new(state)
}

// putState zeroes s, so that no key stream or MAC state outlives the call,
// and keeps it as the spare.
func (c *ccmAEAD) putState(s *state) {
	*s = state{}
	c.spare.Store(s)
}

// start begins the CBC-MAC with X_1 = E(K, B_0), runs it over the additional
// data, and sets A_0 and S_0 (RFC 3610, Sections 2.2 and 2.3). B_0 is
//
//	Flags || Nonce || l(m), Flags = 64*Adata + 8*M' + L'
//
// with M' = (M-2)/2, L' = L-1, Adata = 1 when there is additional data, and
// l(m) in L bytes, most significant first. A_0 is L' || Nonce || 0 in L bytes.
func (c *ccmAEAD) start(s *state, nonce, additionalData []byte, msgLen int) {
	l := blockSize - 1 - c.nonceSize
	b0 := (*[blockSize]byte)(s.ks[:blockSize])
	b0[0] = byte((c.tagSize-2)/2<<3 | (l - 1))
	if len(additionalData) > 0 {
		b0[0] |= 1 << 6
	}
	copy(b0[1:], nonce)
	putLength(b0[1+c.nonceSize:], uint64(msgLen))
	c.block.Encrypt(s.x[:], b0[:])
	if len(additionalData) > 0 {
		c.macAdditionalData(s, additionalData)
	}
	s.a[0] = byte(l - 1)
	copy(s.a[1:], nonce)
	clear(s.a[1+c.nonceSize:])
	c.block.Encrypt(s.s0[:], s.a[:])
}

// putLength writes v into b, most significant byte first; v must fit.
func putLength(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// macAdditionalData runs the CBC-MAC over l(a) || a, padded with zeros to a
// block boundary (RFC 3610, Section 2.2).
func (c *ccmAEAD) macAdditionalData(s *state, a []byte) {
	var buf [10]byte
	pos := c.absorb(s, 0, appendADLength(buf[:0], uint64(len(a))))
	c.pad(s, c.absorb(s, pos, a))
}

// appendADLength appends the encoding l(a) of the additional data's length n
// (RFC 3610, Section 2.2): two bytes if 0 < n < 2^16-2^8, 0xff 0xfe and four
// bytes if n < 2^32, and 0xff 0xff and eight bytes otherwise.
func appendADLength(b []byte, n uint64) []byte {
	switch {
	case n < 1<<16-1<<8:
		return binary.BigEndian.AppendUint16(b, uint16(n))
	case n < 1<<32:
		return binary.BigEndian.AppendUint32(append(b, 0xff, 0xfe), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xff, 0xff), n)
	}
}

// absorb runs the CBC-MAC, X_{i+1} = E(K, X_i XOR B_i), over data: it XORs
// data into X_i, of which pos bytes are already taken, encrypts X_i each time
// it fills, and returns how many bytes of the last block are taken.
func (c *ccmAEAD) absorb(s *state, pos int, data []byte) int {
	for len(data) > 0 {
		n := subtle.XORBytes(s.x[pos:], s.x[pos:], data)
		pos += n
		data = data[n:]
		if pos == blockSize {
			c.block.Encrypt(s.x[:], s.x[:])
			pos = 0
		}
	}
	return pos
}

// pad ends a run of absorb with zeros up to a block boundary: XORing zeros
// leaves X_i as it is, so only a partly taken block needs its encryption.
func (c *ccmAEAD) pad(s *state, pos int) {
	if pos > 0 {
		c.block.Encrypt(s.x[:], s.x[:])
	}
}

// batch is how many blocks of key stream are made at a time, and how many
// blocks the CBC-MAC then takes in: the key stream's encryptions do not
// depend on each other, so the processor overlaps them, where each of the
// CBC-MAC's waits on the one before.
const batch = 8

// keyStream advances A_i by n blocks, n <= batch, and writes S_{i+1}, …,
// S_{i+n} to s.ks (RFC 3610, Section 2.3). The counter occupies the last L
// bytes of A_i and never carries out of them, since a message has fewer than
// 2^(8L) blocks, so adding to the block's last eight bytes is the same as
// adding to the counter.
func (c *ccmAEAD) keyStream(s *state, n int) {
	ctr := binary.BigEndian.Uint64(s.a[8:])
	for j := range n {
		b := s.ks[j*blockSize : (j+1)*blockSize]
		copy(b, s.a[:8])
		binary.BigEndian.PutUint64(b[8:], ctr+uint64(j)+1)
	}
	binary.BigEndian.PutUint64(s.a[8:], ctr+uint64(n))
	for j := range n {
		b := s.ks[j*blockSize : (j+1)*blockSize]
		c.block.Encrypt(b, b)
	}
}

// seal encrypts src into dst with S_1, S_2, … and runs the CBC-MAC over src,
// padded with zeros to a block boundary (RFC 3610, Sections 2.2 and 2.3), a
// batch of blocks at a time; every batch but the last is whole blocks, so
// pad has only the last one's to finish. Each batch is read before its
// output is written, so dst may be src.
func (c *ccmAEAD) seal(s *state, dst, src []byte) {
	for len(src) > 0 {
		n := min(len(src), len(s.ks))
		c.keyStream(s, (n+blockSize-1)/blockSize)
		c.pad(s, c.absorb(s, 0, src[:n]))
		subtle.XORBytes(dst[:n], src[:n], s.ks[:n])
		src, dst = src[n:], dst[n:]
	}
}

// open is seal's inverse: it decrypts src into dst and runs the CBC-MAC over
// the plaintext it wrote. dst may be src.
func (c *ccmAEAD) open(s *state, dst, src []byte) {
	for len(src) > 0 {
		n := min(len(src), len(s.ks))
		c.keyStream(s, (n+blockSize-1)/blockSize)
		subtle.XORBytes(dst[:n], src[:n], s.ks[:n])
		c.pad(s, c.absorb(s, 0, dst[:n]))
		src, dst = src[n:], dst[n:]
	}
}

// tag writes the authentication value U = T XOR first-M-bytes(S_0), T being
// the first M bytes of the CBC-MAC's last block (RFC 3610, Section 2.3).
func (c *ccmAEAD) tag(s *state, u []byte) {
	subtle.XORBytes(u, s.x[:c.tagSize], s.s0[:c.tagSize])
}
