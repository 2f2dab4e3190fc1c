package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sspr/sspr/internal/testenv"
)

// TestBrowserChangeSamba: in headless Chromium against `sspr serve` and Samba AD, with
// reset.mustChangeAfterReset: a reset leaves the password to be changed at next logon (bind
// data 773); its done page links to /change, where a wrong current password is refused in
// words and the right one changes the password (the new one binds).
func TestBrowserChangeSamba(t *testing.T) {
	s := testenv.SambaDC(t)
	ou := s.NewOU(t)
	sam := "bwc" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	dn := s.AddUser(t, ou, testenv.SambaUser{SAMAccountName: sam, DisplayName: "Browser Change", Mobile: "+1 (425) 555-0143"})
	s.PSO(t, "bwc-"+sam, dn, nil) // no minimum age: the change may follow the reset at once
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte(s.Password), 0o600)
	text, addr, outbox := serveConfig(t, dir)
	cfg := filepath.Join(dir, "sspr.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: sqlite://%s/sspr.db
directory:
  type: activedirectory
  url: %s
  bindDN: %s
  bindPasswordFile: %s
  caFile: %s
  baseDNs: [%q]
phone:
  defaultRegion: US
`, dir, s.URL, s.BindDN, pwFile, s.CAFile, ou)+text+"  mustChangeAfterReset: true\n"), 0o600)
	if r := run(t, cfg, "sync", "-q"); r.code != 0 || !strings.Contains(r.stdout, "1 added") {
		t.Fatal(r)
	}
	startServe(t, cfg)
	base := "http://" + addr
	const reset, changed = "Lunar-Orchid-Kettle-58!", "Quiet-Harbor-Violet-73!"
	upn := sam + "@" + s.Realm()
	resetInBrowser(t, base, upn, "+14255550143", outbox, reset)
	if err := bindWith(t, s.URL, s.CAFile, dn, reset); err == nil || !strings.Contains(err.Error(), "data 773") {
		t.Fatalf("after a reset with mustChangeAfterReset, a bind says %v; want data 773", err)
	}

	ctx := testenv.Browser(t)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			t.Fatalf("%s: %v\npage:\n%s", what, err, page)
		}
	}
	fill := func(current string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.ID("current")),
			chromedp.SetValue(chromedp.ID("username"), upn), chromedp.SendKeys(chromedp.ID("current"), current),
			chromedp.SendKeys(chromedp.ID("password"), changed), chromedp.SendKeys(chromedp.ID("confirm"), changed),
			chromedp.Click(chromedp.ID("submit"))}
	}
	// (resetInBrowser's tab is gone: the done page is the same for every reset.)
	do("the done page links to /change", chromedp.Navigate(base+"/reset/done"), chromedp.WaitVisible(chromedp.ID("change-link")),
		chromedp.Click(chromedp.ID("change-link")), chromedp.WaitVisible(chromedp.ID("rules")))
	do("wrong current password", append(fill("Wrong-Current-1x!"), chromedp.WaitVisible(chromedp.ID("error")))...)
	msg, _ := readElement(ctx, "error", "innerText")
	if !strings.Contains(msg, "current password is not right") {
		t.Fatalf("error says %q", msg)
	}
	do("change", append(fill(reset), chromedp.WaitVisible(chromedp.ID("done")))...)
	done, _ := readElement(ctx, "done", "innerText")
	if !strings.Contains(done, "sign in with your new password") {
		t.Fatalf("done page says %q", done)
	}
	if err := bindWith(t, s.URL, s.CAFile, dn, changed); err != nil {
		t.Fatalf("bind with the changed password: %v", err)
	}
}
