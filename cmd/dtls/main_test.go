package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pathdtls/pathdtls/internal/testpki"
)

// binary is the dtls command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dtls-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dtls")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building dtls:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// files are PEM files for a test: a CA, a server chain for localhost,
// 127.0.0.1 and ::1 with its key, and an unrelated CA.
type files struct {
	ca, cert, key, otherCA string
}

func writePKI(t *testing.T) files {
	t.Helper()
	dir := t.TempDir()
	f := files{
		ca:      filepath.Join(dir, "ca.pem"),
		cert:    filepath.Join(dir, "cert.pem"),
		key:     filepath.Join(dir, "key.pem"),
		otherCA: filepath.Join(dir, "other-ca.pem"),
	}
	ca, err := testpki.NewCA("cmd test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testpki.NewCA("unrelated CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueECDSA()
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, f.ca, "CERTIFICATE", ca.Cert.Raw)
	writePEM(t, f.otherCA, "CERTIFICATE", other.Cert.Raw)
	writePEM(t, f.cert, "CERTIFICATE", cert.Certificate...)
	writePEM(t, f.key, "PRIVATE KEY", pkcs8)
	return f
}

func writePEM(t *testing.T, path, typ string, ders ...[]byte) {
	t.Helper()
	var b bytes.Buffer
	for _, der := range ders {
		if err := pem.Encode(&b, &pem.Block{Type: typ, Bytes: der}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// result is what a finished dtls process printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// serverProc is a running "dtls server".
type serverProc struct {
	cmd    *exec.Cmd
	port   string
	stdout bytes.Buffer
	stderr chan string // lines after LISTEN, closed at EOF
	done   chan result
}

// startServer runs "dtls server args... :0" and waits for its LISTEN line.
// The process is killed if still running when the test ends.
func startServer(t *testing.T, args ...string) *serverProc {
	t.Helper()
	s := &serverProc{stderr: make(chan string, 1000), done: make(chan result, 1)}
	s.cmd = exec.Command(binary, append(append([]string{"server"}, args...), ":0")...)
	s.cmd.Stdout = &s.stdout
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	sc := bufio.NewScanner(pipe)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "LISTEN ") {
		s.cmd.Process.Kill()
		t.Fatalf("server did not print LISTEN: %q %v", sc.Text(), sc.Err())
	}
	_, s.port, err = net.SplitHostPort(strings.TrimPrefix(sc.Text(), "LISTEN "))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var all strings.Builder
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			select {
			case s.stderr <- sc.Text():
			default: // nobody reads them: all has them
			}
		}
		close(s.stderr)
		err := s.cmd.Wait()
		s.done <- result{stdout: s.stdout.String(), stderr: all.String(), code: exitCode(err)}
	}()
	return s
}

// await waits for a line of the server's standard error that starts with
// prefix, as awaitLines does.
func (s *serverProc) await(t *testing.T, prefix string) {
	t.Helper()
	awaitLines(t, s.stderr, prefix)
}

// awaitLines reads lines until one has started with each of prefixes, at
// most for a bound far above what a healthy run takes. lines closed before
// that is a failure.
func awaitLines(t *testing.T, lines <-chan string, prefixes ...string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for len(prefixes) > 0 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("exited without printing lines starting with %q", prefixes)
			}
			prefixes = slices.DeleteFunc(prefixes, func(p string) bool { return strings.HasPrefix(l, p) })
		case <-timeout:
			t.Fatalf("no lines starting with %q", prefixes)
		}
	}
}

// wait waits for the server to exit, at most for a bound far above what a
// healthy run takes.
func (s *serverProc) wait(t *testing.T) result {
	t.Helper()
	select {
	case r := <-s.done:
		return r
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("server did not exit")
		return result{}
	}
}

// clientLines runs "dtls client args...", writes lines to its standard input,
// reads echoes lines from its standard output, then ends the input and
// waits for it to exit. Ending the input only after the echoes have come
// back keeps the test independent of the client's -wait.
func clientLines(t *testing.T, args []string, lines []string, echoes int) result {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"client"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer kill.Stop()
	for _, l := range lines {
		io.WriteString(stdin, l+"\n")
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for n := 0; n < echoes && sc.Scan(); n++ {
		out.WriteString(sc.Text() + "\n")
	}
	stdin.Close()
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	return result{stdout: out.String(), stderr: stderr.String(), code: exitCode(err)}
}

// runTool runs the dtls command with stdin and returns what it printed.
func runTool(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err)}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}
