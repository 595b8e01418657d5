package pmtu

import (
	"testing"
	"time"
)

// ipv4 is the path most transition tests use: IPv4, an Ethernet interface,
// MIN_PLPMTU 576, BASE_PLPMTU 1200, MAX_PLPMTU 1500.
var ipv4 = Config{Family: IPv4, Max: 1500}

// searching returns a driver that has confirmed BASE_PLPMTU on cfg.
func searching(t *testing.T, cfg Config) *driver {
	d := newDriver(t, cfg)
	d.s.Start(d.now)
	d.sendWant(d.s.Config().Base)
	d.ack()
	return d
}

// transitionTests take every transition of the RFC 8899 Section 5.2 state
// machine, and the PTB rules of Section 4.6.2, each named after the
// transition it takes and ending in the given state and size.
var transitionTests = []struct {
	name  string
	cfg   Config
	run   func(d *driver)
	state State
	pmtu  MTU
}{
	{"DISABLED to BASE: PL indicates connectivity", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.sendWant(1200)
	}, Base, 1200},
	{"DISABLED to SEARCHING: traffic already confirmed BASE_PLPMTU", ipv4, func(d *driver) {
		d.s.SizeAcked(1400, d.now)
		d.s.Start(d.now)
		d.sendWant(1500)
	}, Searching, 1400},
	{"BASE to SEARCHING: BASE_PLPMTU probe acked", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.sendWant(1200)
		d.ack()
		d.sendWant(1500) // MAX_PLPMTU first
	}, Searching, 1200},
	{"BASE to BASE: PROBE_TIMER expiry, PROBE_COUNT < MAX_PROBES", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 2)
		d.sendWant(1200)
	}, Base, 1200},
	{"BASE to ERROR: PROBE_TIMER expiry, PROBE_COUNT = MAX_PROBES", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.sendWant(576)
	}, Error, 576},
	{"BASE to ERROR: PTB, PL_PTB_SIZE < BASE_PLPMTU", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.sendWant(1200)
		d.s.PacketTooBig(1000, d.now)
		d.sendWant(1000) // the hint, at once
	}, Error, 576},
	{"ERROR to SEARCHING: MIN_PLPMTU probe acked", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.sendWant(576)
		d.ack()
		d.sendWant(1199) // below the BASE_PLPMTU found too big
	}, Searching, 576},
	{"ERROR to SEARCHING to SEARCH_COMPLETE: PTB size acked", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.sendWant(1200)
		d.s.PacketTooBig(1000, d.now)
		d.sendWant(1000)
		d.ack()
	}, SearchComplete, 1000},
	{"ERROR to DISABLED: MIN_PLPMTU not confirmed", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.loseN(576, 3)
		d.noProbe()
	}, Disabled, 576},
	{"ERROR to DISABLED: MIN_PLPMTU equals BASE_PLPMTU (IPv6)", Config{Family: IPv6}, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1280, 3)
		d.noProbe()
	}, Disabled, 1280},
	{"DISABLED to BASE: raise timer after connectivity loss", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.loseN(576, 3)
		d.timeout()
		d.sendWant(1200)
	}, Base, 1200},
	{"DISABLED to BASE: PL indicates connectivity again", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.loseN(576, 3)
		d.s.Start(d.now)
		d.sendWant(1200)
	}, Base, 1200},
	{"DISABLED to SEARCHING: traffic acked after connectivity loss", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.loseN(1200, 3)
		d.loseN(576, 3)
		d.s.SizeAcked(1300, d.now)
	}, Searching, 1300},
	{"SEARCHING to SEARCHING: probe acked", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.loseN(1500, 1)
		d.sendWant(1440) // the middle plateau below the suspect
		d.ack()
	}, Searching, 1440},
	{"SEARCHING to SEARCHING: PROBE_TIMER expiry, PROBE_COUNT < MAX_PROBES", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.loseN(1500, 1)
		d.sendWant(1440)
	}, Searching, 1200},
	{"SEARCHING to SEARCHING: PTB, PLPMTU < PL_PTB_SIZE < PROBED_SIZE", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.sendWant(1500)
		d.s.PacketTooBig(1400, d.now)
		d.sendWant(1400) // at once, without the probe timer
	}, Searching, 1200},
	{"SEARCHING to SEARCH_COMPLETE: MAX_PLPMTU probe acked", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.sendWant(1500)
		d.ack()
		d.noProbe()
	}, SearchComplete, 1500},
	{"SEARCHING to SEARCH_COMPLETE: PROBE_TIMER expiry, PROBE_COUNT = MAX_PROBES", Config{Max: 1201}, func(d *driver) {
		*d = *searching(d.t, Config{Max: 1201})
		d.loseN(1201, 3)
		d.noProbe()
	}, SearchComplete, 1200},
	{"SEARCHING to SEARCH_COMPLETE: PTB, PL_PTB_SIZE = PLPMTU", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.sendWant(1500)
		d.s.PacketTooBig(1200, d.now)
		d.noProbe()
	}, SearchComplete, 1200},
	{"SEARCHING to BASE: black hole detected", ipv4, func(d *driver) {
		*d = *searching(d.t, ipv4)
		d.loseN(1500, 1)
		d.sendWant(1440)
		d.ack()
		for range 3 {
			d.s.SizeLost(1440, d.now)
		}
	}, Base, 1200},
	{"SEARCH_COMPLETE to SEARCH_COMPLETE: CONFIRMATION_TIMER expiry, PLPMTU probe acked", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.noProbe()
		d.timeout()
		d.sendWant(1500)
		d.ack()
		d.noProbe()
		if got, want := d.s.Deadline(), d.now.Add(DefaultConfirmTimeout); !got.Equal(want) {
			d.t.Errorf("deadline %v, want %v", got, want)
		}
	}, SearchComplete, 1500},
	{"SEARCH_COMPLETE to SEARCH_COMPLETE: CONFIRMATION_TIMER expiry, PROBE_COUNT < MAX_PROBES", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.timeout()
		d.loseN(1500, 2)
		d.sendWant(1500) // due at once
	}, SearchComplete, 1500},
	{"SEARCH_COMPLETE to BASE: black hole, confirmation probes lost", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.timeout()
		d.loseN(1500, 3)
		d.sendWant(1200)
	}, Base, 1200},
	{"SEARCH_COMPLETE to BASE: black hole, data lost", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.s.SizeLost(1500, d.now)
		d.sendWant(1500) // a confirmation probe, at once
		d.s.SizeLost(1500, d.now)
		d.s.SizeLost(1500, d.now)
	}, Base, 1200},
	{"SEARCH_COMPLETE to SEARCH_COMPLETE: data loss then PLPMTU probe acked", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.s.SizeLost(1500, d.now)
		d.s.SizeLost(1500, d.now)
		d.sendWant(1500)
		d.ack()
		d.s.SizeLost(1500, d.now) // the count started over
	}, SearchComplete, 1500},
	{"SEARCH_COMPLETE to SEARCHING: PMTU_RAISE_TIMER expiry", Config{Max: 1500, ConfirmTimeout: time.Hour}, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1400)
		d.timeout()
		d.sendWant(1500)
	}, Searching, 1400},
	{"SEARCH_COMPLETE to SEARCHING: PTB, BASE_PLPMTU <= PL_PTB_SIZE < PLPMTU", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.s.PacketTooBig(1400, d.now)
		d.want(Searching, 1200)
		d.sendWant(1400)
		d.ack()
	}, SearchComplete, 1400},
	{"SEARCH_COMPLETE to ERROR: PTB, PL_PTB_SIZE < BASE_PLPMTU", ipv4, func(d *driver) {
		d.s.Start(d.now)
		d.complete(1500)
		d.s.PacketTooBig(1000, d.now)
		d.sendWant(1000)
	}, Error, 576},
}

func TestTransitions(t *testing.T) {
	for _, tt := range transitionTests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, tt.cfg)
			tt.run(d)
			d.want(tt.state, tt.pmtu)
		})
	}
}
