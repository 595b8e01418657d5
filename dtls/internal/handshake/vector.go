package handshake

import (
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// This file holds the helpers every message shares for the variable-length
// vectors of RFC 5246, Section 4.3: a vector declared <floor..ceiling> is
// preceded by a length field just wide enough for ceiling, and its content
// length must lie between floor and ceiling.

// readOpaque8 reads an opaque<minLen..2^8-1> vector into out. out aliases s's
// underlying bytes, clipped so that appending to it cannot overwrite what
// follows it; an empty vector is returned as nil.
func readOpaque8(s *cryptobyte.String, out *[]byte, minLen int) bool {
	var v cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&v) || len(v) < minLen {
		return false
	}
	*out = clip(v)
	return true
}

// readOpaque16 is readOpaque8 for an opaque<minLen..2^16-1> vector.
func readOpaque16(s *cryptobyte.String, out *[]byte, minLen int) bool {
	var v cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&v) || len(v) < minLen {
		return false
	}
	*out = clip(v)
	return true
}

// readOpaque24 is readOpaque8 for an opaque<minLen..2^24-1> vector.
func readOpaque24(s *cryptobyte.String, out *[]byte, minLen int) bool {
	var v cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&v) || len(v) < minLen {
		return false
	}
	*out = clip(v)
	return true
}

// readUint16List reads a vector of uint16 values declared <2..2^16-2>: a
// 16-bit length, at least one value, and no odd byte left over.
func readUint16List(s *cryptobyte.String, out *[]uint16) bool {
	var v cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&v) || v.Empty() || len(v)%2 != 0 {
		return false
	}
	list := make([]uint16, 0, len(v)/2)
	for !v.Empty() {
		var x uint16
		if !v.ReadUint16(&x) {
			return false
		}
		list = append(list, x)
	}
	*out = list
	return true
}

// clip returns v as a byte slice whose capacity equals its length, or nil if
// v is empty.
func clip(v cryptobyte.String) []byte {
	if len(v) == 0 {
		return nil
	}
	return slices.Clip([]byte(v))
}

// checkLen reports an error naming field if n, the length in bytes of a
// vector's content, lies outside <lo..hi>.
func checkLen(field string, n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("dtls: %s is %d bytes long, want %d to %d", field, n, lo, hi)
	}
	return nil
}
