//go:build !unix

package sqlite

// inUse cannot tell on this system: the caller's word that sspr is stopped is taken.
func inUse(string) (bool, error) { return false, nil }

// takeOwner does nothing here.
func takeOwner(string, string) error { return nil }
