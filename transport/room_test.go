package transport

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestSlowReaderLosesNothingInTheQueue sends bursts to a server whose
// application reads one record a millisecond: the listener's reader waits
// for room in the association's queue rather than opening records only to
// drop them, so every record arrives, in order, and none is dropped by the
// library.
func TestSlowReaderLosesNothingInTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		_, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		c, s := slowPair(t, tn, l, nil)
		want := numbered(300, 1000) // 300 kB: five times the receive queue
		for i := 0; i < len(want); i += 50 {
			if n, err := c.WriteBatch(want[i : i+50]); err != nil || n != 50 {
				t.Fatalf("WriteBatch = %d, %v", n, err)
			}
		}
		buf := make([]byte, 2000)
		for i, w := range want {
			time.Sleep(time.Millisecond)
			s.SetReadDeadline(time.Now().Add(time.Second))
			n, err := s.Read(buf)
			if err != nil || string(buf[:n]) != string(w) {
				t.Fatalf("record %d: %q..., %v", i, buf[:min(n, 4)], err)
			}
		}
		if d := s.Stats().DroppedData; d != 0 {
			t.Errorf("%d records dropped from the receive queue", d)
		}
	})
}

// TestStuckReaderDoesNotStallOthers fills the queue of an association
// whose application never reads: its datagrams are then dropped from the
// full queue and counted, after one wait of roomWait, and another
// association of the same reader still gets its answers at once.
func TestStuckReaderDoesNotStallOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		_, sc := configs(t, getPKI(t).ecdsa)
		l := tn.listen(t, nil, sc, false)
		stuck, stuckServer := slowPair(t, tn, l, nil)
		other, otherServer := slowPair(t, tn, l, nil)
		go echo(otherServer)
		for range 4 {
			if _, err := stuck.WriteBatch(numbered(50, 1000)); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 2000)
		for i := range 20 {
			start := time.Now()
			if _, err := other.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			other.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := other.Read(buf); err != nil {
				t.Fatalf("echo %d: %v", i, err)
			}
			if took := time.Since(start); took > roomWait {
				t.Errorf("echo %d took %v behind a stuck association, more than one wait (%v)", i, took, roomWait)
			}
			if _, err := stuck.WriteBatch(numbered(10, 1000)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if d := stuckServer.Stats().DroppedData; d == 0 {
			t.Error("no record dropped from the queue of an application that never reads")
		}
	})
}
