package main

import (
	"context"
	"net"
	"time"
)

const (
	// echoSize is the size of the echoed records.
	echoSize = 100
	// echoTimeout is how long the echo client waits for a reply before it
	// counts the record as lost and sends the next.
	echoTimeout = time.Second
)

// echo measures round trips of echoSize-byte records for the phase's
// length: one client writes a record and waits for the server to echo it
// before it writes the next. It records the round trips per second and the
// records that did not come back.
func (b *bench) echo(im impl, round int) error {
	sv, err := startServer(im, suiteECDSA, echoAll)
	if err != nil {
		return err
	}
	defer sv.close()
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	c, err := im.dial(ctx, sv.addr(), suiteECDSA)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := make([]byte, echoSize)
	buf := make([]byte, 2048)
	var trips, lost int
	start := time.Now()
	for time.Since(start) < b.opts.phase {
		if roundTrip(c, msg, buf) {
			trips++
		} else {
			lost++
		}
	}
	b.res.add(figEcho, im, round, float64(trips)/time.Since(start).Seconds())
	b.res.addCount(figEchoLost, im, round, float64(lost))
	return nil
}

// roundTrip writes msg on c and reports whether a record of its size came
// back within echoTimeout.
func roundTrip(c net.Conn, msg, buf []byte) bool {
	if _, err := c.Write(msg); err != nil {
		return false
	}
	if err := c.SetReadDeadline(time.Now().Add(echoTimeout)); err != nil {
		return false
	}
	for {
		n, err := c.Read(buf)
		if err != nil {
			return false
		}
		if n == len(msg) {
			return true
		}
	}
}

// echoAll writes every record it reads on c back to the peer, until an
// error.
func echoAll(c net.Conn) {
	buf := make([]byte, 2048)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}
