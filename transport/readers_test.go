package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/platform"
)

// TestReaders listens with several readers over the loopback: every
// client completes its handshake and its echo, the clients are spread over
// more than one reader, and Close stops every reader.
func TestReaders(t *testing.T) {
	if !platform.ReusePortBalances {
		t.Skip("listeners have one reader here: the system does not spread datagrams among sockets")
	}
	before := runtime.NumGoroutine()
	cc, sc := configs(t, getPKI(t).ecdsa)
	l, err := (&ListenConfig{Readers: 4}).Listen(context.Background(), "udp4", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.shards) != 4 {
		t.Fatalf("%d readers, want 4", len(l.shards))
	}
	var served sync.WaitGroup
	served.Go(func() {
		for {
			c, err := l.AcceptContext(context.Background())
			if err != nil {
				return
			}
			served.Go(func() { echo(c) })
		}
	})
	const clients = 24
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := Dial(ctx, "udp4", l.Addr().String(), cc)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			defer c.Close()
			msg := []byte(fmt.Sprint("client ", i))
			if _, err := c.Write(msg); err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			buf := make([]byte, 100)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := c.Read(buf); err != nil || string(buf[:n]) != string(msg) {
				t.Errorf("client %d: echo %q, %v", i, buf[:n], err)
			}
		})
	}
	wg.Wait()
	busy := 0
	for _, s := range l.shards {
		if s.sock.Stats().Received > 0 {
			busy++
		}
	}
	if busy < 2 {
		t.Errorf("%d clients reached %d reader of 4", clients, busy)
	}
	if st := l.Stats(); st.Accepted != clients {
		t.Errorf("%d associations accepted, want %d", st.Accepted, clients)
	}
	l.Close()
	served.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestReadersDefault checks the number of readers a zero ListenConfig
// gives.
func TestReadersDefault(t *testing.T) {
	_, sc := configs(t, getPKI(t).ecdsa)
	l, err := Listen("udp4", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := 1
	if platform.ReusePortBalances {
		want = min(runtime.GOMAXPROCS(0), maxDefaultReaders)
	}
	if len(l.shards) != want {
		t.Errorf("%d readers, want %d", len(l.shards), want)
	}
	if _, err := (&ListenConfig{Readers: -1}).Listen(context.Background(), "udp4", "127.0.0.1:0", sc); err == nil {
		t.Error("a negative Readers was accepted")
	}
}

// TestListenAddressInUse checks that a listener with several readers does
// not share its address with another listener: the second Listen fails,
// as it does for a listener with one reader.
func TestListenAddressInUse(t *testing.T) {
	_, sc := pskConfigs([]byte("key"), []byte("key"))
	for _, readers := range []int{1, 4} {
		t.Run(fmt.Sprintf("readers=%d", readers), func(t *testing.T) {
			lc := &ListenConfig{Readers: readers}
			l, err := lc.Listen(context.Background(), "udp4", "127.0.0.1:0", sc)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for _, other := range []*ListenConfig{lc, {Readers: 1}} {
				if l2, err := other.Listen(context.Background(), "udp4", l.Addr().String(), sc); err == nil {
					l2.Close()
					t.Fatalf("a listener with %d readers shared %s with one with %d", other.Readers, l.Addr(), readers)
				}
			}
		})
	}
}

// TestListenWithoutCredentials checks that Listen refuses a Config with
// which no handshake could complete, and says why.
func TestListenWithoutCredentials(t *testing.T) {
	for name, cfg := range map[string]*dtls.Config{
		"nil":                  nil,
		"empty":                {},
		"an empty certificate": {Certificates: []tls.Certificate{{}}},
	} {
		l, err := Listen("udp4", "127.0.0.1:0", cfg)
		if err == nil {
			l.Close()
			t.Errorf("%s: Listen accepted it", name)
			continue
		}
		if !strings.Contains(err.Error(), "Config") {
			t.Errorf("%s: %v does not say what is wrong with the Config", name, err)
		}
	}
}
