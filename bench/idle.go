package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// idleTimeout bounds how long the idle phase waits for its clients.
const idleTimeout = 2 * time.Minute

// idle measures what idle associations cost a server: opts.idle clients,
// in a child process so that their memory is not counted, complete
// ECDHE-ECDSA handshakes with a server of im and stay open, sending
// nothing; the server keeps every association without reading it. It
// records the growth of the live heap, of the goroutine stacks and of the
// goroutines, each divided by the number of associations.
func (b *bench) idle(im impl, round int) error {
	sv, err := startServer(im, suiteECDSA, nil)
	if err != nil {
		return err
	}
	defer sv.close()
	m0, g0 := memStats(), runtime.NumGoroutine()
	ch, err := startChild(im, sv.addr().String(), b.opts.idle, b.pki.caDER)
	if err != nil {
		return err
	}
	defer func() { b.child += ch.stop() }()
	if err := ch.waitReady(); err != nil {
		return err
	}
	deadline := time.Now().Add(idleTimeout)
	for sv.held.Load() < int64(b.opts.idle) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d associations held after %v", sv.held.Load(), b.opts.idle, idleTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Wait for the server's handshake goroutines to end, and for whatever
	// the associations do once established (pathdtls searches the path
	// MTU with probes) to finish.
	b.res.add(figIdleSettle, im, round, waitSteady().Seconds())
	m1, g1 := memStats(), runtime.NumGoroutine()
	n := float64(b.opts.idle)
	b.res.addAmount(figIdleHeap, im, round, float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/n)
	b.res.addAmount(figIdleStack, im, round, float64(int64(m1.StackInuse)-int64(m0.StackInuse))/n)
	b.res.addAmount(figIdleRoutines, im, round, float64(g1-g0)/n)
	return nil
}

// waitSteady waits until the number of goroutines has not changed for
// steadyTime, or steadyLimit has passed, and returns how long it waited.
func waitSteady() time.Duration {
	const steadyTime, steadyLimit = 500 * time.Millisecond, 30 * time.Second
	start := time.Now()
	n, since := runtime.NumGoroutine(), start
	for time.Since(start) < steadyLimit {
		time.Sleep(20 * time.Millisecond)
		switch m := runtime.NumGoroutine(); {
		case m != n:
			n, since = m, time.Now()
		case time.Since(since) >= steadyTime:
			return time.Since(start)
		}
	}
	return time.Since(start)
}

// The environment of a child process: whether it is one, and what it dials.
const (
	envChild = "PATHDTLS_BENCH_CHILD" // "idle"
	envImpl  = "PATHDTLS_BENCH_IMPL"
	envAddr  = "PATHDTLS_BENCH_ADDR"
	envCount = "PATHDTLS_BENCH_COUNT"
	envCA    = "PATHDTLS_BENCH_CA" // the CA certificate, DER in base64
)

// A child is a process of this program that holds idle clients.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startChild starts a child that dials n clients of im to addr, trusting
// the CA certificate caDER.
func startChild(im impl, addr string, n int, caDER []byte) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		envChild+"=idle", envImpl+"="+im.name(), envAddr+"="+addr,
		envCount+"="+strconv.Itoa(n), envCA+"="+base64.StdEncoding.EncodeToString(caDER))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}, nil
}

// waitReady waits for the child to report that its clients completed
// their handshakes.
func (ch *child) waitReady() error {
	line, err := ch.out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("idle clients: %w", err)
	}
	if line = strings.TrimSpace(line); line != "ready" {
		return errors.New("idle clients: " + line)
	}
	return nil
}

// stop ends the child, and returns the CPU time it used: closing its
// standard input makes it close its clients and exit.
func (ch *child) stop() time.Duration {
	ch.stdin.Close()
	done := make(chan struct{})
	go func() {
		ch.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ch.cmd.Process.Kill()
		<-done
	}
	if ch.cmd.ProcessState == nil {
		return 0
	}
	return ch.cmd.ProcessState.UserTime() + ch.cmd.ProcessState.SystemTime()
}
