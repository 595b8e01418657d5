package prf

import (
	"crypto"
	"hash"
	"sync"
)

// maxBlock is the largest hash block size of the PRFs' hashes (SHA-384's).
const maxBlock = 128

// A mac computes HMAC (RFC 2104) with hash states it keeps: crypto/hmac
// allocates a keyed MAC afresh for every key, and a handshake runs the PRF
// half a dozen times, each under a new key. Macs are pooled per hash.
type mac struct {
	inner, outer hash.Hash
	block        int
	ipad, opad   [maxBlock]byte
	innerSum     [64]byte
	a, b         [64]byte // pHash's A(i) and output block, kept here so as not to escape
}

// macPools holds reusable macs, one pool per hash, indexed by crypto.Hash.
var macPools [crypto.BLAKE2b_512 + 1]sync.Pool

// getMAC returns a mac over h keyed with key; putMAC gives it back.
func getMAC(h crypto.Hash, key []byte) *mac {
	m, _ := macPools[h].Get().(*mac)
	if m == nil {
		m = &mac{inner: h.New(), outer: h.New()}
		m.block = m.inner.BlockSize()
	}
	m.setKey(key)
	return m
}

func putMAC(h crypto.Hash, m *mac) { macPools[h].Put(m) }

// setKey derives the inner and outer pads from key (RFC 2104, Section 2).
func (m *mac) setKey(key []byte) {
	if len(key) > m.block {
		m.outer.Reset()
		m.outer.Write(key)
		key = m.outer.Sum(m.innerSum[:0])
	}
	clear(m.ipad[:])
	copy(m.ipad[:], key)
	m.opad = m.ipad
	for i := range m.block {
		m.ipad[i] ^= 0x36
		m.opad[i] ^= 0x5c
	}
}

// reset starts a new message.
func (m *mac) reset() {
	m.inner.Reset()
	m.inner.Write(m.ipad[:m.block])
}

func (m *mac) write(b []byte) { m.inner.Write(b) }

// sum appends the MAC of the message to dst.
func (m *mac) sum(dst []byte) []byte {
	in := m.inner.Sum(m.innerSum[:0])
	m.outer.Reset()
	m.outer.Write(m.opad[:m.block])
	m.outer.Write(in)
	return m.outer.Sum(dst)
}
