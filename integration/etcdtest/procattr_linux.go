package etcdtest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill the etcd process when the thread that
// started it (and so, in practice, the test binary) dies, so that a crashed
// or killed test run leaves no etcd behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// Pdeathsig fires when the OS thread that started the child exits, not the
// process. The Go runtime ends threads only when a goroutine locked to one
// (runtime.LockOSThread) returns without unlocking, which neither this
// package nor etcd's client paths do.
