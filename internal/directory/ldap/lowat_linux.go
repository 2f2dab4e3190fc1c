package ldap

import "syscall"

// setLowat sets the socket's SO_RCVLOWAT: a reader waiting for data is woken only once n bytes
// are there. It reports whether the socket took it.
func setLowat(rc syscall.RawConn, n int) bool {
	if rc == nil {
		return false
	}
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	}); cerr != nil {
		return false
	}
	return err == nil
}
