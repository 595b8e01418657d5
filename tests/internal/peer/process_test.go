package peer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// childArg, as the first argument of this test binary, makes it act as the
// child process that the tests of Process start; the second argument says
// how.
const childArg = "peer-test-child"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == childArg {
		os.Exit(child(os.Args[2]))
	}
	if os.Getenv("GORACE") == "" {
		// A race-enabled child otherwise sleeps a second before exiting.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

func child(mode string) int {
	switch mode {
	case "echo":
		// Copy each line to both outputs, tagged, then report the end of
		// input.
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			fmt.Printf("out: %s\n", in.Text())
			fmt.Fprintf(os.Stderr, "err: %s\n", in.Text())
		}
		fmt.Println("eof")
		return 0
	case "exit3":
		fmt.Println("bye")
		return 3
	case "parent":
		// Start a child of our own and wait forever.
		cmd := exec.Command(os.Args[0], childArg, "sleep")
		if err := cmd.Start(); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Printf("grandchild %d\n", cmd.Process.Pid)
		select {}
	case "sleep":
		select {}
	}
	fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
	return 2
}

// startChild starts this test binary as a child process in the given mode.
func startChild(t *testing.T, mode string, stdin Script) *Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, exe, []string{childArg, mode}, stdin)
}

func TestProcessScript(t *testing.T) {
	t.Parallel()
	p := startChild(t, "echo", Script{
		{Line: "one"},
		{Await: "(?m)^out: one$", Line: "two"},
		{Await: "(?m)^err: two$", Close: true},
		{Line: "never written"},
	})
	if m := p.Await(t, `(?m)^out: (t\w+)$`, time.Minute); m[1] != "two" {
		t.Errorf("Await returned %q, want the submatch \"two\"", m)
	}
	if err := p.Wait(t, time.Minute); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if got, want := p.Stdout(), "out: one\nout: two\neof\n"; got != want {
		t.Errorf("Stdout = %q, want %q", got, want)
	}
	if got, want := p.Stderr(), "err: one\nerr: two\n"; got != want {
		t.Errorf("Stderr = %q, want %q", got, want)
	}
	// The two streams are read concurrently, so only each stream's own
	// order is certain.
	if got := p.Output(); len(got) != len(p.Stdout())+len(p.Stderr()) || !strings.HasSuffix(got, "eof\n") {
		t.Errorf("Output = %q", got)
	}
}

func TestProcessScriptDelay(t *testing.T) {
	t.Parallel()
	p := startChild(t, "echo", Script{{Delay: time.Millisecond, Line: "late", Close: true}})
	p.Await(t, "(?m)^eof$", time.Minute)
	if got, want := p.Stdout(), "out: late\neof\n"; got != want {
		t.Errorf("Stdout = %q, want %q", got, want)
	}
}

func TestProcessExit(t *testing.T) {
	t.Parallel()
	p := startChild(t, "exit3", nil)
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatal("Done not closed a minute after the process was started")
	}
	var exit *exec.ExitError
	if err := p.Wait(t, time.Minute); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Wait = %v, want exit status 3", err)
	}
	// Once the process has exited, match looks at the whole output once
	// and gives up.
	if m := p.match(regexp.MustCompile("bye"), nil); m == nil {
		t.Error("match found no \"bye\" in the output of an exited process")
	}
	if m := p.match(regexp.MustCompile("hello"), nil); m != nil {
		t.Errorf("match = %q in output %q", m, p.Output())
	}
}

func TestProcessMatchTimeout(t *testing.T) {
	t.Parallel()
	p := startChild(t, "echo", nil)
	fired := make(chan time.Time, 1)
	fired <- time.Now()
	if m := p.match(regexp.MustCompile("never"), fired); m != nil {
		t.Errorf("match = %q after the timeout fired", m)
	}
	select {
	case <-p.Done():
		t.Error("the process exited although its standard input is open")
	default:
	}
}

func TestProcessString(t *testing.T) {
	t.Parallel()
	p := startChild(t, "echo", nil)
	exe, _ := os.Executable()
	base := exe[strings.LastIndexAny(exe, `/\`)+1:]
	if got, want := p.String(), base+" "+childArg+" echo"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestStartBadScript(t *testing.T) {
	t.Parallel()
	if _, err := compileScript(Script{{Await: "("}}); err == nil {
		t.Error("compileScript accepted an invalid regular expression")
	}
}

// TestProcessCleanup checks that a Process leaves no goroutine behind once
// its test has ended. It does not run in parallel, so that no other test's
// goroutines are counted.
func TestProcessCleanup(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("start", func(t *testing.T) {
		p := startChild(t, "echo", Script{{Await: "never printed", Line: "x"}})
		p.Await(t, "", time.Minute)
	})
	var after int
	for range 100 {
		if after = runtime.NumGoroutine(); after <= before {
			return
		}
		time.Sleep(10 * time.Millisecond) // goroutines that have closed their channels are still returning
	}
	t.Errorf("%d goroutines before starting a process, %d after its test ended", before, after)
}
