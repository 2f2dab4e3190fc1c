package storetest

import (
	"bytes"
	"errors"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// stepTests cover store.ThrottleGates and store.Steps: the writes and checks of a flow step
// done together.
var stepTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"HitUnlessLocked", testHitUnlessLocked},
	{"HitUnlessLockedConcurrent", testHitUnlessLockedConcurrent},
	{"LockedUntilAny", testLockedUntilAny},
	{"WriteStep", testWriteStep},
	{"WriteStepAllOrNothing", testWriteStepAllOrNothing},
	{"WriteStepUpdate", testWriteStepUpdate},
	{"WriteStepCodeAndMessages", testWriteStepCodeAndMessages},
	{"SessionUser", testSessionUser},
	{"ReadStart", testReadStart},
	{"CountActiveAttempt", testCountActiveAttempt},
}

func testHitUnlessLocked(t *testing.T, s store.Store) {
	ctx := t.Context()
	since := t0.Add(-time.Hour)
	for i := 1; i <= 3; i++ {
		n, until, err := s.HitUnlessLocked(ctx, "user:alice", t0.Add(time.Duration(i)*time.Second), since)
		if err != nil || n != i || !until.IsZero() {
			t.Fatalf("HitUnlessLocked #%d = %d, %v, %v; want %d, zero, nil", i, n, until, err, i)
		}
	}
	end := t0.Add(time.Hour)
	if err := s.Lock(ctx, "user:alice", end); err != nil {
		t.Fatal(err)
	}
	n, until, err := s.HitUnlessLocked(ctx, "user:alice", t0.Add(time.Minute), since)
	if err != nil || n != 0 || !until.Equal(end) {
		t.Errorf("HitUnlessLocked on a locked key = %d, %v, %v; want 0, %v, nil", n, until, err, end)
	}
	wantUTC(t, "HitUnlessLocked's lock end", until)
	if c, err := s.CountEvents(ctx, "user:alice", since); err != nil || c != 3 {
		t.Errorf("events after a hit on a locked key: %d, %v; want 3 (nothing recorded)", c, err)
	}
	// Another key is not locked by alice's lock; the lock's end is no longer locked.
	if n, until, err := s.HitUnlessLocked(ctx, "user:bob", t0.Add(time.Minute), since); err != nil || n != 1 || !until.IsZero() {
		t.Errorf("HitUnlessLocked(bob) = %d, %v, %v; want 1, zero, nil", n, until, err)
	}
	if n, until, err := s.HitUnlessLocked(ctx, "user:alice", end, since); err != nil || n != 4 || !until.IsZero() {
		t.Errorf("HitUnlessLocked at the lock's end = %d, %v, %v; want 4, zero, nil", n, until, err)
	}
	if _, _, err := s.HitUnlessLocked(ctx, "", t0, since); err == nil {
		t.Error("HitUnlessLocked with an empty key succeeded")
	}
	// A lock of another key given (the step's failed-proof lock) refuses the hit too, the
	// latest lock's end wins, and nothing is recorded; unlocked others change nothing.
	later := t0.Add(2 * time.Hour)
	if err := s.Lock(ctx, "user:bob:failed", later); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(ctx, "ip:192.0.2.1:failed", end); err != nil {
		t.Fatal(err)
	}
	n, until, err = s.HitUnlessLocked(ctx, "user:bob", t0.Add(2*time.Minute), since, "user:bob:failed", "ip:192.0.2.1:failed")
	if err != nil || n != 0 || !until.Equal(later) {
		t.Errorf("HitUnlessLocked with a locked other key = %d, %v, %v; want 0, %v, nil", n, until, err, later)
	}
	if n, until, err := s.HitUnlessLocked(ctx, "user:bob", t0.Add(3*time.Minute), since, "user:carol:failed"); err != nil || n != 2 || !until.IsZero() {
		t.Errorf("HitUnlessLocked with an unlocked other key = %d, %v, %v; want 2 (the refused hit not counted), zero, nil", n, until, err)
	}
}

// testHitUnlessLockedConcurrent: concurrent hits on one key each see a different count.
func testHitUnlessLockedConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	counts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, _, err := s.HitUnlessLocked(ctx, "ip:192.0.2.1:start", t0.Add(time.Duration(i)*time.Millisecond), t0.Add(-time.Hour))
			if err != nil {
				t.Errorf("HitUnlessLocked: %v", err)
			}
			counts[i] = c
		})
	}
	wg.Wait()
	sort.Ints(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts of concurrent hits = %v, want 1..%d each once", counts, n)
		}
	}
}

func testLockedUntilAny(t *testing.T, s store.Store) {
	ctx := t.Context()
	if until, err := s.LockedUntilAny(ctx, t0); err != nil || !until.IsZero() {
		t.Errorf("LockedUntilAny() = %v, %v; want zero", until, err)
	}
	if until, err := s.LockedUntilAny(ctx, t0, "a", "b"); err != nil || !until.IsZero() {
		t.Errorf("LockedUntilAny of unlocked keys = %v, %v; want zero", until, err)
	}
	early, late := t0.Add(time.Minute), t0.Add(time.Hour)
	for k, u := range map[string]time.Time{"a": early, "b": late, "c": t0.Add(-time.Minute)} {
		if err := s.Lock(ctx, k, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		at   time.Time
		keys []string
		want time.Time
	}{
		{t0, []string{"a"}, early},
		{t0, []string{"a", "b", "x"}, late},
		{t0, []string{"c", "x"}, time.Time{}}, // c's lock ended
		{early, []string{"a"}, time.Time{}},   // at the lock's end: unlocked
		{early, []string{"a", "b"}, late},
	} {
		until, err := s.LockedUntilAny(ctx, tc.at, tc.keys...)
		if err != nil || !until.Equal(tc.want) {
			t.Errorf("LockedUntilAny(%v, %v) = %v, %v; want %v", tc.at, tc.keys, until, err, tc.want)
		}
		if !until.IsZero() {
			wantUTC(t, "LockedUntilAny", until)
		}
	}
}

func stepAudits(t *testing.T, s store.Store, upn string) []store.AuditEvent {
	t.Helper()
	var got []store.AuditEvent
	if err := s.ListAudit(t.Context(), store.AuditFilter{UserPrincipalName: upn}, func(e store.AuditEvent) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	return got
}

func testWriteStep(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.WriteStep(ctx, store.StepWrite{}); err != nil {
		t.Errorf("an empty step: %v", err)
	}
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	ses := &store.Session{ID: "s1", Kind: "reset", UserID: u.ID, State: []byte(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	started := &store.AuditEvent{Time: t0, Type: "reset.started", Actor: "user", UserID: u.ID, UserPrincipalName: u.UserPrincipalName,
		Details: map[string]string{"outcome": "ok"}}
	offered := &store.AuditEvent{Time: t0, Type: "reset.methods.offered", Actor: "user", UserPrincipalName: u.UserPrincipalName}
	if err := s.WriteStep(ctx, store.StepWrite{CreateSession: ses, Audit: []*store.AuditEvent{started, offered}}); err != nil {
		t.Fatalf("WriteStep(create, audit): %v", err)
	}
	if ses.Version != 1 || !ses.CreatedAt.Equal(t0.Truncate(time.Microsecond)) {
		t.Errorf("session after WriteStep: Version %d, CreatedAt %v", ses.Version, ses.CreatedAt)
	}
	if started.ID == 0 || offered.ID == 0 || started.ID == offered.ID || started.Time.IsZero() {
		t.Errorf("audit IDs and times not set: %+v %+v", started, offered)
	}
	got, err := s.Session(ctx, "s1", t0)
	if err != nil || got.UserID != u.ID || got.Version != 1 || string(got.State) != `{}` {
		t.Errorf("Session after WriteStep = %+v, %v", got, err)
	}
	if a := stepAudits(t, s, u.UserPrincipalName); len(a) != 2 || a[0].Type == a[1].Type || a[0].Details == nil && a[1].Details == nil {
		t.Errorf("audit after WriteStep: %+v", a)
	}

	// The end of a flow: its session deleted, its throttles cleared, audited; other keys kept.
	for _, k := range []string{"u:1:failed", "u:1:email", "other"} {
		if _, err := s.Hit(ctx, k, t0, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Lock(ctx, k, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	done := &store.AuditEvent{Type: "reset.done", Actor: "user", UserPrincipalName: u.UserPrincipalName}
	if err := s.WriteStep(ctx, store.StepWrite{DeleteSession: "s1", ClearThrottles: []string{"u:1:failed", "u:1:email"},
		Audit: []*store.AuditEvent{done}}); err != nil {
		t.Fatalf("WriteStep(delete, clear, audit): %v", err)
	}
	if done.Time.IsZero() {
		t.Error("a zero audit Time was not set to now")
	}
	wantErr(t, "Session after WriteStep deleted it", func() error { _, err := s.Session(ctx, "s1", t0); return err }(), store.ErrNotFound)
	for k, want := range map[string]int{"u:1:failed": 0, "u:1:email": 0, "other": 1} {
		if n, err := s.CountEvents(ctx, k, t0.Add(-time.Hour)); err != nil || n != want {
			t.Errorf("CountEvents(%s) after WriteStep = %d, %v; want %d", k, n, err, want)
		}
		until, err := s.LockedUntil(ctx, k, t0)
		if err != nil || until.IsZero() != (want == 0) {
			t.Errorf("LockedUntil(%s) after WriteStep = %v, %v", k, until, err)
		}
	}
	if a := stepAudits(t, s, u.UserPrincipalName); len(a) != 3 {
		t.Errorf("%d audit events, want 3", len(a))
	}
	// A session already gone is no error.
	if err := s.WriteStep(ctx, store.StepWrite{DeleteSession: "s1"}); err != nil {
		t.Errorf("WriteStep deleting a session already gone: %v", err)
	}
}

// testWriteStepAllOrNothing: a step whose session cannot be created writes none of its audit.
func testWriteStepAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateSession(ctx, &store.Session{ID: "taken", Kind: "reset", ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ses  store.Session
		want error
	}{
		{"id taken", store.Session{ID: "taken", Kind: "reset", ExpiresAt: t0.Add(time.Hour)}, store.ErrConflict},
		{"unknown user", store.Session{ID: "new", Kind: "reset", UserID: "00000000-0000-4000-8000-000000000000", ExpiresAt: t0.Add(time.Hour)}, store.ErrNotFound},
	} {
		e := &store.AuditEvent{Time: t0, Type: "reset.started", Actor: "user", UserPrincipalName: "nobody-" + tc.ses.ID}
		ses := tc.ses
		wantErr(t, "WriteStep("+tc.name+")", s.WriteStep(ctx, store.StepWrite{CreateSession: &ses, Audit: []*store.AuditEvent{e}}), tc.want)
		if a := stepAudits(t, s, e.UserPrincipalName); len(a) != 0 {
			t.Errorf("%s: the failed step's audit was written: %+v", tc.name, a)
		}
	}
	for _, bad := range []store.StepWrite{
		{CreateSession: &store.Session{Kind: "reset", ExpiresAt: t0}},
		{Audit: []*store.AuditEvent{{Actor: "user"}}},
	} {
		if err := s.WriteStep(ctx, bad); err == nil {
			t.Errorf("WriteStep(%+v) succeeded", bad)
		}
	}
}

// testWriteStepUpdate: a session saved with its audit events; a stale or missing session saves
// nothing and writes none of them.
func testWriteStepUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ses := &store.Session{ID: "s1", Kind: "reset", State: []byte(`{"n":1}`), ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, ses); err != nil {
		t.Fatal(err)
	}
	stale := *ses
	ses.State, ses.ExpiresAt = []byte(`{"n":2}`), t0.Add(2*time.Hour)
	ok := &store.AuditEvent{Time: t0, Type: "reset.code.verified", Actor: "user", UserPrincipalName: "saved"}
	ok2 := &store.AuditEvent{Time: t0, Type: "reset.code.sent", Actor: "user", UserPrincipalName: "saved", Details: map[string]string{"to": "x"}}
	if err := s.WriteStep(ctx, store.StepWrite{UpdateSession: ses, Audit: []*store.AuditEvent{ok, ok2}}); err != nil {
		t.Fatalf("WriteStep(update, audit): %v", err)
	}
	if ses.Version != 2 || ok.ID == 0 || ok2.Seq != ok.Seq+1 {
		t.Errorf("after WriteStep: Version %d, audit IDs %d %d, seqs %d %d", ses.Version, ok.ID, ok2.ID, ok.Seq, ok2.Seq)
	}
	if got, err := s.Session(ctx, "s1", t0); err != nil || got.Version != 2 || string(got.State) != `{"n":2}` || !got.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("Session after WriteStep = %+v, %v", got, err)
	}
	if a := stepAudits(t, s, "saved"); len(a) != 2 {
		t.Errorf("%d audit events of the saved step, want 2", len(a))
	}
	for _, tc := range []struct {
		name string
		ses  store.Session
		want error
	}{
		{"stale", stale, store.ErrVersionMismatch},
		{"gone", store.Session{ID: "nope", Kind: "reset", Version: 1, ExpiresAt: t0.Add(time.Hour)}, store.ErrNotFound},
	} {
		for _, n := range []int{1, 2} { // one event, and several (one move of the chain's head)
			var events []*store.AuditEvent
			for range n {
				events = append(events, &store.AuditEvent{Time: t0, Type: "reset.code.verified", Actor: "user", UserPrincipalName: "not-" + tc.name})
			}
			u := tc.ses
			u.State = []byte(`{"n":9}`)
			wantErr(t, "WriteStep(update "+tc.name+")", s.WriteStep(ctx, store.StepWrite{UpdateSession: &u, Audit: events}), tc.want)
			if a := stepAudits(t, s, "not-"+tc.name); len(a) != 0 {
				t.Errorf("%s, %d events: the audit of an unsaved session was written: %+v", tc.name, n, a)
			}
			if events[n-1].ID != 0 || events[n-1].Seq != 0 {
				t.Errorf("%s, %d events: an event not written has ID %d seq %d", tc.name, n, events[n-1].ID, events[n-1].Seq)
			}
		}
	}
	if r := verify(t, s); r.Broken != nil || r.Checked != 2 || r.Chain.HeadSeq != ok2.Seq {
		t.Errorf("the chain after saved and unsaved steps: %+v", r)
	}
	if got, err := s.Session(ctx, "s1", t0); err != nil || got.Version != 2 || string(got.State) != `{"n":2}` {
		t.Errorf("Session after a stale WriteStep = %+v, %v", got, err)
	}
	for _, bad := range []store.StepWrite{
		{UpdateSession: &store.Session{ID: "s1", Version: 2}},
		{UpdateSession: ses, DeleteSession: "s1"},
		{UpdateSession: ses, ClearThrottles: []string{"k"}},
	} {
		if err := s.WriteStep(ctx, bad); err == nil {
			t.Errorf("WriteStep(%+v) succeeded", bad)
		}
	}
}

func testSessionUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	for _, ses := range []*store.Session{
		{ID: "mine", Kind: "reset", UserID: u.ID, State: []byte(`{}`), ExpiresAt: t0.Add(time.Hour)},
		{ID: "anon", Kind: "reset", ExpiresAt: t0.Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
	}
	ses, got, err := s.SessionUser(ctx, "mine", t0)
	if err != nil || ses.ID != "mine" || ses.UserID != u.ID || ses.Version != 1 || got.ID != u.ID || got.UserPrincipalName != u.UserPrincipalName {
		t.Errorf("SessionUser(mine) = %+v, %s %s, %v", ses, got.ID, got.UserPrincipalName, err)
	}
	if ses, got, err := s.SessionUser(ctx, "anon", t0); err != nil || ses.ID != "anon" || got.ID != "" {
		t.Errorf("SessionUser(anon) = %+v, user %q, %v; want the session and no user", ses, got.ID, err)
	}
	for _, tc := range []struct {
		id  string
		now time.Time
	}{{"nope", t0}, {"mine", t0.Add(time.Hour)}} {
		_, _, err := s.SessionUser(ctx, tc.id, tc.now)
		wantErr(t, "SessionUser("+tc.id+")", err, store.ErrNotFound)
	}
}

func testCountActiveAttempt(t *testing.T, s store.Store) {
	ctx := t.Context()
	ses := newSession(t, s, "s1")
	newCode := func(purpose string, max int, at time.Time) store.Code {
		t.Helper()
		c := store.Code{SessionID: ses.ID, Purpose: purpose, MAC: []byte{1}, MaxAttempts: max, CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
		if err := s.CreateCode(ctx, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	_, err := s.CountActiveAttempt(ctx, ses.ID, "reset:sms", t0)
	wantErr(t, "CountActiveAttempt without a code", err, store.ErrNotFound)
	first := newCode("reset:sms", 2, t0)
	for i := 1; i <= 2; i++ {
		c, err := s.CountActiveAttempt(ctx, ses.ID, "reset:sms", t0)
		if err != nil || c.ID != first.ID || c.Attempts != i || c.MaxAttempts != 2 || !bytes.Equal(c.MAC, first.MAC) {
			t.Fatalf("CountActiveAttempt #%d = %+v, %v", i, c, err)
		}
	}
	_, err = s.CountActiveAttempt(ctx, ses.ID, "reset:sms", t0)
	if !errors.Is(err, store.ErrExhausted) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("CountActiveAttempt out of tries: %v, want ErrExhausted only", err)
	}
	// A newer code replaces it; another purpose has its own; an expired or used code is none.
	second := newCode("reset:sms", 3, t0.Add(time.Second))
	if c, err := s.CountActiveAttempt(ctx, ses.ID, "reset:sms", t0.Add(time.Second)); err != nil || c.ID != second.ID || c.Attempts != 1 {
		t.Errorf("CountActiveAttempt after a new code = %+v, %v; want the new code, 1 attempt", c, err)
	}
	_, err = s.CountActiveAttempt(ctx, ses.ID, "reset:email", t0)
	wantErr(t, "CountActiveAttempt of another purpose", err, store.ErrNotFound)
	_, err = s.CountActiveAttempt(ctx, ses.ID, "reset:sms", second.ExpiresAt)
	wantErr(t, "CountActiveAttempt at the code's expiry", err, store.ErrNotFound)
	if err := s.ConsumeCode(ctx, second.ID, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = s.CountActiveAttempt(ctx, ses.ID, "reset:sms", t0.Add(2*time.Second))
	wantErr(t, "CountActiveAttempt of a used code", err, store.ErrNotFound)
}

// testWriteStepCodeAndMessages: a code and its message written with the session's save (the
// send step); a stale save writes neither, and they go only with the update of their session.
func testWriteStepCodeAndMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	ses := &store.Session{ID: "s1", Kind: "reset", State: []byte(`{"n":1}`), ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, ses); err != nil {
		t.Fatal(err)
	}
	newCode := func(mac string) *store.Code {
		return &store.Code{SessionID: "s1", Purpose: "reset:sms", Destination: "+1 ••••0100", MAC: []byte(mac), MaxAttempts: 3,
			CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	}
	newMessage := func(to string) *store.Message {
		return &store.Message{Channel: "sms", To: to, Body: []byte("sealed"), Language: "de", CreatedAt: t0}
	}
	first := newCode("first")
	if err := s.CreateCode(ctx, first); err != nil {
		t.Fatal(err)
	}
	stale := *ses
	code, msg := newCode("second"), newMessage("+14255550100")
	sent := &store.AuditEvent{Time: t0, Type: "reset.code.sent", Actor: "user", UserPrincipalName: "coded"}
	if err := s.WriteStep(ctx, store.StepWrite{UpdateSession: ses, IssueCode: code, Enqueue: []*store.Message{msg}, Audit: []*store.AuditEvent{sent}}); err != nil {
		t.Fatalf("WriteStep(update, code, message, audit): %v", err)
	}
	if ses.Version != 2 || code.ID == "" || msg.ID == 0 || msg.Status != store.MessageQueued || sent.ID == 0 {
		t.Errorf("after WriteStep: session version %d, code ID %q, message ID %d status %q, audit ID %d",
			ses.Version, code.ID, msg.ID, msg.Status, sent.ID)
	}
	if got, err := s.ActiveCode(ctx, "s1", "reset:sms", t0); err != nil || got.ID != code.ID || !bytes.Equal(got.MAC, []byte("second")) {
		t.Errorf("ActiveCode after WriteStep = %+v, %v; want the step's code (the first one retired)", got, err)
	}
	claimed, err := s.ClaimMessages(ctx, t0.Add(time.Second), t0.Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != msg.ID || claimed[0].To != msg.To || claimed[0].Language != "de" {
		t.Fatalf("ClaimMessages after WriteStep = %+v, %v; want the step's message", claimed, err)
	}
	// A stale save (another request saved the session first) writes no code and no message.
	lost, lostMsg := newCode("lost"), newMessage("+14255550199")
	stale.State = []byte(`{"n":9}`)
	wantErr(t, "WriteStep(stale update, code, message)", s.WriteStep(ctx, store.StepWrite{UpdateSession: &stale, IssueCode: lost,
		Enqueue: []*store.Message{lostMsg}}), store.ErrVersionMismatch)
	if lost.ID != "" || lostMsg.ID != 0 {
		t.Errorf("a stale step's code %q and message %d got IDs", lost.ID, lostMsg.ID)
	}
	if got, err := s.ActiveCode(ctx, "s1", "reset:sms", t0); err != nil || got.ID != code.ID {
		t.Errorf("ActiveCode after a stale WriteStep = %+v, %v; want the saved step's code still live", got, err)
	}
	if claimed, err := s.ClaimMessages(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10); err != nil || len(claimed) != 1 || claimed[0].ID != msg.ID {
		t.Errorf("messages after a stale WriteStep = %+v, %v; want only the saved step's (its lease ended)", claimed, err)
	}
	other := newCode("other")
	other.SessionID = "s2"
	for name, bad := range map[string]store.StepWrite{
		"code without a session update":  {IssueCode: newCode("x")},
		"code of another session":        {UpdateSession: ses, IssueCode: other},
		"code without a MAC":             {UpdateSession: ses, IssueCode: &store.Code{SessionID: "s1", Purpose: "reset:sms", MaxAttempts: 1, ExpiresAt: t0}},
		"message without a session save": {Enqueue: []*store.Message{newMessage("+1")}},
		"message without a recipient":    {UpdateSession: ses, Enqueue: []*store.Message{{Channel: "sms"}}},
	} {
		if err := s.WriteStep(ctx, bad); err == nil {
			t.Errorf("WriteStep with a %s succeeded", name)
		}
	}
	if got, err := s.Session(ctx, "s1", t0); err != nil || got.Version != 2 {
		t.Errorf("Session after refused steps = %+v, %v; want version 2", got, err)
	}
}

// testReadStart: the start's hit counted as HitUnlessLocked counts it, with the user of the
// name (any case) or a zero User, and the audit events asked for; a locked key records nothing
// and still reads the rest.
func testReadStart(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, cloudUser("alice@example.com", "Alice"))
	for i, typ := range []string{"sync.contact.changed", "reset.started", "sync.contact.changed"} {
		if err := s.AppendAudit(ctx, &store.AuditEvent{Time: t0.Add(time.Duration(i-2) * time.Hour), Type: typ, Actor: "sync",
			UserID: u.ID, UserPrincipalName: u.UserPrincipalName, Details: map[string]string{"i": strconv.Itoa(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	changes := &store.AuditFilter{UserPrincipalName: "ALICE@example.com", TypePrefix: "sync.contact.changed", Since: t0.Add(-90 * time.Minute)}
	since := t0.Add(-time.Hour)
	for i, name := range []string{"ALICE@example.com", "nobody@example.com"} {
		f, err := s.ReadStart(ctx, name, "ip:192.0.2.1:start", t0.Add(time.Duration(i)*time.Second), since, changes)
		if err != nil || f.Hits != i+1 || !f.LockedUntil.IsZero() {
			t.Fatalf("ReadStart(%s) = %+v, %v; want %d hits, no lock", name, f, err, i+1)
		}
		if want := map[bool]string{true: u.ID, false: ""}[i == 0]; f.User.ID != want {
			t.Errorf("ReadStart(%s) read user %q, want %q", name, f.User.ID, want)
		}
		// The filter is alice's whatever the name typed: the step asks for the name's events.
		if len(f.Audit) != 1 || f.Audit[0].Details["i"] != "2" {
			t.Errorf("ReadStart(%s) audit %+v, want alice's one contact change since the filter's time", name, f.Audit)
		}
	}
	end := t0.Add(time.Hour)
	if err := s.Lock(ctx, "ip:192.0.2.1:start", end); err != nil {
		t.Fatal(err)
	}
	f, err := s.ReadStart(ctx, "alice@example.com", "ip:192.0.2.1:start", t0.Add(time.Minute), since, nil)
	if err != nil || f.Hits != 0 || !f.LockedUntil.Equal(end) || f.User.ID != u.ID || f.Audit != nil {
		t.Errorf("ReadStart on a locked key = %+v, %v; want 0 hits, locked until %v, alice, no audit", f, err, end)
	}
	if c, err := s.CountEvents(ctx, "ip:192.0.2.1:start", since); err != nil || c != 2 {
		t.Errorf("events after a locked hit: %d, %v; want 2", c, err)
	}
	if _, err := s.ReadStart(ctx, "alice@example.com", "", t0, since, nil); err == nil {
		t.Error("ReadStart with an empty key succeeded")
	}
}
