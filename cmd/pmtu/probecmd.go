package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"time"

	"github.com/pathdtls/pathdtls/pmtu"
)

// runProbe runs the probe command.
func runProbe(args []string, e *env) int {
	var o probeOptions
	fs := flag.NewFlagSet("pmtu probe", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), probeUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(e.stderr, "pmtu probe: one HOST[:PORT] expected, got %q\n", fs.Args())
		return exitUsage
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(e.stderr, "pmtu probe: %v\n", err)
		return exitUsage
	}
	host, port, err := splitTarget(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(e.stderr, "pmtu probe: %v\n", err)
		return exitUsage
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := o.checkFamily(a); err != nil {
			fmt.Fprintf(e.stderr, "pmtu probe: %v\n", err)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	probe := probePath
	if o.tls.enabled {
		probe = probeDTLS
	}
	res, err := probe(ctx, &o, host, port, e)
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(e.stderr, "pmtu probe: %v\n", err)
		return exitUsage
	}
	if err != nil {
		// Nothing was probed.
		if o.json {
			res = &result{Error: oneLine(err), Probes: []probeJSON{}}
			res.Target = fs.Arg(0)
			_ = res.writeJSON(e.stdout) // the message below says it all
		}
		fmt.Fprintf(e.stderr, "pmtu: %s: %s\n", fs.Arg(0), oneLine(err))
		return exitFail
	}
	res.Target = fs.Arg(0)
	return report(res, o.json, e)
}

// report prints a search's result, as JSON or as the summary line, and
// returns the exit status.
func report(res *result, asJSON bool, e *env) int {
	if asJSON {
		if err := res.writeJSON(e.stdout); err != nil {
			fmt.Fprintf(e.stderr, "pmtu: %v\n", err)
			return exitFail
		}
	}
	if res.Error != "" {
		fmt.Fprintf(e.stderr, "pmtu: %s\n", res.summary())
		return exitFail
	}
	if !asJSON {
		fmt.Fprintln(e.stdout, res.summary())
	}
	return exitOK
}

// probePath finds the path MTU to host and port. It returns an error if the
// search could not start, and otherwise a result, which says whether the
// search succeeded.
func probePath(ctx context.Context, o *probeOptions, host, port string, e *env) (*result, error) {
	defaultPort := defaultClosedPort
	if o.echo {
		defaultPort = defaultEchoPort
	}
	remote, err := resolve(ctx, o.network(), host, port, defaultPort)
	if err != nil {
		return nil, err
	}
	if err := o.checkFamily(remote.Addr()); err != nil {
		return nil, err
	}
	l, err := openLink(ctx, remote, o.source)
	if err != nil {
		return nil, err
	}
	defer l.close()
	if !o.echo && l.source == sourceNone {
		return nil, errors.New("no ICMP source: the socket error queue is missing here and a raw ICMP socket needs privilege, so a closed port's answers cannot be read; probe a UDP echo service with -echo instead")
	}
	hi := o.max
	if hi == 0 {
		if hi, err = l.routeMTU(); err != nil {
			return nil, fmt.Errorf("the MTU of the route to %s is unknown (%v): give -max", remote.Addr(), err)
		}
	}
	cfg := pmtu.Config{Family: pmtu.FamilyOf(remote.Addr()), Min: pmtu.MTU(o.min), Max: pmtu.MTU(hi), MaxProbes: o.probes}
	p := newProber(l, cfg, time.Now())
	p.timeout, p.pace = o.timeout, !o.echo
	g := &progress{w: e.stderr, live: e.tty && !o.json, verbose: o.verbose}
	p.progress = g.update
	err = p.run(ctx, p.start.Add(o.deadline))
	g.clear()
	switch {
	case errors.Is(err, errDeadline):
		err = fmt.Errorf("no result within -deadline %v", o.deadline)
	case errors.Is(err, context.Canceled):
		err = errors.New("interrupted")
	}
	res := p.result(time.Now(), err)
	res.Address = remote.String()
	res.Mode = "closed-port"
	if o.echo {
		res.Mode = "echo"
	}
	res.ICMPSource = l.source
	res.ICMPRejected = l.rejected()
	return res, nil
}
