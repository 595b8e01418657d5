package transport

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/memnet"
)

// maxIdleAssociationBytes is what an idle association may hold: its
// handshake done, its path probed, nothing queued.
const maxIdleAssociationBytes = 8 << 10

// maxIdleAssociationBytes13 is the same for DTLS 1.3, whose keys take
// more room: each direction's AEAD has a second cipher for its record
// numbers (RFC 9147 §4.2.3), the peer's next epoch is keyed when its
// KeyUpdate comes, and the probe a silent peer leaves unacknowledged is
// kept.
const maxIdleAssociationBytes13 = 12 << 10

// TestIdleAssociationMemory measures what a listener holds per idle
// association, in virtual time over the in-memory network: n clients
// complete their handshakes and the probing of their paths, then vanish
// without a word (their paths lose everything), so that only the server
// side is left on the heap. It checks the figure against
// maxIdleAssociationBytes and that an association has no goroutine of its
// own. PATHDTLS_IDLE_ASSOCIATIONS sets n (default 500 per suite); the
// figures for 100 000 are in the README.
func TestIdleAssociationMemory(t *testing.T) {
	n := 500
	if s := os.Getenv("PATHDTLS_IDLE_ASSOCIATIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("PATHDTLS_IDLE_ASSOCIATIONS=%q: want a positive number", s)
		}
	}
	psk := func(t *testing.T) (*dtls.Config, *dtls.Config) {
		return pskConfigs([]byte("0123456789abcdef"), []byte("0123456789abcdef"))
	}
	ecdsa := func(t *testing.T) (*dtls.Config, *dtls.Config) { return configs(t, getPKI(t).ecdsa) }
	dtls13 := func(f func(*testing.T) (*dtls.Config, *dtls.Config)) func(*testing.T) (*dtls.Config, *dtls.Config) {
		return func(t *testing.T) (*dtls.Config, *dtls.Config) {
			cc, sc := f(t)
			cc.MaxVersion, sc.MaxVersion = dtls.VersionDTLS13, dtls.VersionDTLS13
			return cc, sc
		}
	}
	for _, tc := range []struct {
		name    string
		configs func(*testing.T) (*dtls.Config, *dtls.Config)
		limit   float64
	}{
		{"PSK", psk, maxIdleAssociationBytes},
		{"ECDHE-ECDSA", ecdsa, maxIdleAssociationBytes},
		{"DTLS1.3/PSK", dtls13(psk), maxIdleAssociationBytes13},
		{"DTLS1.3/ECDSA", dtls13(ecdsa), maxIdleAssociationBytes13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := tc.configs(t)
			synctest.Test(t, func(t *testing.T) {
				per, goroutines := idleAssociations(t, n, cc, sc)
				t.Logf("%d idle associations: %.0f bytes of heap each, %d goroutines for all of them", n, per, goroutines)
				if per > tc.limit {
					t.Errorf("an idle association holds %.0f bytes, more than %.0f", per, tc.limit)
				}
				if goroutines != 0 {
					t.Errorf("%d idle associations hold %d goroutines", n, goroutines)
				}
			})
		})
	}
}

// idleAssociations runs n associations to one listener into idleness and
// returns the heap bytes each holds and the goroutines they hold in all.
func idleAssociations(t *testing.T, n int, cc, sc *dtls.Config) (perAssociation float64, goroutines int) {
	net := memnet.New()
	defer net.Close()
	server := netip.MustParseAddr("10.1.0.1")
	sh, err := net.AddHost(memnet.HostConfig{Addrs: []netip.Addr{server}, MTU: 1500})
	if err != nil {
		t.Fatal(err)
	}
	lc := new(ListenConfig)
	if err := lc.check(sc); err != nil {
		t.Fatal(err)
	}
	lsock, err := sh.Listen(netip.AddrPortFrom(server, 4433))
	if err != nil {
		t.Fatal(err)
	}
	l := lc.serve(lsock, sc)
	var accepted sync.WaitGroup
	defer func() { l.Close(); accepted.Wait() }()
	accepted.Go(func() {
		for {
			if _, err := l.AcceptContext(context.Background()); err != nil {
				return
			}
		}
	})

	synctest.Wait()
	goroutines = bubbleGoroutines() // the listener's and the accepting one

	// A host has 28 232 ephemeral ports, as Linux has by default.
	const perHost = 25000
	var hosts []netip.Addr
	var host *memnet.Host
	var clients []*Conn
	for i := range n {
		if i%perHost == 0 {
			a := netip.AddrFrom4([4]byte{10, 2, byte(len(hosts) >> 8), byte(len(hosts) + 1)})
			if host, err = net.AddHost(memnet.HostConfig{Addrs: []netip.Addr{a}, MTU: 1500}); err != nil {
				t.Fatal(err)
			}
			hosts = append(hosts, a)
		}
		c, err := dialFrom(host, netip.AddrPortFrom(server, 4433), cc)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if i == 0 {
			// Only now are the listener's goroutines and buffers all
			// there: measure from here.
			spareGoroutines(4 * n)
			perAssociation = float64(heapNow())
		}
		clients = append(clients, c)
	}
	time.Sleep(10 * time.Minute) // every path probed; the idle timer sees live peers
	synctest.Wait()
	for _, h := range hosts {
		net.SetPath(h, server, memnet.PathConfig{Loss: 1})
		net.SetPath(server, h, memnet.PathConfig{Loss: 1})
	}
	for _, c := range clients {
		c.Close()
	}
	clients = nil
	// A stopped timer keeps its callback, and what the callback refers
	// to, until the runtime drops it from its heap, at the latest when it
	// would have fired: the clients' timers are for a minute at most.
	time.Sleep(2 * time.Minute)
	synctest.Wait()
	if count := l.Stats().Associations; count != n {
		t.Fatalf("the listener holds %d associations, want %d", count, n)
	}
	after := heapNow()
	return (float64(after) - perAssociation) / float64(n-1), bubbleGoroutines() - goroutines
}

// bubbleGoroutines returns how many goroutines the caller's synctest bubble
// has: unlike runtime.NumGoroutine, it does not count the goroutines of
// earlier tests that are still ending. It reads the bubble of each from
// the tracebacks, which name it ("synctest bubble N"), and counts them all
// outside a bubble.
func bubbleGoroutines() int {
	self := make([]byte, 256)
	self = self[:runtime.Stack(self, false)]
	header, _, _ := bytes.Cut(self, []byte("\n"))
	_, id, ok := bytes.Cut(header, []byte(", synctest bubble "))
	if !ok {
		return runtime.NumGoroutine()
	}
	id, _, _ = bytes.Cut(id, []byte("]"))
	id, _, _ = bytes.Cut(id, []byte(","))
	all := make([]byte, 1<<20)
	for {
		n := runtime.Stack(all, true)
		if n < len(all) {
			all = all[:n]
			break
		}
		all = make([]byte, 2*len(all))
	}
	mark := []byte(", synctest bubble " + string(id))
	count := 0
	for line := range bytes.Lines(all) {
		if bytes.HasPrefix(line, []byte("goroutine ")) {
			if i := bytes.Index(line, mark); i >= 0 && !isDigit(line, i+len(mark)) {
				count++
			}
		}
	}
	return count
}

// isDigit reports whether b has a decimal digit at i.
func isDigit(b []byte, i int) bool { return i < len(b) && '0' <= b[i] && b[i] <= '9' }

// dialFrom opens a client association from h to remote and runs its
// handshake.
func dialFrom(h *memnet.Host, remote netip.AddrPort, config *dtls.Config) (*Conn, error) {
	sc, err := h.Dial(netip.AddrPort{}, remote)
	if err != nil {
		return nil, err
	}
	c, err := new(Dialer).newClient(sc, remote, config)
	if err != nil {
		return nil, err
	}
	if err := c.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// spareGoroutines runs n goroutines at once to their end. The runtime
// keeps the descriptor of a goroutine that ended, to reuse, and never
// frees it: without this, the descriptors of the goroutines that the
// associations' timers start, all at the same virtual instant, would count
// as the associations' memory.
func spareGoroutines(n int) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { <-release })
	}
	close(release)
	wg.Wait()
}

// heapNow returns the bytes of live heap objects after a full collection.
func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
