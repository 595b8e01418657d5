package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
)

func newTestAssoc(t *testing.T) *assocConn {
	t.Helper()
	_, sc := configs(t, dtls.VersionDTLS12, true)
	l := listen(t, ListenConfig{}, sc)
	remote := netip.MustParseAddrPort("127.0.0.1:9")
	a := newAssocConn(l, remote, newPath(remote, pathConfig{est: 1500}))
	t.Cleanup(func() { a.Close() })
	return a
}

func TestAssocQueueBound(t *testing.T) {
	a := newTestAssoc(t)
	const sent = assocQueueLen + 36
	for i := range sent {
		a.deliver(fmt.Appendf(nil, "%d", i))
	}
	if got := a.dropped.Load(); got != sent-assocQueueLen {
		t.Errorf("dropped %d datagrams, want %d", got, sent-assocQueueLen)
	}
	buf := make([]byte, 10)
	for i := range assocQueueLen {
		n, err := a.Read(buf)
		if want := fmt.Sprint(i); err != nil || string(buf[:n]) != want {
			t.Fatalf("Read = %q, %v; want %q", buf[:n], err, want)
		}
	}
}

func TestAssocTruncates(t *testing.T) {
	a := newTestAssoc(t)
	a.deliver([]byte("0123456789"))
	buf := make([]byte, 4)
	if n, err := a.Read(buf); n != 4 || err != nil || string(buf) != "0123" {
		t.Errorf("Read = %d %q, %v; want the first 4 bytes", n, buf[:n], err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && errors.Is(err, os.ErrDeadlineExceeded)
}

func TestAssocDeadlines(t *testing.T) {
	a := newTestAssoc(t)
	buf := make([]byte, 10)

	a.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := a.Read(buf); !isTimeout(err) {
		t.Errorf("Read past its deadline = %v, want a timeout", err)
	}
	// A deadline that passes while Read waits wakes it.
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := a.Read(buf); !isTimeout(err) {
		t.Errorf("Read until its deadline = %v, want a timeout", err)
	}
	// Clearing an expired deadline makes Read wait for data again.
	a.SetReadDeadline(time.Time{})
	a.deliver([]byte("x"))
	if n, err := a.Read(buf); n != 1 || err != nil {
		t.Errorf("Read after clearing the deadline = %d, %v", n, err)
	}
	// Moving a deadline later keeps the earlier timer from firing it.
	a.SetReadDeadline(time.Now().Add(time.Millisecond))
	a.SetReadDeadline(time.Now().Add(time.Hour))
	time.Sleep(5 * time.Millisecond) // let the first timer's time pass
	a.deliver([]byte("y"))
	if n, err := a.Read(buf); n != 1 || err != nil {
		t.Errorf("Read with a moved deadline = %d, %v", n, err)
	}

	a.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := a.Write([]byte("z")); !isTimeout(err) {
		t.Errorf("Write past its deadline = %v, want a timeout", err)
	}
	a.SetDeadline(time.Time{})
	if _, err := a.Write([]byte("z")); err != nil {
		t.Errorf("Write after clearing the deadline: %v", err)
	}
}

func TestAssocClose(t *testing.T) {
	a := newTestAssoc(t)
	a.l.mu.Lock()
	a.l.assocs[a.remote] = a
	a.l.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 10))
		done <- err
	}()
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked Read after Close = %v, want net.ErrClosed", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close = %v, want net.ErrClosed", err)
	}
	if n := a.l.associations(); n != 0 {
		t.Errorf("Close left %d associations in the table", n)
	}
	if got := a.RemoteAddr().String(); got != "127.0.0.1:9" {
		t.Errorf("RemoteAddr = %s", got)
	}
}

// TestDeliverDoesNotAllocate checks that a datagram on its way from the
// listener's reader to its association's Read allocates nothing.
func TestDeliverDoesNotAllocate(t *testing.T) {
	a := newTestAssoc(t)
	d, b := make([]byte, 1000), make([]byte, 1500)
	a.deliver(d) // warm the pool
	a.Read(b)
	if n := testing.AllocsPerRun(1000, func() {
		a.deliver(d)
		if n, err := a.Read(b); n != len(d) || err != nil {
			t.Fatal(n, err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per datagram, want 0", n)
	}
}
