package sqlite_test

import (
	"testing"

	"github.com/sspr/sspr/internal/store/storetest"
)

// go test -run '^$' -bench PutUser -benchtime 100000x ./internal/store/sqlite/
// reports the time per PutUser of a 100,000-user first sync.
func BenchmarkPutUser(b *testing.B) {
	storetest.BenchPutUser(b, openTemp(b))
}

func BenchmarkFingerprints(b *testing.B) {
	storetest.BenchFingerprints(b, openTemp(b), 100_000)
}

// go test -run '^$' -bench FlowWrites ./internal/store/sqlite/
func BenchmarkFlowWrites(b *testing.B) {
	storetest.BenchFlowWrites(b, openTemp(b))
}
