package syncer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// fakeReader is a directory.Reader over a slice of records (our own interface: a fake is fine).
type fakeReader struct {
	records   []directory.Record
	rejects   []directory.Rejection
	failAfter int // return an error after this many records (0: never)
	delta     func(since string, h directory.Handler) (directory.Result, error)
	sinceSeen []string
	watermark string
}

func (f *fakeReader) Key() string { return "fake" }

func (f *fakeReader) Read(ctx context.Context, since string, h directory.Handler) (directory.Result, error) {
	f.sinceSeen = append(f.sinceSeen, since)
	if since != "" && f.delta != nil {
		return f.delta(since, h)
	}
	for i, r := range f.records {
		if f.failAfter > 0 && i == f.failAfter {
			return directory.Result{}, errors.New("connection reset by peer")
		}
		if err := h.Upsert(ctx, r); err != nil {
			return directory.Result{}, err
		}
	}
	for _, r := range f.rejects {
		if err := h.Reject(ctx, r); err != nil {
			return directory.Result{}, err
		}
	}
	return directory.Result{Watermark: f.watermark, Full: true, Complete: true}, nil
}

func anchor(i int) []byte {
	a := make([]byte, 16)
	copy(a, fmt.Sprintf("anchor-%09d", i))
	return a
}

func rec(i int, upn, mobile string) directory.Record {
	return directory.Record{
		DN:                fmt.Sprintf("uid=%s,ou=Staff,dc=contoso,dc=com", upn),
		Anchor:            anchor(i),
		UserPrincipalName: upn,
		DisplayName:       strings.ToUpper(upn[:1]) + upn[1:],
		MobilePhone:       mobile,
		AccountEnabled:    true,
	}
}

func newEngine(t *testing.T, r directory.Reader, threshold int) (*Engine, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n, err := phone.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	return New(st, r, n, Config{DeleteThreshold: threshold, OwnsAlternateEmails: true, DefaultRegion: "US"}, nil), st
}

func users(t *testing.T, st store.Users) map[string]store.User {
	t.Helper()
	m := map[string]store.User{}
	if err := st.ListUsers(context.Background(), store.UserFilter{}, func(u store.User) error {
		m[u.UserPrincipalName] = u
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func counts(r store.SyncRun) string {
	return fmt.Sprintf("+%d ~%d -%d =%d !%d", r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected)
}

func TestFullSyncAndResync(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{records: []directory.Record{
		rec(1, "alice", "+1 (425) 555-0100 x2345"),
		rec(2, "bob", "425-555-0102"),
		rec(3, "carol", "+44 20 7946 0000"),
		rec(4, "heidi", "555-1234"),
	}, watermark: "w1"}
	e, st := newEngine(t, r, 500)
	rep, err := e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// heidi's phone cannot be read: she is added, the value is left out (not an entry rejected).
	if got := counts(rep.Run); got != "+4 ~0 -0 =0 !0" || rep.UnusableValues != 1 {
		t.Errorf("first run %s, %d unusable values", got, rep.UnusableValues)
	}
	if rep.Run.Status != store.RunSucceeded || rep.Run.Mode != "full" {
		t.Errorf("run = %+v", rep.Run)
	}
	u := users(t, st)
	if got := u["alice"].MobilePhone; got.Number != "+1 4255550100" || got.Raw != "+1 (425) 555-0100 x2345" {
		t.Errorf("alice mobilePhone = %+v", got)
	}
	if got := u["bob"].MobilePhone.Number; got != "+1 4255550102" {
		t.Errorf("bob national number with defaultRegion US = %q", got)
	}
	if got := u["carol"].MobilePhone; got.Type != "fixedLine" {
		t.Errorf("carol type = %+v", got)
	}
	if got := u["heidi"].MobilePhone; got.Number != "" || got.Problem == "" || got.Raw != "555-1234" {
		t.Errorf("heidi unusable phone = %+v", got)
	}
	if !slices.Contains(u["alice"].DirectoryFields, store.FieldOfficePhone) || u["alice"].Source != store.SourceDirectory {
		t.Errorf("source of authority not recorded: %+v", u["alice"])
	}

	// No change: nothing written, everything unchanged.
	rep, err = e.Run(ctx, Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(rep.Run); got != "+0 ~0 -0 =4 !0" {
		t.Errorf("no-change run %s", got)
	}
	if v := users(t, st)["alice"].Version; v != 1 {
		t.Errorf("unchanged user rewritten: version %d", v)
	}

	// Rename and move: same anchor, so an update, not a delete and an add.
	r.records[0].UserPrincipalName = "alice.anderson"
	r.records[0].DN = "uid=alice.anderson,ou=Sales,dc=contoso,dc=com"
	var changes []Change
	rep, err = e.Run(ctx, Options{Full: true, OnChange: func(c Change) { changes = append(changes, c) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(rep.Run); got != "+0 ~1 -0 =3 !0" { // heidi is unchanged: not re-read
		t.Errorf("rename run %s", got)
	}
	after := users(t, st)
	if after["alice.anderson"].ID != u["alice"].ID {
		t.Errorf("rename changed the user's ID")
	}
	if len(changes) != 1 || changes[0].Kind != Update || len(changes[0].Fields) != 2 {
		t.Errorf("changes = %+v", changes)
	}
}

func TestDeletesAndGuard(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{}
	for i := range 5 {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), ""))
	}
	e, st := newEngine(t, r, 2)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}

	// A base DN that lost three users: more than the threshold of 2.
	r.records = r.records[:2]
	rep, err := e.Run(ctx, Options{})
	var g *GuardError
	if !errors.As(err, &g) || g.Deletes != 3 || len(g.Sample) != 3 {
		t.Fatalf("err = %v, want the guard with 3 deletes", err)
	}
	if rep.Run.Status != store.RunRefused || len(users(t, st)) != 5 {
		t.Errorf("guard did not hold: status %s, %d users", rep.Run.Status, len(users(t, st)))
	}
	// Dry run shows the deletes and changes nothing.
	var deleted []string
	rep, err = e.Run(ctx, Options{DryRun: true, AllowDeletes: true, OnChange: func(c Change) { deleted = append(deleted, c.UserPrincipalName) }})
	if err != nil || rep.Run.Status != store.RunDryRun || rep.Run.Deleted != 3 || len(users(t, st)) != 5 {
		t.Errorf("dry run: err %v, run %+v, %d users", err, rep.Run, len(users(t, st)))
	}
	slices.Sort(deleted)
	if strings.Join(deleted, ",") != "user2,user3,user4" {
		t.Errorf("dry run deletes %v", deleted)
	}
	// The administrator who means it.
	rep, err = e.Run(ctx, Options{AllowDeletes: true})
	if err != nil || rep.Run.Deleted != 3 || len(users(t, st)) != 2 {
		t.Errorf("allow-deletes: err %v, run %+v", err, rep.Run)
	}
	runs, err := st.ListRuns(ctx, 10)
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs = %d, %v", len(runs), err)
	}
	if runs[2].Status != store.RunRefused || !strings.Contains(runs[2].Errors[0], "accidental-delete guard") {
		t.Errorf("refused run recorded as %+v", runs[2])
	}
}

func TestDirectoryFailsMidway(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{}
	for i := range 10 {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), "+1 425 555 0100"))
	}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	before := users(t, st)
	for i := range r.records {
		r.records[i].MobilePhone = "+1 425 555 0199"
	}
	r.failAfter = 5
	rep, err := e.Run(ctx, Options{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v", err)
	}
	if rep.Run.Status != store.RunFailed {
		t.Errorf("status %s", rep.Run.Status)
	}
	after := users(t, st)
	for upn, u := range before {
		if after[upn].MobilePhone != u.MobilePhone || after[upn].Version != u.Version {
			t.Errorf("%s changed by a failed run", upn)
		}
	}
	if len(after) != 10 {
		t.Errorf("%d users after a failed run, want 10", len(after))
	}
	// Nothing was written: the run says so.
	runs, err := st.ListRuns(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %v, %v", runs, err)
	}
	for _, r := range []store.SyncRun{rep.Run, runs[0]} {
		if r.Status != store.RunFailed || r.Added+r.Updated+r.Deleted+r.Unchanged != 0 {
			t.Errorf("failed run recorded as %s %s; want failed with zero changes", r.Status, counts(r))
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", 300)
	r := &fakeReader{records: []directory.Record{
		rec(1, "alice", "+1 425 555 0100"),
		rec(2, "alice", "+1 425 555 0101"), // duplicate UPN
		rec(3, "Alice", ""),                // duplicate, other case
		{DN: "uid=nobody", Anchor: anchor(4)},
		rec(5, "bad\xffupn", ""),
		rec(6, "bob", "\xff\xfe"),
		rec(7, "carol", long),
		rec(8, "dave", "+1 425 555 0102"),
	}}
	r.records[7].DisplayName = "Dave \xff"
	r.records[7].AlternateEmails = []string{"dave@example.com", "not-an-email", "DAVE@example.com"}
	r.rejects = []directory.Rejection{{DN: "uid=erin", Reason: "no anchor"}}
	e, st := newEngine(t, r, 500)
	rep, err := e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := users(t, st)
	if len(u) != 4 {
		t.Errorf("stored %d users, want alice bob carol dave", len(u))
	}
	if u["alice"].MobilePhone.Number != "+1 4255550100" {
		t.Errorf("the first alice must win: %+v", u["alice"].MobilePhone)
	}
	if u["bob"].MobilePhone.Problem == "" || u["carol"].MobilePhone.Problem == "" {
		t.Errorf("bad phones not reported: %+v %+v", u["bob"].MobilePhone, u["carol"].MobilePhone)
	}
	if len(u["carol"].MobilePhone.Raw) > 200 {
		t.Errorf("oversized raw value stored whole")
	}
	if d := u["dave"]; d.DisplayName != "" || !slices.Equal(d.AlternateEmails, []string{"dave@example.com"}) {
		t.Errorf("dave = %q %v", d.DisplayName, d.AlternateEmails)
	}
	var all []string
	for _, rj := range rep.Rejections {
		all = append(all, rj.String())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"already used", "empty userPrincipalName", "not valid UTF-8", "not-an-email", "no anchor"} {
		if !strings.Contains(text, want) {
			t.Errorf("rejections do not mention %q:\n%s", want, text)
		}
	}
}

func TestRejectedEntryKeepsStoredUser(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{records: []directory.Record{rec(1, "alice", ""), rec(2, "bob", "")}}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	// bob's entry becomes unreadable: he is reported, not deleted.
	r.records = r.records[:1]
	r.rejects = []directory.Rejection{{DN: "uid=bob", Anchor: anchor(2), Reason: "userPrincipalName has 2 values"}}
	rep, err := e.Run(ctx, Options{})
	if err != nil || rep.Run.Deleted != 0 || len(users(t, st)) != 2 {
		t.Errorf("err %v run %+v", err, rep.Run)
	}
}

func TestUPNSwapInOneRun(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{records: []directory.Record{rec(1, "alice", ""), rec(2, "bob", "")}}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	r.records[0].UserPrincipalName, r.records[1].UserPrincipalName = "bob", "carol"
	rep, err := e.Run(ctx, Options{})
	if err != nil || rep.Run.Rejected != 0 || rep.Run.Updated != 2 {
		t.Fatalf("err %v run %+v %v", err, rep.Run, rep.Rejections)
	}
	u := users(t, st)
	if string(u["bob"].Anchor) != string(anchor(1)) || string(u["carol"].Anchor) != string(anchor(2)) {
		t.Errorf("swap not applied: %v", u)
	}
}

func TestPreservesWhatTheDirectoryDoesNotOwn(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{records: []directory.Record{rec(1, "alice", "+1 425 555 0100")}}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	// The user registered, and an administrator set another mobilePhone.
	tx, err := st.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := tx.UserByAnchor(ctx, anchor(1))
	u.AuthenticationPhone = "+1 4255550177"
	u.AuthenticationEmail = "alice@example.org"
	u.MobilePhone = store.Phone{Raw: "+1 425 555 0188", Number: "+1 4255550188", Type: "fixedLineOrMobile"}
	u.MobilePhoneOverridden = true
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// Another directory value changes: the override and the registration stay.
	r.records[0].DisplayName = "Alice A."
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	got := users(t, st)["alice"]
	if got.MobilePhone.Number != "+1 4255550188" || got.AuthenticationPhone != "+1 4255550177" || got.AuthenticationEmail != "alice@example.org" {
		t.Errorf("after an unrelated change: %+v", got)
	}
	// The directory's own mobile changes: the directory wins again.
	r.records[0].MobilePhone = "+1 425 555 0199"
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	got = users(t, st)["alice"]
	if got.MobilePhone.Number != "+1 4255550199" || got.MobilePhoneOverridden || got.AuthenticationPhone != "+1 4255550177" {
		t.Errorf("after the directory's mobile changed: %+v", got)
	}
}

func TestDelta(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{records: []directory.Record{rec(1, "alice", ""), rec(2, "bob", ""), rec(3, "carol", "")}, watermark: "w1"}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	r.delta = func(since string, h directory.Handler) (directory.Result, error) {
		changed := rec(2, "bob", "+1 425 555 0102")
		if err := h.Upsert(ctx, changed); err != nil {
			return directory.Result{}, err
		}
		for _, a := range [][]byte{anchor(1), anchor(2)} { // carol is gone
			if err := h.Present(ctx, a); err != nil {
				return directory.Result{}, err
			}
		}
		return directory.Result{Watermark: "w2", Complete: true}, nil
	}
	rep, err := e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Mode != "delta" || counts(rep.Run) != "+0 ~1 -1 =1 !0" {
		t.Errorf("delta run %s %s", rep.Run.Mode, counts(rep.Run))
	}
	if got := r.sinceSeen; !slices.Equal(got, []string{"", "w1"}) {
		t.Errorf("watermarks passed: %q", got)
	}
	if _, ok := users(t, st)["carol"]; ok {
		t.Error("carol not deleted")
	}
	// A watermark the reader cannot use: a full read instead.
	r.delta = func(string, directory.Handler) (directory.Result, error) {
		return directory.Result{}, fmt.Errorf("other DC: %w", directory.ErrWatermark)
	}
	rep, err = e.Run(ctx, Options{})
	if err != nil || rep.Run.Mode != "full" {
		t.Errorf("fallback: err %v mode %s", err, rep.Run.Mode)
	}
}

// TestControlCharactersRemoved: terminal escapes in a directory value (ESC, OSC, CSI, BEL) are not
// stored; the sync reports them as a data problem; the stored DN stays as the directory wrote it
// but rejection texts show it without them.
func TestControlCharactersRemoved(t *testing.T) {
	ctx := context.Background()
	evil := rec(1, "eve", "+1 425 555 0100\x1b[8m")
	evil.DN = "uid=eve\x1b[2J,ou=Staff,dc=contoso,dc=com"
	evil.DisplayName = "Eve \x1b]0;owned\x07Smith\u009b2J\x1b[31m"
	r := &fakeReader{records: []directory.Record{evil, rec(2, "bob", "")},
		rejects: []directory.Rejection{{DN: "uid=x\x1b[2J,dc=example", Reason: "no anchor"}}}
	e, st := newEngine(t, r, 500)
	var changes []Change
	rep, err := e.Run(ctx, Options{OnChange: func(c Change) { changes = append(changes, c) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if strings.ContainsAny(c.DN, "\x1b") {
			t.Errorf("change shown with control characters: %q", c.DN)
		}
	}
	u := users(t, st)["eve"]
	if u.DN != evil.DN {
		t.Errorf("stored DN %q, want it as the directory wrote it (the password is written to it)", u.DN)
	}
	if u.DisplayName != "Eve ]0;ownedSmith2J[31m" {
		t.Errorf("stored displayName %q", u.DisplayName)
	}
	if strings.ContainsAny(u.MobilePhone.Raw, "\x1b\x07\u009b") {
		t.Errorf("stored mobile raw value %q", u.MobilePhone.Raw)
	}
	var found bool
	for _, rj := range rep.Rejections {
		t.Log(rj)
		if strings.ContainsAny(rj.String(), "\x1b\x07\u009b") {
			t.Errorf("rejection text with control characters: %q", rj.String())
		}
		if rj.UserPrincipalName == "eve" && rj.Field == store.FieldDisplayName && strings.Contains(rj.Reason, "control characters") &&
			rj.Value == "Eve ␛]0;owned␇Smith\uFFFD2J␛[31m" {
			found = true
		}
	}
	if !found {
		t.Errorf("displayName with terminal escapes not reported: %+v", rep.Rejections)
	}
}

const killAfterCommitEnv = "SSPR_TEST_SYNC_KILLED_AFTER_COMMIT"

// TestKilledAfterCommit: a sync process killed (SIGKILL) just after its commit leaves a run that
// says what it committed (succeeded, 10 added), not one "interrupted" with zero counts.
func TestKilledAfterCommit(t *testing.T) {
	r := &fakeReader{}
	for i := range 10 {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), "+1 425 555 0100"))
	}
	if dir := os.Getenv(killAfterCommitEnv); dir != "" {
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := phone.NewNormalizer("US")
		e := New(hookStore{st, killAfterCommit}, r, n, Config{DeleteThreshold: 500, DefaultRegion: "US"}, nil)
		e.Run(context.Background(), Options{})
		t.Fatal("the process outlived its commit")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledAfterCommit$")
	cmd.Env = append(os.Environ(), killAfterCommitEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed; output:\n%s", err, out)
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := len(users(t, st)); n != 10 {
		t.Fatalf("%d users after the kill, want the 10 committed", n)
	}
	// A later run finds it: it is not "running", so it is not marked interrupted.
	next := store.SyncRun{Mode: "delta"}
	if err := st.StartRun(ctx, &next); err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(ctx, 0)
	if err != nil || len(runs) != 2 {
		t.Fatalf("ListRuns: %+v, %v", runs, err)
	}
	if got := runs[1]; got.Status != store.RunSucceeded || got.Added != 10 || got.FinishedAt == nil {
		t.Errorf("run killed after its commit recorded as %s %s; want succeeded +10", got.Status, counts(got))
	}
}

// hookStore runs commit instead of its SyncTx's Commit.
type hookStore struct {
	*sqlite.Store
	commit func(tx store.SyncTx) error
}

func (s hookStore) BeginSync(ctx context.Context) (store.SyncTx, error) {
	tx, err := s.Store.BeginSync(ctx)
	return hookTx{tx, s.commit}, err
}

type hookTx struct {
	store.SyncTx
	commit func(tx store.SyncTx) error
}

func (tx hookTx) Commit() error { return tx.commit(tx.SyncTx) }

// killAfterCommit commits, then kills its process.
func killAfterCommit(tx store.SyncTx) error {
	if err := tx.Commit(); err != nil {
		return err
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// TestFailedCommitRecordsNothing: a run whose commit fails (a full disk) wrote nothing, and its
// record says so: failed, zero changes, although it had added every user before the commit.
func TestFailedCommitRecordsNothing(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{}
	for i := range 10 {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), "+1 425 555 0100"))
	}
	_, st := newEngine(t, r, 500)
	n, _ := phone.NewNormalizer("US")
	full := errors.New("database or disk is full")
	e := New(hookStore{st, func(tx store.SyncTx) error { tx.Rollback(); return full }}, r, n,
		Config{DeleteThreshold: 500, DefaultRegion: "US"}, nil)
	rep, err := e.Run(ctx, Options{})
	if !errors.Is(err, full) {
		t.Fatalf("err = %v", err)
	}
	if len(users(t, st)) != 0 {
		t.Fatal("a failed commit kept users")
	}
	runs, err := st.ListRuns(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %v, %v", runs, err)
	}
	for _, r := range []store.SyncRun{rep.Run, runs[0]} {
		if r.Status != store.RunFailed || r.Added+r.Updated+r.Deleted+r.Unchanged != 0 {
			t.Errorf("run with a failed commit recorded as %s %s; want failed with zero changes", r.Status, counts(r))
		}
	}
}

// gatedStore's SyncTx runs fingerprints instead of the store's Fingerprints walk.
type gatedStore struct {
	*sqlite.Store
	fingerprints func(tx store.SyncTx, ctx context.Context, fn func(store.Fingerprint) error) error
}

func (s gatedStore) BeginSync(ctx context.Context) (store.SyncTx, error) {
	tx, err := s.Store.BeginSync(ctx)
	return gatedTx{tx, s.fingerprints}, err
}

type gatedTx struct {
	store.SyncTx
	fingerprints func(tx store.SyncTx, ctx context.Context, fn func(store.Fingerprint) error) error
}

func (t gatedTx) Fingerprints(ctx context.Context, fn func(store.Fingerprint) error) error {
	return t.fingerprints(t.SyncTx, ctx, fn)
}

// startedReader tells when its Read starts.
type startedReader struct {
	*fakeReader
	started chan struct{}
}

func (r startedReader) Read(ctx context.Context, since string, h directory.Handler) (directory.Result, error) {
	close(r.started)
	return r.fakeReader.Read(ctx, since, h)
}

// syncedUsers returns a reader of n users (user0 …) and a store that synced them once.
func syncedUsers(t *testing.T, n int) (*fakeReader, *sqlite.Store) {
	t.Helper()
	r := &fakeReader{}
	for i := range n {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), "+1 425 555 0100"))
	}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(t.Context(), Options{}); err != nil {
		t.Fatal(err)
	}
	return r, st
}

// The stored fingerprints load while the directory read starts (not before it), and the run
// waits for them: a loading that fails fails the run, which changes nothing.
func TestIndexLoadsWhileTheReadStarts(t *testing.T) {
	broken := errors.New("disk I/O error")
	for _, tc := range []struct {
		name    string
		loadErr error
		want    string // counts of the second run
	}{
		{"loaded", nil, "+1 ~1 -1 =8 !0"},
		{"loading fails", broken, "+0 ~0 -0 =0 !0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r, st := syncedUsers(t, 10)
			// Second run: user0 changed, user9 gone, user10 new.
			r.records[0].DisplayName = "Changed"
			r.records = append(r.records[:9], rec(10, "user10", ""))
			sr := startedReader{r, make(chan struct{})}
			n, _ := phone.NewNormalizer("US")
			e := New(gatedStore{st, func(tx store.SyncTx, ctx context.Context, fn func(store.Fingerprint) error) error {
				select {
				case <-sr.started:
				case <-time.After(10 * time.Second):
					return errors.New("the directory read did not start while the fingerprints were loading")
				}
				if tc.loadErr != nil {
					return tc.loadErr
				}
				return tx.Fingerprints(ctx, fn)
			}}, sr, n, Config{DeleteThreshold: 500, OwnsAlternateEmails: true, DefaultRegion: "US"}, nil)
			rep, err := e.Run(ctx, Options{Full: true})
			if tc.loadErr == nil && err != nil || tc.loadErr != nil && !errors.Is(err, tc.loadErr) {
				t.Fatalf("run: %v, want %v", err, tc.loadErr)
			}
			if got := counts(rep.Run); got != tc.want {
				t.Errorf("second run %s, want %s", got, tc.want)
			}
			u := users(t, st)
			if tc.loadErr != nil && (len(u) != 10 || u["user0"].DisplayName != "User0" || u["user10"].ID != "") {
				t.Errorf("a run whose fingerprints failed to load changed the store: %d users, user0 %q", len(u), u["user0"].DisplayName)
			}
			if tc.loadErr == nil && (len(u) != 10 || u["user0"].DisplayName != "Changed" || u["user9"].ID != "" || u["user10"].ID == "") {
				t.Errorf("after the second run: %d users, user0 %q", len(u), u["user0"].DisplayName)
			}
		})
	}
}
