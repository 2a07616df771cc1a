//go:build linux

package azurite

import "syscall"

// setDeathSignal makes the kernel terminate Azurite when devstack dies,
// even from SIGKILL.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
