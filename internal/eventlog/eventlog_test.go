package eventlog

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestEvent checks that an event reaches the Logger as msg and attributes,
// and the Trace as the line its format renders.
func TestEvent(t *testing.T) {
	var buf bytes.Buffer
	var lines []string
	l := Log{
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Trace:  func(s string) { lines = append(lines, s) },
	}
	l.Event(slog.LevelDebug, "retransmit", "retransmitting (%s, %d, %v, %v)",
		slog.String("reason", "timeout"), slog.Int("size", 1200), slog.Duration("timer", time.Second), slog.Any("err", errors.New("boom")))
	if want := "retransmitting (timeout, 1200, 1s, boom)"; len(lines) != 1 || lines[0] != want {
		t.Errorf("Trace got %q, want %q", lines, want)
	}
	if got := buf.String(); !strings.Contains(got, `level=DEBUG msg=retransmit reason=timeout size=1200 timer=1s err=boom`) {
		t.Errorf("Logger got %q", got)
	}
}

// TestEnabled checks which Logs take an event.
func TestEnabled(t *testing.T) {
	info := slog.New(slog.NewTextHandler(new(bytes.Buffer), nil))
	for _, c := range []struct {
		l     Log
		level slog.Level
		want  bool
	}{
		{Log{}, slog.LevelError, false},
		{Log{Trace: func(string) {}}, slog.LevelDebug, true},
		{Log{Logger: info}, slog.LevelDebug, false},
		{Log{Logger: info}, slog.LevelInfo, true},
	} {
		if got := c.l.Enabled(c.level); got != c.want {
			t.Errorf("%+v.Enabled(%v) = %v, want %v", c.l, c.level, got, c.want)
		}
	}
}
