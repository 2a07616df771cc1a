//go:build unix

package azurite

import (
	"os/exec"
	"syscall"
)

// setProcAttr starts Azurite in its own process group so a terminal's
// Ctrl-C reaches only devstack, which then stops Azurite itself.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}

func terminate(cmd *exec.Cmd) {
	if cmd.Process != nil {
		// The negative pid signals the whole group (node and any children).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}
