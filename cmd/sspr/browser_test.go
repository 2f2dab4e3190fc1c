package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/testenv"
)

// freeAddr returns a loopback address nobody listens on (for the server under test).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveConfig appends a server block that delivers every message to a JSON-lines file.
func serveConfig(t *testing.T, dir string) (text, addr, outbox string) {
	t.Helper()
	addr = freeAddr(t)
	secretPath := filepath.Join(dir, "secret")
	if _, err := secret.Generate(secretPath); err != nil {
		t.Fatal(err)
	}
	outbox = filepath.Join(dir, "outbox.jsonl")
	return demo.Server(addr, secretPath, outbox) + "reset:\n  responseFloor: 50ms\n", addr, outbox
}

// startServe runs `sspr serve` and waits until it answers.
func startServe(t *testing.T, cfg string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := command(ctx, cfg, "serve", "--no-sync")
	logf, _ := os.Create(filepath.Join(filepath.Dir(cfg), "serve.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("serve log:\n%s", b)
		}
	})
	text := mustRead(t, cfg)
	addr := regexp.MustCompile(`listen: (\S+)`).FindStringSubmatch(text)[1]
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("sspr serve did not start")
}

// codeFor waits for the message the outbox delivered to `to` and returns its code.
func codeFor(t *testing.T, outbox, channel, to string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		if f, err := os.Open(outbox); err == nil {
			var code string
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var m struct{ Channel, To, Body string }
				if json.Unmarshal(sc.Bytes(), &m) == nil && m.Channel == channel && m.To == to {
					code = regexp.MustCompile(`\d{6,}`).FindString(m.Body)
				}
			}
			f.Close()
			if code != "" {
				return code
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no %s message to %s in %s", channel, to, outbox)
	return ""
}

// resetInBrowser completes a reset in headless Chromium: user name, SMS code, new password.
func resetInBrowser(t *testing.T, base, user, phoneE164, outbox, newPassword string) {
	t.Helper()
	ctx := testenv.Browser(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, time.Minute) // a loaded machine; testenv.Browser bounds the whole test
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			t.Fatalf("%s: %v\npage:\n%s", what, err, page)
		}
	}
	// loaded waits for the page a submit leads to: its element id visible, then the document
	// complete. Chromium sends DOM.documentUpdated again at DOMContentLoaded (after the deferred
	// sspr.js), which drops every node id handed out before it: acting on a node found between
	// the element's appearance and that moment failed with "Could not find node with given id".
	loaded := func(id chromedp.ID) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(id),
			chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)),
			chromedp.WaitVisible(id)}
	}
	run("start", append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(base + "/reset")}, loaded("username")...)...)
	run("user name", append([]chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("username"), user), chromedp.Click(chromedp.ID("next"))}, loaded("send")...)...)
	hint, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`label[for="option-sms"]`)))
	if err != nil || !strings.Contains(hint, "••••••"+phoneE164[len(phoneE164)-4:]) || strings.Contains(hint, phoneE164[2:]) {
		t.Fatalf("SMS option %q (%v)", hint, err)
	}
	run("send", append([]chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("option-sms")), chromedp.Click(chromedp.ID("send"))}, loaded("code")...)...)
	code := codeFor(t, outbox, "sms", phoneE164)
	run("verify", append([]chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.ID("verify"))}, loaded("password")...)...)
	run("password", append([]chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("password"), newPassword), chromedp.SendKeys(chromedp.ID("confirm"), newPassword),
		chromedp.Click(chromedp.ID("submit"))}, loaded("done")...)...)
	done, err := readElement(ctx, "done", "innerText")
	if err != nil || !strings.Contains(done, "sign in with your new password") {
		t.Fatalf("done page says %q (%v)", done, err)
	}
}

func bindWith(t *testing.T, url, caFile, dn, pw string) error {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := goldap.DialURL(url, goldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Bind(dn, pw)
}

func TestBrowserResetOpenLDAP(t *testing.T) {
	d := newDirectory(t, nil, "")
	text, addr, outbox := serveConfig(t, d.dir)
	d.writeConfig(t, mustRead(t, d.cfg)+text)
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 {
		t.Fatal(r)
	}
	startServe(t, d.cfg)
	const pw = "Lunar-Orchid-Kettle-58"
	resetInBrowser(t, "http://"+addr, "alice", "+14255550100", outbox, pw)
	if err := bindWith(t, d.srv.LDAPSURL, d.srv.CAFile, "uid=alice,ou=Staff,dc=contoso,dc=com", pw); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
	// The user was told by email, without the password.
	b, _ := os.ReadFile(outbox)
	if !strings.Contains(string(b), "Your password was reset") || strings.Contains(string(b), pw) {
		t.Errorf("notification:\n%s", b)
	}
}

func TestBrowserResetSamba(t *testing.T) {
	s := testenv.SambaDC(t)
	ou := s.NewOU(t)
	sam := "bwr" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	dn := s.AddUser(t, ou, testenv.SambaUser{SAMAccountName: sam, DisplayName: "Browser Reset", Mobile: "+1 (425) 555-0142",
		Attrs: map[string][]string{"otherMailbox": {sam + "@example.net"}}})
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
  mapping:
    alternateEmails: otherMailbox
phone:
  defaultRegion: US
`, dir, s.URL, s.BindDN, pwFile, s.CAFile, ou)+text), 0o600)
	if r := run(t, cfg, "sync", "-q"); r.code != 0 || !strings.Contains(r.stdout, "1 added") {
		t.Fatal(r)
	}
	startServe(t, cfg)
	const pw = "Lunar-Orchid-Kettle-58!"
	upn := sam + "@" + s.Realm()
	resetInBrowser(t, "http://"+addr, upn, "+14255550142", outbox, pw)
	if err := bindWith(t, s.URL, s.CAFile, dn, pw); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
}
