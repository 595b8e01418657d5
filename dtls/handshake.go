package dtls

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/fragment"
	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/prf"
)

// hsBase is the state both sides' handshakes share: the message sequence
// numbers, the transcript, the deadline, the retransmission timer, and the
// step that takes the next message. The handshake is a chain of steps, each
// the straight-line code between two messages of the peer: the engine pops
// each complete message in order and gives it to step, which checks it,
// acts on it, perhaps sends a flight, and names the next step. It is
// guarded by c.in's lock.
type hsBase struct {
	c        *Conn
	started  time.Time
	deadline time.Time // whole-handshake deadline; zero for none
	timer    retransmitTimer
	waiting  bool // a flight is outstanding and the timer runs
	timeouts int  // consecutive losses of the current flight

	// initial takes whole datagrams before the first message is accepted
	// (a server's ClientHello and cookie); step takes each message after.
	initial func(datagram []byte) error
	step    func(m fragment.Message) error
	server  *serverHandshake // the server's state, or nil for a client
	// old, if set, sees every fragment of a message before
	// next_receive_seq first, and reports whether it dealt with it (a
	// client's new HelloVerifyRequest).
	old func(h handshake.Header, frag []byte) bool
	// plainTicket lets a NewSessionTicket come in the epoch before the
	// keys just armed: the server sends it before its ChangeCipherSpec.
	plainTicket bool

	// ep is the epoch the handshake's messages go in until our
	// ChangeCipherSpec: 0 for the first handshake, the current epoch for
	// a renegotiation, which reneg describes (nil for the first).
	ep    uint16
	reneg *renegotiation
	// unanswered says that we started this renegotiation and the peer has
	// sent nothing of it yet: a no_renegotiation warning, or the
	// deadline, abandons it and the association goes on.
	unanswered bool
	// ownFin is the verify_data of our Finished, kept with the peer's
	// (peerFin) for the next renegotiation (RFC 5746 §3.1).
	ownFin [prf.VerifyDataLen]byte
	// secureReneg says that both sides use renegotiation_info (RFC 5746).
	secureReneg bool
	// cid is what the hellos negotiated of connection IDs (RFC 9146).
	cid cidState
	// etm says that the hellos negotiated encrypt_then_mac (RFC 7366).
	etm bool
	// srtp and srtpMKI are the DTLS-SRTP profile and MKI negotiated (RFC
	// 5764), alpn the application protocol (RFC 7301).
	srtp    SRTPProtectionProfile
	srtpMKI []byte
	alpn    string

	sendSeq    uint16
	transcript []byte                  // every message as if unfragmented (RFC 6347 §4.2.6)
	received   []span                  // where each message received from the peer sits in transcript
	spans      [8]span                 // received's first array, enough for a full handshake
	hash       [maxTranscriptHash]byte // room for a transcript hash
	// Room for the secrets the handshake derives, so that deriving them
	// allocates nothing: the master secret, the verify_data expected of
	// the peer, and room for a derivation and its seed (the randoms,
	// 64 bytes), cleared after each.
	masterBuf [prf.MasterSecretLen]byte
	peerFin   [prf.VerifyDataLen]byte
	scratch   [maxKeyBlockLen + 64]byte
	// transcriptBuf is the pooled buffer transcript started in, returned
	// to transcripts when the handshake completes.
	transcriptBuf *[]byte
	vers          uint16
	suite         *cipherSuite

	// pendingAlert is a fatal alert or close_notify that arrived without
	// authentication (epoch 0) while the handshake waited, or (sendAlert
	// set) a record of the new epoch that failed authentication, as the
	// peer's Finished does when the two sides' keys differ (a wrong
	// pre-shared key). It ends the handshake at the next timeout unless the
	// peer's handshake progresses first, since anyone who knows the
	// addresses can forge such a record.
	pendingAlert error
	sendAlert    bool // tell the peer: send bad_record_mac when failing
}

// A span is where a message received from the peer sits in the transcript,
// so that a retransmission of it can be told from a forgery.
type span struct {
	seq      uint16
	typ      handshake.Type
	from, to int // the body, without the header
}

// transcriptCap is the room a transcript starts with: a handshake with a
// certificate of ordinary size fits, so it grows rarely.
const transcriptCap = 2048

// maxPooledTranscript bounds the transcripts kept for the next handshake:
// one that a long certificate chain grew is left to the collector.
const maxPooledTranscript = 16 << 10

// transcripts hold the buffers of transcripts between handshakes: a
// transcript is needed only until its handshake completes.
var transcripts = sync.Pool{New: func() any {
	b := make([]byte, 0, transcriptCap)
	return &b
}}

func (hs *hsBase) init(c *Conn, now time.Time) {
	hs.c, hs.started = c, now
	hs.transcriptBuf = transcripts.Get().(*[]byte)
	hs.transcript = (*hs.transcriptBuf)[:0]
	hs.received = hs.spans[:0]
	hs.timer = newRetransmitTimer(c.config.retransmitTimeout())
	if d := c.config.handshakeTimeout(); d > 0 {
		hs.deadline = now.Add(d)
	}
}

// releaseTranscript gives the transcript's buffer back to transcripts: the
// handshake completed, and nothing reads the transcript again.
func (hs *hsBase) releaseTranscript() {
	if hs.transcriptBuf == nil {
		return
	}
	if cap(hs.transcript) <= maxPooledTranscript {
		*hs.transcriptBuf = hs.transcript[:0]
		transcripts.Put(hs.transcriptBuf)
	}
	hs.transcript, hs.transcriptBuf, hs.received = nil, nil, nil
}

// message builds a flight item for a handshake message, assigning its
// message_seq and adding it to the transcript.
func (hs *hsBase) message(epoch uint16, typ handshake.Type, body []byte) fragment.Out {
	o := fragment.Out{Epoch: epoch, Type: typ, Seq: hs.sendSeq, Body: body}
	hs.sendSeq++
	hs.appendTranscript(typ, o.Seq, body)
	return o
}

// addTranscript appends a message received from the peer to the transcript
// and remembers where it is.
func (hs *hsBase) addTranscript(typ handshake.Type, seq uint16, body []byte) {
	hs.appendTranscript(typ, seq, body)
	n := len(hs.transcript)
	hs.received = append(hs.received, span{seq: seq, typ: typ, from: n - len(body), to: n})
}

// appendTranscript appends a message with a header that says it was sent
// whole (RFC 6347 §4.2.6).
func (hs *hsBase) appendTranscript(typ handshake.Type, seq uint16, body []byte) {
	h := handshake.Header{Type: typ, Length: uint32(len(body)), MessageSeq: seq, FragmentLength: uint32(len(body))}
	hs.transcript = h.Append(hs.transcript)
	hs.transcript = append(hs.transcript, body...)
}

// resetTranscript forgets the transcript: the first ClientHello and the
// HelloVerifyRequest stay out of it (RFC 6347 §4.2.6).
func (hs *hsBase) resetTranscript() {
	hs.transcript, hs.received = hs.transcript[:0], hs.received[:0]
}

// transcriptBefore returns the transcript without its last message, m,
// which the engine added before handing m to the step.
func (hs *hsBase) transcriptBefore(m fragment.Message) []byte {
	return hs.transcript[:len(hs.transcript)-handshake.HeaderLen-len(m.Body)]
}

// repeats reports whether fragment, of a message before next_receive_seq,
// repeats bytes of a message received from the peer: only then is it the
// peer retransmitting, and not someone else's forgery (RFC 6347 §4.2.4).
func (hs *hsBase) repeats(h handshake.Header, frag []byte) bool {
	for _, s := range hs.received {
		if s.seq != h.MessageSeq {
			continue
		}
		body := hs.transcript[s.from:s.to]
		off, end := uint64(h.FragmentOffset), uint64(h.FragmentOffset)+uint64(len(frag))
		return s.typ == h.Type && uint64(h.Length) == uint64(len(body)) &&
			end <= uint64(len(body)) && string(body[off:end]) == string(frag)
	}
	return false
}

// progress notes that the peer's handshake moved on: a new message arrived.
func (hs *hsBase) progress() { hs.pendingAlert, hs.sendAlert = nil, false }

// sendFlight sends a new flight. awaitReply starts the retransmission
// timer; a flight that ends the handshake is only kept to answer
// retransmissions. The flight before it, if one was outstanding, was
// answered.
func (hs *hsBase) sendFlight(items []fragment.Out, awaitReply bool) error {
	c := hs.c
	c.out.Lock()
	defer c.out.Unlock()
	if hs.waiting {
		hs.answered()
	}
	c.out.flight, c.out.retransmits = items, 0
	c.out.resetSent()
	// Our flight answers the peer's, which it acknowledges (RFC 9147 §7).
	c.in.acks.nums, c.in.acks.due = c.in.acks.nums[:0], time.Time{}
	hs.waiting, hs.timeouts = awaitReply, 0
	err := c.transmitFlightLocked()
	c.armTimerLocked()
	return err
}

// answered takes in that the outstanding flight was answered: its size
// gets through, and the timer keeps its value only if the flight was lost
// on the way (RFC 6347 §4.2.4.1). c.out is held.
func (hs *hsBase) answered() {
	hs.timer.answered(hs.c.out.retransmits > 0)
	if n := hs.c.in.flightLargest; n > 0 {
		hs.c.link.FlightAnswered(n)
	}
	hs.waiting = false
}

// flightTimedOut retransmits the flight in progress when its timer
// expires. Each loss may make the path smaller (RFC 6347 §4.1.1.1); a
// retransmission at a smaller size keeps the timer, since the flight is
// then sent as a probe of that size, and one sent at the same size doubles
// it (RFC 6347 §4.2.4.1).
func (hs *hsBase) flightTimedOut() {
	c := hs.c
	hs.timeouts++
	largest := c.in.flightLargest
	c.link.FlightLost(largest)
	if c.link.MaxDatagramSize() >= largest {
		hs.timer.expired()
	}
	c.retransmitLocked(fmt.Sprintf("timeout %d, timer %v", hs.timeouts, hs.timer.cur))
}

// peerRetransmittedLocked acts on a retransmission of the peer's previous
// flight: during the handshake it says ours was lost, which the path hears
// as it hears a timeout, though our timer keeps its value; after the
// handshake it says our final flight was lost, and it is sent again. A
// burst of retransmitted records (a whole flight, several datagrams) is
// answered once. c.in is held.
func (c *Conn) peerRetransmittedLocked() {
	if time.Since(c.in.flightSentAt) < minRetransmitGap {
		return
	}
	hs := c.in.hs
	switch {
	case hs != nil && hs.waiting:
		hs.timeouts++
		c.link.FlightLost(c.in.flightLargest)
		c.retransmitLocked("peer retransmitted")
	case hs == nil && c.p13 != nil && c.in.acks.wait && c.out.hasFlight():
		// DTLS 1.3: the peer sent its flight again, so our last flight,
		// which it has not acknowledged, was lost.
		c.retransmitLocked("peer retransmitted its flight after ours was complete")
	case hs == nil && c.p13 != nil:
		// DTLS 1.3: the flight we acknowledged came again, our ACK was
		// lost; the new records' numbers are acknowledged, or the last ACK
		// goes again (RFC 9147 §7.1).
		if len(c.in.acks.nums) > 0 {
			c.sendACKLocked()
		} else {
			c.resendACKLocked()
		}
	case hs == nil && c.out.hasFlight():
		c.retransmitLocked("peer retransmitted its flight after ours was complete")
	}
}

// minRetransmitGap keeps a burst of retransmitted records from the peer (a
// whole flight, several datagrams) from making us answer more than once.
const minRetransmitGap = 100 * time.Millisecond

// unexpected returns an unexpected_message failure for a message of the wrong type.
func (hs *hsBase) unexpected(m fragment.Message, want string) error {
	return hs.c.sendAlert(AlertUnexpectedMessage,
		fmt.Errorf("dtls: unexpected %s, want %s", m.Type, want))
}

// decodeError reports a message that did not parse.
func (hs *hsBase) decodeError(m fragment.Message) error {
	return hs.c.sendAlert(AlertDecodeError, fmt.Errorf("dtls: malformed %s", m.Type))
}

// establishKeys derives the record ciphers from the master secret and arms
// them: the peer's for reading (epoch 1), ours for writing after our
// ChangeCipherSpec (RFC 5246 §6.3).
func (hs *hsBase) establishKeys(master, clientRandom, serverRandom []byte, isClient bool) error {
	c, s := hs.c, hs.suite
	hs.logKey(master, clientRandom)
	kb := prf.KeyBlock(hs.scratch[:0], s.prf(hs.vers), master, clientRandom, serverRandom, s.keyBlockLen())
	cw, sw, err := s.newCiphers(kb, c.config, hs.etm)
	clear(hs.scratch[:])
	if err != nil {
		return err
	}
	mine, theirs := cw, sw
	if !isClient {
		mine, theirs = sw, cw
	}
	c.out.Lock()
	c.out.nextEpoch(mine)
	if hs.cid.on && len(hs.cid.peer) > 0 {
		c.out.cur.cid = hs.cid.peer
	}
	c.out.Unlock()
	c.in.nextCID = hs.cid.on && len(hs.cid.own) > 0
	if c.in.nextCID {
		c.in.cid = hs.cid.own
	}
	c.setReadCipher(theirs)
	return c.in.err
}

// setVersion fixes the negotiated version in the record layer.
func (hs *hsBase) setVersion(v uint16) {
	hs.vers = v
	hs.c.out.Lock()
	hs.c.out.version = v
	hs.c.out.Unlock()
}

// finished returns the body of our Finished for label over transcript, and
// keeps its verify_data.
func (hs *hsBase) finished(master, label, transcript []byte) []byte {
	fin := prf.VerifyData(nil, hs.suite.prf(hs.vers), master, label, hs.suite.transcriptHash(hs.hash[:0], hs.vers, transcript))
	copy(hs.ownFin[:], fin)
	return fin
}

// checkPeerFinished checks that m is the peer's Finished (RFC 5246
// §7.4.9): its verify_data, under master with label, is that of the
// transcript before it. The verify_data expected is computed in hs's own
// memory: it is only compared. who names the peer in the error.
func (hs *hsBase) checkPeerFinished(m fragment.Message, master, label []byte, who string) error {
	if m.Type != handshake.TypeFinished {
		return hs.unexpected(m, "Finished")
	}
	var fin handshake.Finished
	if !fin.Unmarshal(m.Body) {
		return hs.decodeError(m)
	}
	want := prf.VerifyData(hs.peerFin[:0], hs.suite.prf(hs.vers), master, label,
		hs.suite.transcriptHash(hs.hash[:0], hs.vers, hs.transcriptBefore(m)))
	if !hmac.Equal(fin.VerifyData, want) {
		return hs.c.sendAlert(AlertDecryptError, fmt.Errorf("dtls: %s's Finished is wrong", who))
	}
	return nil
}

// masterSecret derives the master secret into hs's own memory: the
// extended master secret over sessionHash (RFC 7627 §4) if it is not nil,
// the master secret of RFC 5246 §8.1 otherwise.
func (hs *hsBase) masterSecret(preMaster, clientRandom, serverRandom, sessionHash []byte) []byte {
	var derived []byte
	if sessionHash != nil {
		derived = prf.ExtendedMasterSecret(hs.scratch[:0], hs.suite.prf(hs.vers), preMaster, sessionHash)
	} else {
		derived = prf.MasterSecret(hs.scratch[:0], hs.suite.prf(hs.vers), preMaster, clientRandom, serverRandom)
	}
	copy(hs.masterBuf[:], derived)
	clear(hs.scratch[:])
	return hs.masterBuf[:]
}

// Bounds on the handshake messages a Conn reassembles, by what its peer may
// send next: only a certificate chain is large, and a server that asks for
// no client certificate expects nothing but a ClientKeyExchange and a
// Finished, so that a peer that has passed the cookie exchange cannot make
// it buffer more than those (RFC 6347 §4.2.3 lets messages be fragmented,
// not inflated).
var (
	serverFlightLimits = fragment.Limits{MaxMessageLen: 64 << 10, MaxBuffered: 96 << 10}
	clientCertLimits   = fragment.Limits{MaxMessageLen: 32 << 10, MaxBuffered: 40 << 10}
	smallLimits        = fragment.Limits{MaxMessageLen: 4 << 10, MaxBuffered: 8 << 10}
)

// ccs is the ChangeCipherSpec item of a flight, sent in the epoch before it.
func ccs(epoch uint16) fragment.Out { return fragment.Out{Epoch: epoch, CCS: true} }

// finish ends a handshake that succeeded. A side still waiting for an
// answer to its flight (the client, whose flight 5 the server's Finished
// answered) keeps no flight; the other (the server) keeps its last one to
// answer a retransmitted final flight (RFC 6347 §4.2.4). Application data
// that arrived early is queued for Read. c.state is set. c.in is held.
func (hs *hsBase) finish() {
	c := hs.c
	c.out.Lock()
	if hs.waiting {
		hs.answered()
		c.out.flight, c.out.prev = nil, nil
	}
	c.out.dataEpoch = c.out.cur.epoch // the peer has the keys: ours are checked
	c.out.Unlock()
	hs.keepForRenegotiation()
	hs.complete(hs.vers, hs.suite.name, hs.etm)
}

// complete ends a handshake that succeeded, after finish or finish13 has
// settled its flight: the handshake state goes, the events are logged and
// then whoever waits for the handshake is told, so that every event is
// there when Handshake returns, and early application data is queued for
// Read. c.in is held.
func (hs *hsBase) complete(vers uint16, suite string, etm bool) {
	c := hs.c
	c.in.hs = nil
	hs.releaseTranscript()
	c.in.reasm.SetLimits(smallLimits) // only a renegotiation or post-handshake messages may come
	c.stopTimerLocked()
	if c.config.logs(slog.LevelInfo) {
		c.config.event(slog.LevelInfo, "handshake complete", "handshake complete: %s, %s",
			slog.String("version", versionName(vers)), slog.String("suite", suite))
	}
	if etm && c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "encrypt-then-MAC negotiated", "encrypt-then-MAC (RFC 7366)")
	}
	if hs.cid.on && c.config.logs(slog.LevelDebug) {
		c.config.event(slog.LevelDebug, "connection ID negotiated", "connection IDs (RFC 9146): %s in the records we receive, %s in those we send",
			slog.String("own", hex.EncodeToString(hs.cid.own)), slog.String("peer", hex.EncodeToString(hs.cid.peer)))
	}
	c.finishHandshakeLocked(nil)
	for _, d := range c.in.early {
		c.rq.push(d)
	}
	c.in.early = nil
}
