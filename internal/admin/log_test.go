package admin_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestOutcomeLines: each committed change (update, create, delete) logs one outcome line with
// the actor, the user and the fields' names, never a value; a refused or empty change logs none.
func TestOutcomeLines(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st)
	n, _ := phone.NewNormalizer("")
	var logs bytes.Buffer
	svc := admin.New(st, n, nil).WithLog(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := t.Context()
	actor := admin.TokenActor("ops", "192.0.2.7", "curl/8")
	if _, err := svc.Update(ctx, actor, "carl", 0, admin.Change{MobilePhone: ptr("+1 425 555 0199"), AlternateEmails: &[]string{"carl.private@example.org"}}); err != nil {
		t.Fatal(err)
	}
	svc.Update(ctx, actor, "carl", 0, admin.Change{MobilePhone: ptr("+1 425 555 0199")}) // nothing changes
	svc.Update(ctx, actor, "carl", 0, admin.Change{MobilePhone: ptr("12")})              // refused
	if _, err := svc.Create(ctx, actor, "erin@contoso.com", admin.Change{OfficePhone: ptr("+49 30 1234567")}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, actor, "erin@contoso.com", 0); err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^.*msg="flow outcome".*$`).FindAllString(logs.String(), -1)
	want := []string{
		`flow=admin outcome=updated user=carl actor=admin:ops fields=mobilePhone,alternateEmails clientIP=192.0.2.7`,
		`flow=admin outcome=created user=erin@contoso.com actor=admin:ops fields=officePhone clientIP=192.0.2.7`,
		`flow=admin outcome=deleted user=erin@contoso.com actor=admin:ops fields="" clientIP=192.0.2.7`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d outcome lines, want %d:\n%s", len(lines), len(want), logs.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d: %q\nwant suffix %q", i, lines[i], w)
		}
	}
	for _, secret := range []string{"4255550199", "carl.private", "301234567"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q", secret)
		}
	}
}
