package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// flowTests check what the web flows, the admin API and the outbox worker rely on.
var flowTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"UpdateCreateUser", testUpdateCreateUser},
	{"Health", testHealth},
	{"UpdateUpdateUser", testUpdateUpdateUser},
	{"UpdateRollback", testUpdateRollback},
	{"UpdateCancelled", testUpdateCancelled},
	{"DeleteUserCascades", testDeleteUserCascades},
	{"SyncDeleteCascades", testSyncDeleteCascades},
	{"Audit", testAudit},
	{"AuditFilter", testAuditFilter},
	{"AuditFilters", testAuditFilters},
	{"AuditChain", testAuditChain},
	{"AuditChainConcurrent", testAuditChainConcurrent},
	{"PruneAudit", testPruneAudit},
	{"Tokens", testTokens},
	{"Sessions", testSessions},
	{"Codes", testCodes},
	{"CodesConcurrent", testCodesConcurrent},
	{"Throttles", testThrottles},
	{"ThrottleHitsConcurrent", testThrottleHitsConcurrent},
	{"ThrottleWindows", testThrottleWindows},
	{"DeleteExpired", testDeleteExpired},
	{"Outbox", testOutbox},
	{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
	{"Answers", testAnswers},
	{"ClearAnswersInUpdate", testClearAnswersInUpdate},
	{"AnswersSurviveStaleWrites", testAnswersSurviveStaleWrites},
	{"FlowsContextCancelled", testFlowsContextCancelled},
}

// t0 is the flow tests' "now": they pass every time explicitly, never the wall clock.
var t0 = time.Date(2025, 5, 1, 10, 0, 0, 123456000, time.UTC)

// update runs fn in s.Update and fails the test on an error.
func update(t *testing.T, s store.Store, fn func(tx store.UsersTx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// createUser stores u with UsersTx.CreateUser and returns it as stored.
func createUser(t *testing.T, s store.Store, u store.User) store.User {
	t.Helper()
	update(t, s, func(tx store.UsersTx) error { return tx.CreateUser(t.Context(), &u) })
	return u
}

func wantUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.Location() != time.UTC {
		t.Errorf("%s %v: not UTC", what, tm)
	}
}

func testUpdateCreateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)
	in := cloudUser("New.User@Example.com", "New User")
	in.AlternateEmails = []string{"x@example.org"}
	in.AuthenticationPhone = "+33 611111111"
	var created store.User
	update(t, s, func(tx store.UsersTx) error {
		u := in
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		if u.ID == "" || u.Version != 1 || u.CreatedAt.Before(before) || !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Errorf("after CreateUser: ID %q Version %d CreatedAt %v UpdatedAt %v", u.ID, u.Version, u.CreatedAt, u.UpdatedAt)
		}
		// The transaction sees its own writes.
		byID, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			t.Errorf("UserByID in the same transaction: %v", err)
		}
		byUPN, err := tx.UserByUPN(ctx, "new.user@EXAMPLE.com")
		if err != nil {
			t.Errorf("UserByUPN in the same transaction: %v", err)
		}
		want := in
		want.ID, want.Version, want.CreatedAt, want.UpdatedAt = u.ID, 1, u.CreatedAt, u.UpdatedAt
		checkUser(t, want, byID)
		checkUser(t, want, byUPN)
		// Others do not, until the commit.
		if _, err := s.UserByUPN(ctx, in.UserPrincipalName); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByUPN outside the open transaction: %v, want ErrNotFound", err)
		}
		created = u
		return nil
	})
	got, err := s.UserByUPN(ctx, in.UserPrincipalName)
	if err != nil {
		t.Fatalf("UserByUPN after commit: %v", err)
	}
	checkUser(t, created, got)

	// A given ID is kept; a directory user may be created too.
	dir := dirUser(1)
	dir.ID = "0190a000-0000-7000-8000-000000000001"
	dir = createUser(t, s, dir)
	if dir.ID != "0190a000-0000-7000-8000-000000000001" {
		t.Errorf("CreateUser with an ID: ID %q", dir.ID)
	}

	// Conflicts leave the transaction usable; refused users are not stored.
	update(t, s, func(tx store.UsersTx) error {
		for _, tc := range []struct {
			name string
			u    store.User
		}{
			{"same upn, other case", cloudUser("NEW.USER@example.COM", "Clash")},
			{"same anchor", func() store.User { u := dirUser(2); u.Anchor = dirUser(1).Anchor; return u }()},
			{"same id", func() store.User { u := cloudUser("other@example.com", "Other"); u.ID = dir.ID; return u }()},
		} {
			u := tc.u
			wantErr(t, "CreateUser("+tc.name+")", tx.CreateUser(ctx, &u), store.ErrConflict)
		}
		for _, tc := range []struct {
			name string
			u    store.User
		}{
			{"no userPrincipalName", cloudUser("", "Nobody")},
			{"directory user without anchor", func() store.User { u := dirUser(3); u.Anchor = nil; return u }()},
			{"unknown source", func() store.User { u := cloudUser("src@example.com", "Src"); u.Source = "elsewhere"; return u }()},
		} {
			u := tc.u
			if err := tx.CreateUser(ctx, &u); err == nil {
				t.Errorf("CreateUser(%s): stored", tc.name)
			}
		}
		ok := cloudUser("after.conflicts@example.com", "OK")
		if err := tx.CreateUser(ctx, &ok); err != nil {
			t.Errorf("CreateUser after conflicts: %v", err)
		}
		return nil
	})
	if got := list(t, s, store.UserFilter{}); !slices.Equal(got, []string{"after.conflicts@example.com", "New.User@Example.com", dir.UserPrincipalName}) {
		t.Errorf("users %v", got)
	}
}

func testUpdateUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	other := createUser(t, s, cloudUser("bob@example.com", "Bob"))

	next := u
	next.DisplayName = "Alice Martin"
	next.MobilePhone = store.Phone{Raw: "06 12 34 56 78", Number: "+33 612345678", Type: "mobile"}
	next.MobilePhoneOverridden = true
	update(t, s, func(tx store.UsersTx) error {
		if err := tx.UpdateUser(ctx, &next); err != nil {
			return err
		}
		if next.Version != 2 || !next.CreatedAt.Equal(u.CreatedAt) || next.UpdatedAt.Before(u.UpdatedAt) {
			t.Errorf("after UpdateUser: Version %d CreatedAt %v UpdatedAt %v", next.Version, next.CreatedAt, next.UpdatedAt)
		}
		wantUTC(t, "UpdatedAt", next.UpdatedAt)
		got, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		checkUser(t, next, got)
		return nil
	})
	got, err := s.UserByUPN(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, next, got)

	update(t, s, func(tx store.UsersTx) error {
		stale := u // Version 1
		stale.DisplayName = "stale"
		wantErr(t, "UpdateUser(stale version)", tx.UpdateUser(ctx, &stale), store.ErrVersionMismatch)
		zero := next
		zero.Version = 0
		wantErr(t, "UpdateUser(version 0)", tx.UpdateUser(ctx, &zero), store.ErrVersionMismatch)
		ghost := next
		ghost.ID = "00000000-0000-4000-8000-000000000000"
		wantErr(t, "UpdateUser(unknown id)", tx.UpdateUser(ctx, &ghost), store.ErrNotFound)
		noID := next
		noID.ID = ""
		wantErr(t, "UpdateUser(no id)", tx.UpdateUser(ctx, &noID), store.ErrNotFound)
		_, err := tx.UserByID(ctx, "not-a-uuid")
		wantErr(t, "UserByID(not a UUID)", err, store.ErrNotFound)
		renamed := next
		renamed.UserPrincipalName = "BOB@example.com"
		wantErr(t, "UpdateUser(taken upn)", tx.UpdateUser(ctx, &renamed), store.ErrConflict)
		// The transaction goes on.
		ok := next
		ok.UserPrincipalName = "Alice.Martin@example.com"
		if err := tx.UpdateUser(ctx, &ok); err != nil {
			t.Errorf("UpdateUser after errors: %v", err)
		}
		return nil
	})
	if got := list(t, s, store.UserFilter{}); !slices.Equal(got, []string{"Alice.Martin@example.com", other.UserPrincipalName}) {
		t.Errorf("users %v", got)
	}
	got, err = s.UserByUPN(ctx, "alice.martin@example.com")
	if err != nil || got.Version != 3 || got.DisplayName != "Alice Martin" {
		t.Errorf("renamed user: %+v, %v", got, err)
	}
}

func testUpdateRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := createUser(t, s, cloudUser("kept@example.com", "Kept"))
	boom := errors.New("boom")
	var leaked store.UsersTx
	err := s.Update(ctx, func(tx store.UsersTx) error {
		leaked = tx
		u := cloudUser("gone@example.com", "Gone")
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		k := kept
		k.DisplayName = "changed"
		if err := tx.UpdateUser(ctx, &k); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEvent{Type: "admin.user.created", Time: t0}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if n := count(t, s, store.UserFilter{}); n != 1 {
		t.Errorf("%d users after a failed Update, want 1", n)
	}
	got, err := s.UserByUPN(ctx, kept.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	checkUser(t, kept, got)
	if ev := audit(t, s, store.AuditFilter{}); len(ev) != 0 {
		t.Errorf("audit events after a failed Update: %+v", ev)
	}
	// The UsersTx is dead once Update returns.
	u := cloudUser("late@example.com", "Late")
	if err := leaked.CreateUser(ctx, &u); err == nil {
		t.Errorf("CreateUser after Update returned succeeded")
	}
	// The writer is free again.
	createUser(t, s, cloudUser("next@example.com", "Next"))
}

func testUpdateCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := s.Update(ctx, func(store.UsersTx) error { called = true; return nil })
	wantErr(t, "Update", err, context.Canceled)
	if called {
		t.Errorf("fn ran with a cancelled context")
	}

	// While a SyncTx is open, an Update waits (SQLite: one writer) or runs beside it; either
	// way a cancelled wait returns.
	tx := begin(t, s)
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx store.UsersTx) error {
			u := cloudUser("beside@example.com", "Beside")
			return tx.CreateUser(ctx, &u)
		})
	}()
	u := dirUser(1)
	if err := tx.PutUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Update beside a SyncTx: %v", err)
	}
	if n := count(t, s, store.UserFilter{}); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

// belongings gives u answers, a session and a code, and returns the session and code.
func belongings(t *testing.T, s store.Store, u store.User, n int) (store.Session, store.Code) {
	t.Helper()
	ctx := t.Context()
	if err := s.SetSecurityAnswers(ctx, u.ID, []store.SecurityAnswer{{QuestionKey: "pet", Hash: "$argon2id$x"}}, t0); err != nil {
		t.Fatalf("SetSecurityAnswers: %v", err)
	}
	ses := store.Session{ID: fmt.Sprintf("session-%d", n), Kind: "reset", UserID: u.ID, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, &ses); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	c := store.Code{SessionID: ses.ID, UserID: u.ID, Purpose: "reset:sms", MAC: []byte("mac"), MaxAttempts: 3, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCode(ctx, &c); err != nil {
		t.Fatalf("CreateCode: %v", err)
	}
	return ses, c
}

// checkGone fails unless u's answers, session and code are gone.
func checkGone(t *testing.T, s store.Store, u store.User, ses store.Session, c store.Code) {
	t.Helper()
	ctx := t.Context()
	_, err := s.SecurityAnswers(ctx, u.ID)
	wantErr(t, "SecurityAnswers of a deleted user", err, store.ErrNotFound)
	_, err = s.Session(ctx, ses.ID, t0)
	wantErr(t, "Session of a deleted user", err, store.ErrNotFound)
	_, err = s.ActiveCode(ctx, ses.ID, c.Purpose, t0)
	wantErr(t, "ActiveCode of a deleted user", err, store.ErrNotFound)
	_, err = s.CountAttempt(ctx, c.ID, t0)
	wantErr(t, "CountAttempt of a deleted user's code", err, store.ErrExhausted)
}

// checkKept fails unless u's answers, session and code are there.
func checkKept(t *testing.T, s store.Store, u store.User, ses store.Session, c store.Code) {
	t.Helper()
	ctx := t.Context()
	if a, err := s.SecurityAnswers(ctx, u.ID); err != nil || len(a) != 1 {
		t.Errorf("SecurityAnswers of a kept user: %v, %v", a, err)
	}
	if _, err := s.Session(ctx, ses.ID, t0); err != nil {
		t.Errorf("Session of a kept user: %v", err)
	}
	if _, err := s.ActiveCode(ctx, ses.ID, c.Purpose, t0); err != nil {
		t.Errorf("ActiveCode of a kept user: %v", err)
	}
}

func testDeleteUserCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := createUser(t, s, cloudUser("gone@example.com", "Gone"))
	kept := createUser(t, s, cloudUser("kept@example.com", "Kept"))
	gs, gc := belongings(t, s, gone, 1)
	ks, kc := belongings(t, s, kept, 2)
	update(t, s, func(tx store.UsersTx) error {
		if err := tx.DeleteUser(ctx, gone.ID); err != nil {
			return err
		}
		_, err := tx.UserByID(ctx, gone.ID)
		wantErr(t, "UserByID after DeleteUser", err, store.ErrNotFound)
		wantErr(t, "second DeleteUser", tx.DeleteUser(ctx, gone.ID), store.ErrNotFound)
		wantErr(t, "DeleteUser(not a UUID)", tx.DeleteUser(ctx, "nobody"), store.ErrNotFound)
		return nil
	})
	checkGone(t, s, gone, gs, gc)
	checkKept(t, s, kept, ks, kc)
	// The name is free again.
	createUser(t, s, cloudUser("gone@example.com", "Again"))
}

func testSyncDeleteCascades(t *testing.T, s store.Store) {
	users := put(t, s, dirUser(1), dirUser(2))
	gs, gc := belongings(t, s, users[0], 1)
	ks, kc := belongings(t, s, users[1], 2)
	tx := begin(t, s)
	if err := tx.DeleteUserByAnchor(t.Context(), users[0].Anchor); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, s, users[0], gs, gc)
	checkKept(t, s, users[1], ks, kc)
}

// audit lists events matching f.
func audit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEvent {
	t.Helper()
	var l []store.AuditEvent
	if err := s.ListAudit(t.Context(), f, func(e store.AuditEvent) error {
		l = append(l, e)
		return nil
	}); err != nil {
		t.Fatalf("ListAudit(%+v): %v", f, err)
	}
	return l
}

// checkAuditIDs checks the IDs of the events ListAudit(f) calls back, in order.
func checkAuditIDs(t *testing.T, s store.Store, f store.AuditFilter, want []int64) {
	t.Helper()
	var got []int64
	for _, e := range audit(t, s, f) {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListAudit(%+v) = %v, want %v", f, got, want)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)
	e := store.AuditEvent{
		Type:              "reset.code.sent",
		Actor:             "user",
		UserID:            "0190a000-0000-7000-8000-000000000001",
		UserPrincipalName: "Élodie@Exämple.com",
		ClientIP:          "2001:db8::1",
		UserAgent:         `Mozilla/5.0 "quoted" <tag> & ü`,
		Details:           map[string]string{"method": "sms", "to": "+33 6** ** ** 78", "quote": `"\`},
	}
	if err := s.AppendAudit(ctx, &e); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if e.ID == 0 || e.Time.Before(before) {
		t.Errorf("after AppendAudit: ID %d Time %v (zero Time means now)", e.ID, e.Time)
	}
	plain := store.AuditEvent{Type: "system.started", Actor: "system", Time: t0.In(time.FixedZone("X", 7200))}
	if err := s.AppendAudit(ctx, &plain); err != nil {
		t.Fatal(err)
	}
	var inTx store.AuditEvent
	update(t, s, func(tx store.UsersTx) error {
		inTx = store.AuditEvent{Type: "admin.user.updated", Actor: "admin:ops", Time: t0.Add(time.Second),
			Details: map[string]string{"field": store.FieldMobilePhone}}
		return tx.AppendAudit(ctx, &inTx)
	})
	if inTx.ID == 0 || inTx.ID == e.ID || inTx.ID == plain.ID {
		t.Errorf("IDs %d, %d, %d", e.ID, plain.ID, inTx.ID)
	}
	got := audit(t, s, store.AuditFilter{})
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	// Newest first.
	want := []store.AuditEvent{e, inTx, plain}
	sort.Slice(want, func(i, j int) bool {
		if !want[i].Time.Equal(want[j].Time) {
			return want[i].Time.After(want[j].Time)
		}
		return want[i].ID > want[j].ID
	})
	for i, w := range want {
		g := got[i]
		wantUTC(t, "Time", g.Time)
		if !g.Time.Equal(w.Time) {
			t.Errorf("event %d Time %v, want %v", i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if len(w.Details) == 0 {
			w.Details = nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
	if err := s.AppendAudit(ctx, &store.AuditEvent{Actor: "system"}); err == nil {
		t.Errorf("AppendAudit without a type succeeded")
	}
	// fn's error stops the listing and comes back.
	stop := errors.New("stop")
	n := 0
	if err := s.ListAudit(ctx, store.AuditFilter{}, func(store.AuditEvent) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("ListAudit with a failing callback: %v after %d calls", err, n)
	}
}

func testAuditFilter(t *testing.T, s store.Store) {
	ctx := t.Context()
	events := []store.AuditEvent{
		{Type: "reset.started", UserPrincipalName: "Alice@Example.com"},
		{Type: "reset.code.sent", UserPrincipalName: "alice@example.com"},
		{Type: "reset.completed", UserPrincipalName: "bob@example.com"},
		{Type: "admin.user.updated", UserPrincipalName: "ALICE@EXAMPLE.COM"},
		{Type: "resetx.other", UserPrincipalName: "alice@example.comm"},
		{Type: "reset.started", UserPrincipalName: ""},
	}
	for i := range events {
		events[i].Time = t0.Add(time.Duration(i) * time.Minute)
		if err := s.AppendAudit(ctx, &events[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Two events at the same instant come newest-appended first.
	same := store.AuditEvent{Type: "reset.started", UserPrincipalName: "carol@example.com", Time: events[5].Time}
	if err := s.AppendAudit(ctx, &same); err != nil {
		t.Fatal(err)
	}
	ids := func(idx ...int) []int64 {
		var l []int64
		for _, i := range idx {
			if i == 6 {
				l = append(l, same.ID)
				continue
			}
			l = append(l, events[i].ID)
		}
		return l
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"all, newest first", store.AuditFilter{}, ids(6, 5, 4, 3, 2, 1, 0)},
		{"upn, any case, exact", store.AuditFilter{UserPrincipalName: "aLiCe@example.COM"}, ids(3, 1, 0)},
		{"type prefix", store.AuditFilter{TypePrefix: "reset."}, ids(6, 5, 2, 1, 0)},
		{"type prefix is not a pattern", store.AuditFilter{TypePrefix: "reset%"}, nil},
		{"full type", store.AuditFilter{TypePrefix: "reset.code.sent"}, ids(1)},
		{"since, inclusive", store.AuditFilter{Since: events[4].Time}, ids(6, 5, 4)},
		{"until, exclusive", store.AuditFilter{Until: events[2].Time}, ids(1, 0)},
		{"since and until", store.AuditFilter{Since: events[1].Time, Until: events[3].Time}, ids(2, 1)},
		{"limit", store.AuditFilter{Limit: 2}, ids(6, 5)},
		{"everything", store.AuditFilter{UserPrincipalName: "alice@example.com", TypePrefix: "reset.", Since: events[1].Time, Limit: 5}, ids(1)},
	} {
		t.Run(tc.name, func(t *testing.T) { checkAuditIDs(t, s, tc.f, tc.want) })
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	hash := func(n byte) []byte { return bytes.Repeat([]byte{n}, 32) }
	before := time.Now().Add(-time.Minute)
	ci := store.Token{Name: "ci", Scopes: []string{"users:read", "sync"}, Hash: hash(1)}
	if err := s.CreateToken(ctx, &ci); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if ci.ID == "" || ci.CreatedAt.Before(before) {
		t.Errorf("after CreateToken: ID %q CreatedAt %v", ci.ID, ci.CreatedAt)
	}
	ops := store.Token{Name: "ops", Scopes: []string{"users:write"}, Hash: hash(2), CreatedAt: t0}
	if err := s.CreateToken(ctx, &ops); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tok  store.Token
	}{
		{"same name", store.Token{Name: "ci", Hash: hash(3)}},
		{"same hash", store.Token{Name: "other", Hash: hash(1)}},
	} {
		tok := tc.tok
		wantErr(t, "CreateToken("+tc.name+")", s.CreateToken(ctx, &tok), store.ErrConflict)
	}
	if err := s.CreateToken(ctx, &store.Token{Name: "", Hash: hash(4)}); err == nil {
		t.Errorf("CreateToken without a name succeeded")
	}

	got, err := s.TokenByHash(ctx, hash(1))
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	want := ci
	want.CreatedAt = utc(want.CreatedAt)
	got.CreatedAt = utc(got.CreatedAt)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TokenByHash:\n got  %+v\n want %+v", got, want)
	}
	_, err = s.TokenByHash(ctx, hash(9))
	wantErr(t, "TokenByHash(unknown)", err, store.ErrNotFound)

	used := t0.Add(time.Hour)
	if err := s.TouchToken(ctx, ci.ID, used); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	wantErr(t, "TouchToken(unknown)", s.TouchToken(ctx, "nope", used), store.ErrNotFound)
	if got, err := s.TokenByHash(ctx, hash(1)); err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
		t.Errorf("after TouchToken: %+v, %v", got, err)
	}

	revoked := t0.Add(2 * time.Hour)
	if err := s.RevokeToken(ctx, "ci", revoked); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	wantErr(t, "second RevokeToken", s.RevokeToken(ctx, "ci", revoked), store.ErrNotFound)
	wantErr(t, "RevokeToken(unknown)", s.RevokeToken(ctx, "nobody", revoked), store.ErrNotFound)
	_, err = s.TokenByHash(ctx, hash(1))
	wantErr(t, "TokenByHash(revoked)", err, store.ErrNotFound)
	// The name is free again.
	ci2 := store.Token{Name: "ci", Scopes: []string{"reports"}, Hash: hash(5), CreatedAt: t0.Add(3 * time.Hour)}
	if err := s.CreateToken(ctx, &ci2); err != nil {
		t.Fatalf("CreateToken with a revoked token's name: %v", err)
	}

	l, err := s.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range l {
		wantUTC(t, "CreatedAt", tok.CreatedAt)
		rev := "-"
		if tok.RevokedAt != nil {
			rev = "revoked"
			if !tok.RevokedAt.Equal(revoked) {
				t.Errorf("token %s RevokedAt %v", tok.Name, tok.RevokedAt)
			}
		}
		names = append(names, tok.Name+":"+rev)
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"ci:-", "ci:revoked", "ops:-"}) {
		t.Errorf("ListTokens: %v", names)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	ses := store.Session{ID: "h1", Kind: "reset", UserID: u.ID, State: []byte(`{"step":1}`), CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	if err := s.CreateSession(ctx, &ses); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if ses.Version != 1 {
		t.Errorf("Version %d after CreateSession, want 1", ses.Version)
	}
	anon := store.Session{ID: "h2", Kind: "unlock", ExpiresAt: t0.Add(time.Minute)}
	if err := s.CreateSession(ctx, &anon); err != nil {
		t.Fatalf("CreateSession without a user: %v", err)
	}
	dup := store.Session{ID: "h1", Kind: "reset", ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateSession(same id)", s.CreateSession(ctx, &dup), store.ErrConflict)
	ghost := store.Session{ID: "h3", Kind: "reset", UserID: "00000000-0000-4000-8000-000000000000", ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateSession(unknown user)", s.CreateSession(ctx, &ghost), store.ErrNotFound)
	for _, bad := range []store.Session{{Kind: "reset", ExpiresAt: t0}, {ID: "x", ExpiresAt: t0}, {ID: "x", Kind: "reset"}} {
		if err := s.CreateSession(ctx, &bad); err == nil {
			t.Errorf("CreateSession(%+v) succeeded", bad)
		}
	}

	got, err := s.Session(ctx, "h1", t0.Add(15*time.Minute-time.Microsecond))
	if err != nil {
		t.Fatalf("Session before expiry: %v", err)
	}
	wantUTC(t, "CreatedAt", got.CreatedAt)
	wantUTC(t, "ExpiresAt", got.ExpiresAt)
	if got.ID != "h1" || got.Kind != "reset" || got.UserID != u.ID || string(got.State) != `{"step":1}` ||
		!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(ses.ExpiresAt) || got.Version != 1 {
		t.Errorf("Session = %+v", got)
	}
	_, err = s.Session(ctx, "h1", t0.Add(15*time.Minute))
	wantErr(t, "Session at its expiry", err, store.ErrNotFound)
	_, err = s.Session(ctx, "nope", t0)
	wantErr(t, "Session(unknown)", err, store.ErrNotFound)
	if got, err := s.Session(ctx, "h2", t0); err != nil || got.UserID != "" || got.State != nil {
		t.Errorf("anonymous session: %+v, %v", got, err)
	}

	// UpdateSession: State and ExpiresAt, with a version check.
	next := got
	next.State = []byte(`{"step":2}`)
	next.ExpiresAt = t0.Add(30 * time.Minute)
	next.Kind, next.UserID = "ignored", ""
	if err := s.UpdateSession(ctx, &next); err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	if next.Version != 2 {
		t.Errorf("Version %d after UpdateSession, want 2", next.Version)
	}
	stale := got
	wantErr(t, "UpdateSession(stale)", s.UpdateSession(ctx, &stale), store.ErrVersionMismatch)
	missing := next
	missing.ID = "nope"
	wantErr(t, "UpdateSession(unknown)", s.UpdateSession(ctx, &missing), store.ErrNotFound)
	got, err = s.Session(ctx, "h1", t0.Add(20*time.Minute))
	if err != nil {
		t.Fatalf("Session after UpdateSession extended it: %v", err)
	}
	if string(got.State) != `{"step":2}` || got.Version != 2 || got.Kind != "reset" || got.UserID != u.ID {
		t.Errorf("after UpdateSession: %+v", got)
	}

	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantErr(t, "second DeleteSession", s.DeleteSession(ctx, "h1"), store.ErrNotFound)
	_, err = s.Session(ctx, "h1", t0)
	wantErr(t, "Session after DeleteSession", err, store.ErrNotFound)
}

// newSession creates a session for the code tests.
func newSession(t *testing.T, s store.Store, id string) store.Session {
	t.Helper()
	ses := store.Session{ID: id, Kind: "reset", ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(t.Context(), &ses); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return ses
}

func testCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	ses := newSession(t, s, "s1")
	first := store.Code{SessionID: ses.ID, UserID: u.ID, Purpose: "reset:sms", Destination: "+33 6** ** ** 78",
		MAC: []byte{1, 2, 3}, MaxAttempts: 3, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	if err := s.CreateCode(ctx, &first); err != nil {
		t.Fatalf("CreateCode: %v", err)
	}
	if first.ID == "" || first.Attempts != 0 || first.UsedAt != nil {
		t.Errorf("after CreateCode: %+v", first)
	}
	other := store.Code{SessionID: ses.ID, Purpose: "reset:email", MAC: []byte{9}, MaxAttempts: 3, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	if err := s.CreateCode(ctx, &other); err != nil {
		t.Fatalf("CreateCode(other purpose): %v", err)
	}
	got, err := s.ActiveCode(ctx, ses.ID, "reset:sms", t0)
	if err != nil {
		t.Fatalf("ActiveCode: %v", err)
	}
	wantUTC(t, "CreatedAt", got.CreatedAt)
	if !reflect.DeepEqual(got, first) {
		t.Errorf("ActiveCode:\n got  %+v\n want %+v", got, first)
	}

	// A new code retires the earlier unused one of the same session and purpose, not the others.
	second := first
	second.ID, second.MAC, second.CreatedAt = "", []byte{4, 5, 6}, t0.Add(time.Minute)
	if err := s.CreateCode(ctx, &second); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ActiveCode(ctx, ses.ID, "reset:sms", t0.Add(time.Minute)); err != nil || got.ID != second.ID {
		t.Errorf("ActiveCode after a new code: %+v, %v; want the new one", got, err)
	}
	_, err = s.CountAttempt(ctx, first.ID, t0.Add(time.Minute))
	wantErr(t, "CountAttempt(retired)", err, store.ErrExhausted)
	wantErr(t, "ConsumeCode(retired)", s.ConsumeCode(ctx, first.ID, t0.Add(time.Minute)), store.ErrExhausted)
	if got, err := s.ActiveCode(ctx, ses.ID, "reset:email", t0); err != nil || got.ID != other.ID {
		t.Errorf("the other purpose's code: %+v, %v", got, err)
	}

	// Attempts count up to MaxAttempts, then ErrExhausted.
	for i := 1; i <= 3; i++ {
		c, err := s.CountAttempt(ctx, second.ID, t0.Add(2*time.Minute))
		if err != nil {
			t.Fatalf("CountAttempt %d: %v", i, err)
		}
		if c.Attempts != i || c.ID != second.ID || !bytes.Equal(c.MAC, second.MAC) || c.MaxAttempts != 3 {
			t.Errorf("CountAttempt %d returned %+v", i, c)
		}
	}
	_, err = s.CountAttempt(ctx, second.ID, t0.Add(2*time.Minute))
	wantErr(t, "CountAttempt out of tries", err, store.ErrExhausted)
	// Still the active code (the caller learns it is out of tries from CountAttempt).
	if got, err := s.ActiveCode(ctx, ses.ID, "reset:sms", t0.Add(2*time.Minute)); err != nil || got.Attempts != 3 {
		t.Errorf("ActiveCode of an exhausted code: %+v, %v", got, err)
	}

	// Expiry.
	_, err = s.CountAttempt(ctx, other.ID, other.ExpiresAt)
	wantErr(t, "CountAttempt at expiry", err, store.ErrExhausted)
	_, err = s.ActiveCode(ctx, ses.ID, "reset:email", other.ExpiresAt)
	wantErr(t, "ActiveCode at expiry", err, store.ErrNotFound)

	// Consume once.
	third := store.Code{SessionID: ses.ID, Purpose: "reset:voice", MAC: []byte{7}, MaxAttempts: 5, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCode(ctx, &third); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CountAttempt(ctx, third.ID, t0); err != nil {
		t.Fatal(err)
	}
	usedAt := t0.Add(3 * time.Minute)
	if err := s.ConsumeCode(ctx, third.ID, usedAt); err != nil {
		t.Fatalf("ConsumeCode: %v", err)
	}
	wantErr(t, "second ConsumeCode", s.ConsumeCode(ctx, third.ID, usedAt), store.ErrExhausted)
	_, err = s.CountAttempt(ctx, third.ID, t0)
	wantErr(t, "CountAttempt(used)", err, store.ErrExhausted)
	_, err = s.ActiveCode(ctx, ses.ID, "reset:voice", t0)
	wantErr(t, "ActiveCode(used)", err, store.ErrNotFound)

	// Unknown codes: exhausted (and not found).
	_, err = s.CountAttempt(ctx, "nope", t0)
	wantErr(t, "CountAttempt(unknown)", err, store.ErrExhausted)
	wantErr(t, "CountAttempt(unknown)", err, store.ErrNotFound)
	wantErr(t, "ConsumeCode(unknown)", s.ConsumeCode(ctx, "nope", t0), store.ErrExhausted)

	// Refused codes.
	for _, bad := range []store.Code{
		{SessionID: "nope", Purpose: "p", MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0},
		{SessionID: ses.ID, UserID: "00000000-0000-4000-8000-000000000000", Purpose: "p", MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0},
	} {
		c := bad
		wantErr(t, "CreateCode(unknown session or user)", s.CreateCode(ctx, &c), store.ErrNotFound)
	}
	for _, bad := range []store.Code{
		{Purpose: "p", MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0},
		{SessionID: ses.ID, MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0},
		{SessionID: ses.ID, Purpose: "p", MaxAttempts: 1, ExpiresAt: t0},
		{SessionID: ses.ID, Purpose: "p", MAC: []byte{1}, ExpiresAt: t0},
		{SessionID: ses.ID, Purpose: "p", MAC: []byte{1}, MaxAttempts: 1},
	} {
		c := bad
		if err := s.CreateCode(ctx, &c); err == nil {
			t.Errorf("CreateCode(%+v) succeeded", bad)
		}
	}

	// Deleting the session deletes its codes.
	fourth := store.Code{SessionID: ses.ID, Purpose: "reset:sms", MAC: []byte{8}, MaxAttempts: 5, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCode(ctx, &fourth); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, ses.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.CountAttempt(ctx, fourth.ID, t0)
	wantErr(t, "CountAttempt after DeleteSession", err, store.ErrExhausted)
}

func testCodesConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	ses := newSession(t, s, "s1")
	c := store.Code{SessionID: ses.ID, Purpose: "reset:sms", MAC: []byte{1}, MaxAttempts: 5, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCode(ctx, &c); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		ok       int
		attempts []int
		wg       sync.WaitGroup
	)
	for range 20 {
		wg.Go(func() {
			got, err := s.CountAttempt(ctx, c.ID, t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				attempts = append(attempts, got.Attempts)
			case !errors.Is(err, store.ErrExhausted):
				t.Errorf("CountAttempt: %v", err)
			}
		})
	}
	wg.Wait()
	sort.Ints(attempts)
	if ok != 5 || !slices.Equal(attempts, []int{1, 2, 3, 4, 5}) {
		t.Errorf("20 concurrent CountAttempt on a 5-try code: %d succeeded, attempts %v; want 5, 1..5", ok, attempts)
	}

	d := store.Code{SessionID: ses.ID, Purpose: "reset:email", MAC: []byte{2}, MaxAttempts: 5, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCode(ctx, &d); err != nil {
		t.Fatal(err)
	}
	ok = 0
	for range 10 {
		wg.Go(func() {
			err := s.ConsumeCode(ctx, d.ID, t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrExhausted):
				t.Errorf("ConsumeCode: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("10 concurrent ConsumeCode: %d succeeded, want 1", ok)
	}
}

func testThrottles(t *testing.T, s store.Store) {
	ctx := t.Context()
	hit := func(key string, at, since time.Time) int {
		t.Helper()
		n, err := s.Hit(ctx, key, at, since)
		if err != nil {
			t.Fatalf("Hit(%s): %v", key, err)
		}
		return n
	}
	for i := range 5 {
		if n := hit("user:alice", t0.Add(time.Duration(i)*time.Minute), t0.Add(-time.Hour)); n != i+1 {
			t.Errorf("hit %d: count %d", i+1, n)
		}
	}
	// A sliding window: since t0+3m counts the events at t0+3m and t0+4m, plus this one.
	if n := hit("user:alice", t0.Add(5*time.Minute), t0.Add(3*time.Minute)); n != 3 {
		t.Errorf("hit in a window: count %d, want 3", n)
	}
	if n := hit("ip:192.0.2.1", t0, t0); n != 1 {
		t.Errorf("another key: count %d, want 1", n)
	}
	for _, tc := range []struct {
		key   string
		since time.Time
		want  int
	}{
		{"user:alice", t0.Add(-time.Hour), 6},
		{"user:alice", t0.Add(4 * time.Minute), 2},
		{"user:alice", t0.Add(time.Hour), 0},
		{"USER:ALICE", t0.Add(-time.Hour), 0},
		{"nobody", t0.Add(-time.Hour), 0},
	} {
		if n, err := s.CountEvents(ctx, tc.key, tc.since); err != nil || n != tc.want {
			t.Errorf("CountEvents(%s, %v) = %d, %v; want %d", tc.key, tc.since, n, err, tc.want)
		}
	}

	locked := func(key string, now time.Time) time.Time {
		t.Helper()
		until, err := s.LockedUntil(ctx, key, now)
		if err != nil {
			t.Fatalf("LockedUntil: %v", err)
		}
		return until
	}
	if until := locked("user:alice", t0); !until.IsZero() {
		t.Errorf("LockedUntil of an unlocked key: %v", until)
	}
	end := t0.Add(15 * time.Minute)
	if err := s.Lock(ctx, "user:alice", end); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if until := locked("user:alice", t0); !until.Equal(end) || until.Location() != time.UTC {
		t.Errorf("LockedUntil = %v, want %v", until, end)
	}
	// An earlier lock does not shorten it; a later one extends it.
	if err := s.Lock(ctx, "user:alice", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if until := locked("user:alice", t0); !until.Equal(end) {
		t.Errorf("after an earlier lock: %v, want %v", until, end)
	}
	end = t0.Add(time.Hour)
	if err := s.Lock(ctx, "user:alice", end); err != nil {
		t.Fatal(err)
	}
	if until := locked("user:alice", t0); !until.Equal(end) {
		t.Errorf("after a later lock: %v, want %v", until, end)
	}
	if until := locked("user:alice", end); !until.IsZero() {
		t.Errorf("LockedUntil at the lock's end: %v, want zero", until)
	}
	if err := s.Lock(ctx, "ip:192.0.2.1", end); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(ctx, "ip:192.0.2.2", end); err != nil {
		t.Fatal(err)
	}

	if err := s.ClearThrottles(ctx, "user:alice", "ip:192.0.2.1", "nobody"); err != nil {
		t.Fatalf("ClearThrottles: %v", err)
	}
	if err := s.ClearThrottles(ctx); err != nil {
		t.Errorf("ClearThrottles(): %v", err)
	}
	for _, key := range []string{"user:alice", "ip:192.0.2.1"} {
		if n, err := s.CountEvents(ctx, key, t0.Add(-time.Hour)); err != nil || n != 0 {
			t.Errorf("CountEvents(%s) after ClearThrottles: %d, %v", key, n, err)
		}
		if until := locked(key, t0); !until.IsZero() {
			t.Errorf("LockedUntil(%s) after ClearThrottles: %v", key, until)
		}
	}
	if until := locked("ip:192.0.2.2", t0); !until.Equal(end) {
		t.Errorf("another key's lock after ClearThrottles: %v", until)
	}

	// Locked: the keys with a prefix locked now, in key order; a prefix is no pattern.
	for key, until := range map[string]time.Time{"u:2:failed": end, "u:1:failed": t0.Add(time.Minute), "u:3:failed": t0, "x:u:4": end} {
		if err := s.Lock(ctx, key, until); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		prefix string
		want   string
	}{
		{"u:", "u:1:failed " + t0.Add(time.Minute).Format(time.RFC3339) + ",u:2:failed " + end.Format(time.RFC3339)},
		{"u:2", "u:2:failed " + end.Format(time.RFC3339)},
		{"u:%", ""},
		{"_:", ""},
		{"", "ip:192.0.2.2 " + end.Format(time.RFC3339) + ",u:1:failed " + t0.Add(time.Minute).Format(time.RFC3339) +
			",u:2:failed " + end.Format(time.RFC3339) + ",x:u:4 " + end.Format(time.RFC3339)},
	} {
		var got []string
		err := s.Locked(ctx, tc.prefix, t0, func(key string, until time.Time) error {
			if until.Location() != time.UTC {
				t.Errorf("Locked(%q): %s until %v, not UTC", tc.prefix, key, until)
			}
			got = append(got, key+" "+until.Format(time.RFC3339))
			return nil
		})
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("Locked(%q) = %q, %v; want %q", tc.prefix, strings.Join(got, ","), err, tc.want)
		}
	}
	stop := errors.New("stop")
	if err := s.Locked(ctx, "", t0, func(string, time.Time) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Locked with fn failing = %v, want fn's error", err)
	}
}

func testThrottleHitsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	var (
		mu     sync.Mutex
		counts []int
		wg     sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			c, err := s.Hit(ctx, "user:alice", t0.Add(time.Duration(i)*time.Millisecond), t0.Add(-time.Hour))
			if err != nil {
				t.Errorf("Hit: %v", err)
				return
			}
			mu.Lock()
			counts = append(counts, c)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Ints(counts)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(counts, want) {
		t.Errorf("counts of %d concurrent hits: %v; want each of 1..%d once", n, counts, n)
	}
}

// testThrottleWindows: Hit and CountEvents count exactly the events at or after since, whatever
// since is (on a second or a minute, just before or after one, before 1970), also after
// DeleteExpired cut the events in the middle of a second and ClearThrottles removed another key's.
func testThrottleWindows(t *testing.T, s store.Store) {
	ctx := t.Context()
	epoch := time.Unix(0, 0).UTC()
	bases := map[string]time.Time{"k:now": t0.Truncate(time.Minute), "k:1969": epoch}
	// Offsets from the base, in order: around seconds and minutes, on both sides of the base.
	var offsets []time.Duration
	for _, o := range []time.Duration{-2 * time.Hour, -61 * time.Second, -time.Minute, -59 * time.Second,
		-time.Second - time.Microsecond, -time.Second, -time.Millisecond, -time.Microsecond, 0, time.Microsecond,
		999999 * time.Microsecond, time.Second, 59*time.Second + 999999*time.Microsecond, time.Minute,
		time.Minute + time.Microsecond, 90 * time.Second, 10 * time.Minute} {
		offsets = append(offsets, o, o) // two events at the same time
	}
	events := map[string][]time.Time{}
	count := func(key string, since time.Time) int {
		n := 0
		for _, at := range events[key] {
			if !at.Before(since) {
				n++
			}
		}
		return n
	}
	// The windows checked: every event time, and a microsecond on either side.
	var sinces []time.Duration
	for _, o := range offsets {
		sinces = append(sinces, o-time.Microsecond, o, o+time.Microsecond)
	}
	sinces = append(sinces, -3*time.Hour, time.Hour)
	check := func(when string) {
		t.Helper()
		for key, base := range bases {
			for _, o := range sinces {
				since := base.Add(o)
				if n, err := s.CountEvents(ctx, key, since); err != nil || n != count(key, since) {
					t.Errorf("%s: CountEvents(%s, base%+v) = %d, %v; want %d", when, key, o, n, err, count(key, since))
				}
			}
		}
	}
	for i, o := range offsets {
		for key, base := range bases {
			at := base.Add(o)
			// Each hit counts in its own window, a different one each time.
			since := base.Add(sinces[(i*7)%len(sinces)])
			events[key] = append(events[key], at)
			n, err := s.Hit(ctx, key, at, since)
			if err != nil {
				t.Fatalf("Hit(%s, base%+v): %v", key, o, err)
			}
			if want := count(key, since); n != want {
				t.Errorf("Hit(%s, base%+v, since base%+v) = %d, want %d", key, o, sinces[(i*7)%len(sinces)], n, want)
			}
		}
	}
	check("after the hits")

	// DeleteExpired in the middle of a second and of a minute, a second after each base.
	before := bases["k:now"].Add(time.Second + 500*time.Millisecond)
	if err := s.DeleteExpired(ctx, before); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	for key := range events {
		events[key] = slices.DeleteFunc(events[key], func(at time.Time) bool { return at.Before(before) })
	}
	check("after DeleteExpired")
	if _, err := s.Hit(ctx, "k:now", before, before.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	events["k:now"] = append(events["k:now"], before)
	check("after a hit at the cut")

	if err := s.ClearThrottles(ctx, "k:1969"); err != nil {
		t.Fatal(err)
	}
	events["k:1969"] = nil
	check("after ClearThrottles")
}

func testDeleteExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := store.Session{ID: "old", Kind: "reset", ExpiresAt: t0}
	live := store.Session{ID: "live", Kind: "reset", ExpiresAt: t0.Add(time.Hour)}
	for _, ses := range []*store.Session{&old, &live} {
		if err := s.CreateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
	}
	oldCode := store.Code{SessionID: "live", Purpose: "a", MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0}
	liveCode := store.Code{SessionID: "live", Purpose: "b", MAC: []byte{1}, MaxAttempts: 1, ExpiresAt: t0.Add(time.Hour)}
	for _, c := range []*store.Code{&oldCode, &liveCode} {
		if err := s.CreateCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []time.Time{t0.Add(-time.Second), t0, t0.Add(time.Second)} {
		if _, err := s.Hit(ctx, "k", at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Lock(ctx, "k", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpired(ctx, t0); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	// The expired session and code are gone (an earlier "now" would still have found them).
	_, err := s.Session(ctx, "old", t0.Add(-time.Minute))
	wantErr(t, "Session(expired) after DeleteExpired", err, store.ErrNotFound)
	_, err = s.ActiveCode(ctx, "live", "a", t0.Add(-time.Minute))
	wantErr(t, "ActiveCode(expired) after DeleteExpired", err, store.ErrNotFound)
	if _, err := s.Session(ctx, "live", t0); err != nil {
		t.Errorf("live session after DeleteExpired: %v", err)
	}
	if _, err := s.ActiveCode(ctx, "live", "b", t0); err != nil {
		t.Errorf("live code after DeleteExpired: %v", err)
	}
	// Events before t0 are gone, those at or after it stay.
	if n, err := s.CountEvents(ctx, "k", t0.Add(-time.Hour)); err != nil || n != 2 {
		t.Errorf("CountEvents after DeleteExpired: %d, %v; want 2", n, err)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)
	fresh := store.Message{Channel: "email", To: "alice@example.com", Body: []byte("x")}
	if err := s.Enqueue(ctx, &fresh); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if fresh.ID == 0 || fresh.Status != store.MessageQueued || fresh.CreatedAt.Before(before) || !fresh.NextAttemptAt.Equal(fresh.CreatedAt) {
		t.Errorf("after Enqueue with zero times: %+v, want created and due now", fresh)
	}
	// Given up at once, so that the claims below, at times of their own, do not see it.
	if err := s.RecordAttempt(ctx, store.Attempt{MessageID: fresh.ID, At: fresh.CreatedAt}, store.MessageFailed, time.Time{}); err != nil {
		t.Fatal(err)
	}
	mail := store.Message{Channel: "email", To: "alice@example.com", Subject: "Code", Body: []byte{0, 1, 2, 0xff}, CreatedAt: t0.Add(2 * time.Hour)}
	if err := s.Enqueue(ctx, &mail); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if !mail.NextAttemptAt.Equal(mail.CreatedAt) {
		t.Errorf("after Enqueue with zero NextAttemptAt: %+v, want due at creation", mail)
	}
	// Language round-trips: a voice call is spoken in it.
	sms := store.Message{Channel: "sms", To: "+33 612345678", Body: []byte("sealed"), Language: "fr", CreatedAt: t0, NextAttemptAt: t0}
	later := store.Message{Channel: "voice", To: "+33 612345678", Body: []byte("later"), Language: "ar", CreatedAt: t0, NextAttemptAt: t0.Add(time.Hour)}
	for _, m := range []*store.Message{&sms, &later} {
		if err := s.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Enqueue(ctx, &store.Message{Channel: "sms"}); err == nil {
		t.Errorf("Enqueue without a recipient succeeded")
	}
	got, err := s.Message(ctx, sms.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "CreatedAt", got.CreatedAt)
	if !reflect.DeepEqual(got, sms) {
		t.Errorf("Message:\n got  %+v\n want %+v", got, sms)
	}
	_, err = s.Message(ctx, 987654)
	wantErr(t, "Message(unknown)", err, store.ErrNotFound)

	// Claim at t0: only the sms is due; lease for a minute.
	now := t0
	claimed, err := s.ClaimMessages(ctx, now, now.Add(time.Minute), 10)
	if err != nil {
		t.Fatalf("ClaimMessages: %v", err)
	}
	if len(claimed) != 1 || claimed[0].ID != sms.ID || string(claimed[0].Body) != "sealed" || claimed[0].Language != "fr" ||
		!claimed[0].LeaseUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("ClaimMessages at t0 = %+v, want the sms with its body, language and lease", claimed)
	}
	// Not again before the lease ends; again after.
	if l, err := s.ClaimMessages(ctx, now.Add(30*time.Second), now.Add(2*time.Minute), 10); err != nil || len(l) != 0 {
		t.Errorf("ClaimMessages during the lease: %+v, %v", l, err)
	}
	again, err := s.ClaimMessages(ctx, now.Add(time.Minute), now.Add(2*time.Minute), 10)
	if err != nil || len(again) != 1 || again[0].ID != sms.ID {
		t.Fatalf("ClaimMessages after the lease: %+v, %v", again, err)
	}

	// A failed attempt: queued again at next, lease released, body kept.
	a1 := store.Attempt{MessageID: sms.ID, At: now.Add(61 * time.Second), Duration: 1500 * time.Millisecond, Error: "provider: 503"}
	next := now.Add(5 * time.Minute)
	if err := s.RecordAttempt(ctx, a1, store.MessageQueued, next); err != nil {
		t.Fatalf("RecordAttempt: %v", err)
	}
	got, err = s.Message(ctx, sms.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.MessageQueued || got.Attempts != 1 || got.LastError != "provider: 503" || !got.NextAttemptAt.Equal(next) ||
		!got.LeaseUntil.IsZero() || string(got.Body) != "sealed" || got.SentAt != nil {
		t.Errorf("after a failed attempt: %+v", got)
	}
	if l, err := s.ClaimMessages(ctx, next.Add(-time.Second), next.Add(time.Hour), 10); err != nil || len(l) != 0 {
		t.Errorf("ClaimMessages before the next attempt: %+v, %v", l, err)
	}
	l, err := s.ClaimMessages(ctx, next, next.Add(time.Minute), 10)
	if err != nil || len(l) != 1 || l[0].ID != sms.ID {
		t.Fatalf("ClaimMessages at the next attempt: %+v, %v", l, err)
	}
	// Sent: SentAt, body wiped, lease released, error cleared.
	a2 := store.Attempt{MessageID: sms.ID, At: next.Add(time.Second), Duration: 200 * time.Millisecond}
	if err := s.RecordAttempt(ctx, a2, store.MessageSent, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Message(ctx, sms.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.MessageSent || got.Attempts != 2 || got.LastError != "" || got.SentAt == nil ||
		!got.SentAt.Equal(a2.At) || len(got.Body) != 0 || !got.LeaseUntil.IsZero() {
		t.Errorf("after sending: %+v", got)
	}
	// A late worker's failure does not undo it; its attempt is kept.
	a3 := store.Attempt{MessageID: sms.ID, At: next.Add(2 * time.Second), Error: "late timeout"}
	if err := s.RecordAttempt(ctx, a3, store.MessageQueued, next.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Message(ctx, sms.ID); err != nil || got.Status != store.MessageSent || got.Attempts != 2 {
		t.Errorf("sent message after a late attempt: %+v, %v", got, err)
	}
	attempts, err := s.Attempts(ctx, sms.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attempts {
		wantUTC(t, "At", a.At)
	}
	if !reflect.DeepEqual(attempts, []store.Attempt{a1, a2, a3}) {
		t.Errorf("Attempts:\n got  %+v\n want %+v", attempts, []store.Attempt{a1, a2, a3})
	}
	if l, err := s.Attempts(ctx, later.ID); err != nil || len(l) != 0 {
		t.Errorf("Attempts of an untried message: %+v, %v", l, err)
	}
	_, err = s.Attempts(ctx, 987654)
	wantErr(t, "Attempts(unknown)", err, store.ErrNotFound)
	wantErr(t, "RecordAttempt(unknown)", s.RecordAttempt(ctx, store.Attempt{MessageID: 987654, At: t0}, store.MessageSent, time.Time{}), store.ErrNotFound)
	if err := s.RecordAttempt(ctx, store.Attempt{MessageID: later.ID, At: t0}, "lost", time.Time{}); err == nil {
		t.Errorf("RecordAttempt with an unknown status succeeded")
	}

	// Failed: given up, body wiped.
	l, err = s.ClaimMessages(ctx, later.NextAttemptAt, later.NextAttemptAt.Add(time.Minute), 10)
	if err != nil || len(l) != 1 || l[0].ID != later.ID {
		t.Fatalf("ClaimMessages(later) = %+v, %v", l, err)
	}
	if err := s.RecordAttempt(ctx, store.Attempt{MessageID: later.ID, At: later.NextAttemptAt, Error: "invalid number"}, store.MessageFailed, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Message(ctx, later.ID)
	if err != nil || got.Status != store.MessageFailed || len(got.Body) != 0 || got.SentAt != nil || got.LastError != "invalid number" {
		t.Errorf("failed message: %+v, %v", got, err)
	}
	// Neither is claimed again; the mail (due at its creation) is.
	l, err = s.ClaimMessages(ctx, t0.Add(3*time.Hour), t0.Add(4*time.Hour), 10)
	if err != nil || len(l) != 1 || l[0].ID != mail.ID {
		t.Errorf("last claim: %+v, %v; want the mail only", l, err)
	}
	if l, err := s.ClaimMessages(ctx, t0, t0.Add(time.Minute), 0); err != nil || len(l) != 0 {
		t.Errorf("ClaimMessages(limit 0) = %+v, %v", l, err)
	}
}

func testOutboxConcurrentClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 120
	for i := range n {
		m := store.Message{Channel: "sms", To: fmt.Sprintf("+33 6%08d", i), Body: []byte{byte(i)}, CreatedAt: t0, NextAttemptAt: t0}
		if err := s.Enqueue(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for round := 0; ; round++ {
				if round > n {
					t.Errorf("worker %d: claims without end: leased messages are claimed again", w)
					return
				}
				l, err := s.ClaimMessages(ctx, t0.Add(time.Second), t0.Add(time.Hour), 7)
				if err != nil {
					t.Errorf("worker %d: ClaimMessages: %v", w, err)
					return
				}
				if len(l) == 0 {
					return
				}
				mu.Lock()
				for _, m := range l {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d messages claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("message %d claimed %d times", id, k)
		}
	}
}

func testAnswers(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	other := createUser(t, s, cloudUser("bob@example.com", "Bob"))
	answers := []store.SecurityAnswer{
		{QuestionKey: "pet", Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
		{QuestionKey: "custom:7", Hash: "$argon2id$b"},
		{QuestionKey: "city", Hash: "$argon2id$c"},
	}
	at := t0.In(time.FixedZone("X", -3600))
	if err := s.SetSecurityAnswers(ctx, u.ID, answers, at); err != nil {
		t.Fatalf("SetSecurityAnswers: %v", err)
	}
	if err := s.SetSecurityAnswers(ctx, other.ID, answers[:1], at); err != nil {
		t.Fatal(err)
	}
	got, err := s.SecurityAnswers(ctx, u.ID)
	if err != nil || !slices.Equal(got, answers) {
		t.Errorf("SecurityAnswers = %+v, %v; want %+v in order", got, err, answers)
	}
	if sets, err := s.QuestionSets(ctx); err != nil || !maps.Equal(sets, map[string]int{"city\ncustom:7\npet": 1, "pet": 1}) {
		t.Errorf("QuestionSets = %v, %v", sets, err)
	}
	after, err := s.UserByUPN(ctx, u.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	if after.SecurityQuestionsCount != 3 || after.SecurityQuestionsRegisteredAt == nil || !after.SecurityQuestionsRegisteredAt.Equal(at) {
		t.Errorf("user after SetSecurityAnswers: count %d, registered %v", after.SecurityQuestionsCount, after.SecurityQuestionsRegisteredAt)
	}
	// Not part of the administrator's record: Version and UpdatedAt stay.
	if after.Version != u.Version || !after.UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("SetSecurityAnswers changed Version %d→%d or UpdatedAt", u.Version, after.Version)
	}

	// Replace.
	repl := []store.SecurityAnswer{{QuestionKey: "school", Hash: "$argon2id$d"}, {QuestionKey: "pet", Hash: "$argon2id$e"}}
	if err := s.SetSecurityAnswers(ctx, u.ID, repl, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SecurityAnswers(ctx, u.ID); err != nil || !slices.Equal(got, repl) {
		t.Errorf("after replacing: %+v, %v", got, err)
	}
	// A question twice: ErrConflict, nothing changed.
	dup := []store.SecurityAnswer{{QuestionKey: "a", Hash: "x"}, {QuestionKey: "a", Hash: "y"}}
	wantErr(t, "SetSecurityAnswers(question twice)", s.SetSecurityAnswers(ctx, u.ID, dup, t0), store.ErrConflict)
	if got, err := s.SecurityAnswers(ctx, u.ID); err != nil || !slices.Equal(got, repl) {
		t.Errorf("after a refused replacement: %+v, %v", got, err)
	}
	if err := s.SetSecurityAnswers(ctx, u.ID, []store.SecurityAnswer{{QuestionKey: "a"}}, t0); err == nil {
		t.Errorf("SetSecurityAnswers without a hash succeeded")
	}
	wantErr(t, "SetSecurityAnswers(unknown user)", s.SetSecurityAnswers(ctx, "00000000-0000-4000-8000-000000000000", repl, t0), store.ErrNotFound)
	wantErr(t, "SetSecurityAnswers(not a UUID)", s.SetSecurityAnswers(ctx, "nobody", repl, t0), store.ErrNotFound)
	_, err = s.SecurityAnswers(ctx, "00000000-0000-4000-8000-000000000000")
	wantErr(t, "SecurityAnswers(unknown user)", err, store.ErrNotFound)

	// Clear.
	if err := s.SetSecurityAnswers(ctx, u.ID, nil, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SecurityAnswers(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("after clearing: %+v, %v", got, err)
	}
	after, err = s.UserByUPN(ctx, u.UserPrincipalName)
	if err != nil || after.SecurityQuestionsCount != 0 || after.SecurityQuestionsRegisteredAt != nil {
		t.Errorf("user after clearing: %+v, %v", after, err)
	}
	if got, err := s.SecurityAnswers(ctx, other.ID); err != nil || len(got) != 1 {
		t.Errorf("the other user's answers: %+v, %v", got, err)
	}
}

// testClearAnswersInUpdate: a required re-registration (the console) removes the registered
// phone and email (UpdateUser) and the security answers (ClearSecurityAnswers) in one
// transaction: all of it is undone when the transaction is, and another user's answers stay.
func testClearAnswersInUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := cloudUser("alice@example.com", "Alice")
	in.AuthenticationPhone, in.AuthenticationEmail = "+14255550100", "alice.private@example.net"
	u := createUser(t, s, in)
	other := createUser(t, s, cloudUser("bob@example.com", "Bob"))
	answers := []store.SecurityAnswer{{QuestionKey: "pet", Hash: "h1"}, {QuestionKey: "city", Hash: "h2"}}
	for _, id := range []string{u.ID, other.ID} {
		if err := s.SetSecurityAnswers(ctx, id, answers, t0); err != nil {
			t.Fatal(err)
		}
	}
	reregister := func(fail error) error {
		return s.Update(ctx, func(tx store.UsersTx) error {
			cur, err := tx.UserByID(ctx, u.ID)
			if err != nil {
				return err
			}
			cur.AuthenticationPhone, cur.AuthenticationEmail = "", ""
			if err := tx.UpdateUser(ctx, &cur); err != nil {
				return err
			}
			if err := tx.ClearSecurityAnswers(ctx, cur.ID); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, &store.AuditEvent{Time: t0, Type: "test.reregister", UserID: cur.ID}); err != nil {
				return err
			}
			return fail
		})
	}
	state := func() (store.User, []store.SecurityAnswer) {
		t.Helper()
		got, err := s.UserByUPN(ctx, u.UserPrincipalName)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.SecurityAnswers(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got, a
	}
	undo := errors.New("undo")
	if err := reregister(undo); !errors.Is(err, undo) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	got, a := state()
	if got.AuthenticationPhone == "" || got.AuthenticationEmail == "" || got.SecurityQuestionsCount != 2 ||
		got.SecurityQuestionsRegisteredAt == nil || !slices.Equal(a, answers) || got.Version != u.Version {
		t.Errorf("after a rolled-back re-registration: %+v, answers %+v", got, a)
	}
	if err := reregister(nil); err != nil {
		t.Fatal(err)
	}
	got, a = state()
	if got.AuthenticationPhone != "" || got.AuthenticationEmail != "" || got.SecurityQuestionsCount != 0 ||
		got.SecurityQuestionsRegisteredAt != nil || len(a) != 0 || got.Version != u.Version+1 {
		t.Errorf("after the re-registration: %+v, answers %+v", got, a)
	}
	if a, err := s.SecurityAnswers(ctx, other.ID); err != nil || !slices.Equal(a, answers) {
		t.Errorf("the other user's answers: %+v, %v", a, err)
	}
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nobody"} {
		err := s.Update(ctx, func(tx store.UsersTx) error { return tx.ClearSecurityAnswers(ctx, id) })
		wantErr(t, "ClearSecurityAnswers("+id+")", err, store.ErrNotFound)
	}
}

// testAnswersSurviveStaleWrites: SetSecurityAnswers does not change the user's version, so a
// writer holding an older copy of the user (an administrator's UpdateUser, a sync's PutUser) must
// not undo the security questions' count and date: those writes keep the stored values and
// return them.
func testAnswersSurviveStaleWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	cloud := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	dir := put(t, s, dirUser(1))[0]
	answers := []store.SecurityAnswer{{QuestionKey: "pet", Hash: "h1"}, {QuestionKey: "city", Hash: "h2"}}
	for _, u := range []store.User{cloud, dir} {
		if err := s.SetSecurityAnswers(ctx, u.ID, answers, t0); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, u store.User) {
		t.Helper()
		if u.SecurityQuestionsCount != 2 || u.SecurityQuestionsRegisteredAt == nil || !u.SecurityQuestionsRegisteredAt.Equal(t0) {
			t.Errorf("%s: count %d, registered %v; want 2 at %v", what, u.SecurityQuestionsCount, u.SecurityQuestionsRegisteredAt, t0)
		}
	}

	stale := cloud // read before the registration
	stale.DisplayName = "Alice Martin"
	update(t, s, func(tx store.UsersTx) error { return tx.UpdateUser(ctx, &stale) })
	check("UpdateUser's copy", stale)
	got, err := s.UserByUPN(ctx, cloud.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	check("after UpdateUser", got)
	if got.DisplayName != "Alice Martin" {
		t.Errorf("UpdateUser lost its change: %+v", got)
	}

	staleDir := dir
	staleDir.SecurityQuestionsCount, staleDir.SecurityQuestionsRegisteredAt = 0, nil
	staleDir.DisplayName = "Renamed"
	tx := begin(t, s)
	if err := tx.PutUser(ctx, &staleDir); err != nil {
		t.Fatal(err)
	}
	check("PutUser's copy", staleDir)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err = s.UserByUPN(ctx, dir.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	check("after PutUser", got)
	if got.DisplayName != "Renamed" {
		t.Errorf("PutUser lost its change: %+v", got)
	}
	if a, err := s.SecurityAnswers(ctx, dir.ID); err != nil || len(a) != 2 {
		t.Errorf("answers after PutUser: %+v, %v", a, err)
	}
}

func testFlowsContextCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"AppendAudit", s.AppendAudit(ctx, &store.AuditEvent{Type: "x"})},
		{"ListAudit", s.ListAudit(ctx, store.AuditFilter{}, func(store.AuditEvent) error { return nil })},
		{"CreateToken", s.CreateToken(ctx, &store.Token{Name: "n", Hash: []byte{1}})},
		{"CreateSession", s.CreateSession(ctx, &store.Session{ID: "x", Kind: "reset", ExpiresAt: t0})},
		{"Session", func() error { _, err := s.Session(ctx, "x", t0); return err }()},
		{"CountAttempt", func() error { _, err := s.CountAttempt(ctx, "x", t0); return err }()},
		{"Hit", func() error { _, err := s.Hit(ctx, "k", t0, t0); return err }()},
		{"Enqueue", s.Enqueue(ctx, &store.Message{Channel: "sms", To: "x"})},
		{"ClaimMessages", func() error { _, err := s.ClaimMessages(ctx, t0, t0.Add(time.Minute), 1); return err }()},
		{"SetSecurityAnswers", s.SetSecurityAnswers(ctx, "00000000-0000-4000-8000-000000000000", nil, t0)},
		{"DeleteExpired", s.DeleteExpired(ctx, t0)},
	} {
		wantErr(t, tc.name, tc.err, context.Canceled)
	}
	// The store still works.
	if _, err := s.Hit(t.Context(), "k", t0, t0); err != nil {
		t.Errorf("Hit after cancelled calls: %v", err)
	}
}

// testHealth: Ping writes and reads; OutboxBacklog counts the queued messages and finds the
// oldest.
func testHealth(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for range 2 {
		if err := s.Ping(ctx, t0); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	if until, err := s.LockedUntil(ctx, "health:ping", t0); err != nil || !until.IsZero() {
		t.Errorf("Ping's row locks something: %v %v", until, err)
	}
	if n, oldest, err := s.OutboxBacklog(ctx); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("empty backlog: %d %v %v", n, oldest, err)
	}
	first := store.Message{Channel: "email", To: "a@example.com", Body: []byte("x"), CreatedAt: t0}
	second := store.Message{Channel: "sms", To: "+1 4255550100", Body: []byte("y"), CreatedAt: t0.Add(time.Minute)}
	for _, m := range []*store.Message{&first, &second} {
		if err := s.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n, oldest, err := s.OutboxBacklog(ctx); err != nil || n != 2 || !oldest.Equal(t0) {
		t.Errorf("backlog: %d %v %v, want 2 since %v", n, oldest, err, t0)
	}
	if err := s.RecordAttempt(ctx, store.Attempt{MessageID: first.ID, At: t0.Add(2 * time.Minute)}, store.MessageSent, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n, oldest, err := s.OutboxBacklog(ctx); err != nil || n != 1 || !oldest.Equal(t0.Add(time.Minute)) {
		t.Errorf("backlog after a delivery: %d %v %v", n, oldest, err)
	}
}
