//go:build !linux

package etcdtest

import "os/exec"

// setProcAttr does nothing where the kernel cannot kill a child with its
// parent; the cleanup registered by StartProcess still kills it.
func setProcAttr(*exec.Cmd) {}
