// Package logtest provides a slog.Handler that keeps the records it
// handles, so that tests can assert on the events a Logger received rather
// than on their text.
package logtest

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// A Recorder is a slog.Handler that keeps every record, at every level.
// Its methods are safe for concurrent use.
type Recorder struct {
	s     *store
	attrs []slog.Attr // from WithAttrs, added to each record
}

// A store holds the records of a Recorder and of those derived from it.
type store struct {
	mu      sync.Mutex
	records []slog.Record
}

// Logger returns a Logger that records into a new Recorder, and the
// Recorder.
func Logger() (*slog.Logger, *Recorder) {
	r := &Recorder{s: new(store)}
	return slog.New(r), r
}

// Enabled reports true: a Recorder takes every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps a copy of rec, with the attributes of WithAttrs added.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(r.attrs...)
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.records = append(r.s.records, rec)
	return nil
}

// WithAttrs returns a Recorder that adds attrs to each record and keeps
// them with r's.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Recorder{s: r.s, attrs: append(slices.Clip(r.attrs), attrs...)}
}

// WithGroup returns r: a Recorder keeps attributes flat, which is enough
// to look them up.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Records returns the records kept so far, oldest first.
func (r *Recorder) Records() []slog.Record {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return slices.Clone(r.s.records)
}

// All returns the records whose message is msg, oldest first.
func (r *Recorder) All(msg string) []slog.Record {
	var all []slog.Record
	for _, rec := range r.Records() {
		if rec.Message == msg {
			all = append(all, rec)
		}
	}
	return all
}

// Find returns the last record whose message is msg.
func (r *Recorder) Find(msg string) (slog.Record, bool) {
	all := r.All(msg)
	if len(all) == 0 {
		return slog.Record{}, false
	}
	return all[len(all)-1], true
}

// Count returns how many records have the message msg.
func (r *Recorder) Count(msg string) int { return len(r.All(msg)) }

// Attr returns the value of rec's attribute key.
func Attr(rec slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}

// String returns the value of rec's attribute key as a string, or "" if
// rec has none.
func String(rec slog.Record, key string) string {
	v, ok := Attr(rec, key)
	if !ok {
		return ""
	}
	return v.String()
}
