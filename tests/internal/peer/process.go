package peer

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testenv"
)

// waitDelay bounds how long a process's output is still read after it
// exits, in case a process it started holds the pipes open.
const waitDelay = 2 * time.Second

// Step is one step of a [Script]: wait until the output matches Await, then
// for Delay, then write Line and a newline, then close standard input if
// Close is set. Each part is optional.
type Step struct {
	// Await is a regular expression, in [regexp] syntax, that the
	// process's output so far (standard output and standard error
	// together) must match before the step goes on.
	Await string
	// Delay is how long to wait once Await matched.
	Delay time.Duration
	// Line is written to standard input followed by "\n". The tools take
	// some lines as commands: openssl s_client and s_server act on a
	// line starting with Q, q, R, r, k or K, among others.
	Line string
	// Close closes standard input after Line. openssl s_client and
	// s_server and gnutls-cli then close the connection.
	Close bool
}

// Script is what a [Process] gets on its standard input. The steps run in
// order and stop when the process exits. Standard input stays open until
// the process exits unless a step closes it.
type Script []Step

// Process is a command started by [Start]. Its methods are safe for
// concurrent use.
type Process struct {
	cmd  *exec.Cmd
	out  output
	fed  chan struct{} // closed when the script stops
	done chan struct{} // closed when the process has exited and all its output is read
	err  error         // what cmd.Wait returned; read only after done is closed
}

// Start starts the executable name, found with [testenv.LookPath], with
// args, and feeds stdin to its standard input. The process runs in a new
// process group on Unix; when the test ends, the group is killed, the
// process is waited for, and if the test failed the command line, exit
// status and output are written to the test log.
func Start(t testing.TB, name string, args []string, stdin Script) *Process {
	t.Helper()
	path := testenv.LookPath(t, name)
	awaits, err := compileScript(stdin)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	p := &Process{
		cmd:  exec.Command(path, args...),
		out:  output{changed: make(chan struct{})},
		fed:  make(chan struct{}),
		done: make(chan struct{}),
	}
	p.cmd.Stdout = stream{&p.out, &p.out.stdout}
	p.cmd.Stderr = stream{&p.out, &p.out.stderr}
	p.cmd.WaitDelay = waitDelay
	setProcessGroup(p.cmd)
	in, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%v: %v", p, err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", p, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	go p.feed(in, stdin, awaits)
	t.Cleanup(func() {
		if err := killProcessGroup(p.cmd.Process); err != nil {
			t.Errorf("killing %v: %v", p, err)
		}
		<-p.done
		<-p.fed
		if t.Failed() {
			t.Logf("%v: %v; output:\n%s", p, exitStatus(p.err), p.Output())
		}
	})
	return p
}

func compileScript(script Script) ([]*regexp.Regexp, error) {
	awaits := make([]*regexp.Regexp, len(script))
	for i, s := range script {
		if s.Await == "" {
			continue
		}
		re, err := regexp.Compile(s.Await)
		if err != nil {
			return nil, fmt.Errorf("script step %d: %v", i, err)
		}
		awaits[i] = re
	}
	return awaits, nil
}

func (p *Process) feed(in io.WriteCloser, script Script, awaits []*regexp.Regexp) {
	defer close(p.fed)
	for i, s := range script {
		if awaits[i] != nil && p.match(awaits[i], nil) == nil {
			return // the process exited
		}
		if s.Delay > 0 {
			timer := time.NewTimer(s.Delay)
			select {
			case <-timer.C:
			case <-p.done:
				timer.Stop()
				return
			}
		}
		if s.Line != "" {
			if _, err := io.WriteString(in, s.Line+"\n"); err != nil {
				return // the process exited
			}
		}
		if s.Close {
			in.Close()
			return
		}
	}
}

// match waits until the output matches re and returns what
// [regexp.Regexp.FindStringSubmatch] returns. It returns nil if the
// process exits without a match or timeout fires first.
func (p *Process) match(re *regexp.Regexp, timeout <-chan time.Time) []string {
	for {
		text, changed := p.out.snapshot()
		if m := re.FindStringSubmatch(text); m != nil {
			return m
		}
		select {
		case <-changed:
			continue
		case <-timeout:
			return nil
		case <-p.done:
		}
		// The output is complete once the process has exited.
		return re.FindStringSubmatch(p.Output())
	}
}

// Await waits until the output matches the regular expression pattern and
// returns the match and its submatches, as
// [regexp.Regexp.FindStringSubmatch] does. It fails t if the process exits
// without such output, or if timeout passes first.
func (p *Process) Await(t testing.TB, pattern string, timeout time.Duration) []string {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	if m := p.match(re, timer.C); m != nil {
		return m
	}
	select {
	case <-p.done:
		t.Fatalf("%v ended (%v) without printing %q", p, exitStatus(p.err), pattern)
	default:
		t.Fatalf("%v did not print %q within %v", p, pattern, timeout)
	}
	return nil
}

// Wait waits for the process to exit and returns the error
// [exec.Cmd.Wait] returned, nil for a zero exit status. It fails t if the
// process is still running after timeout.
func (p *Process) Wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		t.Fatalf("%v still running after %v", p, timeout)
		return nil
	}
}

// Done returns a channel that is closed once the process has exited and
// all its output has been read. [Process.Wait] then returns at once.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output returns what the process has written so far to standard output
// and standard error, interleaved in the order it was read.
func (p *Process) Output() string { return p.out.text(&p.out.all) }

// Stdout returns what the process has written so far to standard output.
func (p *Process) Stdout() string { return p.out.text(&p.out.stdout) }

// Stderr returns what the process has written so far to standard error.
func (p *Process) Stderr() string { return p.out.text(&p.out.stderr) }

// String returns the command line.
func (p *Process) String() string {
	return strings.Join(append([]string{filepath.Base(p.cmd.Path)}, p.cmd.Args[1:]...), " ")
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// output collects a process's output. Waiters block on changed, which is
// closed and replaced whenever output arrives.
type output struct {
	mu                  sync.Mutex
	all, stdout, stderr bytes.Buffer
	changed             chan struct{}
}

func (o *output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all.String(), o.changed
}

func (o *output) text(b *bytes.Buffer) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return b.String()
}

// stream is the writer for one of a process's output streams.
type stream struct {
	out *output
	buf *bytes.Buffer
}

func (s stream) Write(b []byte) (int, error) {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	s.buf.Write(b)
	s.out.all.Write(b)
	close(s.out.changed)
	s.out.changed = make(chan struct{})
	return len(b), nil
}
