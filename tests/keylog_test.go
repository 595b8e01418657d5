package tests

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/testenv"
)

// TestKeyLogTshark checks Config.KeyLogWriter against Wireshark: a
// session's datagrams, written to a pcap file, are decrypted by tshark
// with the key log our client wrote, and the application data appears in
// clear.
func TestKeyLogTshark(t *testing.T) {
	t.Parallel()
	tshark := testenv.LookPath(t, "tshark")
	dir := t.TempDir()
	keylog, err := os.Create(filepath.Join(dir, "keys.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer keylog.Close()
	cc, sc := pskPair()
	cc.KeyLogWriter = keylog
	secret := []byte("pathdtls secret!")
	cap := runCaptured(t, cc, sc, secret)
	pcap := filepath.Join(dir, "session.pcap")
	if err := os.WriteFile(pcap, cap.pcap(), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", pcap, "-o", "tls.keylog_file:" + keylog.Name(),
		"-d", "udp.port==" + strconv.Itoa(int(cap.serverPort)) + ",dtls", "-x"}
	out, err := exec.Command(tshark, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, out)
	}
	if !bytes.Contains(out, []byte("Decrypted DTLS")) || !bytes.Contains(out, []byte(string(secret))) {
		t.Fatalf("tshark did not decrypt the application data %q:\n%s", secret, out)
	}
}

// pskPair returns a client and a server Config with a PSK and AES-GCM.
func pskPair() (client, server *dtls.Config) {
	psk := func([]byte) ([]byte, error) { return []byte("a key only these two know"), nil }
	suites := []uint16{dtls.TLS_PSK_WITH_AES_128_GCM_SHA256}
	return &dtls.Config{PSK: psk, PSKIdentity: []byte("keylog"), CipherSuites: suites},
		&dtls.Config{PSK: psk, CipherSuites: suites}
}

// A capture is the datagrams of a session between two loopback sockets,
// in the order they were sent.
type capture struct {
	mu                     sync.Mutex
	clientPort, serverPort uint16
	datagrams              []captured
}

type captured struct {
	toServer bool
	b        []byte
}

// recorder is one end's socket, which adds what it sends to the capture.
type recorder struct {
	net.Conn
	cap      *capture
	toServer bool
}

func (r *recorder) Write(b []byte) (int, error) {
	r.cap.mu.Lock()
	r.cap.datagrams = append(r.cap.datagrams, captured{r.toServer, bytes.Clone(b)})
	r.cap.mu.Unlock()
	return r.Conn.Write(b)
}

// runCaptured runs a handshake between dtls.Client and dtls.Server over
// two connected loopback sockets and sends msg from the client, capturing
// every datagram.
func runCaptured(t *testing.T, cc, sc *dtls.Config, msg []byte) *capture {
	t.Helper()
	a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	aAddr, bAddr := a.LocalAddr().(*net.UDPAddr), b.LocalAddr().(*net.UDPAddr)
	ca, err := net.DialUDP("udp4", aAddr, bAddr)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := net.DialUDP("udp4", bAddr, aAddr)
	if err != nil {
		t.Fatal(err)
	}
	cap := &capture{clientPort: uint16(aAddr.Port), serverPort: uint16(bAddr.Port)}
	client := dtls.Client(&recorder{ca, cap, true}, cc)
	server := dtls.Server(&recorder{cb, cap, false}, sc)
	defer client.Close()
	defer server.Close()
	done := make(chan error, 1)
	go func() { done <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write(msg); err != nil {
		t.Fatal(err)
	}
	server.SetReadDeadline(time.Now().Add(interopTimeout))
	buf := make([]byte, 100)
	if n, err := server.Read(buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	return cap
}

// pcap returns the capture as a pcap file of raw IPv4 packets
// (LINKTYPE_RAW), with the headers a kernel would have added.
func (c *capture) pcap() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []byte
	out = binary.LittleEndian.AppendUint32(out, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = append(out, make([]byte, 8)...) // thiszone, sigfigs
	out = binary.LittleEndian.AppendUint32(out, 65535)
	out = binary.LittleEndian.AppendUint32(out, 101) // LINKTYPE_RAW
	for i, d := range c.datagrams {
		src, dst := c.clientPort, c.serverPort
		if !d.toServer {
			src, dst = dst, src
		}
		pkt := ipv4UDP(src, dst, d.b)
		out = binary.LittleEndian.AppendUint32(out, 1_800_000_000)
		out = binary.LittleEndian.AppendUint32(out, uint32(i))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(pkt)))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(pkt)))
		out = append(out, pkt...)
	}
	return out
}

// ipv4UDP returns an IPv4 packet from 127.0.0.1:src to 127.0.0.1:dst
// carrying payload in UDP (no UDP checksum, which IPv4 allows).
func ipv4UDP(src, dst uint16, payload []byte) []byte {
	total := 20 + 8 + len(payload)
	h := []byte{0x45, 0, byte(total >> 8), byte(total), 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	h = binary.BigEndian.AppendUint16(h, src)
	h = binary.BigEndian.AppendUint16(h, dst)
	h = binary.BigEndian.AppendUint16(h, uint16(8+len(payload)))
	h = binary.BigEndian.AppendUint16(h, 0)
	return append(h, payload...)
}
