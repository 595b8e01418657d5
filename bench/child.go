package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
)

// childDialers is how many clients a child dials at once.
const childDialers = 16

// isChild reports whether this process is a child started by startChild.
func isChild() bool { return os.Getenv(envChild) == "idle" }

// runChild is the whole of a child process: it dials the clients its
// environment asks for, writes "ready" (or "error: ..." and exits) on out,
// keeps them open and idle until in ends, then closes them. It returns the
// exit status.
func runChild(in io.Reader, out io.Writer) int {
	conns, err := dialIdle()
	if err != nil {
		fmt.Fprintf(out, "error: %v\n", err)
		return 1
	}
	fmt.Fprintln(out, "ready")
	io.Copy(io.Discard, in)
	for _, c := range conns {
		c.Close()
	}
	return 0
}

// dialIdle dials the clients the environment asks for, childDialers at a
// time, each completing its handshake.
func dialIdle() ([]net.Conn, error) {
	n, err := strconv.Atoi(os.Getenv(envCount))
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", envCount, err)
	}
	addr, err := net.ResolveUDPAddr("udp4", os.Getenv(envAddr))
	if err != nil {
		return nil, err
	}
	im, err := childImpl()
	if err != nil {
		return nil, err
	}
	conns := make([]net.Conn, n)
	errs := make([]error, childDialers)
	var wg sync.WaitGroup
	for w := range childDialers {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += childDialers {
				ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
				conns[i], errs[w] = im.dial(ctx, addr, suiteECDSA)
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return conns, nil
}

// childImpl returns the implementation the environment names, with the CA
// certificate it gives.
func childImpl() (impl, error) {
	der, err := base64.StdEncoding.DecodeString(os.Getenv(envCA))
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", envCA, err)
	}
	p, err := clientPKI(der)
	if err != nil {
		return nil, err
	}
	name := os.Getenv(envImpl)
	im := implNamed(name, p)
	if im == nil || !im.secure() {
		return nil, fmt.Errorf("bench: no implementation %q for idle clients", name)
	}
	return im, nil
}
