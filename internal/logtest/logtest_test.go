package logtest

import (
	"log/slog"
	"testing"
)

func TestRecorder(t *testing.T) {
	l, r := Logger()
	l.Debug("flight sent", "flight", "[ClientHello]")
	l.Info("session resumed", slog.String("by", "ticket"))
	l.Info("session resumed", slog.String("by", "session ID"))
	if n := r.Count("session resumed"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	rec, ok := r.Find("session resumed")
	if !ok || rec.Level != slog.LevelInfo || String(rec, "by") != "session ID" {
		t.Errorf("Find = %v, %v; want the last, by session ID", rec, ok)
	}
	if _, ok := r.Find("handshake complete"); ok {
		t.Error("Find found an event never logged")
	}
	if _, ok := Attr(rec, "suite"); ok {
		t.Error("Attr found an attribute the record lacks")
	}
	if n := len(r.Records()); n != 3 {
		t.Errorf("Records has %d, want 3", n)
	}
}

func TestRecorderWith(t *testing.T) {
	l, r := Logger()
	l.With("side", "server").Info("handshake complete")
	rec, ok := r.Find("handshake complete")
	if !ok || String(rec, "side") != "server" {
		t.Errorf("Find = %v, %v; want a record with side=server", rec, ok)
	}
}
