package change_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/change"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// fakeDirectory knows passwords and changes them (a fake of our own Directory interface).
type fakeDirectory struct {
	mu        sync.Mutex
	passwords map[string]string // dn → password
	refuse    map[string]string // dn → the reason a change with the right password fails with
	calls     []string          // DNs asked for
	down      bool
}

type reasonErr string

func (r reasonErr) Error() string  { return "directory: " + string(r) }
func (r reasonErr) Reason() string { return string(r) }

func (d *fakeDirectory) ChangePassword(_ context.Context, dn, old, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, dn)
	if d.down {
		return reasonErr("unavailable")
	}
	if want, ok := d.passwords[dn]; !ok {
		return reasonErr("notFound")
	} else if old != want {
		return reasonErr("wrongPassword")
	}
	if r := d.refuse[dn]; r != "" {
		return reasonErr(r)
	}
	d.passwords[dn] = pw
	return nil
}

type outbox struct {
	mu   sync.Mutex
	msgs []flow.Message
}

func (o *outbox) Send(_ context.Context, m flow.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

const (
	aliceDN = "uid=alice,ou=Staff,dc=contoso,dc=com"
	alicePW = "Alice-Password-1"
	newPW   = "violet tractor harbor 42"
)

type fixture struct {
	svc  *change.Service
	st   store.Store
	dir  *fakeDirectory
	out  *outbox
	logs *bytes.Buffer
	now  time.Time
	c    flow.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users := []store.User{
		{UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Anderson", DN: aliceDN, AccountEnabled: true,
			AuthenticationEmail: "alice.auth@example.net", AlternateEmails: []string{"alice.private@example.net", "ALICE.auth@example.net"}},
		{UserPrincipalName: "bob@contoso.com", DN: "uid=bob,ou=Staff,dc=contoso,dc=com", AccountEnabled: false},
	}
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source = store.SourceCloud
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, out: &outbox{}, logs: &bytes.Buffer{}, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		c: flow.Client{IP: "192.0.2.9", UserAgent: "test"},
		dir: &fakeDirectory{passwords: map[string]string{aliceDN: alicePW, "uid=bob,ou=Staff,dc=contoso,dc=com": "Bob-Password-1"},
			refuse: map[string]string{}}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = change.New(st, f.out, f.dir, change.Config{Policy: flow.DefaultPolicy(), NameKey: bytes.Repeat([]byte("n"), 32),
		CompanyName: "Contoso", Now: func() time.Time { return f.now }}, log)
	return f
}

func (f *fixture) change(name, old, pw string) error {
	return f.svc.Change(context.Background(), name, old, pw, f.c)
}

func (f *fixture) audit(t *testing.T, prefix string) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	if err := f.st.ListAudit(context.Background(), store.AuditFilter{TypePrefix: prefix}, func(e store.AuditEvent) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func userErr(t *testing.T, err error) *flow.Error {
	t.Helper()
	ue := flow.AsError(err)
	if ue == nil {
		t.Fatalf("want a user error, got %v", err)
	}
	return ue
}

func TestChange(t *testing.T) {
	for _, tc := range []struct {
		name, user, old, new string
		refuse               string // the directory's refusal for alice
		down                 bool
		kind                 flow.Kind
		key, reason          string
	}{
		{name: "right current password", user: "alice@contoso.com", old: alicePW, new: newPW},
		{name: "case and spaces in the name", user: "  Alice@Contoso.com ", old: alicePW, new: newPW},
		{name: "wrong current password", user: "alice@contoso.com", old: "nope", new: newPW, kind: flow.KindSignIn, key: "change.failed", reason: "wrongPassword"},
		{name: "unknown name", user: "zed@contoso.com", old: alicePW, new: newPW, kind: flow.KindSignIn, key: "change.failed", reason: "wrongPassword"},
		{name: "disabled account", user: "bob@contoso.com", old: "Bob-Password-1", new: newPW, kind: flow.KindSignIn, key: "change.failed", reason: "wrongPassword"},
		{name: "missing field", user: "alice@contoso.com", old: "", new: newPW, kind: flow.KindInput, key: "change.required"},
		{name: "sspr's rules: weak", user: "alice@contoso.com", old: alicePW, new: "password1", kind: flow.KindPassword, key: "password.weak", reason: "policy"},
		{name: "sspr's rules: the user name", user: "alice@contoso.com", old: alicePW, new: "alice violet tractor 42", kind: flow.KindPassword, key: "password.containsName", reason: "policy"},
		{name: "history", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "history", kind: flow.KindPassword, key: "writeback.history", reason: "history"},
		{name: "too young", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "tooYoung", kind: flow.KindPassword, key: "writeback.tooYoung", reason: "tooYoung"},
		{name: "complexity", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "complexity", kind: flow.KindPassword, key: "writeback.complexity", reason: "complexity"},
		{name: "expired (OpenLDAP, no grace)", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "expired", kind: flow.KindSignIn, key: "change.expired", reason: "expired"},
		{name: "locked reads as a wrong password", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "locked", kind: flow.KindSignIn, key: "change.failed", reason: "wrongPassword"},
		{name: "not permitted", user: "alice@contoso.com", old: alicePW, new: newPW, refuse: "notPermitted", kind: flow.KindDirectory, key: "change.notPermitted", reason: "notPermitted"},
		{name: "directory down", user: "alice@contoso.com", old: alicePW, new: newPW, down: true, kind: flow.KindDirectory, key: "writeback.unavailable", reason: "unavailable"},
		{name: "directory down, unknown name", user: "zed@contoso.com", old: alicePW, new: newPW, down: true, kind: flow.KindDirectory, key: "writeback.unavailable", reason: "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.dir.refuse[aliceDN], f.dir.down = tc.refuse, tc.down
			err := f.change(tc.user, tc.old, tc.new)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("Change: %v", err)
				}
				if f.dir.passwords[aliceDN] != tc.new {
					t.Fatal("the directory's password is not the new one")
				}
				if ev := f.audit(t, "change.done"); len(ev) != 1 || ev[0].UserPrincipalName != "alice@contoso.com" {
					t.Fatalf("audit %+v", ev)
				}
				// One mail per distinct address, never the password.
				if len(f.out.msgs) != 2 {
					t.Fatalf("%d messages, want 2: %+v", len(f.out.msgs), f.out.msgs)
				}
				for _, m := range f.out.msgs {
					if m.Channel != flow.MethodEmail || strings.Contains(m.Body, tc.new) || strings.Contains(m.Body, tc.old) {
						t.Fatalf("message %+v", m)
					}
				}
				return
			}
			ue := userErr(t, err)
			if ue.Kind != tc.kind || ue.Key != tc.key || ue.Reason != tc.reason {
				t.Fatalf("got kind %d key %s reason %s, want %d %s %s", ue.Kind, ue.Key, ue.Reason, tc.kind, tc.key, tc.reason)
			}
			if len(f.out.msgs) != 0 {
				t.Fatalf("messages sent: %+v", f.out.msgs)
			}
			if f.dir.passwords[aliceDN] != alicePW {
				t.Fatal("the password changed")
			}
			if tc.kind == flow.KindSignIn || tc.kind == flow.KindDirectory {
				if ev := f.audit(t, "change.failed"); len(ev) != 1 {
					t.Fatalf("audit %+v", ev)
				}
			}
			if strings.Contains(f.logs.String(), tc.old) && tc.old != "" || strings.Contains(f.logs.String(), tc.new) {
				t.Fatalf("a password in the log: %s", f.logs)
			}
		})
	}
}

// TestUnknownNameLooksTheSame: an unknown name does the same directory work (a DN that
// cannot exist) and fails with the same error as a wrong password.
func TestUnknownNameLooksTheSame(t *testing.T) {
	f := newFixture(t)
	wrong := userErr(t, f.change("alice@contoso.com", "nope", newPW))
	unknown := userErr(t, f.change("zed@contoso.com", "nope", newPW))
	if wrong.Kind != unknown.Kind || wrong.Key != unknown.Key || wrong.Reason != unknown.Reason || len(wrong.Args) != len(unknown.Args) {
		t.Fatalf("wrong password %+v, unknown name %+v", wrong, unknown)
	}
	if len(f.dir.calls) != 2 || !strings.HasPrefix(f.dir.calls[1], "cn=sspr-nobody-") {
		t.Fatalf("directory calls %q", f.dir.calls)
	}
	ev := f.audit(t, "change.failed")
	if len(ev) != 2 || ev[0].Details["reason"] != "unknownName" || ev[1].Details["reason"] != "wrongPassword" {
		t.Fatalf("audit %+v", ev)
	}
}

// TestThrottle: 5 wrong current passwords in 24 h lock the name for 24 h (the registration
// sign-in's counter: the same key), then even the right one is refused; unknown names alike;
// the lock ends after 24 h.
func TestThrottle(t *testing.T) {
	for _, name := range []string{"alice@contoso.com", "zed@contoso.com"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			for i := 1; i <= 5; i++ {
				ue := userErr(t, f.change(name, "nope", newPW))
				want := flow.KindSignIn
				if i == 5 {
					want = flow.KindThrottled
				}
				if ue.Kind != want {
					t.Fatalf("attempt %d: %+v", i, ue)
				}
				f.now = f.now.Add(time.Minute)
			}
			calls := len(f.dir.calls)
			if ue := userErr(t, f.change(name, alicePW, newPW)); ue.Kind != flow.KindThrottled {
				t.Fatalf("locked name: %+v", ue)
			}
			if len(f.dir.calls) != calls {
				t.Fatal("the directory was asked while locked")
			}
			if name == "alice@contoso.com" {
				u, _ := f.st.UserByUPN(context.Background(), name)
				if until, _ := f.st.LockedUntil(context.Background(), "u:"+u.ID+":signin", f.now); until.IsZero() {
					t.Fatal("the registration sign-in's key is not locked")
				}
				f.now = f.now.Add(24 * time.Hour)
				if err := f.change(name, alicePW, newPW); err != nil {
					t.Fatalf("after the lock: %v", err)
				}
			}
		})
	}
}

// TestThrottleIP: wrong passwords for many names from one client lock the client.
func TestThrottleIP(t *testing.T) {
	f := newFixture(t)
	p := flow.DefaultPolicy()
	for i := range p.Throttle.FailedProofsIP.Max {
		ue := userErr(t, f.change("user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@contoso.com", "nope", newPW))
		if i < p.Throttle.FailedProofsIP.Max-1 && ue.Kind != flow.KindSignIn {
			t.Fatalf("attempt %d: %+v", i, ue)
		}
	}
	if ue := userErr(t, f.change("alice@contoso.com", alicePW, newPW)); ue.Kind != flow.KindThrottled {
		t.Fatalf("locked client: %+v", ue)
	}
}
