package tests

import (
	"context"
	"log/slog"

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
