//go:build !linux

package ldap

import "syscall"

// setLowat does nothing here: reads of a streamed search wake at every arrival.
func setLowat(syscall.RawConn, int) bool { return false }
