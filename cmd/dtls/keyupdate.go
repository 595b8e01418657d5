package main

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/pathdtls/pathdtls/dtls"
	"github.com/pathdtls/pathdtls/internal/cliconfig"
	"github.com/pathdtls/pathdtls/transport"
)

// seconds is the value of -keyupdate: a number of seconds, as openssl's
// flags take them ("30", "0.5"), or a duration with its unit ("500ms").
type seconds time.Duration

// maxSeconds is the largest number of seconds a time.Duration holds, in
// round figures.
const maxSeconds = math.MaxInt64 / float64(time.Second) / 2

// Set parses s as a number of seconds or a duration.
func (d *seconds) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.Abs(f) > maxSeconds {
			return errors.New("out of range")
		}
		*d = seconds(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a number of seconds, or a duration such as 500ms")
	}
	*d = seconds(v)
	return nil
}

// String formats d as a duration, "0s" for none.
func (d *seconds) String() string { return time.Duration(*d).String() }

// keyUpdater sends KeyUpdates on one association every -keyupdate, and
// reports them on standard error as KEYUPDATE lines that name the peer.
type keyUpdater struct {
	every time.Duration
	e     *env
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startKeyUpdates starts sending KeyUpdates on c every every, unless every
// is 0. On an association that is not DTLS 1.3 it says once that KeyUpdate
// needs DTLS 1.3 (RFC 9147, Section 8; DTLS 1.2 has renegotiation instead)
// and sends none. The caller calls halt before it closes c.
func startKeyUpdates(c *transport.Conn, every time.Duration, e *env) *keyUpdater {
	k := &keyUpdater{every: every, e: e, stop: make(chan struct{})}
	if every <= 0 {
		return k
	}
	if v := c.ConnectionState().Version; v != dtls.VersionDTLS13 {
		e.stderr.printf("KEYUPDATE %s not sent: KeyUpdate needs DTLS 1.3, and this association is %s\n", c.RemoteAddr(), cliconfig.VersionName(v))
		return k
	}
	k.wg.Go(func() { k.run(c) })
	return k
}

// run sends a KeyUpdate with update_requested every k.every until halt,
// and says so after each. A failure ends the loop; whoever reads c sees
// and reports the end of the association.
func (k *keyUpdater) run(c *transport.Conn) {
	t := time.NewTicker(k.every)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		if err := c.UpdateKeys(true); err != nil {
			select {
			case <-k.stop: // the association is ending: not worth a line
			default:
				k.e.stderr.printf("KEYUPDATE %s %s\n", c.RemoteAddr(), oneLine(err))
			}
			return
		}
		k.e.stderr.printf("KEYUPDATE %s sent, update requested\n", c.RemoteAddr())
	}
}

// halt stops the KeyUpdates and waits for the last to be sent.
func (k *keyUpdater) halt() {
	close(k.stop)
	k.wg.Wait()
}
