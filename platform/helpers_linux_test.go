package platform

import (
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"testing"

	"github.com/pathdtls/pathdtls/internal/testenv"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/sys/unix"
)

// netns runs functions on an OS thread that has a network namespace of its
// own, whose loopback interface is up with a chosen MTU. Sockets opened there
// stay in that namespace, from whichever thread they are used later, and the
// namespace disappears with the last of them: nothing to clean up, and
// nothing this test does to path MTUs, such as accepting a forged ICMP
// message, touches the machine's own namespace.
type netns struct {
	fns  chan func()
	done chan struct{}
}

// newNetns creates the namespace, or skips the test without root.
func newNetns(t *testing.T, loMTU int) *netns {
	t.Helper()
	testenv.MustRoot(t)
	ns := &netns{fns: make(chan func()), done: make(chan struct{})}
	errc := make(chan error)
	go func() {
		// Never unlocked: the thread, in another namespace than the rest
		// of the process, ends with this goroutine.
		runtime.LockOSThread()
		defer close(ns.done)
		err := unix.Unshare(unix.CLONE_NEWNET)
		if err == nil {
			err = setUpLoopback(loMTU)
		}
		errc <- err
		if err != nil {
			return
		}
		for f := range ns.fns {
			f()
		}
	}()
	if err := <-errc; err != nil {
		t.Fatalf("creating a network namespace: %v", err)
	}
	t.Cleanup(func() {
		close(ns.fns)
		<-ns.done
	})
	return ns
}

// do runs f in the namespace and waits for it.
func (ns *netns) do(f func()) {
	done := make(chan struct{})
	ns.fns <- func() {
		defer close(done)
		f()
	}
	<-done
}

// setUpLoopback sets the MTU of the loopback interface and brings it up,
// which also gives it ::1.
func setUpLoopback(mtu int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	ifr.SetUint32(uint32(mtu))
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFMTU, ifr); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// listenUDP opens a UDP socket in ns with opts, closed when the test ends.
func listenUDP(t *testing.T, ns *netns, network, address string, opts Options) (*net.UDPConn, Capabilities) {
	t.Helper()
	var (
		caps Capabilities
		c    net.PacketConn
		err  error
	)
	lc := net.ListenConfig{Control: Control(opts, &caps)}
	ns.do(func() { c, err = lc.ListenPacket(t.Context(), network, address) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn), caps
}

// rawConn returns c's syscall.RawConn.
func rawConn(t *testing.T, c interface {
	SyscallConn() (syscall.RawConn, error)
}) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// forge sends the ICMP message msg to the loopback address of its family
// from a raw socket in ns, as if a router had sent it.
func forge(t *testing.T, ns *netns, ipv6 bool, msg []byte) {
	t.Helper()
	network, addr := "ip4:icmp", "127.0.0.1"
	if ipv6 {
		network, addr = "ip6:ipv6-icmp", "::1"
	}
	var err error
	ns.do(func() {
		var c net.PacketConn
		if c, err = net.ListenPacket(network, addr); err != nil {
			return
		}
		defer c.Close()
		_, err = c.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(addr)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fragNeeded builds an ICMPv4 fragmentation needed (RFC 792, RFC 1191)
// about a UDP datagram from src to dst whose payload starts with payload.
func fragNeeded(src, dst netip.AddrPort, mtu uint16, payload []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(3) // destination unreachable
	b.AddUint8(4) // fragmentation needed and DF set
	b.AddUint16(0)
	b.AddUint16(0)
	b.AddUint16(mtu)
	b.AddUint8(0x45) // IPv4, 20-byte header
	b.AddUint8(0)
	b.AddUint16(uint16(20 + 8 + len(payload)))
	b.AddUint32(0x4000) // identification 0, DF
	b.AddUint8(64)
	b.AddUint8(unix.IPPROTO_UDP)
	b.AddUint16(0)
	b.AddBytes(src.Addr().AsSlice())
	b.AddBytes(dst.Addr().AsSlice())
	addUDP(&b, src, dst, payload)
	msg := b.BytesOrPanic()
	sum := internetChecksum(msg)
	msg[2], msg[3] = byte(sum>>8), byte(sum)
	return msg
}

// packetTooBig builds an ICMPv6 Packet Too Big (RFC 4443 section 3.2) about
// a UDP datagram from src to dst. The kernel fills in the checksum.
func packetTooBig(src, dst netip.AddrPort, mtu uint32, payload []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(2)
	b.AddUint8(0)
	b.AddUint16(0)
	b.AddUint32(mtu)
	b.AddUint32(6 << 28)
	b.AddUint16(uint16(8 + len(payload)))
	b.AddUint8(unix.IPPROTO_UDP)
	b.AddUint8(64)
	b.AddBytes(src.Addr().AsSlice())
	b.AddBytes(dst.Addr().AsSlice())
	addUDP(&b, src, dst, payload)
	return b.BytesOrPanic()
}

func addUDP(b *cryptobyte.Builder, src, dst netip.AddrPort, payload []byte) {
	b.AddUint16(src.Port())
	b.AddUint16(dst.Port())
	b.AddUint16(uint16(8 + len(payload)))
	b.AddUint16(0)
	b.AddBytes(payload)
}

// internetChecksum is the checksum of RFC 1071.
func internetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
