package dtls

import (
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
)

// TestWriteAfterPeerClosed checks RFC 5246 §7.2.1 over pumped links: the
// peer's close_notify is answered with one close_notify, and Write,
// WriteBatch and SendHeartbeat then send nothing and return ErrPeerClosed,
// while Read returns the data that came before it, then io.EOF.
func TestWriteAfterPeerClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cl, sl := pumpPair(t, cc, sc)
		if _, err := client.Write([]byte("last words")); err != nil {
			t.Fatal(err)
		}
		client.Close()
		if n := cl.pump(); n != 2 {
			t.Fatalf("the client sent %d datagrams, want its data and close_notify", n)
		}
		if sl.n != 1 {
			t.Fatalf("the server answered close_notify with %d datagrams, want 1", sl.n)
		}
		buf := make([]byte, 100)
		if n, err := server.Read(buf); err != nil || string(buf[:n]) != "last words" {
			t.Fatalf("Read = %q, %v", buf[:n], err)
		}
		if _, err := server.Read(buf); err != io.EOF {
			t.Fatalf("Read after close_notify: %v, want io.EOF", err)
		}
		if _, err := server.Write([]byte("anyone?")); !errors.Is(err, ErrPeerClosed) {
			t.Errorf("Write after close_notify: %v, want ErrPeerClosed", err)
		}
		if _, err := server.WriteBatch([][]byte{[]byte("a")}); !errors.Is(err, ErrPeerClosed) {
			t.Errorf("WriteBatch after close_notify: %v, want ErrPeerClosed", err)
		}
		if sl.n != 1 {
			t.Errorf("the server sent %d datagrams after the peer closed, want only its close_notify", sl.n)
		}
		if err := server.Close(); err != nil {
			t.Fatal(err)
		}
		if sl.n != 1 {
			t.Errorf("Close sent a second close_notify")
		}
		if _, err := server.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: %v, want net.ErrClosed", err)
		}
	})
}

// TestWriteAfterFatalAlert checks that a Conn that received a fatal alert
// sends nothing more, and that Write says why.
func TestWriteAfterFatalAlert(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc, sc := suiteConfigs(TLS_PSK_WITH_AES_128_GCM_SHA256, VersionDTLS12)
		client, server, cl, sl := pumpPair(t, cc, sc)
		client.out.Lock()
		_ = client.sendAlertLocked(alertLevelFatal, AlertInternalError)
		client.out.Unlock()
		cl.pump()
		var alert *AlertError
		if _, err := server.Write([]byte("x")); !errors.As(err, &alert) || alert.Alert != AlertInternalError || !alert.Remote {
			t.Fatalf("Write after a fatal alert: %v, want the remote internal_error", err)
		}
		if sl.n != 0 {
			t.Errorf("the server sent %d datagrams after a fatal alert", sl.n)
		}
		client.Close()
		server.Close()
	})
}
