// Package eventlog carries the events of the DTLS engine and of the
// transport to where dtls.Config sends them: its Logger, as structured
// records, and its deprecated Trace, as one line each.
package eventlog

import (
	"context"
	"fmt"
	"log/slog"
)

// A Log is where events go. Its zero value discards them.
type Log struct {
	Logger *slog.Logger
	Trace  func(string)
}

// Enabled reports whether an event at level goes anywhere. Callers check it
// before they build an event's attributes, so that an event nobody takes
// costs nothing.
func (l Log) Enabled(level slog.Level) bool {
	return l.Trace != nil || l.Logger != nil && l.Logger.Enabled(context.Background(), level)
}

// Event logs the event msg, with attrs, at level. The Trace, if there is
// one, receives the line that format renders from the attributes' values,
// in order: the event's text as it was before the Logger.
func (l Log) Event(level slog.Level, msg, format string, attrs ...slog.Attr) {
	if l.Logger != nil {
		l.Logger.LogAttrs(context.Background(), level, msg, attrs...)
	}
	if l.Trace != nil {
		args := make([]any, len(attrs))
		for i, a := range attrs {
			args[i] = a.Value.Any()
		}
		l.Trace(fmt.Sprintf(format, args...))
	}
}
