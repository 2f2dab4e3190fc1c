package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/change"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
	"github.com/sspr/sspr/internal/writeback"
)

// changeSite serves /change over a real directory (and reset over a fake one: the pages need
// a reset flow), with the store holding users.
type changeSite struct {
	*site
	st  store.Store
	dir *writeback.Directory
}

func newChangeSite(t *testing.T, dir *writeback.Directory, mustChangeAfterReset bool, users ...store.User) *changeSite {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source, users[i].AccountEnabled = store.SourceCloud, true
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s := &changeSite{site: &site{dir: &memDirectory{passwords: map[string]string{}}, sent: &memSender{}}, st: st, dir: dir}
	p := flow.DefaultPolicy()
	p.ResponseFloor = time.Millisecond
	svc := reset.New(st, s.sent, s.site.dir, reset.Config{Policy: p, Password: password.Default(),
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), PublicURL: "https://sspr.contoso.com"}, nil)
	chg := change.New(st, s.sent, dir, change.Config{Policy: p, Password: password.Default(), NameKey: bytes.Repeat([]byte("d"), 32),
		CompanyName: "Contoso"}, nil)
	srv, err := New(Config{PublicURL: "https://sspr.contoso.com", CompanyName: "Contoso", CSRFKey: bytes.Repeat([]byte("x"), 32),
		ResponseFloor: time.Millisecond, Change: chg, MustChangeAfterReset: mustChangeAfterReset}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)
	return s
}

// changeForm posts the /change form and returns the status, the Location and the page.
func (s *changeSite) changeForm(t *testing.T, b *browser, name, current, newPassword, confirm string) (int, string, string) {
	t.Helper()
	_, page := b.get("/change")
	resp, body := b.post("/change", url.Values{"csrf": {b.csrf(page)}, "username": {name}, "current": {current},
		"password": {newPassword}, "confirm": {confirm}}, "")
	return resp.StatusCode, resp.Header.Get("Location"), body
}

// wantChanged: the change went through to the done page.
func (s *changeSite) wantChanged(t *testing.T, b *browser, name, current, newPassword string) {
	t.Helper()
	status, loc, body := s.changeForm(t, b, name, current, newPassword, newPassword)
	if status != 303 || loc != "/change/done" {
		t.Fatalf("change for %s: %d %q\n%s", name, status, loc, body)
	}
	if _, done := b.get(loc); !strings.Contains(done, "Your password was changed") {
		t.Fatalf("done page:\n%s", done)
	}
}

// wantRefused: the form comes back with the message.
func (s *changeSite) wantRefused(t *testing.T, b *browser, name, current, newPassword, message string) string {
	t.Helper()
	status, loc, body := s.changeForm(t, b, name, current, newPassword, newPassword)
	if status != 200 || loc != "" || !strings.Contains(body, message) || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("want %q: %d %q\n%s", message, status, loc, body)
	}
	return body
}

const wrongCurrent = "The user name or the current password is not right, or the account is locked."

// sameExceptName compares two pages with the typed names blanked.
func sameExceptName(a, nameA, b, nameB string) bool {
	return strings.ReplaceAll(a, `value="`+nameA+`"`, "NAME") == strings.ReplaceAll(b, `value="`+nameB+`"`, "NAME")
}

// TestChangeThroughPagesOpenLDAP: slapd with ppolicy (history 5): the rules before typing;
// a wrong current password and an unknown name look alike and count toward the sign-in
// throttle; a password in history is refused in words; the right one changes it (the new
// binds, the old does not) and the user is mailed.
func TestChangeThroughPagesOpenLDAP(t *testing.T) {
	const suffix = "dc=example,dc=com"
	svcDN := "cn=sspr,ou=services," + suffix
	alicePW, bobPW := "violet tractor harbor 41", "amber canyon pillow 73"
	srv := testenv.Slapd(t, slapd.Options{TLS: true, PPolicy: true,
		Access: []string{fmt.Sprintf(`access to attrs=userPassword by dn.exact=%q write by self write by anonymous auth by * none`, svcDN)},
		LDIF: [][]byte{slapd.UsersLDIF(suffix, []slapd.User{{UID: "alice", Password: alicePW}, {UID: "bob", Password: bobPW}}),
			[]byte("dn: ou=services," + suffix + "\nobjectClass: organizationalUnit\nou: services\n\n" +
				"dn: " + svcDN + "\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: sspr\nuserPassword: svc-Secret-42\n\n")}})
	dir, err := writeback.New(writeback.Config{Kind: directory.OpenLDAP, Endpoint: ldapconn.Endpoint{URL: srv.URL, StartTLS: true,
		CAFile: srv.CAFile, BindDN: svcDN, BindPassword: "svc-Secret-42"}})
	if err != nil {
		t.Fatal(err)
	}
	aliceDN, bobDN := slapd.UserDN(suffix, "alice"), slapd.UserDN(suffix, "bob")
	s := newChangeSite(t, dir, false,
		store.User{UserPrincipalName: "alice@example.com", DN: aliceDN, AlternateEmails: []string{"alice@example.net"}},
		store.User{UserPrincipalName: "bob@example.com", DN: bobDN})
	b := s.browser(t)
	ctx := context.Background()

	_, page := b.get("/change")
	for _, want := range []string{"be 8 to 256 characters long", `autocomplete="current-password"`, `name="confirm"`, `action="/change"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("change page lacks %q:\n%s", want, page)
		}
	}
	if _, start := b.get("/reset"); !strings.Contains(start, `href="/change"`) {
		t.Fatalf("the reset page does not link to /change:\n%s", start)
	}

	newPW := "maple river lantern 58"
	wrong := s.wantRefused(t, b, "alice@example.com", "nope", newPW, wrongCurrent)
	unknown := s.wantRefused(t, b, "zed@example.com", "nope", newPW, wrongCurrent)
	if !sameExceptName(wrong, "alice@example.com", unknown, "zed@example.com") {
		t.Fatalf("wrong password and unknown name differ:\n%s\n---\n%s", wrong, unknown)
	}
	if !strings.Contains(wrong, `href="/unlock"`) {
		t.Fatal("a wrong password does not offer unlock")
	}
	if _, _, body := s.changeForm(t, b, "alice@example.com", alicePW, newPW, newPW+"x"); !strings.Contains(body, "The two passwords are not the same.") {
		t.Fatalf("mismatch:\n%s", body)
	}
	s.wantRefused(t, b, "alice@example.com", alicePW, "password1", "too easy to guess")
	s.wantRefused(t, b, "alice@example.com", alicePW, alicePW, "You used this password recently.")

	s.wantChanged(t, b, "alice@example.com", alicePW, newPW)
	if err := dir.Authenticate(ctx, aliceDN, newPW); err != nil {
		t.Fatalf("the new password does not bind: %v", err)
	}
	if writeback.ReasonOf(dir.Authenticate(ctx, aliceDN, alicePW)) != writeback.ReasonWrongPassword {
		t.Fatal("the old password still binds")
	}
	s.sent.mu.Lock()
	if n := len(s.sent.msgs); n != 1 || s.sent.msgs[0].To != "alice@example.net" || strings.Contains(s.sent.msgs[0].Body, newPW) {
		t.Errorf("notifications: %+v", s.sent.msgs)
	}
	s.sent.mu.Unlock()
	// Back to the previous one: in history.
	s.wantRefused(t, b, "alice@example.com", newPW, alicePW, "You used this password recently.")

	// bob: 5 wrong current passwords lock the name (the registration sign-in's key), then the
	// right one is refused too.
	for i := 1; i <= 4; i++ {
		s.wantRefused(t, b, "bob@example.com", "nope", newPW, wrongCurrent)
	}
	locked := s.wantRefused(t, b, "bob@example.com", "nope", newPW, "Too many attempts.")
	s.wantRefused(t, b, "bob@example.com", bobPW, newPW, "Too many attempts.")
	u, err := s.st.UserByUPN(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if until, _ := s.st.LockedUntil(ctx, "u:"+u.ID+":signin", time.Now()); until.IsZero() {
		t.Fatalf("the registration sign-in's counter is not locked:\n%s", locked)
	}
	// (ppolicy locked bob too, after 5 failed binds: pwdMaxFailure.)
}

// TestChangeThroughPagesSamba: on Samba AD, through the pages: a plain change (and history
// refused in words), a user who must change the password at next logon (pwdLastSet=0, bind
// 773) and a user whose password has expired (532) change theirs; an unknown name looks like
// a wrong password. With mustChangeAfterReset the reset's done page links to /change.
func TestChangeThroughPagesSamba(t *testing.T) {
	dc := testenv.SambaDC(t)
	ou, tag := dc.NewOU(t), fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	pw := "Violet tractor harbor 41" // Samba's complexity: three kinds of characters
	add := func(name string) (string, string) {
		upn := "ch" + tag + "-" + name + "@" + dc.Realm()
		return dc.AddUser(t, ou, testenv.SambaUser{SAMAccountName: "ch" + tag + "-" + name, UserPrincipalName: upn, Password: pw}), upn
	}
	plain, plainUPN := add("plain")
	dc.PSO(t, "ch-plain-"+tag, plain, nil) // history 24, no minimum age
	must, mustUPN := add("must")
	exp, expUPN := add("exp")
	dc.PSO(t, "ch-exp-"+tag, exp, map[string]string{"msDS-MaximumPasswordAge": "-1728000000000"}) // 2 days
	dc.AgePassword(t, exp, 72*time.Hour)
	dir, err := writeback.New(writeback.Config{Kind: directory.ActiveDirectory, Endpoint: ldapconn.Endpoint{URL: dc.URL,
		StartTLS: strings.HasPrefix(strings.ToLower(dc.URL), "ldap://"), CAFile: dc.CAFile, BindDN: dc.BindDN, BindPassword: secret.Value(dc.Password)}})
	if err != nil {
		t.Fatal(err)
	}
	mod := goldap.NewModifyRequest(must, nil)
	mod.Replace("pwdLastSet", []string{"0"})
	if err := dc.Dial(t).Modify(mod); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := writeback.ReasonOf(dir.Authenticate(ctx, must, pw)); r != writeback.ReasonMustChange {
		t.Fatalf("must: bind says %q", r)
	}
	if r := writeback.ReasonOf(dir.Authenticate(ctx, exp, pw)); r != writeback.ReasonExpired {
		t.Fatalf("exp: bind says %q", r)
	}
	s := newChangeSite(t, dir, true, store.User{UserPrincipalName: plainUPN, DN: plain},
		store.User{UserPrincipalName: mustUPN, DN: must}, store.User{UserPrincipalName: expUPN, DN: exp})
	b := s.browser(t)

	newPW := "Maple river lantern 58"
	wrong := s.wantRefused(t, b, plainUPN, "nope", newPW, wrongCurrent)
	unknown := s.wantRefused(t, b, "zed"+tag+"@"+dc.Realm(), "nope", newPW, wrongCurrent)
	if !sameExceptName(wrong, plainUPN, unknown, "zed"+tag+"@"+dc.Realm()) {
		t.Fatalf("wrong password and unknown name differ:\n%s\n---\n%s", wrong, unknown)
	}
	s.wantRefused(t, b, plainUPN, pw, pw, "You used this password recently.")
	s.wantChanged(t, b, plainUPN, pw, newPW)
	s.wantRefused(t, b, plainUPN, newPW, pw, "You used this password recently.")
	s.wantChanged(t, b, mustUPN, pw, newPW)
	s.wantChanged(t, b, expUPN, pw, newPW)
	for _, dn := range []string{plain, must, exp} {
		if err := dir.Authenticate(ctx, dn, newPW); err != nil {
			t.Fatalf("%s: the new password does not bind: %v", dn, err)
		}
	}
	// Samba keeps the previous password for simple binds during "old password allowed
	// period" (60 minutes by default), after a change as after a reset: not checked here.

	if _, done := b.get("/reset/done"); !strings.Contains(done, `id="change-link" href="/change"`) {
		t.Fatalf("the reset done page does not link to /change:\n%s", done)
	}
}
