package sock

import "testing"

func TestSentLog(t *testing.T) {
	var l SentLog
	if _, ok := l.Lookup(0); ok || l.Largest() != 0 || l.Len() != 0 {
		t.Fatal("the zero SentLog is not empty")
	}
	l.Add(0, 100) // epoch 0, sequence number 0: a valid ID
	l.Add(1<<48|7, 1400)
	l.Add(2, 300)
	if size, ok := l.Lookup(0); !ok || size != 100 {
		t.Fatalf("Lookup(0) = %d, %v", size, ok)
	}
	if size, ok := l.Lookup(1<<48 | 7); !ok || size != 1400 {
		t.Fatalf("Lookup(epoch 1, seq 7) = %d, %v", size, ok)
	}
	if _, ok := l.Lookup(7); ok {
		t.Fatal("Lookup of an ID never added succeeded")
	}
	if l.Largest() != 1400 {
		t.Fatalf("Largest = %d", l.Largest())
	}
	// The most recent datagram with an ID wins.
	l.Add(2, 500)
	if size, _ := l.Lookup(2); size != 500 {
		t.Fatalf("Lookup(2) after a second Add = %d", size)
	}
	// The oldest are forgotten.
	for i := range SentLogLen {
		l.Add(uint64(1000+i), 10)
	}
	if _, ok := l.Lookup(1<<48 | 7); ok {
		t.Fatal("an entry older than SentLogLen is still there")
	}
	if size, ok := l.Lookup(1000); !ok || size != 10 || l.Largest() != 10 || l.Len() != SentLogLen {
		t.Fatalf("after wrapping: Lookup(1000) = %d, %v; Largest %d; Len %d", size, ok, l.Largest(), l.Len())
	}
}

func TestTooLongError(t *testing.T) {
	e := &TooLongError{MTU: 1400}
	if e.Error() != "dtls: sock: datagram larger than the local stack sends (MTU 1400)" {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&TooLongError{}).Error() != ErrTooLong.Error() {
		t.Errorf("without an MTU: %q", (&TooLongError{}).Error())
	}
}
