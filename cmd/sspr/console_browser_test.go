package main

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/sspr/sspr/internal/testenv"
)

// consoleUser is a Samba user of the console test: its sAMAccountName, DN, password and the
// address its sign-in codes go to (otherMailbox, mapped to alternateEmails).
type consoleUser struct {
	sam, dn, upn, password, mail string
}

// TestBrowserConsoleSamba drives the administrators' console in headless Chromium against the
// shared Samba AD DC: reset events are made through the end-user pages (a successful reset, a
// wrong code, a code refused by the SMS throttle), a non-member cannot sign in and gets the page
// of a wrong password, a reader signs in with password and code (from the file channel), reads
// the dashboard's figures, filters the audit log and downloads it as CSV, and is refused a
// change; an administrator changes a user's mobilePhone. axe-core checks every console page, in
// English, then in Arabic (right to left) and German.
func TestBrowserConsoleSamba(t *testing.T) {
	s := testenv.SambaDC(t)
	ou := s.NewOU(t)
	suffix := fmt.Sprint(time.Now().UnixNano() % 1_000_000)
	add := func(prefix, mobile string) consoleUser {
		sam := prefix + suffix
		u := consoleUser{sam: sam, upn: sam + "@" + s.Realm(), password: "Console-" + suffix + "-Pw!", mail: sam + "@example.net"}
		su := testenv.SambaUser{SAMAccountName: sam, DisplayName: "Console " + prefix, Password: u.password, Mobile: mobile,
			Attrs: map[string][]string{"otherMailbox": {u.mail}}}
		u.dn = s.AddUser(t, ou, su)
		return u
	}
	adm, rdr, non := add("cadm", ""), add("crdr", ""), add("cnon", "")
	dan, fay, gil := add("cdan", "+1 (425) 555-0161"), add("cfay", "+1 (425) 555-0162"), add("cgil", "+1 (425) 555-0163")
	admins := s.AddGroup(t, ou, "Console Admins "+suffix, adm.dn)
	readers := s.AddGroup(t, ou, "Console Readers "+suffix, rdr.dn)

	// One SMS code per user and hour: a second code is a throttled step.
	cfg, addr, outbox := sambaServeConfig(t, s, ou, fmt.Sprintf("  throttle:\n    phone: {max: 1, window: 1h}\nconsole:\n  readers: [%q]\n  administrators: [%q]\n", readers, admins))
	if r := run(t, cfg, "sync", "-q"); r.code != 0 || !strings.Contains(r.stdout, "6 added") {
		t.Fatal(r)
	}
	startServe(t, cfg)
	base := "http://" + addr

	// The resets the dashboard must count, one of each outcome: dan's is done, fay's ends on a
	// wrong code (a failed proof), gil's on a second code the SMS throttle refuses.
	resetInBrowser(t, base, dan.upn, "+14255550161", outbox, "Lunar-Orchid-Kettle-58!")
	p := newPage(t, base, outbox)
	startReset := func(u consoleUser) {
		t.Helper()
		p.do("reset page", chromedp.Navigate(base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
		p.submit("start "+u.sam, "next", "#send", chromedp.SendKeys(chromedp.ID("username"), u.upn))
		p.submit("send "+u.sam, "send", "#code", chromedp.Click(chromedp.ID("option-sms")))
	}
	startReset(fay)
	p.submit("wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
	startReset(gil)
	p.submit("second code", "resend", "#error")
	if msg := p.text("error"); !strings.Contains(strings.ToLower(msg), "too many") {
		t.Errorf("second code says %q", msg)
	}

	// The console answers inside the site's security headers.
	resp, err := http.Get(base + "/admin/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" ||
		resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("console headers: %v", resp.Header)
	}

	// A non-member with the right password gets exactly the page of a wrong password.
	signInPage := func(u consoleUser, password string) string {
		t.Helper()
		p.do("sign-in page", chromedp.Navigate(base+"/admin/signin"), chromedp.WaitVisible(chromedp.ID("password")))
		p.submit("sign in "+u.sam, "signin", "#error", chromedp.SendKeys(chromedp.ID("username"), u.upn), chromedp.SendKeys(chromedp.ID("password"), password))
		html, err := chromedp.Run(p.ctx, chromedp.OuterHTML(chromedp.ID("main")))
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(html, u.upn, "NAME")
	}
	nonMember := signInPage(non, non.password)
	testenv.Axe(t, p.ctx, "console: sign-in refused")
	wrongPassword := signInPage(adm, "not-the-password")
	if nonMember != wrongPassword {
		t.Errorf("a non-member's page differs from a wrong password's:\n%s\n---\n%s", nonMember, wrongPassword)
	}
	if b, _ := os.ReadFile(outbox); strings.Contains(string(b), non.mail) {
		t.Error("a code was sent to the non-member")
	}

	// The reader: password, then the code from the file channel.
	signIn := func(u consoleUser) {
		t.Helper()
		p.do("sign-in page", chromedp.Navigate(base+"/admin/signin"), chromedp.WaitVisible(chromedp.ID("password")))
		testenv.Axe(t, p.ctx, "console: sign-in")
		p.submit("sign in "+u.sam, "signin", "#code", chromedp.SendKeys(chromedp.ID("username"), u.upn), chromedp.SendKeys(chromedp.ID("password"), u.password))
		if hint := p.text("hint"); strings.Contains(hint, u.mail) || !strings.Contains(hint, "@example.net") {
			t.Errorf("code sent to %q", hint)
		}
		testenv.Axe(t, p.ctx, "console: code")
		p.submit("code "+u.sam, "verify", "#tile-users", chromedp.SendKeys(chromedp.ID("code"), codeFor(t, outbox, "email", u.mail)))
	}
	signIn(rdr)
	if who := p.text("whoami"); !strings.Contains(who, rdr.upn+" (reader)") {
		t.Errorf("signed in as %q", who)
	}
	testenv.Axe(t, p.ctx, "console: dashboard")
	for id, want := range map[string]string{"tile-users": "6", "tile-resets": "1 / 1", "done-7": "1", "failed-7": "1", "throttled-7": "1",
		"writeback-7": "0", "tile-success": "33.3 %"} {
		if got := strings.TrimSpace(p.text(id)); got != want {
			t.Errorf("dashboard #%s = %q, want %q", id, got, want)
		}
	}

	screenshot(t, p.ctx, "console-dashboard.png")
	// The charts: each an SVG image with its title and description, and its data behind a disclosure.
	svgs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("figure.chart > svg[role=img]")].map(e => e.outerHTML)`))
	if err != nil || len(svgs) != 6 {
		t.Errorf("charts: %d (%v)", len(svgs), err)
	}
	for i, svg := range svgs {
		var doc struct {
			XMLName xml.Name
			Title   string `xml:"title"`
			Desc    string `xml:"desc"`
		}
		if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.XMLName.Local != "svg" || doc.Title == "" || doc.Desc == "" {
			t.Errorf("chart %d is not an SVG with a title and a description (%v):\n%s", i, err, svg)
		}
	}
	if n, _ := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure.chart details table.chart-data").length`)); n != 6 {
		t.Errorf("%d data tables", n)
	}

	// Users: search, then the user page, read-only for a reader.
	p.do("users", chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible(chromedp.ID("users")))
	testenv.Axe(t, p.ctx, "console: users")
	p.submit("search", "search", "#users", chromedp.SendKeys(chromedp.ID("q"), dan.sam), chromedp.SetValue(chromedp.ID("registered"), "no"))
	if rows := p.text("users"); !strings.Contains(rows, dan.upn) || strings.Contains(rows, fay.upn) {
		t.Errorf("search for %s lists:\n%s", dan.sam, rows)
	}
	p.submit("user page", "user-link", "#fields", chromedp.SetAttributeValue(chromedp.CSS("#users tbody a"), "id", "user-link"))
	testenv.Axe(t, p.ctx, "console: user page (reader)")
	if n, _ := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#mobilePhone").length`)); n != 0 {
		t.Error("a reader sees the fields form")
	}
	// A reader's change is refused: the sign-out form sent to the change's address instead.
	p.submit("reader's change", "signout", "#error",
		chromedp.SetAttributeValue(chromedp.CSS("form.signout"), "action", "/admin/users/"+dan.upn+"/fields"))
	if msg := p.text("error"); !strings.Contains(msg, "administrators groups") {
		t.Errorf("reader's change says %q", msg)
	}
	testenv.Axe(t, p.ctx, "console: refused")

	// The audit log: filter, then download the CSV.
	p.do("audit", chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible(chromedp.ID("events")))
	testenv.Axe(t, p.ctx, "console: audit log")
	p.submit("filter", "filter", "#events", chromedp.SendKeys(chromedp.ID("type"), "reset."), chromedp.SendKeys(chromedp.ID("user"), fay.upn))
	table := p.text("events")
	for _, want := range []string{"reset.started", "reset.code.failed", fay.upn} {
		if !strings.Contains(table, want) {
			t.Errorf("filtered audit log lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, dan.upn) || strings.Contains(table, gil.upn) || strings.Contains(table, "console.") {
		t.Errorf("the filter let other events through:\n%s", table)
	}
	testenv.Axe(t, p.ctx, "console: audit log filtered")
	downloads := t.TempDir()
	p.do("download", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}), chromedp.Click(chromedp.ID("csv")))
	rows := readDownloadedCSV(t, downloads)
	if len(rows) < 4 || strings.Join(rows[0], ",") != "id,time,type,actor,userPrincipalName,clientIP,outcome,details,userId,userAgent" {
		t.Fatalf("CSV:\n%q", rows)
	}
	types := map[string]bool{}
	for _, r := range rows[1:] {
		if r[4] != fay.upn || !strings.HasPrefix(r[2], "reset.") {
			t.Errorf("CSV row outside the filter: %q", r)
		}
		types[r[2]] = true
	}
	for _, want := range []string{"reset.started", "reset.code.sent", "reset.code.failed"} {
		if !types[want] {
			t.Errorf("CSV lacks %s: %v", want, types)
		}
	}

	// The administrator changes dan's mobilePhone.
	p.submit("sign out", "signout", "#password")
	signIn(adm)
	p.do("user page", chromedp.Navigate(base+"/admin/users/"+dan.upn), chromedp.WaitVisible(chromedp.ID("mobilePhone")))
	testenv.Axe(t, p.ctx, "console: user page (administrator)")
	p.submit("change mobilePhone", "save", "#notice", chromedp.Clear(chromedp.ID("mobilePhone")), chromedp.SendKeys(chromedp.ID("mobilePhone"), "(425) 555-0177"))
	if n := p.text("notice"); !strings.Contains(n, "Saved: Mobile phone") {
		t.Errorf("change says %q", n)
	}
	if v := p.text("field-mobilePhone"); !strings.Contains(v, "555-0177") && !strings.Contains(v, "5550177") {
		t.Errorf("mobilePhone shows %q", v)
	}
	screenshot(t, p.ctx, "console-user.png")
	p.do("sync page", chromedp.Navigate(base+"/admin/sync"), chromedp.WaitVisible(chromedp.ID("runs")))
	testenv.Axe(t, p.ctx, "console: sync")
	// The console in Arabic (right to left) and in German: every page, axe-core on each.
	for _, lang := range []struct{ tag, dir string }{{"ar", "rtl"}, {"de", "ltr"}} {
		for _, pg := range []struct{ path, id string }{{"/admin/dashboard", "tile-users"}, {"/admin/users", "users"},
			{"/admin/users/" + dan.upn, "mobilePhone"}, {"/admin/audit", "events"}, {"/admin/sync", "runs"}} {
			name := "console " + lang.tag + ": " + pg.path
			p.do(name, chromedp.Navigate(base+pg.path+"?lang="+lang.tag), chromedp.WaitVisible(chromedp.ID(pg.id)))
			got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.documentElement.dir`))
			if err != nil || got != lang.tag+" "+lang.dir {
				t.Errorf("%s: <html> %q (%v)", name, got, err)
			}
			testenv.Axe(t, p.ctx, name)
		}
	}
	// The change is audited with the administrator's name.
	r := run(t, cfg, "audit", "list", "--type", "admin.user.updated", "--user", dan.upn, "-o", "csv")
	if r.code != 0 || !strings.Contains(r.stdout, "console:"+adm.upn) || !strings.Contains(r.stdout, "field=mobilePhone") {
		t.Errorf("audit of the change: %+v", r)
	}
}

// sambaServeConfig writes the configuration of sspr serve for the users of a Samba OU
// (otherMailbox read as alternateEmails, phone numbers of the US) in a new folder: the server
// block of serveConfig, whose reset block extra may continue, then extra.
func sambaServeConfig(t *testing.T, s testenv.Samba, ou, extra string) (cfg, addr, outbox string) {
	t.Helper()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(s.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	text, addr, outbox := serveConfig(t, dir)
	cfg = filepath.Join(dir, "sspr.yaml")
	directory := fmt.Sprintf("store: sqlite://%s/sspr.db\ndirectory:\n  type: activedirectory\n  url: %s\n  bindDN: %s\n"+
		"  bindPasswordFile: %s\n  caFile: %s\n  baseDNs: [%q]\n  mapping:\n    alternateEmails: otherMailbox\n"+
		"phone:\n  defaultRegion: US\n", dir, s.URL, s.BindDN, pwFile, s.CAFile, ou)
	if err := os.WriteFile(cfg, []byte(directory+text+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, addr, outbox
}

// screenshot saves the page as name in the folder $SSPR_SCREENSHOTS names (the README's
// pictures: SSPR_SCREENSHOTS=docs/console), when it is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SSPR_SCREENSHOTS")
	if dir == "" {
		return
	}
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readDownloadedCSV waits for the one CSV file the browser saves in dir and parses it.
func readDownloadedCSV(t *testing.T, dir string) [][]string {
	t.Helper()
	name := regexp.MustCompile(`^sspr-audit-\d{8}-\d{6}\.csv$`)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if name.MatchString(e.Name()) {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
				if err != nil {
					t.Fatalf("CSV: %v\n%s", err, b)
				}
				return rows
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no CSV downloaded into %s", dir)
	return nil
}
