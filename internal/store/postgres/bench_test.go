package postgres_test

import (
	"testing"

	"github.com/sspr/sspr/internal/store/storetest"
)

// go test -run '^$' -bench PutUser -benchtime 100000x ./internal/store/postgres/
// reports the time per PutUser of a 100,000-user first sync.
func BenchmarkPutUser(b *testing.B) {
	storetest.BenchPutUser(b, openFresh(b))
}

func BenchmarkFingerprints(b *testing.B) {
	storetest.BenchFingerprints(b, openFresh(b), 100_000)
}
