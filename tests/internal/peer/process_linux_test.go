package peer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestProcessKillsGroup checks that the end of a test kills what the
// process started too, not only the process.
func TestProcessKillsGroup(t *testing.T) {
	t.Parallel()
	var grandchild int
	t.Run("start", func(t *testing.T) {
		p := startChild(t, "parent", nil)
		m := p.Await(t, `grandchild (\d+)`, time.Minute)
		grandchild, _ = strconv.Atoi(m[1])
	})
	// SIGKILL has been sent; the kernel finishes the process soon after.
	for range 1000 {
		if !running(grandchild) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("grandchild %d still running after its group was killed", grandchild)
}

// running reports whether pid names a process that is not a zombie.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(stat[i+1:], []byte(" Z"))
}
