package ldap_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

// However a streamed read ends, its goroutine has ended when Read returns.
func TestOpenLDAPStreamEnds(t *testing.T) {
	s := fixture(t, false)
	stop := errors.New("store full")
	tests := []struct {
		name   string
		at     int // the upsert that stops the read (page size 3)
		err    error
		cancel bool
	}{
		{"read to the end", 0, nil, false},
		{"handler error on the first entry", 1, stop, false},
		{"handler error mid-page", 2, stop, false},
		{"handler error on a page's last entry", 3, stop, false},
		{"handler error on the next page", 4, stop, false},
		{"cancel mid-page", 2, context.Canceled, true},
		{"cancel at a page's end", 3, context.Canceled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &recorder{onUpsert: func(n int) error {
				if n != tt.at {
					return nil
				}
				if tt.cancel {
					cancel()
					return nil
				}
				return tt.err
			}}
			_, err := newReader(t, s, func(c *ldap.Config) { c.PageSize = 3 }).Read(ctx, "", rec)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.at > 0 && len(rec.upserts) != tt.at {
				t.Errorf("%d upserts, want %d: the handler is not called after it failed or ctx ended", len(rec.upserts), tt.at)
			}
			if n := ldap.LiveStreams(); n != 0 {
				t.Errorf("%d stream goroutines left", n)
			}
		})
	}
}

// Entries larger than a stream's batch (256 KiB) come through whole, one at a time.
func TestOpenLDAPLargeEntries(t *testing.T) {
	var users []slapd.User
	for i := range 6 {
		u := slapd.User{UID: fmt.Sprintf("big%d", i), DisplayName: fmt.Sprintf("Big %d", i)}
		if i%2 == 0 {
			u.Attrs = map[string][]string{"description": {strings.Repeat("a", 150<<10) + u.UID, strings.Repeat("b", 200<<10)}}
		}
		users = append(users, u)
	}
	s := testenv.Slapd(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF(suffix, users)}})
	for _, size := range []int{1, 2, 1000} {
		rec := readPaged(t, s, size, len(users))
		for _, u := range users {
			got, _ := rec.byUPN(u.UID)
			want := u.Attrs["description"]
			slices.Sort(got.AlternateEmails)
			if !slices.Equal(got.AlternateEmails, want) {
				t.Errorf("page size %d: %s has %d values of %d bytes, want %d", size, u.UID, len(got.AlternateEmails), len(strings.Join(got.AlternateEmails, "")), len(want))
			}
		}
	}
	if n := ldap.LiveStreams(); n != 0 {
		t.Errorf("%d stream goroutines left", n)
	}
}

// A streamed paged search waits for some KB before it wakes to read (SO_RCVLOWAT on Linux),
// but never for more than the server sends: pages, and the search's end, much smaller than
// that come through, over TLS too. A read that waited for its low-water mark until the
// operation timeout (a second here) would fail the Read with a timeout. (A read may ask for
// more than a page's rest when the page's entry is smaller than every one before: it waits
// lowatWait, 2 ms, then takes what is there.)
func TestOpenLDAPSmallPagesDoNotWait(t *testing.T) {
	s := fixture(t, true)
	for _, ldaps := range []bool{false, true} {
		t.Run(fmt.Sprintf("ldaps %v", ldaps), func(t *testing.T) {
			for _, size := range []int{1, 2, 1000} {
				rec, _ := read(t, newReader(t, s, func(c *ldap.Config) {
					c.PageSize = size
					c.Endpoint.OperationTimeout = time.Second
					if ldaps {
						c.Endpoint.URL = s.LDAPSURL
						c.Endpoint.AllowInsecure = false
						c.Endpoint.CAFile = s.CAFile
					}
				}), "")
				if len(rec.upserts) == 0 {
					t.Fatalf("page size %d: no users", size)
				}
			}
		})
	}
}

// The reads of a paged search wait for some KB only inside a page, and never for more than
// the rest of the page: once a page has its entries, its end is read at once (the server
// waits for the next page's request), so that pages larger than the low-water mark never
// wait for the timeout at their end. Bytes already read but not yet parsed (a partial entry)
// count. What is checked is what the reads ask for, not how long they took: a read that asks
// for more than the page's rest always waits, one that asks less only when slapd is slow.
func TestOpenLDAPPageEndsDoNotWait(t *testing.T) {
	var users []slapd.User
	for i := range 120 {
		u := slapd.User{UID: fmt.Sprintf("u%03d", i), DisplayName: fmt.Sprintf("User %d", i)}
		// Each entry larger than the one before (slapd returns them in the order added): the
		// smallest entry seen, which the reads' estimate of a page's rest counts on, is exact.
		u.Attrs = map[string][]string{"description": {strings.Repeat("d", 6<<10+i)}}
		users = append(users, u)
	}
	s := testenv.Slapd(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF(suffix, users)}})
	for _, size := range []int{1, 5, 10, 13, 1000} {
		before := ldap.LowatOverasks()
		readPaged(t, s, size, len(users))
		if n := ldap.LowatOverasks() - before; n > 0 {
			t.Errorf("page size %d: %d full pages had reads waiting for more than the page's rest", size, n)
		}
	}
}

// readPaged reads every user with the page size given and description mapped to
// alternateEmails, and checks that n users came.
func readPaged(t *testing.T, s *slapd.Server, size, n int) *recorder {
	t.Helper()
	rec, _ := read(t, newReader(t, s, func(c *ldap.Config) {
		c.PageSize = size
		c.Mapping.AlternateEmails = "description"
	}), "")
	if len(rec.upserts) != n {
		t.Fatalf("page size %d: %d upserts, want %d", size, len(rec.upserts), n)
	}
	return rec
}
