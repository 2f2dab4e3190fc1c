//go:build !linux

package sqlite

// freeSpace is unknown on this system.
func freeSpace(string) (uint64, bool) { return 0, false }
