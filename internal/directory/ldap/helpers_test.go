package ldap_test

import (
	"context"
	"sort"
	"sync"

	"github.com/sspr/sspr/internal/directory"
)

// recorder is a directory.Handler that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	upserts []directory.Record
	present [][]byte
	deletes [][]byte
	rejects []directory.Rejection
	// onUpsert, when set, runs after each upsert is recorded (n counts them from 1).
	onUpsert func(n int) error
}

var _ directory.Handler = (*recorder)(nil)

func (r *recorder) Upsert(_ context.Context, rec directory.Record) error {
	r.mu.Lock()
	r.upserts = append(r.upserts, rec)
	n := len(r.upserts)
	r.mu.Unlock()
	if r.onUpsert != nil {
		return r.onUpsert(n)
	}
	return nil
}

func (r *recorder) Present(_ context.Context, a []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.present = append(r.present, append([]byte(nil), a...))
	return nil
}

func (r *recorder) Delete(_ context.Context, a []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deletes = append(r.deletes, a)
	return nil
}

func (r *recorder) Reject(_ context.Context, rej directory.Rejection) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, rej)
	return nil
}

// upns lists the upserted userPrincipalNames, sorted.
func (r *recorder) upns() []string {
	var out []string
	for _, u := range r.upserts {
		out = append(out, u.UserPrincipalName)
	}
	sort.Strings(out)
	return out
}

func (r *recorder) byUPN(upn string) (directory.Record, bool) {
	for _, u := range r.upserts {
		if u.UserPrincipalName == upn {
			return u, true
		}
	}
	return directory.Record{}, false
}
