package platform

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
)

// Control messages read with MSG_ERRQUEUE from sockets of TestErrQueueLocal
// and TestErrQueueICMP on Linux 6.18, amd64.
var errQueueCmsgs = []struct {
	name, hex string
	want      QueuedError
}{
	{
		"ipv4/local",
		"3000000000000000000000000b0000005a00000001000000dc0500000000000000000000000000000000000000000000",
		QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginLocal, Info: 1500},
	},
	{
		"ipv4/icmp",
		"3000000000000000000000000b0000005a000000020304000005000000000000020000007f0000010000000000000000",
		QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginICMP, Type: 3, Code: 4, Info: 1280, Offender: netip.MustParseAddr("127.0.0.1")},
	},
	{
		"ipv6/local",
		"3c0000000000000029000000190000005a00000001000000dc050000000000000000000000000000000000000000000000000000000000000000000000000000",
		QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginLocal, Info: 1500},
	},
	{
		"ipv6/icmp6",
		"3c0000000000000029000000190000005a0000000302000000050000000000000a00000000000000000000000000000000000000000000010000000000000000",
		QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginICMP6, Type: 2, Info: 1280, Offender: netip.MustParseAddr("::1")},
	},
	{
		"dual-stack/icmp",
		"3c0000000000000029000000190000005a0000000203040000050000000000000a0000000000000000000000000000000000ffff7f0000010000000000000000",
		QueuedError{Errno: syscall.EMSGSIZE, Origin: OriginICMP, Type: 3, Code: 4, Info: 1280, Offender: netip.MustParseAddr("::ffff:127.0.0.1")},
	},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// skipBigEndian skips a test whose control messages were captured on a
// little-endian machine.
func skipBigEndian(t testing.TB) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skipf("control messages captured on a little-endian machine, not %s", runtime.GOARCH)
	}
}

func TestParseErrQueueCmsgs(t *testing.T) {
	skipBigEndian(t)
	for _, tc := range errQueueCmsgs {
		t.Run(tc.name, func(t *testing.T) {
			oob := mustHex(t, tc.hex)
			got, ok := parseErrQueueCmsgs(oob)
			if !ok || got.Errno != tc.want.Errno || got.Origin != tc.want.Origin || got.Type != tc.want.Type ||
				got.Code != tc.want.Code || got.Info != tc.want.Info || got.Offender != tc.want.Offender {
				t.Errorf("parseErrQueueCmsgs = %+v, %v; want %+v", got, ok, tc.want)
			}
			// A control message cut short of its length is refused.
			for n := range int(binary.NativeEndian.Uint32(oob)) {
				if got, ok := parseErrQueueCmsgs(oob[:n]); ok {
					t.Fatalf("%d-byte prefix parsed as %+v", n, got)
				}
			}
		})
	}
}

func TestParseErrQueueCmsgsOther(t *testing.T) {
	skipBigEndian(t)
	// SCM_TIMESTAMP-like: another level and type, then the real entry.
	other := mustHex(t, "1400000000000000010000001d0000000102030400000000")
	if _, ok := parseErrQueueCmsgs(other); ok {
		t.Error("a control message of another type parsed as an error")
	}
	both := append(other, mustHex(t, errQueueCmsgs[1].hex)...)
	if got, ok := parseErrQueueCmsgs(both); !ok || got.Info != 1280 {
		t.Errorf("error after another control message: %+v, %v", got, ok)
	}
	// An IP_RECVERR message too short for sock_extended_err.
	short := mustHex(t, "1800000000000000000000000b0000005a00000001000000")
	if _, ok := parseErrQueueCmsgs(short); ok {
		t.Error("a truncated sock_extended_err parsed")
	}
	// No offender address: the zero Addr.
	noOffender := mustHex(t, "2000000000000000000000000b0000005a00000001000000dc05000000000000")
	if got, ok := parseErrQueueCmsgs(noOffender); !ok || got.Offender.IsValid() || got.Info != 1500 {
		t.Errorf("entry without an offender: %+v, %v", got, ok)
	}
}

func FuzzParseErrQueueCmsgs(f *testing.F) {
	for _, tc := range errQueueCmsgs {
		f.Add(mustHex(f, tc.hex))
	}
	f.Fuzz(func(t *testing.T, oob []byte) {
		q, ok := parseErrQueueCmsgs(oob)
		if !ok {
			return
		}
		if q.Offender.IsValid() && !q.Offender.Is4() && !q.Offender.Is6() {
			t.Errorf("offender %v", q.Offender)
		}
		if q.Origin > OriginICMP6 {
			t.Errorf("origin %v", q.Origin)
		}
	})
}
