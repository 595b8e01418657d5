//go:build !unix

package peer

import (
	"errors"
	"os"
	"os/exec"
)

// setProcessGroup does nothing: outside Unix, only the process itself is
// killed.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills p. A process that has already exited is not an
// error.
func killProcessGroup(p *os.Process) error {
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
