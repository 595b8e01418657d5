package transport

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/internal/memnet"
	"github.com/pathdtls/pathdtls/pmtu"
)

// TestPacerBooks checks the token bucket: the burst at once, then one
// token per interval to whoever booked first, and no more than the burst
// saved up however long the pacer is idle.
func TestPacerBooks(t *testing.T) {
	p := newPacer(100, 3) // a token every 10 ms
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if at := p.book(now); !at.Equal(now) {
			t.Fatalf("token %d of the burst at +%v, want at once", i, at.Sub(now))
		}
	}
	for i := 1; i <= 5; i++ {
		if at := p.book(now); at.Sub(now) != time.Duration(i)*10*time.Millisecond {
			t.Fatalf("booking %d past the burst at +%v, want +%v", i, at.Sub(now), time.Duration(i)*10*time.Millisecond)
		}
	}
	later := now.Add(time.Hour)
	for i := range 3 {
		if at := p.book(later); !at.Equal(later) {
			t.Fatalf("after an idle hour, token %d at +%v, want at once", i, at.Sub(later))
		}
	}
	if at := p.book(later); at.Sub(later) != 10*time.Millisecond {
		t.Fatalf("an idle hour saved more than the burst: the fourth token at +%v", at.Sub(later))
	}
}

// TestProbesPaced starts many associations on one listener at once and
// checks that their probes keep to the pacer's rate, and that every
// search still completes.
func TestProbesPaced(t *testing.T) {
	const n = 1200
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t)
		cc, sc := pskConfigs([]byte("0123456789abcdef"), []byte("0123456789abcdef"))
		l := tn.listen(t, nil, sc, false)
		var mu sync.Mutex
		var servers []*Conn
		go func() {
			for {
				c, err := l.AcceptContext(context.Background())
				if err != nil {
					return
				}
				mu.Lock()
				servers = append(servers, c)
				mu.Unlock()
			}
		}()
		hosts := make([]*memnet.Host, 4)
		for i := range hosts {
			a := netip.AddrFrom4([4]byte{10, 3, 0, byte(i + 1)})
			h, err := tn.n.AddHost(memnet.HostConfig{Addrs: []netip.Addr{a}, MTU: 1500})
			if err != nil {
				t.Fatal(err)
			}
			hosts[i] = h
		}
		// The handshakes start at one virtual instant; the first probes
		// come within firstProbeSpread of their end, and the pacer's
		// clock runs from the first.
		start := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, err := dialFrom(hosts[i%len(hosts)], tn.serverAddr(false), cc)
				if err != nil {
					t.Error(err)
					return
				}
				t.Cleanup(func() { c.Close() })
			})
		}
		wg.Wait()
		sent := func() (total uint64, complete int) {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range servers {
				st := s.PathStats()
				total += st.ProbesSent
				if st.Search == pmtu.SearchComplete {
					complete++
				}
			}
			return total, complete
		}
		for _, d := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			if time.Now().After(start.Add(d)) {
				continue
			}
			time.Sleep(time.Until(start.Add(d)))
			total, c := sent()
			t.Logf("+%v: %d probes, %d complete", d, total, c)
			if max := uint64(defaultProbeBurst) + uint64(d/time.Second)*defaultProbeRate; total > max {
				t.Errorf("%d probes in the first %v, more than the pacer allows, %d", total, d, max)
			}
		}
		time.Sleep(time.Minute)
		if total, complete := sent(); complete != n {
			t.Errorf("after a minute, %d of %d searches complete (%d probes sent)", complete, n, total)
		}
	})
}
