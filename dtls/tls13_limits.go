package dtls

import (
	"errors"
	"log/slog"

	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// The limits of an epoch's keys in DTLS 1.3 (RFC 9147 §4.5.3, RFC 8446
// §5.5), and the recovery of the sequence number after a long loss.

// updateAfterRecords is how many records we send in an epoch before a
// KeyUpdate gives the next keys: below the confidentiality limits of
// every suite (2^24.5 full records for AES-GCM, RFC 8446 §5.5; CCM's is
// the same, ChaCha20-Poly1305's far higher).
const updateAfterRecords = 1 << 23

// integrityLimit returns how many records of an epoch may fail to
// authenticate before its keys must go (RFC 9147 §4.5.3): 2^36 for
// AES-GCM and ChaCha20-Poly1305, 2^23.5 for AES-CCM, 2^7 for AES-CCM_8,
// whose 8-byte tag is easier to forge.
func integrityLimit(s *suite13) uint64 {
	switch s.id {
	case TLS_AES_128_CCM_8_SHA256:
		return 1 << 7
	case TLS_AES_128_CCM_SHA256:
		return 11863283 // 2^23.5
	}
	return 1 << 36
}

// errIntegrityLimit ends an association whose peer's keys failed to
// authenticate too many records.
var errIntegrityLimit = errors.New("dtls: too many records failed to authenticate under the peer's keys (RFC 9147 §4.5.3)")

// authFailed13 counts a record of the current epoch that failed to
// authenticate: at half the suite's integrity limit the peer is asked to
// update its keys, which resets the count with the epoch; at the limit,
// the association ends. c.in is held.
func (c *Conn) authFailed13() {
	p := c.p13
	if p == nil {
		return
	}
	p.failed++
	limit := integrityLimit(p.suite)
	switch {
	case p.failed >= limit:
		c.failLocked(c.sendAlert(AlertBadRecordMAC, errIntegrityLimit))
	case p.failed == limit/2:
		if c.config.logs(slog.LevelWarn) {
			c.config.event(slog.LevelWarn, "integrity limit near", "%d records failed to authenticate: asking the peer for new keys",
				slog.Int("failed", int(p.failed)))
		}
		_ = c.updateKeysLocked(true)
	}
}

// resyncAfter is how many records of the current epoch in a row must fail
// to authenticate before the next are also tried with the sequence
// numbers one, two and three wraps of the header's field further (RFC
// 9147 §4.2.2 reconstructs the number from its low bits, near the next
// one expected): a loss of 2^15 records or more, in a burst, leaves the
// expected number behind by more than half the field, and every record
// after would fail.
const resyncAfter = 8

// openResync13 opens a record of the current epoch after a run of
// failures, trying the sequence numbers beyond the nearest: it works on a
// copy, since a failed Open leaves the record altered. c.in is held.
func (c *Conn) openResync13(es *epochIn, whole []byte, expected uint64) (record.ContentType, []byte, uint64, error) {
	var err error
	for k := uint64(0); k <= 3; k++ {
		buf := append(c.in.resync[:0], whole...)
		c.in.resync = buf
		hdr, body, _, perr := record.ParseUnified(buf, len(c.in.cid))
		if perr != nil {
			return 0, nil, 0, perr
		}
		step := uint64(1) << 8
		if hdr[0]&0x08 != 0 {
			step = 1 << 16
		}
		var typ record.ContentType
		var plain []byte
		var seq uint64
		typ, plain, seq, err = es.c13.Open(hdr, body, uint64(es.epoch), expected+k*step)
		if err == nil {
			return typ, plain, seq, nil
		}
	}
	return 0, nil, 0, err
}
