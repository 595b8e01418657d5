package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/pathdtls/pathdtls/internal/cliconfig"
)

// A traceHandler writes the events of -v on standard error, one a line:
// "trace: ", the side in the demo ("server: "), the event, and its
// attributes as key=value, a value with a space or a quote in quotes:
//
//	trace: flight sent flight="[ClientHello]" datagrams=1 max_size=1200 layout="..."
//
// slog.TextHandler would do, but with a time and a level on every line
// that a person reading a handshake has no use for.
type traceHandler struct {
	w      *lines
	prefix string      // "trace: " and the side, if any
	attrs  []slog.Attr // from WithAttrs
}

// traceLogger returns a Logger that writes every event, at every level,
// to w; side, if not empty, names the side of each line.
func traceLogger(w *lines, side string) *slog.Logger {
	prefix := "trace: "
	if side != "" {
		prefix += side + ": "
	}
	return slog.New(&traceHandler{w: w, prefix: prefix})
}

// Enabled reports true: -v shows every event.
func (h *traceHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle writes r as one line.
func (h *traceHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix)
	cliconfig.AppendEvent(&b, r, h.attrs)
	b.WriteByte('\n')
	h.w.print(b.String())
	return nil
}

// WithAttrs returns a handler that writes attrs on every line.
func (h *traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)
	return &h2
}

// WithGroup returns h: the engine logs no groups, and a line has room for
// none.
func (h *traceHandler) WithGroup(string) slog.Handler { return h }
