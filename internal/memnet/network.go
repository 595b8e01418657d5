package memnet

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// A Network is an in-memory IP network of hosts. Its methods may be called
// concurrently.
type Network struct {
	mu      sync.Mutex
	hosts   []*Host
	byAddr  map[netip.Addr]*Host
	paths   map[pathKey]*path
	closed  bool
	running sync.WaitGroup // the timer's runs of fire in progress

	// The events to come, and the timer that runs them (see sched.go).
	events  eventHeap
	evSeq   uint64
	timer   *time.Timer
	armedAt time.Time // when the timer is set for, or zero
	firing  bool
}

// New returns an empty network. In a test that runs in virtual time, call
// it inside the synctest bubble.
func New() *Network {
	return &Network{
		byAddr: make(map[netip.Addr]*Host),
		paths:  make(map[pathKey]*path),
	}
}

// errClosedNetwork is returned by the methods of a closed network.
var errClosedNetwork = errors.New("dtls: memnet: network closed")

// AddHost adds a host with the addresses and settings of cfg. It fails if
// an address is invalid, unspecified or already another host's.
func (n *Network) AddHost(cfg HostConfig) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errClosedNetwork
	}
	h := &Host{net: n, cfg: cfg, ports: make(map[uint16][]*Conn), nextPort: ephemeralFirst}
	if h.cfg.MTU <= 0 {
		h.cfg.MTU = DefaultMTU
	}
	if h.cfg.RecvBuffer <= 0 {
		h.cfg.RecvBuffer = DefaultRecvBuffer
	}
	h.cfg.Addrs = nil
	seen := make(map[netip.Addr]bool)
	for _, a := range cfg.Addrs {
		a = a.Unmap().WithZone("")
		if !a.IsValid() || a.IsUnspecified() || n.byAddr[a] != nil || seen[a] {
			return nil, fmt.Errorf("dtls: memnet: host address %v is invalid, unspecified or taken", a)
		}
		seen[a] = true
		h.cfg.Addrs = append(h.cfg.Addrs, a)
	}
	for _, a := range h.cfg.Addrs {
		n.byAddr[a] = h
	}
	n.hosts = append(n.hosts, h)
	return h, nil
}

// SetPath configures the path from the address from to the address to,
// in that direction only: the datagrams sent later from from to to follow
// cfg. It restarts the path's random generator from cfg.Seed and keeps its
// datagram count and statistics. Probabilities are clamped to [0, 1], and
// a negative MTU or delay counts as zero.
func (n *Network) SetPath(from, to netip.Addr, cfg PathConfig) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pathLocked(from, to).configure(cfg)
}

// PathStats returns the counts of the path from the address from to the
// address to.
func (n *Network) PathStats(from, to netip.Addr) PathStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pathLocked(from, to).stats
}

// pathLocked returns the path from one address to another, creating it,
// with the default configuration, on first use.
func (n *Network) pathLocked(from, to netip.Addr) *path {
	k := pathKey{from.Unmap().WithZone(""), to.Unmap().WithZone("")}
	p := n.paths[k]
	if p == nil {
		p = new(path)
		p.configure(PathConfig{})
		n.paths[k] = p
	}
	return p
}

// Close closes every socket of the network, drops the datagrams and ICMP
// errors still on their way, and waits for the timer's run of events in
// progress, if any, to finish. It must not be called from a callback of
// the network (PathConfig.Drop, a raw ICMP listener).
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	if n.timer != nil {
		n.timer.Stop()
	}
	n.events = nil
	for _, h := range n.hosts {
		for _, conns := range h.ports {
			for _, c := range conns {
				c.closeLocked()
			}
		}
		h.ports = make(map[uint16][]*Conn)
	}
	n.mu.Unlock()
	n.running.Wait()
	return nil
}
