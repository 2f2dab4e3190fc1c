package slapd

import "syscall"

// sysProcAttr makes the kernel kill slapd when this process dies, so that a crashed test or
// demo leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
