package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sspr/sspr/internal/i18n"
)

// EnvScreenshots set to 1 makes TestBrowserLanguages write the README's screenshots into
// docs/screenshots (desktop and phone width, English and German).
const EnvScreenshots = "SSPR_SCREENSHOTS"

type outboxEntry struct{ Subject, Body string }

// outboxMessages are the messages of channel to `to` in the file channel's outbox, oldest first.
func outboxMessages(outbox, channel, to string) []outboxEntry {
	f, err := os.Open(outbox)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []outboxEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct{ Channel, To, Subject, Body string }
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Channel == channel && m.To == to {
			out = append(out, outboxEntry{m.Subject, m.Body})
		}
	}
	return out
}

// nextMessage waits for a message of channel to `to` after the first `seen` ones.
func nextMessage(t *testing.T, outbox, channel, to string, seen int) outboxEntry {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		if ms := outboxMessages(outbox, channel, to); len(ms) > seen {
			return ms[seen]
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no new %s message to %s in %s", channel, to, outbox)
	return outboxEntry{}
}

var codeRE = regexp.MustCompile(`\d{6,}`)

// screenshots saves the page at desktop and phone width as docs/screenshots/<name>-{desktop,
// phone}.png when $SSPR_SCREENSHOTS is 1, else into the test's temporary directory.
type screenshots struct {
	t   *testing.T
	dir string
}

func newScreenshots(t *testing.T) *screenshots {
	if os.Getenv(EnvScreenshots) != "1" {
		return &screenshots{t: t, dir: t.TempDir()}
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &screenshots{t: t, dir: dir}
}

func (s *screenshots) take(p *page, name string) {
	s.t.Helper()
	for _, v := range []struct {
		suffix string
		w, h   int64
		opts   []chromedp.EmulateViewportOption
	}{
		{"desktop", 1024, 640, nil},
		{"phone", 390, 760, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
	} {
		p.do("viewport", chromedp.EmulateViewport(v.w, v.h, v.opts...))
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			s.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(s.dir, name+"-"+v.suffix+".png"), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	p.do("viewport", chromedp.EmulateViewport(1024, 640))
}

// TestBrowserLanguages completes a reset in each of the five languages with every branding
// key set (logo, colours, helpdesk): the language is chosen with ?lang= on the first page and
// kept by its cookie; the pages are in it (lang, and dir=rtl for Arabic) and axe-core finds
// nothing on any of them; the SMS and the mails (the code, the notice of the reset) are in it,
// with the company name. English and German pages are the README's screenshots.
func TestBrowserLanguages(t *testing.T) {
	base, outbox := brandedServer(t, "")
	shots := newScreenshots(t)
	texts := i18n.Default()
	users := []struct{ name, sms, email string }{
		{"alice", "+14255550100", "alice.anderson@example.net"},
		{"carol", "+447400123456", "carol.clarke@example.org"},
	}
	for i, lang := range []string{"en", "de", "fr", "es", "ar"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t, base, outbox) // a browser each: each has testenv.Browser's time bound
			tr := texts.For(lang)
			u := users[i%len(users)]
			smsSeen, mailSeen := len(outboxMessages(outbox, "sms", u.sms)), len(outboxMessages(outbox, "email", u.email))
			shoot := func(name string) {
				if lang == "en" || lang == "de" {
					shots.take(p, "reset-"+name+"-"+lang)
				}
			}
			p.do("start", chromedp.Navigate(base+"/reset?lang="+lang), chromedp.WaitVisible(chromedp.ID("username")))
			attrs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`[document.documentElement.lang, document.documentElement.dir, document.title]`))
			if err != nil {
				t.Fatal(err)
			}
			wantDir := "ltr"
			if lang == "ar" {
				wantDir = "rtl"
			}
			if attrs[0] != lang || attrs[1] != wantDir || !strings.HasSuffix(attrs[2], "Fabrikam") {
				t.Errorf("lang %q dir %q title %q, want %s %s and the company", attrs[0], attrs[1], attrs[2], lang, wantDir)
			}
			if h := p.text("main"); !strings.Contains(h, tr.T("reset.title")) {
				t.Errorf("the first page is not in %s: %q", lang, h)
			}
			p.axe(lang + ": user name")
			shoot("1-name")
			p.submit("no name", "next", "#error")
			p.failed(lang+": no name", tr.T("start.nameRequired"))
			p.submit("name", "next", "#send", chromedp.SendKeys(chromedp.ID("username"), u.name))
			p.axe(lang + ": methods")
			shoot("2-methods")
			// An SMS first: in the language, with the company name.
			p.submit("send sms", "send", "#code", chromedp.Click(chromedp.ID("option-sms")))
			p.axe(lang + ": code")
			sms := nextMessage(t, outbox, "sms", u.sms, smsSeen).Body
			code := codeRE.FindString(sms)
			if want := tr.T("sms.code", "Fabrikam", code, 10*time.Minute); sms != want {
				t.Errorf("SMS %q, want %q", sms, want)
			}
			p.submit("wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
			p.failed(lang+": wrong code", "")
			// Then another method, the email: its code ends the proof.
			p.do("other method", chromedp.Navigate(base+"/reset/verify?choose=1"), chromedp.WaitVisible(chromedp.ID("send")))
			p.submit("send email", "send", "#code", chromedp.Click(chromedp.ID("option-email")))
			m := nextMessage(t, outbox, "email", u.email, mailSeen)
			subject, body := m.Subject, m.Body
			mailCode := codeRE.FindString(body)
			if want := tr.T("mail.code.subject", "Fabrikam"); subject != want {
				t.Errorf("code mail subject %q, want %q", subject, want)
			}
			if want := tr.T("mail.code.reset", mailCode, base, 10*time.Minute); body != want {
				t.Errorf("code mail %q, want %q", body, want)
			}
			p.submit("code", "verify", "#password", chromedp.SendKeys(chromedp.ID("code"), mailCode))
			p.axe(lang + ": new password")
			shoot("3-password")
			pw := "Amber-Quill-Harbor-" + lang + "-7"
			p.submit("password", "submit", "#done", chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.SendKeys(chromedp.ID("confirm"), pw))
			p.axe(lang + ": done")
			if done := p.text("done"); done != tr.T("done.reset.body") {
				t.Errorf("done page %q, want %q", done, tr.T("done.reset.body"))
			}
			// The notice of the reset, in the language.
			if s := nextMessage(t, outbox, "email", u.email, mailSeen+1).Subject; s != tr.T("mail.reset.subject") {
				t.Errorf("notice subject %q, want %q", s, tr.T("mail.reset.subject"))
			}
		})
	}
}
