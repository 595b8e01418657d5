package tests

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
)

// watchEvents makes cfg's Logger also hand each event to fn, then to the
// Logger cfg had, if any.
func watchEvents(cfg *dtls.Config, fn func(slog.Record)) {
	var next slog.Handler
	if cfg.Logger != nil {
		next = cfg.Logger.Handler()
	}
	cfg.Logger = slog.New(&watchHandler{next: next, fn: fn})
}

// A watchHandler hands every record to fn, then to next.
type watchHandler struct {
	next slog.Handler // or nil
	fn   func(slog.Record)
}

func (h *watchHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *watchHandler) Handle(ctx context.Context, r slog.Record) error {
	h.fn(r)
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// WithAttrs returns h: the engine and the transport attach no attributes
// to their Logger.
func (h *watchHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h, for the same reason.
func (h *watchHandler) WithGroup(string) slog.Handler { return h }

// eventCounts counts our side's events by their message, and writes
// each, with its attributes, to the test's trace log.
type eventCounts struct {
	mu      sync.Mutex
	n       map[string]int
	changed chan struct{} // closed, and replaced, at each event
}

// countEvents makes cfg report its events to the returned eventCounts and
// to a trace log written out if t fails.
func countEvents(t *testing.T, cfg *dtls.Config) *eventCounts {
	trace := newTraceLog(t)
	ev := &eventCounts{n: map[string]int{}, changed: make(chan struct{})}
	watchEvents(cfg, func(r slog.Record) {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		trace.add(b.String())
		ev.mu.Lock()
		ev.n[r.Message]++
		close(ev.changed)
		ev.changed = make(chan struct{})
		ev.mu.Unlock()
	})
	return ev
}

// awaitCount waits up to interopTimeout for at least n events named msg,
// which may follow the data that caused them, and returns the count.
func (e *eventCounts) awaitCount(msg string, n int) int {
	timeout := time.NewTimer(interopTimeout)
	defer timeout.Stop()
	for {
		e.mu.Lock()
		got, changed := e.n[msg], e.changed
		e.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout.C:
			return got
		}
	}
}
