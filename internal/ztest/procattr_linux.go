package ztest

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL the server if the test binary
// dies first (a go test timeout, a crash), so no JVM outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
