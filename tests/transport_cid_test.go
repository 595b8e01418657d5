//go:build linux

package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/logtest"
	"github.com/pathdtls/pathdtls/tests/internal/netns"
	"github.com/pathdtls/pathdtls/transport"
)

// TestTransportNATRebinding runs a client whose source port a router
// rewrites after the handshake, as a NAT would, and rewrites to another
// in the middle of a stream, as a NAT whose binding expired does
// (nftables rules switched on the router). With connection IDs (RFC 9146)
// the listener finds the association by its ID, moves it to each new port
// on the first authentic record from there, restarts its path-MTU search,
// and every record of the stream comes back; without them the client is a
// stranger from the first change on, and its first record is not
// answered, though the one before the change was.
func TestTransportNATRebinding(t *testing.T) {
	for _, withCID := range []bool{true, false} {
		t.Run(fmt.Sprintf("connection IDs %v", withCID), func(t *testing.T) {
			testNATRebinding(t, withCID)
		})
	}
}

func testNATRebinding(t *testing.T, withCID bool) {
	tp := netns.New(t, netns.Options{})
	cc, sc := pskConfigs()
	if withCID {
		cc.ConnectionID = &dtls.ConnectionIDConfig{Length: 0}
		sc.ConnectionID = &dtls.ConnectionIDConfig{Length: 8}
	}
	var events *logtest.Recorder
	sc.Logger, events = logtest.Logger()
	l := listenIn(t, tp.Server, transport.ListenConfig{}, "udp4", sc)
	accepted := make(chan *transport.Conn, 1)
	go func() {
		s, err := l.AcceptContext(context.Background())
		if err != nil {
			return
		}
		accepted <- s
		buf := make([]byte, 1<<16)
		for {
			n, err := s.Read(buf)
			if err != nil {
				return
			}
			s.Write(buf[:n])
		}
	}()
	c, _, err := dialIn(tp.Client, transport.Dialer{}, l, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()
	client := netip.AddrPortFrom(tp.Client.East.IPv4, netip.MustParseAddrPort(c.LocalAddr().String()).Port())
	first, second := client.Port()+1000, client.Port()+2000
	// A record that comes back before any rewriting shows that the path
	// works, so that a lost record below is lost to the NAT alone.
	if err := echoOnce(c, []byte("before the NAT")); err != nil {
		t.Fatalf("before any rewriting: %v", err)
	}
	for i := range 60 {
		switch i {
		case 0:
			tp.RewriteClientPort(t, client, first) // behind a NAT from here on
		case 30:
			tp.RewriteClientPort(t, client, second) // the NAT's binding changes
		}
		var err error
		if withCID {
			err = echoOnce(c, []byte(fmt.Sprintf("record %d", i)))
		} else {
			err = echoWithin(c, []byte("lost"), 2*time.Second)
		}
		switch {
		case err != nil && withCID:
			t.Fatalf("record %d: %v; listener %+v", i, err, l.Stats())
		case err == nil && !withCID:
			t.Fatalf("record %d came back from a new port without connection IDs", i)
		case err != nil:
			return // a stranger's records are not answered: as expected
		}
	}
	if got := s.RemoteAddr().String(); got != netip.AddrPortFrom(client.Addr(), second).String() {
		t.Errorf("the association is at %s, want port %d", got, second)
	}
	if st := l.Stats(); st.Moved != 2 {
		t.Errorf("the association moved %d times, want 2: %+v", st.Moved, st)
	}
	to := netip.AddrPortFrom(client.Addr(), second).String()
	if ev, ok := events.Find("peer moved"); !ok || ev.Level != slog.LevelInfo || logtest.String(ev, "to") != to {
		t.Errorf("the last move logged: %v, %v; want one to %s", ev, ok, to)
	}
	restarted := false
	for _, ev := range events.All("path MTU changed") {
		restarted = restarted || logtest.String(ev, "reason") == "the peer moved to "+to
	}
	if !restarted {
		t.Errorf("the path-MTU search did not start again for the new path:\n%v", events.Records())
	}
}

// echoWithin writes msg on c and reports whether it comes back within d.
func echoWithin(c *transport.Conn, msg []byte, d time.Duration) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 1<<16)
	_, err := c.Read(buf)
	return err
}
