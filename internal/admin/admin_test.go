package admin_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// testStore is what these tests need of a backend.
type testStore interface {
	store.Store
	store.Updates
	store.Audit
}

// backends runs fn against a fresh SQLite store and a fresh PostgreSQL database.
func backends(t *testing.T, fn func(t *testing.T, st testStore)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ts, ok := any(s).(testStore)
		if !ok {
			t.Fatal("the PostgreSQL store does not implement store.Updates and store.Audit")
		}
		fn(t, ts)
	})
}

var t0 = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T, st testStore, region string) *admin.Service {
	t.Helper()
	n, err := phone.NewNormalizer(region)
	if err != nil {
		t.Fatal(err)
	}
	return admin.New(st, n, func() time.Time { return t0 })
}

// seed stores the users a sync would write: alice and dora from the directory (dora's
// alternateEmails mapped from it), carl created by an administrator.
func seed(t *testing.T, st testStore) {
	t.Helper()
	ctx := t.Context()
	owned := []string{store.FieldUserPrincipalName, store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone, store.FieldAccountEnabled}
	users := []store.User{
		{Source: store.SourceDirectory, Anchor: []byte("anchor-alice"), DN: "uid=alice,ou=Staff,dc=contoso,dc=com",
			UserPrincipalName: "alice", DisplayName: "Alice Anderson", AccountEnabled: true,
			MobilePhone:          store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"},
			OfficePhone:          store.Phone{Raw: "+1 (425) 555-0101 x2345", Number: "+1 4255550101", Type: "fixedLineOrMobile"},
			DirectoryMobilePhone: "+1 425 555 0100", DirectoryFields: owned, Fingerprint: 42},
		{Source: store.SourceDirectory, Anchor: []byte("anchor-dora"), DN: "uid=dora,ou=Staff,dc=contoso,dc=com",
			UserPrincipalName: "dora", DisplayName: "Dora", AccountEnabled: true, AlternateEmails: []string{"dora@example.net"},
			MobilePhone:     store.Phone{Raw: "call me maybe", Problem: "invalid character"},
			DirectoryFields: append(slices.Clone(owned), store.FieldAlternateEmails), DirectoryMobilePhone: "call me maybe"},
	}
	tx, err := st.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range users {
		if err := tx.PutUser(ctx, &users[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx store.UsersTx) error {
		return tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: "carl", DisplayName: "Carl",
			AccountEnabled: true, AlternateEmails: []string{"carl@example.org"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func get(t *testing.T, st testStore, upn string) store.User {
	t.Helper()
	u, err := st.UserByUPN(t.Context(), upn)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUpdate(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "")
		actor := admin.CLIActor("root")
		tests := []struct {
			name    string
			upn     string
			change  admin.Change
			errCode string // a FieldError code, or "" for success
			errText string // in the error
			check   func(t *testing.T, u store.User, res admin.Result)
		}{
			{name: "cloud mobilePhone normalized", upn: "carl", change: admin.Change{MobilePhone: ptr("+1 (425) 555-0199 ext. 7")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if u.MobilePhone.Number != "+1 4255550199" || u.MobilePhone.Raw != "+1 (425) 555-0199 ext. 7" || u.MobilePhone.Type == "" {
						t.Errorf("mobilePhone %+v", u.MobilePhone)
					}
					if len(res.Changes) != 1 || res.Changes[0] != (admin.FieldChange{Field: "mobilePhone", Old: "", New: "+1 4255550199"}) {
						t.Errorf("changes %+v", res.Changes)
					}
				}},
			{name: "cloud officePhone and emails together", upn: "carl",
				change: admin.Change{OfficePhone: ptr("+44 20 7946 0958"), AddAlternateEmails: []string{"c2@example.org"}, RemoveAlternateEmails: []string{"CARL@example.org"}},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if u.OfficePhone.Number != "+44 2079460958" || !slices.Equal(u.AlternateEmails, []string{"c2@example.org"}) || len(res.Changes) != 2 {
						t.Errorf("user %+v, changes %+v", u, res.Changes)
					}
				}},
			{name: "invalid phone refuses everything", upn: "carl",
				change:  admin.Change{MobilePhone: ptr("555-1234"), DisplayName: ptr("Carl C.")},
				errCode: admin.CodeInvalid, errText: `mobilePhone: "555-1234": no country code`},
			{name: "invalid email named", upn: "carl",
				change:  admin.Change{AlternateEmails: &[]string{"ok@example.org", "not an address"}},
				errCode: admin.CodeInvalid, errText: `alternateEmails: "not an address": invalid email address`},
			{name: "officePhone refused for a directory user", upn: "alice", change: admin.Change{OfficePhone: ptr("+1 425 555 0999")},
				errCode: admin.CodeDirectoryOwned, errText: `"Office Phone - Can only be set if not synchronizing with an on-premises directory"`},
			{name: "officePhone clearing refused for a directory user", upn: "alice", change: admin.Change{OfficePhone: ptr("")},
				errCode: admin.CodeDirectoryOwned, errText: "synchronized from the directory"},
			{name: "officePhone equal to the directory's is no change", upn: "alice", change: admin.Change{OfficePhone: ptr("+14255550101")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if len(res.Changes) != 0 || u.Version != 1 {
						t.Errorf("changes %+v version %d", res.Changes, u.Version)
					}
				}},
			{name: "displayName refused for a directory user", upn: "alice", change: admin.Change{DisplayName: ptr("Al")},
				errCode: admin.CodeDirectoryOwned},
			{name: "accountEnabled refused for a directory user", upn: "alice", change: admin.Change{AccountEnabled: ptr(false)},
				errCode: admin.CodeDirectoryOwned},
			{name: "mapped alternateEmails refused for a directory user", upn: "dora", change: admin.Change{AddAlternateEmails: []string{"d2@example.net"}},
				errCode: admin.CodeDirectoryOwned, errText: "directory.mapping.alternateEmails"},
			{name: "unmapped alternateEmails of a directory user", upn: "alice", change: admin.Change{AlternateEmails: &[]string{"a@example.net", "A@example.net", "b@example.net"}},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if !slices.Equal(u.AlternateEmails, []string{"a@example.net", "b@example.net"}) {
						t.Errorf("alternateEmails %v", u.AlternateEmails)
					}
				}},
			{name: "mobilePhone of a directory user is an override", upn: "alice", change: admin.Change{MobilePhone: ptr("+1 425 555 0188")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if u.MobilePhone.Number != "+1 4255550188" || !u.MobilePhoneOverridden || u.DirectoryMobilePhone != "+1 425 555 0100" || u.Fingerprint != 42 {
						t.Errorf("user %+v", u)
					}
					if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "until the directory's own mobile value changes") {
						t.Errorf("notes %q", res.Notes)
					}
				}},
			{name: "the directory's value ends the override", upn: "alice", change: admin.Change{MobilePhone: ptr("+1 (425) 555-0100")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if u.MobilePhone.Number != "+1 4255550100" || u.MobilePhone.Raw != "+1 425 555 0100" || u.MobilePhoneOverridden {
						t.Errorf("user %+v", u)
					}
				}},
			{name: "clearing a directory user's mobilePhone is an override", upn: "alice", change: admin.Change{MobilePhone: ptr("")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if u.MobilePhone.Raw != "" || !u.MobilePhoneOverridden {
						t.Errorf("user %+v", u)
					}
				}},
			{name: "a landline in mobilePhone is noted", upn: "carl", change: admin.Change{MobilePhone: ptr("+44 20 7946 0000")},
				check: func(t *testing.T, u store.User, res admin.Result) {
					if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "not SMS") {
						t.Errorf("notes %q", res.Notes)
					}
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := get(t, st, tc.upn)
				res, err := svc.Update(t.Context(), actor, tc.upn, 0, tc.change)
				after := get(t, st, tc.upn)
				if tc.errCode != "" {
					var ve *admin.ValidationError
					if !errors.As(err, &ve) || !errors.Is(err, admin.ErrInvalid) || ve.Fields[0].Code != tc.errCode || !strings.Contains(err.Error(), tc.errText) {
						t.Fatalf("err = %v, want code %s with %q", err, tc.errCode, tc.errText)
					}
					if after.Version != before.Version || after.DisplayName != before.DisplayName || after.MobilePhone != before.MobilePhone {
						t.Errorf("a refused change wrote: %+v", after)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Changes) > 0 && after.Version != before.Version+1 {
					t.Errorf("version %d → %d", before.Version, after.Version)
				}
				if res.User.Version != after.Version {
					t.Errorf("result version %d, stored %d", res.User.Version, after.Version)
				}
				tc.check(t, after, res)
			})
		}
	})
}

func TestUpdateVersionAndUnknown(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "US")
		ctx := t.Context()
		u := get(t, st, "carl")
		if _, err := svc.Update(ctx, admin.CLIActor("a"), "carl", u.Version+1, admin.Change{DisplayName: ptr("X")}); !errors.Is(err, store.ErrVersionMismatch) {
			t.Errorf("stale version: %v", err)
		}
		res, err := svc.Update(ctx, admin.CLIActor("a"), "CARL", u.Version, admin.Change{MobilePhone: ptr("(425) 555-0142")})
		if err != nil || res.User.MobilePhone.Number != "+1 4255550142" {
			t.Fatalf("defaultRegion US: %v %+v", err, res.User.MobilePhone)
		}
		if _, err := svc.Update(ctx, admin.CLIActor("a"), "nobody", 0, admin.Change{DisplayName: ptr("X")}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
	})
}

func TestAuditMasked(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "")
		ctx := t.Context()
		actor := admin.TokenActor("ops", "192.0.2.7", "curl/8")
		if _, err := svc.Update(ctx, actor, "carl", 0, admin.Change{MobilePhone: ptr("+1 425 555 0199"),
			AlternateEmails: &[]string{"carl.private@example.org"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, actor, "alice", 0, admin.Change{MobilePhone: ptr("+1 425 555 0177")}); err != nil {
			t.Fatal(err)
		}
		var events []store.AuditEvent
		if err := st.ListAudit(ctx, store.AuditFilter{TypePrefix: "admin."}, func(e store.AuditEvent) error {
			events = append(events, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(events) != 3 {
			t.Fatalf("%d events, want 3: %+v", len(events), events)
		}
		found := map[string]store.AuditEvent{}
		for _, e := range events {
			if e.Type != admin.EventUserUpdated || e.Actor != "admin:ops" || e.ClientIP != "192.0.2.7" || e.UserAgent != "curl/8" || e.UserID == "" {
				t.Errorf("event %+v", e)
			}
			found[e.UserPrincipalName+"/"+e.Details["field"]] = e
			for k, v := range e.Details {
				if strings.Contains(v, "4255550") || strings.Contains(v, "carl.private") || strings.Contains(v, "carl@") {
					t.Errorf("detail %s = %q is not masked", k, v)
				}
			}
		}
		if d := found["carl/mobilePhone"].Details; d["old"] != "" || d["new"] != "+1 ••••••0199" {
			t.Errorf("carl mobilePhone details %v", d)
		}
		if d := found["carl/alternateEmails"].Details; d["old"] != "c•••@example.org" || d["new"] != "c•••@example.org" {
			t.Errorf("carl alternateEmails details %v", d)
		}
		if d := found["alice/mobilePhone"].Details; d["old"] != "+1 ••••••0100" || d["new"] != "+1 ••••••0177" || d["override"] != "true" {
			t.Errorf("alice mobilePhone details %v", d)
		}
	})
}

func TestCreateDelete(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "")
		ctx := t.Context()
		actor := admin.CLIActor("root")
		res, err := svc.Create(ctx, actor, "erin@contoso.com", admin.Change{DisplayName: ptr("Erin"), OfficePhone: ptr("+49 30 1234567"),
			AlternateEmails: &[]string{"erin@example.de"}})
		if err != nil {
			t.Fatal(err)
		}
		u := get(t, st, "erin@contoso.com")
		if u.Source != store.SourceCloud || !u.AccountEnabled || u.OfficePhone.Number != "+49 301234567" || u.Version != 1 || res.User.ID != u.ID {
			t.Errorf("created %+v", u)
		}
		if _, err := svc.Create(ctx, actor, "ERIN@contoso.com", admin.Change{}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate: %v", err)
		}
		if _, err := svc.Create(ctx, actor, "bad name", admin.Change{}); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("bad UPN: %v", err)
		}
		if _, err := svc.Create(ctx, actor, "frank", admin.Change{MobilePhone: ptr("12")}); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("bad phone: %v", err)
		}
		if _, err := st.UserByUPN(ctx, "frank"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused create stored the user: %v", err)
		}

		err = svc.Delete(ctx, actor, "alice", 0)
		if !errors.Is(err, admin.ErrDirectoryUser) || !strings.Contains(err.Error(), "the sync") {
			t.Errorf("deleting a directory user: %v", err)
		}
		if err := svc.Delete(ctx, actor, "erin@contoso.com", 7); !errors.Is(err, store.ErrVersionMismatch) {
			t.Errorf("stale delete: %v", err)
		}
		if err := svc.Delete(ctx, actor, "erin@contoso.com", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UserByUPN(ctx, "erin@contoso.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted user still there: %v", err)
		}
		if err := svc.Delete(ctx, actor, "erin@contoso.com", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		var types []string
		st.ListAudit(ctx, store.AuditFilter{UserPrincipalName: "erin@contoso.com"}, func(e store.AuditEvent) error {
			types = append(types, e.Type)
			if e.Type == admin.EventUserCreated && (e.Details["officePhone"] != "+49 •••••4567" || e.Details["alternateEmails"] != "e•••@example.de") {
				t.Errorf("created event details %v", e.Details)
			}
			return nil
		})
		if !slices.Equal(types, []string{admin.EventUserDeleted, admin.EventUserCreated}) {
			t.Errorf("audit %v", types)
		}
	})
}

func TestConcurrentUpdates(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "")
		ctx := context.Background()
		v := get(t, st, "carl").Version
		// Two administrators read version v and change the same user: one wins, the other is told.
		errs := make(chan error, 2)
		for _, n := range []string{"+1 425 555 0111", "+1 425 555 0122"} {
			go func() {
				_, err := svc.Update(ctx, admin.CLIActor("x"), "carl", v, admin.Change{MobilePhone: ptr(n)})
				errs <- err
			}()
		}
		var ok, stale int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrVersionMismatch):
				stale++
			default:
				t.Error(err)
			}
		}
		if ok != 1 || stale != 1 {
			t.Errorf("%d succeeded, %d stale; want 1 and 1", ok, stale)
		}
	})
}
