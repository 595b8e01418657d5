package sock_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/pathdtls/pathdtls/icmp"
	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/internal/sock"
)

func TestNewWithICMPChooses(t *testing.T) {
	tests := []struct {
		name string
		host memnet.HostConfig
		src  sock.ICMPSource
		want sock.ICMPSource // ICMPAuto: NewWithICMP fails
	}{
		{"auto/queue", memnet.HostConfig{RawICMP: true}, sock.ICMPAuto, sock.ICMPErrQueue},
		{"auto/raw", memnet.HostConfig{NoErrorQueue: true, RawICMP: true}, sock.ICMPAuto, sock.ICMPRaw},
		{"auto/nothing", memnet.HostConfig{NoErrorQueue: true}, sock.ICMPAuto, sock.ICMPNone},
		{"errqueue", memnet.HostConfig{}, sock.ICMPErrQueue, sock.ICMPErrQueue},
		{"errqueue/missing", memnet.HostConfig{NoErrorQueue: true, RawICMP: true}, sock.ICMPErrQueue, sock.ICMPAuto},
		{"raw/beside-queue", memnet.HostConfig{RawICMP: true}, sock.ICMPRaw, sock.ICMPRaw},
		{"raw/no-privilege", memnet.HostConfig{}, sock.ICMPRaw, sock.ICMPAuto},
		{"none", memnet.HostConfig{RawICMP: true}, sock.ICMPNone, sock.ICMPNone},
		{"unknown", memnet.HostConfig{}, sock.ICMPSource(9), sock.ICMPAuto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, tt.host, memnet.HostConfig{})
				c := listen(t, p.a, addrA4)
				s, err := sock.NewWithICMP(c, nil, tt.src)
				if tt.want == sock.ICMPAuto {
					if err == nil {
						t.Fatalf("source %v on %+v: %v; want an error", tt.src, tt.host, s.ICMPSource())
					}
					if tt.name == "errqueue/missing" && !errors.Is(err, sock.ErrNoErrQueue) {
						t.Errorf("error %v; want ErrNoErrQueue", err)
					}
					// The Conn is left open.
					if err := c.WriteTo([]byte("x"), netip.AddrPortFrom(addrB4, 9)); err != nil {
						t.Errorf("the Conn after a failure: %v", err)
					}
					return
				}
				if err != nil || s.ICMPSource() != tt.want {
					t.Fatalf("source %v on %+v: %v, %v; want %v", tt.src, tt.host, s, err, tt.want)
				}
				s.Close()
			})
		})
	}
	if sock.ICMPErrQueue.String() != "errqueue" || sock.ICMPSource(9).String() != "ICMPSource(9)" {
		t.Errorf("names %q, %q", sock.ICMPErrQueue, sock.ICMPSource(9))
	}
}

// TestRawBesideErrorQueue hears a bottleneck's ICMP from a raw listener
// only, while the error queue still tells the local refusals.
func TestRawBesideErrorQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, memnet.HostConfig{RawICMP: true, MTU: 1400}, memnet.HostConfig{})
		p.n.SetPath(addrA4, addrB4, memnet.PathConfig{MTU: 1000})
		var r recorder
		s, err := sock.NewWithICMP(listen(t, p.a, addrA4), &r, sock.ICMPRaw)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		dest := listen(t, p.b, addrB4).LocalAddr()
		if err := s.Send(make([]byte, 1200), dest); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the listener's goroutine
		// The next send meets the pending error, whose queue entry is
		// ignored.
		if err := s.Send(make([]byte, 100), dest); err != nil {
			t.Fatal(err)
		}
		var tl *sock.TooLongError
		if err := s.Send(make([]byte, 1400), dest); !errors.As(err, &tl) || tl.MTU != 1400 {
			t.Fatalf("Send above the interface's MTU = %v; want a *TooLongError with MTU 1400", err)
		}
		events, limits := r.got()
		if len(events) != 1 || events[0].Kind != icmp.KindFragNeeded || events[0].MTU != 1000 || len(limits) != 1 {
			t.Fatalf("handler got %v and %v", events, limits)
		}
		if st := s.Stats(); st.RawICMP != 1 || st.ICMP != 1 || st.Ignored != 1 || st.PendingRetried != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestICMPNone hands nothing to the Handler but the local refusals, with
// an error queue or without one.
func TestICMPNone(t *testing.T) {
	for _, noQueue := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			p := newPair(t, memnet.HostConfig{NoErrorQueue: noQueue, MTU: 1400}, memnet.HostConfig{})
			closed := netip.AddrPortFrom(addrB4, 9)
			c, err := p.a.Dial(netip.AddrPort{}, closed)
			if err != nil {
				t.Fatal(err)
			}
			var r recorder
			s, err := sock.NewWithICMP(c, &r, sock.ICMPNone)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for range 3 {
				if err := s.Send([]byte("x"), netip.AddrPort{}); err != nil {
					t.Fatal(err)
				}
			}
			var tl *sock.TooLongError
			if err := s.Send(make([]byte, 1400), netip.AddrPort{}); !errors.As(err, &tl) {
				t.Fatalf("Send above the interface's MTU = %v; want a *TooLongError", err)
			}
			events, limits := r.got()
			if len(events) != 0 || len(limits) != 1 {
				t.Fatalf("no queue %v: handler got %v and %v", noQueue, events, limits)
			}
			if st := s.Stats(); st.ICMP != 0 || st.Sent != 3 || noQueue == (st.Ignored != 0) {
				t.Fatalf("no queue %v: stats %+v", noQueue, st)
			}
		})
	}
}
