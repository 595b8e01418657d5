package dtls

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls/internal/handshake"
	"github.com/pathdtls/pathdtls/dtls/internal/record"
)

// The tests in this file attack a handshake in progress as someone who
// knows the addresses but not the traffic would: every forged datagram is
// injected between two rounds of the real exchange, and the handshake must
// complete as if nothing had happened.

// countingLink is a pumpLink that counts the flights its path hears were
// lost.
type countingLink struct {
	pumpLink
	lost int
}

func (l *countingLink) FlightLost(int) { l.lost++ }

// attackedHandshake runs a handshake over pumpLinks, calling inject after
// each round with the round number, and returns the two sides' errors once
// both have finished or nothing moves for 10 minutes of virtual time.
func attackedHandshake(t *testing.T, cc, sc *Config, inject func(round int, client, server *Conn, cl, sl *countingLink)) (client, server *Conn, cl, sl *countingLink) {
	t.Helper()
	cl = &countingLink{pumpLink: pumpLink{size: 1200, addr: &net.UDPAddr{Port: 1}}}
	sl = &countingLink{pumpLink: pumpLink{size: 1200, addr: &net.UDPAddr{Port: 2}}}
	client, server = ClientOn(cl, cc), ServerOn(sl, sc)
	cl.peer, sl.peer = server, client
	go client.Handshake()
	deadline := time.Now().Add(10 * time.Minute)
	for round := 0; time.Now().Before(deadline); round++ {
		synctest.Wait()
		if inject != nil {
			inject(round, client, server, cl, sl)
		}
		if cl.pump()+sl.pump() == 0 {
			if client.handshakeDone.Load() && server.handshakeDone.Load() {
				break
			}
			time.Sleep(100 * time.Millisecond) // let a timer fire
		}
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, cl, sl
}

// forgedRecord is a datagram of one unprotected record of type typ with a
// sequence number far ahead of any real one.
func forgedRecord(typ record.ContentType, payload []byte) []byte {
	h := record.Header{Type: typ, Version: VersionDTLS12, Epoch: 0, Seq: 1 << 40}
	return record.AppendRecord(nil, h, payload, record.NewNull())
}

// TestSpoofedEpochZeroRecords injects, into both sides of a handshake in
// progress, one short unprotected record of each content type with a high
// sequence number: none may derail it, nor cost a retransmission.
func TestSpoofedEpochZeroRecords(t *testing.T) {
	for _, typ := range []record.ContentType{record.Handshake, record.Alert, record.ChangeCipherSpec, record.ApplicationData, record.Heartbeat} {
		t.Run(typ.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
				forged := forgedRecord(typ, []byte{2})
				start := time.Now()
				client, server, _, _ := attackedHandshake(t, cc, sc, func(round int, c, s *Conn, _, sl *countingLink) {
					if round == 1 || round == 2 {
						c.HandleDatagram(forged)
						s.HandleDatagram(forged)
					}
				})
				if !client.handshakeDone.Load() || !server.handshakeDone.Load() {
					t.Fatalf("handshake did not complete: client %v, server %v", client.hsErr, server.hsErr)
				}
				if d := time.Since(start); d != 0 || client.Stats().Retransmissions+server.Stats().Retransmissions != 0 {
					t.Errorf("handshake took %v with %d+%d retransmissions", d, client.Stats().Retransmissions, server.Stats().Retransmissions)
				}
			})
		})
	}
}

// TestSpoofedFatalAlertTolerated injects an unprotected fatal alert into the
// client while it waits for the server's flight: the handshake completes,
// since the server's flight arrives before the client's timer.
func TestSpoofedFatalAlertTolerated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		alert := forgedRecord(record.Alert, []byte{alertLevelFatal, byte(AlertHandshakeFailure)})
		client, server, _, _ := attackedHandshake(t, cc, sc, func(round int, c, s *Conn, _, sl *countingLink) {
			c.HandleDatagram(alert)
		})
		if !client.handshakeDone.Load() || !server.handshakeDone.Load() {
			t.Fatalf("handshake did not complete: client %v, server %v", client.hsErr, server.hsErr)
		}
	})
}

// TestUnansweredAlertEndsHandshake checks the other side of that rule: an
// unprotected fatal alert that nothing contradicts ends the handshake at
// the next timeout, not at the handshake deadline.
func TestUnansweredAlertEndsHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &pumpLink{size: 1200, addr: &net.UDPAddr{Port: 1}}
		c := ClientOn(l, &Config{InsecureSkipVerify: true})
		defer c.Close()
		errc := make(chan error, 1)
		go func() { errc <- c.Handshake() }()
		synctest.Wait()
		c.HandleDatagram(forgedRecord(record.Alert, []byte{alertLevelFatal, byte(AlertHandshakeFailure)}))
		start := time.Now()
		err := <-errc
		if !errors.Is(err, AlertHandshakeFailure) || time.Since(start) != time.Second {
			t.Fatalf("handshake ended with %v after %v, want the alert after 1s", err, time.Since(start))
		}
	})
}

// TestForgedOldFragmentsAreNoLossSignal injects, during the handshake,
// fragments of messages already received whose bytes are not those
// received: they must not pass for the peer retransmitting, which would
// make the sides retransmit and their paths back off.
func TestForgedOldFragmentsAreNoLossSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		var forged [][]byte
		for seq := range uint16(3) {
			h := handshake.Header{Type: handshake.TypeServerHello, Length: 40, MessageSeq: seq, FragmentOffset: 0, FragmentLength: 10}
			forged = append(forged, forgedRecord(record.Handshake, append(h.Append(nil), make([]byte, 10)...)))
		}
		client, server, cl, sl := attackedHandshake(t, cc, sc, func(round int, c, s *Conn, _, sl *countingLink) {
			for _, f := range forged {
				c.HandleDatagram(f)
				s.HandleDatagram(f)
			}
		})
		if !client.handshakeDone.Load() || !server.handshakeDone.Load() {
			t.Fatalf("handshake did not complete: client %v, server %v", client.hsErr, server.hsErr)
		}
		if cl.lost+sl.lost != 0 || client.Stats().Retransmissions+server.Stats().Retransmissions != 0 {
			t.Errorf("forged fragments counted as %d+%d lost flights, %d+%d retransmissions",
				cl.lost, sl.lost, client.Stats().Retransmissions, server.Stats().Retransmissions)
		}
	})
}

// TestHelloVerifyRequestRestarts has the server rotate its cookie secret
// twice between the client's first and second ClientHello, so that it
// rejects the cookie and sends a new HelloVerifyRequest, with message_seq
// 0 as some servers always use: the client must start over with the new
// cookie. A forged HelloVerifyRequest without a cookie changes nothing.
func TestHelloVerifyRequestRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		offset := time.Duration(0)
		sc.Time = func() time.Time { return time.Now().Add(offset) }
		empty := func() []byte {
			body, _ := (&handshake.HelloVerifyRequest{Version: VersionDTLS10}).Marshal()
			h := handshake.Header{Type: handshake.TypeHelloVerifyRequest, Length: uint32(len(body)), FragmentLength: uint32(len(body))}
			return forgedRecord(record.Handshake, append(h.Append(nil), body...))
		}()
		client, server, _, _ := attackedHandshake(t, cc, sc, func(round int, c, s *Conn, _, sl *countingLink) {
			switch round {
			case 1:
				offset = time.Hour // both cookie secrets expire
				c.HandleDatagram(empty)
			case 2:
				// The server's second HelloVerifyRequest says message_seq 0.
				for i := range sl.n {
					if d := sl.bufs[i]; len(d) > 25 && d[13] == byte(handshake.TypeHelloVerifyRequest) {
						d[17], d[18] = 0, 0
					}
				}
			}
		})
		if !client.handshakeDone.Load() || !server.handshakeDone.Load() {
			t.Fatalf("handshake did not complete: client %v, server %v", client.hsErr, server.hsErr)
		}
	})
}

// TestReceiveQueueBounded checks that an application that does not read
// costs at most Config.ReceiveQueueSize bytes: the oldest records are
// dropped, counted, and the newest read.
func TestReceiveQueueBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		sc.ReceiveQueueSize = 4000
		client, server, cl, _ := pumpPair(t, cc, sc)
		defer client.Close()
		defer server.Close()
		for i := range 100 {
			msg := make([]byte, 1000)
			msg[0] = byte(i)
			if _, err := client.Write(msg); err != nil {
				t.Fatal(err)
			}
			cl.pump()
		}
		if got := server.Stats().DroppedData; got != 96 {
			t.Errorf("DroppedData = %d, want 96", got)
		}
		buf := make([]byte, 2000)
		for want := 96; want < 100; want++ {
			if n, err := server.Read(buf); err != nil || n != 1000 || buf[0] != byte(want) {
				t.Fatalf("read %d: %d bytes, %v, first byte %d", want, n, err, buf[0])
			}
		}
	})
}

// withoutEMS returns d, a datagram of one record holding a whole
// ClientHello, with the extended_master_secret extension taken out, as a
// legacy client sends it; other datagrams come back as they are.
func withoutEMS(d []byte) []byte {
	rh, hh, ch, _, ok := parseFirstClientHello(d)
	if !ok {
		return d
	}
	ch.Extensions.ExtendedMasterSecret = false
	body, err := ch.Marshal()
	if err != nil {
		return d
	}
	hh.Length, hh.FragmentLength = uint32(len(body)), uint32(len(body))
	return record.AppendRecord(nil, rh, append(hh.Append(nil), body...), record.NewNull())
}

// TestRequireExtendedMasterSecret checks that a server that requires the
// extended master secret refuses a client that does not offer it, with an
// alert the client reads. (The ClientHello is altered on the way, so the
// case of a server that does not require it cannot complete here: the two
// transcripts differ; the interoperability tests cover legacy peers.)
func TestRequireExtendedMasterSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		sc.RequireExtendedMasterSecret = true
		client, server, _, _ := attackedHandshake(t, cc, sc, func(round int, c, s *Conn, cl, _ *countingLink) {
			for i := range cl.n {
				cl.bufs[i] = withoutEMS(cl.bufs[i])
			}
		})
		if !errors.Is(server.hsErr, errNoEMS) || !errors.Is(client.hsErr, AlertHandshakeFailure) {
			t.Fatalf("errors: server %v, client %v", server.hsErr, client.hsErr)
		}
	})
}

// TestHeartbeatOnlyWhenNegotiated checks that a HeartbeatRequest from a
// peer that did not negotiate the extension (RFC 6520 §2) goes unanswered,
// and that a record of the next epoch after the handshake is dropped, not
// held for keys that will never come.
func TestHeartbeatOnlyWhenNegotiated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cl, sl := pumpPair(t, cc, sc)
		defer client.Close()
		defer server.Close()
		server.hb.Lock()
		server.hb.peerMode = 0 // as if the client had not sent the extension
		server.hb.Unlock()
		if _, err := client.SendHeartbeat([]byte("probe"), 200); err != nil {
			t.Fatal(err)
		}
		dropped := server.Stats().DroppedRecords
		cl.pump()
		if sl.n != 0 || server.Stats().DroppedRecords != dropped+1 {
			t.Errorf("a request from a peer that did not negotiate heartbeats: %d answers, %d dropped", sl.n, server.Stats().DroppedRecords-dropped)
		}
		next := record.AppendRecord(nil, record.Header{Type: record.ApplicationData, Version: VersionDTLS12, Epoch: 2, Seq: 1}, []byte("x"), record.NewNull())
		server.HandleDatagram(next)
		if len(server.in.held) != 0 || server.Stats().DroppedRecords != dropped+2 {
			t.Errorf("a record of epoch 2 after the handshake: %d held", len(server.in.held))
		}
	})
}
