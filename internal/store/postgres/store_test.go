package postgres_test

import (
	"testing"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/storetest"
	"github.com/sspr/sspr/internal/testenv"
)

// openFresh opens a store on a new, empty database of the test server.
func openFresh(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}
