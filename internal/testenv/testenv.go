package testenv

import (
	"os"
	"testing"
)

// Required reports whether integration tests must run here: under the project's test command
// (SSPR_INTEGRATION=1, which `make test` sets) or in CI (CI=true). Then a missing server is a
// test failure, never a skip.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("SSPR_INTEGRATION") == "1"
}

// Unavailable ends a test that needs a server this machine does not offer: a failure where
// integration tests are required, a skip elsewhere (a developer's laptop without slapd).
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("integration test cannot run: "+format, args...)
	}
	t.Skipf("integration server unavailable (make test starts it): "+format, args...)
}
