package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Run runs the conformance suite. open returns a fresh, empty store for the calling (sub)test and
// arranges, with t.Cleanup, to close it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"UPNCaseInsensitive", testUPNCaseInsensitive},
		{"PreferredLanguage", testPreferredLanguage},
		{"NotFound", testNotFound},
		{"Conflicts", testConflicts},
		{"Update", testUpdate},
		{"Validation", testValidation},
		{"RollbackLeavesNothing", testRollback},
		{"UncommittedInvisible", testUncommittedInvisible},
		{"Delete", testDelete},
		{"Fingerprints", testFingerprints},
		{"ManyUsers", testManyUsers},
		{"BeginSyncWaits", testBeginSyncWaits},
		{"BeginSyncCancelled", testBeginSyncCancelled},
		{"SyncState", testSyncState},
		{"Runs", testRuns},
		{"RunRecordedWithChanges", testRecordRun},
		{"ListUsers", testListUsers},
		{"ListUsersPaging", testListUsersPaging},
		{"ContextCancelled", testContextCancelled},
		{"CancelledPutAbortsTx", testCancelledPut},
		{"ClaimReminder", testClaimReminder},
	}
	for _, tc := range append(append(append(tests, flowTests...), stepTests...), insightTests...) {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// --- helpers ---

func begin(t *testing.T, s store.Store) store.SyncTx {
	t.Helper()
	tx, err := s.BeginSync(t.Context())
	if err != nil {
		t.Fatalf("BeginSync: %v", err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

// put stores users in one committed SyncTx and returns them as PutUser left them.
func put(t *testing.T, s store.Store, users ...store.User) []store.User {
	t.Helper()
	tx := begin(t, s)
	for i := range users {
		if err := tx.PutUser(t.Context(), &users[i]); err != nil {
			t.Fatalf("PutUser(%q): %v", users[i].UserPrincipalName, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return users
}

// dirUser is a directory user with every field set, numbered n.
func dirUser(n int) store.User {
	at := time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.FixedZone("CET", 3600))
	expires := at.AddDate(0, 0, 42+n)
	return store.User{
		Source:                        store.SourceDirectory,
		Anchor:                        []byte{0xde, 0xad, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0x00, 0xff},
		DN:                            fmt.Sprintf("CN=User %d,OU=Staff,DC=example,DC=com", n),
		UserPrincipalName:             fmt.Sprintf("user%05d@example.com", n),
		DisplayName:                   fmt.Sprintf("User %d", n),
		MobilePhone:                   store.Phone{Raw: "+33 6 12 34 56 78", Number: "+33 612345678", Type: "mobile"},
		OfficePhone:                   store.Phone{Raw: "01 23 45 67 89 ext. 12", Number: "+33 123456789", Type: "fixedLine"},
		AlternateEmails:               []string{"b@example.org", "a@example.org"},
		AccountEnabled:                true,
		Privileged:                    n%2 == 0,
		AuthenticationPhone:           "+33 700000000",
		AuthenticationEmail:           "private@example.net",
		DirectoryFields:               []string{store.FieldMobilePhone, store.FieldOfficePhone, store.FieldDisplayName},
		DirectoryMobilePhone:          "+33 6 12 34 56 78",
		MobilePhoneOverridden:         true,
		Fingerprint:                   0xfedc_ba98_7654_3210 + uint64(n),
		SecurityQuestionsCount:        3,
		SecurityQuestionsRegisteredAt: &at,
		PasswordExpiresAt:             &expires,
	}
}

func cloudUser(upn, name string) store.User {
	return store.User{Source: store.SourceCloud, UserPrincipalName: upn, DisplayName: name, AccountEnabled: true}
}

// checkUser fails unless got equals want field by field (times by instant, returned in UTC;
// an empty list or anchor equals nil).
func checkUser(t *testing.T, want, got store.User) {
	t.Helper()
	for _, tm := range []struct {
		name string
		t    time.Time
	}{{"CreatedAt", got.CreatedAt}, {"UpdatedAt", got.UpdatedAt}} {
		if tm.t.IsZero() || tm.t.Location() != time.UTC {
			t.Errorf("%s %s: %v, want a UTC time", got.UserPrincipalName, tm.name, tm.t)
		}
	}
	if p := got.SecurityQuestionsRegisteredAt; p != nil && p.Location() != time.UTC {
		t.Errorf("%s SecurityQuestionsRegisteredAt %v, want UTC", got.UserPrincipalName, *p)
	}
	if p := got.PasswordExpiresAt; p != nil && p.Location() != time.UTC {
		t.Errorf("%s PasswordExpiresAt %v, want UTC", got.UserPrincipalName, *p)
	}
	w, g := normalize(want), normalize(got)
	if !reflect.DeepEqual(w, g) {
		t.Errorf("user %s differs:\n got  %+v\n want %+v", want.UserPrincipalName, g, w)
	}
}

func normalize(u store.User) store.User {
	if len(u.Anchor) == 0 {
		u.Anchor = nil
	}
	if len(u.AlternateEmails) == 0 {
		u.AlternateEmails = nil
	}
	if len(u.DirectoryFields) == 0 {
		u.DirectoryFields = nil
	}
	u.CreatedAt = utc(u.CreatedAt)
	u.UpdatedAt = utc(u.UpdatedAt)
	if u.SecurityQuestionsRegisteredAt != nil {
		at := utc(*u.SecurityQuestionsRegisteredAt)
		u.SecurityQuestionsRegisteredAt = &at
	}
	if u.PasswordExpiresAt != nil {
		at := utc(*u.PasswordExpiresAt)
		u.PasswordExpiresAt = &at
	}
	return u
}

// utc is a comparable form of an instant: microseconds since the epoch, in UTC.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func count(t *testing.T, s store.Store, f store.UserFilter) int {
	t.Helper()
	n, err := s.CountUsers(t.Context(), f)
	if err != nil {
		t.Fatalf("CountUsers(%+v): %v", f, err)
	}
	return n
}

func list(t *testing.T, s store.Store, f store.UserFilter) []string {
	t.Helper()
	var upns []string
	if err := s.ListUsers(t.Context(), f, func(u store.User) error {
		upns = append(upns, u.UserPrincipalName)
		return nil
	}); err != nil {
		t.Fatalf("ListUsers(%+v): %v", f, err)
	}
	return upns
}

// --- tests ---

func testRoundTrip(t *testing.T, s store.Store) {
	maxFP := dirUser(1)
	maxFP.UserPrincipalName = "max@example.com"
	maxFP.Fingerprint = ^uint64(0)
	maxFP.Anchor = []byte{0}
	zeroFP := dirUser(2)
	zeroFP.UserPrincipalName = "zero@example.com"
	zeroFP.Fingerprint = 0
	zeroFP.SecurityQuestionsRegisteredAt = nil
	zeroFP.SecurityQuestionsCount = 0
	zeroFP.AlternateEmails = []string{}
	zeroFP.DirectoryFields = nil
	zeroFP.PasswordExpiresAt = nil // never expires
	unicode := dirUser(3)
	unicode.UserPrincipalName = "Élodie.Ñúñez@exämple.com"
	unicode.DisplayName = "Élodie Ñúñez 李 🙂"
	unicode.DN = `CN=Ñúñez\, Élodie,OU=Ünits,DC=exämple,DC=com`
	unicode.AlternateEmails = []string{`"quoted"@example.org`, "ünï@example.org", `back\slash@example.org`}
	unicode.MobilePhone = store.Phone{Raw: "call me", Problem: "not a phone number"}
	unicode.OfficePhone = store.Phone{}
	minFP := dirUser(4)
	minFP.UserPrincipalName = "min@example.com"
	minFP.Fingerprint = 1 << 63
	mustChange := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC) // AD's "must change at next logon"
	minFP.PasswordExpiresAt = &mustChange
	cloud := cloudUser("Cloud.Only@Example.com", "Cloud Only")
	cloud.AuthenticationEmail = "me@example.net"
	cloud.MobilePhone = store.Phone{Raw: "0612345678", Number: "+33 612345678", Type: "mobile"}

	for _, in := range []store.User{dirUser(0), maxFP, zeroFP, unicode, minFP, cloud} {
		t.Run(in.UserPrincipalName, func(t *testing.T) {
			before := time.Now().Add(-time.Minute)
			u := in
			tx := begin(t, s)
			if err := tx.PutUser(t.Context(), &u); err != nil {
				t.Fatalf("PutUser: %v", err)
			}
			if u.ID == "" || u.Version != 1 || u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
				t.Fatalf("after insert: ID %q Version %d CreatedAt %v UpdatedAt %v", u.ID, u.Version, u.CreatedAt, u.UpdatedAt)
			}
			if u.CreatedAt.Before(before) {
				t.Errorf("CreatedAt %v is not now", u.CreatedAt)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			want := in
			want.ID, want.Version, want.CreatedAt, want.UpdatedAt = u.ID, 1, u.CreatedAt, u.UpdatedAt

			got, err := s.UserByUPN(t.Context(), in.UserPrincipalName)
			if err != nil {
				t.Fatalf("UserByUPN: %v", err)
			}
			checkUser(t, want, got)

			var listed []store.User
			if err := s.ListUsers(t.Context(), store.UserFilter{Search: in.UserPrincipalName}, func(u store.User) error {
				listed = append(listed, u)
				return nil
			}); err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			if len(listed) != 1 {
				t.Fatalf("ListUsers found %d users, want 1", len(listed))
			}
			checkUser(t, want, listed[0])

			if in.Source == store.SourceDirectory {
				tx := begin(t, s)
				got, err := tx.UserByAnchor(t.Context(), in.Anchor)
				if err != nil {
					t.Fatalf("UserByAnchor: %v", err)
				}
				checkUser(t, want, got)
				tx.Rollback()
			}
		})
	}
}

func testUPNCaseInsensitive(t *testing.T, s store.Store) {
	a := dirUser(1)
	a.UserPrincipalName = "Alice.Smith@Example.COM"
	b := dirUser(2)
	b.UserPrincipalName = "élodie@exämple.com"
	put(t, s, a, b)
	for _, tc := range []struct{ query, want string }{
		{"alice.smith@example.com", a.UserPrincipalName},
		{"ALICE.SMITH@EXAMPLE.COM", a.UserPrincipalName},
		{"Alice.Smith@Example.COM", a.UserPrincipalName},
		{"ÉLODIE@EXÄMPLE.COM", b.UserPrincipalName},
		{"Élodie@Exämple.com", b.UserPrincipalName},
	} {
		got, err := s.UserByUPN(t.Context(), tc.query)
		if err != nil {
			t.Errorf("UserByUPN(%q): %v", tc.query, err)
			continue
		}
		if got.UserPrincipalName != tc.want {
			t.Errorf("UserByUPN(%q) = %q, want %q (stored as written)", tc.query, got.UserPrincipalName, tc.want)
		}
	}
	// The same userPrincipalName in another case is taken.
	for _, upn := range []string{"alice.smith@example.com", "ÉLODIE@EXÄMPLE.COM"} {
		tx := begin(t, s)
		c := cloudUser(upn, "Clash")
		wantErr(t, "PutUser("+upn+")", tx.PutUser(t.Context(), &c), store.ErrConflict)
		tx.Rollback()
	}
}

func testNotFound(t *testing.T, s store.Store) {
	put(t, s, dirUser(1))
	ctx := t.Context()
	_, err := s.UserByUPN(ctx, "nobody@example.com")
	wantErr(t, "UserByUPN", err, store.ErrNotFound)
	_, err = s.SyncState(ctx, "no-such-key")
	wantErr(t, "SyncState", err, store.ErrNotFound)
	wantErr(t, "FinishRun", s.FinishRun(ctx, store.SyncRun{ID: 987654, Status: store.RunSucceeded}), store.ErrNotFound)

	tx := begin(t, s)
	_, err = tx.UserByAnchor(ctx, []byte("no-such-anchor"))
	wantErr(t, "UserByAnchor", err, store.ErrNotFound)
	wantErr(t, "DeleteUserByAnchor", tx.DeleteUserByAnchor(ctx, []byte("no-such-anchor")), store.ErrNotFound)
	ghost := dirUser(2)
	ghost.ID = "00000000-0000-4000-8000-000000000000"
	wantErr(t, "PutUser(unknown ID)", tx.PutUser(ctx, &ghost), store.ErrNotFound)
	// None of these ends the transaction.
	u := dirUser(3)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatalf("PutUser after ErrNotFound: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if n := count(t, s, store.UserFilter{}); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

func testConflicts(t *testing.T, s store.Store) {
	stored := put(t, s, dirUser(1), dirUser(2))
	ctx := t.Context()

	sameUPN := dirUser(3)
	sameUPN.UserPrincipalName = strings.ToUpper(stored[0].UserPrincipalName)
	sameAnchor := dirUser(4)
	sameAnchor.Anchor = slices.Clone(stored[0].Anchor)
	cloudSameUPN := cloudUser(stored[1].UserPrincipalName, "Cloud")
	renamed := stored[1]
	renamed.UserPrincipalName = stored[0].UserPrincipalName
	reanchored := stored[1]
	reanchored.Anchor = slices.Clone(stored[0].Anchor)

	tx := begin(t, s)
	for _, tc := range []struct {
		name string
		u    store.User
	}{
		{"insert same upn", sameUPN},
		{"insert same anchor", sameAnchor},
		{"insert cloud user same upn", cloudSameUPN},
		{"update to taken upn", renamed},
		{"update to taken anchor", reanchored},
	} {
		u := tc.u
		wantErr(t, tc.name, tx.PutUser(ctx, &u), store.ErrConflict)
	}
	// The transaction goes on after conflicts.
	ok := dirUser(5)
	if err := tx.PutUser(ctx, &ok); err != nil {
		t.Fatalf("PutUser after conflicts: %v", err)
	}
	again := stored[1]
	again.DisplayName = "Changed"
	if err := tx.PutUser(ctx, &again); err != nil {
		t.Fatalf("update after conflicts: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit after conflicts: %v", err)
	}
	if got := list(t, s, store.UserFilter{}); !slices.Equal(got, []string{
		stored[0].UserPrincipalName, stored[1].UserPrincipalName, ok.UserPrincipalName,
	}) {
		t.Errorf("users %v", got)
	}
	u, err := s.UserByUPN(ctx, stored[1].UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "Changed" || u.Version != 2 || !slices.Equal(u.Anchor, stored[1].Anchor) {
		t.Errorf("updated user: displayName %q version %d anchor %x", u.DisplayName, u.Version, u.Anchor)
	}
	// Nothing is taken from a user by itself: an update keeping its own upn and anchor is fine.
	tx = begin(t, s)
	same := u
	if err := tx.PutUser(ctx, &same); err != nil {
		t.Errorf("PutUser of an unchanged user: %v", err)
	}
	tx.Rollback()
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := put(t, s, dirUser(1))[0]
	created := u.CreatedAt

	tx := begin(t, s)
	cur, err := tx.UserByAnchor(ctx, u.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	next := dirUser(2) // every field different
	next.ID, next.Version = cur.ID, cur.Version
	next.Anchor = []byte("new-anchor")
	next.UserPrincipalName = "Renamed@Example.com"
	next.SecurityQuestionsRegisteredAt = nil
	next.AlternateEmails = nil
	next.MobilePhoneOverridden = false
	next.Fingerprint = 1<<63 | 7
	if err := tx.PutUser(ctx, &next); err != nil {
		t.Fatalf("PutUser (update): %v", err)
	}
	if next.ID != u.ID || next.Version != 2 || !next.CreatedAt.Equal(created) || next.UpdatedAt.Before(created) {
		t.Errorf("after update: ID %q Version %d CreatedAt %v UpdatedAt %v (created %v)",
			next.ID, next.Version, next.CreatedAt, next.UpdatedAt, created)
	}
	// A stale version is refused.
	stale := next
	stale.Version = 1
	wantErr(t, "PutUser(stale version)", tx.PutUser(ctx, &stale), store.ErrVersionMismatch)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	got, err := s.UserByUPN(ctx, "renamed@example.com")
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, next, got)
	if _, err := s.UserByUPN(ctx, u.UserPrincipalName); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old userPrincipalName still found: %v", err)
	}
	// The old upn and anchor are free again.
	reuse := dirUser(1)
	put(t, s, reuse)
	if n := count(t, s, store.UserFilter{}); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

func testValidation(t *testing.T, s store.Store) {
	tx := begin(t, s)
	noAnchor := dirUser(1)
	noAnchor.Anchor = nil
	noUPN := dirUser(2)
	noUPN.UserPrincipalName = ""
	badSource := dirUser(3)
	badSource.Source = "elsewhere"
	for _, tc := range []struct {
		name string
		u    store.User
	}{{"directory user without anchor", noAnchor}, {"no userPrincipalName", noUPN}, {"unknown source", badSource}} {
		u := tc.u
		if err := tx.PutUser(t.Context(), &u); err == nil {
			t.Errorf("%s: stored", tc.name)
		}
	}
	ok := dirUser(4)
	if err := tx.PutUser(t.Context(), &ok); err != nil {
		t.Fatalf("PutUser after refused users: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, store.UserFilter{}); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

func testRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := put(t, s, dirUser(1))[0]
	putState(t, s, store.SyncState{Key: "kept", Watermark: "1"})

	tx := begin(t, s)
	for i := 2; i < 50; i++ {
		u := dirUser(i)
		if err := tx.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	changed := kept
	changed.DisplayName = "changed"
	if err := tx.PutUser(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeleteUserByAnchor(ctx, kept.Anchor); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetSyncState(ctx, store.SyncState{Key: "kept", Watermark: "2"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetSyncState(ctx, store.SyncState{Key: "new", Watermark: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Errorf("second Rollback: %v", err)
	}
	if err := tx.Commit(); err == nil {
		t.Errorf("Commit after Rollback succeeded")
	}

	if n := count(t, s, store.UserFilter{}); n != 1 {
		t.Errorf("%d users after rollback, want 1", n)
	}
	got, err := s.UserByUPN(ctx, kept.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, kept, got)
	if st, err := s.SyncState(ctx, "kept"); err != nil || st.Watermark != "1" {
		t.Errorf("SyncState(kept) = %+v, %v; want watermark 1", st, err)
	}
	if _, err := s.SyncState(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SyncState(new) after rollback: %v", err)
	}

	// Commit, then the deferred Rollback is a no-op.
	tx = begin(t, s)
	u := dirUser(60)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Errorf("Rollback after Commit: %v", err)
	}
	if err := tx.Commit(); err == nil {
		t.Errorf("second Commit succeeded")
	}
	if err := tx.PutUser(ctx, &u); err == nil {
		t.Errorf("PutUser after Commit succeeded")
	}
	if n := count(t, s, store.UserFilter{}); n != 2 {
		t.Errorf("%d users after commit, want 2", n)
	}
}

func putState(t *testing.T, s store.Store, st store.SyncState) {
	t.Helper()
	tx := begin(t, s)
	if err := tx.SetSyncState(t.Context(), st); err != nil {
		t.Fatalf("SetSyncState: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func testUncommittedInvisible(t *testing.T, s store.Store) {
	ctx := t.Context()
	tx := begin(t, s)
	u := dirUser(1)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	// Readers neither wait for the open SyncTx nor see its writes.
	if _, err := s.UserByUPN(ctx, u.UserPrincipalName); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByUPN during the sync: %v, want ErrNotFound", err)
	}
	if n := count(t, s, store.UserFilter{}); n != 0 {
		t.Errorf("CountUsers during the sync: %d", n)
	}
	// The transaction sees its own writes.
	if _, err := tx.UserByAnchor(ctx, u.Anchor); err != nil {
		t.Errorf("UserByAnchor in the same SyncTx: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByUPN(ctx, u.UserPrincipalName); err != nil {
		t.Errorf("UserByUPN after commit: %v", err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := put(t, s, dirUser(1), dirUser(2), cloudUser("cloud@example.com", "Cloud"))
	tx := begin(t, s)
	if err := tx.DeleteUserByAnchor(ctx, users[0].Anchor); err != nil {
		t.Fatalf("DeleteUserByAnchor: %v", err)
	}
	if _, err := tx.UserByAnchor(ctx, users[0].Anchor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByAnchor after delete in the same tx: %v", err)
	}
	wantErr(t, "second delete", tx.DeleteUserByAnchor(ctx, users[0].Anchor), store.ErrNotFound)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, store.UserFilter{}); !slices.Equal(got, []string{"cloud@example.com", users[1].UserPrincipalName}) {
		t.Errorf("users after delete: %v", got)
	}
	// The deleted user's upn and anchor can be used again.
	put(t, s, dirUser(1))
}

func testFingerprints(t *testing.T, s store.Store) {
	ctx := t.Context()
	var users []store.User
	want := map[string]uint64{}
	for i := range 300 {
		u := dirUser(i)
		u.Fingerprint = uint64(i) * 0x9e37_79b9_7f4a_7c15
		users = append(users, u)
		want[string(u.Anchor)] = u.Fingerprint
	}
	users = append(users, cloudUser("cloud@example.com", "Cloud"))
	put(t, s, users...)

	tx := begin(t, s)
	extra := dirUser(1000)
	if err := tx.PutUser(ctx, &extra); err != nil {
		t.Fatal(err)
	}
	want[string(extra.Anchor)] = extra.Fingerprint
	if err := tx.DeleteUserByAnchor(ctx, users[0].Anchor); err != nil {
		t.Fatal(err)
	}
	delete(want, string(users[0].Anchor))

	got := map[string]uint64{}
	if err := tx.Fingerprints(ctx, func(f store.Fingerprint) error {
		if _, dup := got[string(f.Anchor)]; dup {
			t.Errorf("anchor %x twice", f.Anchor)
		}
		got[string(f.Anchor)] = f.Fingerprint
		return nil
	}); err != nil {
		t.Fatalf("Fingerprints: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Fingerprints: %d entries, want %d (the transaction's own writes, directory users only)", len(got), len(want))
		for a, fp := range want {
			if got[a] != fp {
				t.Errorf("anchor %x: %#x, want %#x", a, got[a], fp)
			}
		}
	}

	// The callback's error stops the walk and comes back.
	stop := errors.New("stop")
	n := 0
	err := tx.Fingerprints(ctx, func(store.Fingerprint) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("Fingerprints with a failing callback: %v after %d calls", err, n)
	}
	// ... and leaves the transaction usable.
	u := dirUser(2000)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatalf("PutUser after a stopped Fingerprints: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// testManyUsers: a few thousand writes in one SyncTx, with conflicts, updates and deletes among
// them (a backend may batch its writes).
func testManyUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 2345
	tx := begin(t, s)
	users := make([]store.User, n)
	for i := range users {
		users[i] = dirUser(i)
		if err := tx.PutUser(ctx, &users[i]); err != nil {
			t.Fatalf("PutUser %d: %v", i, err)
		}
		switch {
		case i%700 == 699: // a clash with a user written earlier in this transaction
			dup := dirUser(i + 100_000)
			dup.UserPrincipalName = strings.ToUpper(users[i-650].UserPrincipalName)
			wantErr(t, "PutUser(taken upn)", tx.PutUser(ctx, &dup), store.ErrConflict)
			dup = dirUser(i + 100_000)
			dup.Anchor = users[i-1].Anchor
			wantErr(t, "PutUser(taken anchor)", tx.PutUser(ctx, &dup), store.ErrConflict)
		case i%500 == 499: // an update and a delete of users written earlier in this transaction
			users[i-300].DisplayName = "updated"
			if err := tx.PutUser(ctx, &users[i-300]); err != nil {
				t.Fatalf("update %d: %v", i-300, err)
			}
			if err := tx.DeleteUserByAnchor(ctx, users[i-200].Anchor); err != nil {
				t.Fatalf("delete %d: %v", i-200, err)
			}
			users[i-200].ID = ""
		}
	}
	// A deleted user's values are free again within the transaction.
	again := dirUser(299)
	if err := tx.PutUser(ctx, &again); err != nil {
		t.Fatalf("PutUser of a user deleted in this transaction: %v", err)
	}
	users[299] = again
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	want := 0
	for _, u := range users {
		if u.ID == "" {
			continue
		}
		want++
		got, err := s.UserByUPN(ctx, u.UserPrincipalName)
		if err != nil {
			t.Fatalf("UserByUPN(%s): %v", u.UserPrincipalName, err)
		}
		checkUser(t, u, got)
	}
	if n := count(t, s, store.UserFilter{}); n != want {
		t.Errorf("%d users, want %d", n, want)
	}
	tx = begin(t, s)
	fps := 0
	if err := tx.Fingerprints(ctx, func(store.Fingerprint) error { fps++; return nil }); err != nil {
		t.Fatal(err)
	}
	if fps != want {
		t.Errorf("%d fingerprints, want %d", fps, want)
	}
}

// testBeginSyncWaits: a second BeginSync returns only after the first SyncTx ends. The goroutine
// and the test record the order of events; no timing is assumed.
func testBeginSyncWaits(t *testing.T, s store.Store) {
	ctx := t.Context()
	var (
		mu     sync.Mutex
		events []string
	)
	record := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}

	tx1 := begin(t, s)
	first := dirUser(1)
	if err := tx1.PutUser(ctx, &first); err != nil {
		t.Fatal(err)
	}

	type result struct {
		sawFirst bool
		err      error
	}
	done := make(chan result, 1)
	go func() {
		tx2, err := s.BeginSync(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		record("second began")
		defer tx2.Rollback()
		_, err = tx2.UserByAnchor(ctx, first.Anchor)
		done <- result{sawFirst: err == nil, err: tx2.Commit()}
	}()

	// Keep the first transaction busy for a while, giving the second every chance to (wrongly) begin.
	for i := 2; i < 200; i++ {
		u := dirUser(i)
		if err := tx1.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			t.Fatalf("second BeginSync returned while the first SyncTx was open (err %v)", r.err)
		default:
		}
	}
	record("first commits")
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("second SyncTx: %v", r.err)
	}
	if !r.sawFirst {
		t.Errorf("second SyncTx did not see the first one's committed user")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(events, []string{"first commits", "second began"}) {
		t.Errorf("events %v: the second BeginSync did not wait", events)
	}

	// Rollback releases too.
	tx3 := begin(t, s)
	go func() {
		tx4, err := s.BeginSync(ctx)
		if err == nil {
			err = tx4.Rollback()
		}
		done <- result{err: err}
	}()
	if err := tx3.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil {
		t.Errorf("BeginSync after Rollback: %v", r.err)
	}
}

func testBeginSyncCancelled(t *testing.T, s store.Store) {
	tx1 := begin(t, s)
	u := dirUser(1)
	if err := tx1.PutUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		tx, err := s.BeginSync(ctx)
		if err == nil {
			tx.Rollback()
		}
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("BeginSync while another SyncTx is open, cancelled: %v, want context.Canceled", err)
	}
	// The waiting BeginSync left the first transaction and the lock alone.
	if err := tx1.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	put(t, s, dirUser(2))
	if n := count(t, s, store.UserFilter{}); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

func testSyncState(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.FixedZone("X", -5*3600))
	putState(t, s, store.SyncState{Key: "ldap://dc1/dc=example,dc=com#1", Watermark: "usn:12345", UpdatedAt: at})
	putState(t, s, store.SyncState{Key: "other", Watermark: `{"cookie":"AAE="}`})

	got, err := s.SyncState(ctx, "ldap://dc1/dc=example,dc=com#1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != "ldap://dc1/dc=example,dc=com#1" || got.Watermark != "usn:12345" || !got.UpdatedAt.Equal(at) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("SyncState = %+v", got)
	}
	before := time.Now().Add(-time.Minute)
	got, err = s.SyncState(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if got.Watermark != `{"cookie":"AAE="}` || got.UpdatedAt.Before(before) {
		t.Errorf("SyncState(other) = %+v, want UpdatedAt now", got)
	}

	// Upsert.
	putState(t, s, store.SyncState{Key: "other", Watermark: "2"})
	if got, err := s.SyncState(ctx, "other"); err != nil || got.Watermark != "2" {
		t.Errorf("SyncState after overwrite = %+v, %v", got, err)
	}
	if got, err := s.SyncState(ctx, "OTHER"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SyncState keys are exact: SyncState(OTHER) = %+v, %v", got, err)
	}
}

func testRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	if runs, err := s.ListRuns(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("ListRuns on an empty store: %v, %v", runs, err)
	}

	dead := store.SyncRun{Mode: "full"}
	if err := s.StartRun(ctx, &dead); err != nil {
		t.Fatal(err)
	}
	if dead.ID == 0 || dead.Status != store.RunRunning || dead.StartedAt.IsZero() {
		t.Fatalf("after StartRun: %+v", dead)
	}

	// A second run finds the first still running: its process died.
	r := store.SyncRun{Mode: "delta"}
	if err := s.StartRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if r.ID == dead.ID {
		t.Fatalf("two runs with ID %d", r.ID)
	}
	runs, err := s.ListRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != r.ID || runs[1].ID != dead.ID {
		t.Fatalf("ListRuns = %+v, want newest first", runs)
	}
	if runs[0].Status != store.RunRunning || runs[0].FinishedAt != nil || runs[0].Mode != "delta" {
		t.Errorf("current run %+v", runs[0])
	}
	if runs[1].Status != store.RunInterrupted || runs[1].FinishedAt == nil || runs[1].Mode != "full" {
		t.Errorf("dead run %+v, want interrupted with FinishedAt", runs[1])
	}

	finished := time.Date(2025, 6, 7, 8, 9, 10, 111222000, time.UTC)
	r.Status = store.RunRefused
	r.FinishedAt = &finished
	r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected = 1, 2, 3, 4, 5
	r.Errors = []string{"would delete 60% of users", `entry "CN=x,DC=y": bad ü`}
	if err := s.FinishRun(ctx, r); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	runs, err = s.ListRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := runs[0]
	if got.ID != r.ID || got.Status != store.RunRefused || got.FinishedAt == nil || !got.FinishedAt.Equal(finished) ||
		got.Added != 1 || got.Updated != 2 || got.Deleted != 3 || got.Unchanged != 4 || got.Rejected != 5 ||
		!slices.Equal(got.Errors, r.Errors) || !got.StartedAt.Equal(r.StartedAt) || got.StartedAt.Location() != time.UTC {
		t.Errorf("finished run:\n got  %+v\n want %+v", got, r)
	}

	// A finished run is not marked interrupted by the next one; FinishRun without FinishedAt means now.
	next := store.SyncRun{Mode: "full"}
	if err := s.StartRun(ctx, &next); err != nil {
		t.Fatal(err)
	}
	next.Status = store.RunSucceeded
	if err := s.FinishRun(ctx, next); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		extra := store.SyncRun{Mode: "delta"}
		if err := s.StartRun(ctx, &extra); err != nil {
			t.Fatal(err)
		}
		extra.Status = store.RunFailed
		extra.Errors = []string{"boom"}
		if err := s.FinishRun(ctx, extra); err != nil {
			t.Fatal(err)
		}
	}
	runs, err = s.ListRuns(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []store.RunStatus
	for _, x := range runs {
		statuses = append(statuses, x.Status)
		if x.FinishedAt == nil {
			t.Errorf("run %d has no FinishedAt", x.ID)
		}
	}
	if !slices.Equal(statuses, []store.RunStatus{store.RunFailed, store.RunFailed, store.RunFailed, store.RunSucceeded, store.RunRefused, store.RunInterrupted}) {
		t.Errorf("statuses newest first: %v", statuses)
	}
	if !sort.SliceIsSorted(runs, func(i, j int) bool { return runs[i].ID > runs[j].ID }) {
		t.Errorf("runs not newest first")
	}
	if runs, err := s.ListRuns(ctx, 2); err != nil || len(runs) != 2 || runs[0].Status != store.RunFailed {
		t.Errorf("ListRuns(2) = %+v, %v", runs, err)
	}
}

// testRecordRun: a run's outcome recorded in its SyncTx is kept with the changes on Commit, and
// undone with them on Rollback (the run stays as StartRun recorded it).
func testRecordRun(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := store.SyncRun{Mode: "full"}
	if err := s.StartRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	finished := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	outcome := r
	outcome.Status, outcome.FinishedAt = store.RunSucceeded, &finished
	outcome.Added, outcome.Unchanged, outcome.Rejected, outcome.Errors = 1, 2, 3, []string{"x: bad"}

	tx := begin(t, s)
	u := dirUser(1)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordRun(ctx, outcome); err != nil {
		t.Fatalf("RecordRun: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	runs, err := s.ListRuns(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %+v, %v", runs, err)
	}
	if got := runs[0]; got.Status != store.RunRunning || got.FinishedAt != nil || got.Added != 0 || got.Rejected != 0 || len(got.Errors) != 0 {
		t.Errorf("after Rollback the run is %+v; want it as StartRun left it", got)
	}

	tx = begin(t, s)
	u = dirUser(1)
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordRun(ctx, outcome); err != nil {
		t.Fatalf("RecordRun: %v", err)
	}
	missing := outcome
	missing.ID = r.ID + 1000
	wantErr(t, "RecordRun of an unknown run", tx.RecordRun(ctx, missing), store.ErrNotFound)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	runs, err = s.ListRuns(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %+v, %v", runs, err)
	}
	got := runs[0]
	if got.Status != store.RunSucceeded || got.FinishedAt == nil || !got.FinishedAt.Equal(finished) ||
		got.Added != 1 || got.Unchanged != 2 || got.Rejected != 3 || !slices.Equal(got.Errors, outcome.Errors) {
		t.Errorf("after Commit the run is %+v; want %+v", got, outcome)
	}
	if n := count(t, s, store.UserFilter{}); n != 1 {
		t.Errorf("%d users after Commit, want 1", n)
	}
}

// listFixture is the population of the listing tests, in the expected order.
var listFixture = []struct {
	upn, name string
	source    store.Source
}{
	{"100%@example.com", "Percent", store.SourceCloud},
	{"100x@example.com", "Hundred X", store.SourceDirectory},
	{"a_b@example.com", "Underscore", store.SourceDirectory},
	{"ALICE@example.com", "Alice Martin", store.SourceDirectory},
	{"axb@example.com", "Axb", store.SourceCloud},
	{"bob@example.com", "Bob O'Brien", store.SourceDirectory},
	{"Carol@Example.com", "Carol \\ Backslash", store.SourceCloud},
	{"dave@example.com", "Élodie Dupont", store.SourceDirectory},
	{"zoe@example.com", "Zoë Ünal", store.SourceDirectory},
	{"élise@example.com", "Élise", store.SourceCloud},
}

func listStore(t *testing.T, s store.Store) {
	t.Helper()
	var users []store.User
	for i, f := range listFixture {
		if f.source == store.SourceCloud {
			users = append(users, cloudUser(f.upn, f.name))
			continue
		}
		u := dirUser(i)
		u.UserPrincipalName, u.DisplayName = f.upn, f.name
		users = append(users, u)
	}
	// Insert in reverse so that insertion order cannot pass for sorting.
	slices.Reverse(users)
	put(t, s, users...)
}

func upns(idx ...int) []string {
	var l []string
	for _, i := range idx {
		l = append(l, listFixture[i].upn)
	}
	return l
}

func testListUsers(t *testing.T, s store.Store) {
	listStore(t, s)
	all := upns(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	for _, tc := range []struct {
		name string
		f    store.UserFilter
		want []string
	}{
		{"all, by lower-cased upn", store.UserFilter{}, all},
		{"directory", store.UserFilter{Source: store.SourceDirectory}, upns(1, 2, 3, 5, 7, 8)},
		{"cloud", store.UserFilter{Source: store.SourceCloud}, upns(0, 4, 6, 9)},
		{"search upn, any case", store.UserFilter{Search: "ALI"}, upns(3)},
		{"search displayName, any case", store.UserFilter{Search: "martin"}, upns(3)},
		{"search non-ASCII displayName", store.UserFilter{Search: "élodie"}, upns(7)},
		{"search non-ASCII, other case", store.UserFilter{Search: "ÉL"}, upns(7, 9)},
		{"search underscore is literal", store.UserFilter{Search: "_"}, upns(2)},
		{"search a_b is literal", store.UserFilter{Search: "a_b"}, upns(2)},
		{"search percent is literal", store.UserFilter{Search: "%"}, upns(0)},
		{"search 100% is literal", store.UserFilter{Search: "100%"}, upns(0)},
		{"search backslash", store.UserFilter{Search: `\`}, upns(6)},
		{"search quote", store.UserFilter{Search: "o'b"}, upns(5)},
		{"search no match", store.UserFilter{Search: "nobody"}, nil},
		{"search and source", store.UserFilter{Search: "example", Source: store.SourceCloud}, upns(0, 4, 6, 9)},
		{"after", store.UserFilter{AfterUPN: "bob@example.com"}, upns(6, 7, 8, 9)},
		{"after, other case", store.UserFilter{AfterUPN: "BOB@EXAMPLE.COM"}, upns(6, 7, 8, 9)},
		{"after a missing upn", store.UserFilter{AfterUPN: "b"}, upns(5, 6, 7, 8, 9)},
		{"after the last", store.UserFilter{AfterUPN: "élise@example.com"}, nil},
		{"limit", store.UserFilter{Limit: 3}, upns(0, 1, 2)},
		{"after, limit, source", store.UserFilter{AfterUPN: "a_b@example.com", Limit: 2, Source: store.SourceDirectory}, upns(3, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(t, s, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("ListUsers(%+v) = %q, want %q", tc.f, got, tc.want)
			}
			unlimited := tc.f
			unlimited.Limit = 0
			if n, want := count(t, s, tc.f), len(list(t, s, unlimited)); n != want {
				t.Errorf("CountUsers(%+v) = %d, want %d", tc.f, n, want)
			}
		})
	}

	// fn's error stops the listing and comes back.
	stop := errors.New("stop")
	n := 0
	err := s.ListUsers(t.Context(), store.UserFilter{}, func(store.User) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("ListUsers with a failing callback: %v after %d calls", err, n)
	}
}

func testListUsersPaging(t *testing.T, s store.Store) {
	var users []store.User
	var want []string
	for i := range 57 {
		u := dirUser(i)
		if i%3 == 0 {
			u.UserPrincipalName = strings.ToUpper(u.UserPrincipalName)
		}
		users = append(users, u)
		want = append(want, u.UserPrincipalName)
	}
	put(t, s, users...)
	var got []string
	after := ""
	for page := 0; ; page++ {
		if page > 20 {
			t.Fatal("paging does not end")
		}
		batch := list(t, s, store.UserFilter{AfterUPN: after, Limit: 10})
		if len(batch) == 0 {
			break
		}
		got = append(got, batch...)
		after = batch[len(batch)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages: %v\nwant %v", got, want)
	}
}

func testContextCancelled(t *testing.T, s store.Store) {
	put(t, s, dirUser(1))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.UserByUPN(ctx, dirUser(1).UserPrincipalName)
	wantErr(t, "UserByUPN", err, context.Canceled)
	err = s.ListUsers(ctx, store.UserFilter{}, func(store.User) error { return nil })
	wantErr(t, "ListUsers", err, context.Canceled)
	_, err = s.CountUsers(ctx, store.UserFilter{})
	wantErr(t, "CountUsers", err, context.Canceled)
	_, err = s.SyncState(ctx, "k")
	wantErr(t, "SyncState", err, context.Canceled)
	_, err = s.ListRuns(ctx, 1)
	wantErr(t, "ListRuns", err, context.Canceled)
	wantErr(t, "StartRun", s.StartRun(ctx, &store.SyncRun{Mode: "full"}), context.Canceled)
	tx, err := s.BeginSync(ctx)
	if err == nil {
		tx.Rollback()
	}
	wantErr(t, "BeginSync", err, context.Canceled)

	// Cancelling during a listing stops it.
	put(t, s, dirUser(2), dirUser(3))
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	err = s.ListUsers(ctx, store.UserFilter{}, func(store.User) error {
		cancel()
		return nil
	})
	wantErr(t, "ListUsers cancelled midway", err, context.Canceled)

	// The store still works.
	if n := count(t, s, store.UserFilter{}); n != 3 {
		t.Errorf("%d users, want 3", n)
	}
	if runs, err := s.ListRuns(t.Context(), 0); err != nil || len(runs) != 0 {
		t.Errorf("ListRuns: %+v, %v", runs, err)
	}
}

// testCancelledPut: a SyncTx call that fails on a cancelled context may have ended the
// transaction on the server: Commit then fails, and nothing is kept.
func testCancelledPut(t *testing.T, s store.Store) {
	tx := begin(t, s)
	u := dirUser(1)
	if err := tx.PutUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	v := dirUser(2)
	wantErr(t, "PutUser", tx.PutUser(ctx, &v), context.Canceled)
	if err := tx.Fingerprints(ctx, func(store.Fingerprint) error { return nil }); err == nil {
		t.Errorf("Fingerprints with a cancelled context succeeded")
	}
	if err := tx.Commit(); err == nil {
		t.Errorf("Commit after a cancelled PutUser succeeded")
	}
	if err := tx.Rollback(); err != nil {
		t.Errorf("Rollback after the failed Commit: %v", err)
	}
	if n := count(t, s, store.UserFilter{}); n != 0 {
		t.Errorf("%d users, want 0", n)
	}
	put(t, s, dirUser(3))
}
