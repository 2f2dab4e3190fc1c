package smtp_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/notify/smtp/smtptest"
)

// The test server (package smtptest) under the names these tests use.
type (
	received   = smtptest.Message
	serverOpts = smtptest.Options
)

func startServer(t *testing.T, o serverOpts) *smtptest.Server { return smtptest.Start(t, o) }

var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.FixedZone("", 3600))

func newMailer(t *testing.T, cfg smtp.Config) *smtp.Channel {
	t.Helper()
	cfg.Now = func() time.Time { return fixedNow }
	m, err := smtp.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func send(t *testing.T, m *smtp.Channel, msg notify.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return m.Send(ctx, msg)
}

const (
	code    = "482913"
	subject = "Réinitialisation du mot de passe – votre code"
	// A long line (soft breaks), non-ASCII, "=" and a line starting with a dot (dot-stuffing).
	body = "Bonjour Zoë,\n\nVotre code de vérification est " + code + ". Il expire dans 10 minutes; si vous n'avez rien demandé, ignorez ce message = rien ne changera.\n.\nsspr\n"
)

var msgIDRe = regexp.MustCompile(`^<[0-9a-f]{32}@example\.com>$`)

// checkMessage parses what the server received and compares every header and the decoded body.
func checkMessage(t *testing.T, got received, wantSubject, wantBody string) {
	t.Helper()
	raw := string(got.Data)
	head, _, ok := strings.Cut(raw, "\r\n\r\n")
	if !ok {
		t.Fatalf("no header/body separator in %q", raw)
	}
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 || strings.ContainsFunc(line, func(r rune) bool { return r > '~' }) {
			t.Errorf("header line not 7-bit or too long: %q", line)
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	var dec mime.WordDecoder
	subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if subj != wantSubject {
		t.Errorf("Subject = %q, want %q", subj, wantSubject)
	}
	if !msgIDRe.MatchString(msg.Header.Get("Message-ID")) {
		t.Errorf("Message-ID = %q", msg.Header.Get("Message-ID"))
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %q (%v), want %v", msg.Header.Get("Date"), err, fixedNow)
	}
	want := map[string]string{
		"From":           `"Password reset" <no-reply@example.com>`,
		"To":             "<alice@example.com>",
		"Date":           "Sat, 14 Mar 2026 09:26:53 +0100",
		"Auto-Submitted": "auto-generated",
		"Mime-Version":   "1.0",
	}
	for k, v := range want {
		if g := msg.Header.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	if n := len(msg.Header); n != len(want)+3 {
		t.Errorf("%d headers, want %d: %v", n, len(want)+3, msg.Header)
	}
	parts := alternatives(t, msg)
	b := parts["text/plain; charset=utf-8"]
	if g, w := string(b), strings.ReplaceAll(wantBody, "\n", "\r\n"); g != w {
		t.Errorf("body = %q\nwant   %q", g, w)
	}
	if got.From != "no-reply@example.com" || got.To != "alice@example.com" {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
}

func TestSendTLSModes(t *testing.T) {
	tests := []struct {
		name string
		srv  serverOpts
		cfg  smtp.Config
		tls  bool
	}{
		{"starttls with auth", serverOpts{User: "sspr", Pass: "s3cret pass"}, smtp.Config{TLS: "starttls", Username: "sspr", Password: "s3cret pass"}, true},
		{"implicit tls with auth", serverOpts{Implicit: true, User: "sspr", Pass: "s3cret pass"}, smtp.Config{TLS: "implicit", Username: "sspr", Password: "s3cret pass"}, true},
		{"starttls without auth", serverOpts{}, smtp.Config{TLS: "starttls"}, true},
		{"none on loopback", serverOpts{NoTLS: true}, smtp.Config{TLS: "none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.srv)
			cfg := tt.cfg
			cfg.Host, cfg.Port = "127.0.0.1", srv.Port
			cfg.From = "Password reset <no-reply@example.com>"
			if cfg.TLS != "none" {
				cfg.CAFile = srv.CAFile
			}
			if cfg.Username != "" {
				cfg.PasswordFile = "/run/secrets/smtp" // read by the caller into Password
			}
			m := newMailer(t, cfg)
			if err := send(t, m, notify.Message{Channel: "email", To: "alice@example.com", Subject: subject, Body: body}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			if msgs[0].TLS != tt.tls {
				t.Errorf("TLS = %v, want %v", msgs[0].TLS, tt.tls)
			}
			if msgs[0].User != cfg.Username {
				t.Errorf("authenticated as %q, want %q", msgs[0].User, cfg.Username)
			}
			checkMessage(t, msgs[0], subject, body)
		})
	}
}

func TestSendASCIISubjectAndNoTrailingNewline(t *testing.T) {
	srv := startServer(t, serverOpts{NoTLS: true})
	m := newMailer(t, smtp.Config{Host: "localhost", Port: srv.Port, TLS: "none", From: `"Password reset" <no-reply@example.com>`})
	if err := send(t, m, notify.Message{Channel: "email", To: "alice@example.com", Subject: "Your code", Body: "Code: " + code}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if !strings.Contains(string(msgs[0].Data), "\r\nSubject: Your code\r\n") {
		t.Errorf("ASCII subject not written as is:\n%s", msgs[0].Data)
	}
	checkMessage(t, msgs[0], "Your code", "Code: "+code+"\n")
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		srv       serverOpts
		cfg       smtp.Config
		noCA      bool
		permanent bool
		wantErr   string
	}{
		{"550 on RCPT is permanent",
			serverOpts{RcptErr: &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}},
			smtp.Config{}, false, true, "550"},
		{"451 on RCPT is retried",
			serverOpts{RcptErr: &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}},
			smtp.Config{}, false, false, "451"},
		{"wrong password is permanent",
			serverOpts{User: "sspr", Pass: "right"},
			smtp.Config{Username: "sspr", Password: "wrong"}, false, true, "535"},
		{"untrusted certificate is retried",
			serverOpts{}, smtp.Config{}, true, false, "certificate"},
		{"no STARTTLS offered",
			serverOpts{NoTLS: true}, smtp.Config{}, false, false, "does not offer STARTTLS"},
		{"auth required but not configured",
			serverOpts{User: "sspr", Pass: "right"}, smtp.Config{}, false, true, "502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.srv)
			cfg := tt.cfg
			cfg.Host, cfg.Port, cfg.From = "127.0.0.1", srv.Port, "no-reply@example.com"
			if !tt.noCA {
				cfg.CAFile = srv.CAFile
			}
			err := send(t, newMailer(t, cfg), notify.Message{Channel: "email", To: "alice@example.com", Subject: "s", Body: "code " + code})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", notify.IsPermanent(err), tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), code) {
				t.Errorf("error %q holds the code", err)
			}
			if len(srv.Messages()) != 0 {
				t.Error("server accepted the message")
			}
			if tt.noCA && srv.AuthSeen() {
				t.Error("credentials sent over an unverified connection")
			}
		})
	}
}

func TestSendHonoursContext(t *testing.T) {
	// A server that accepts connections and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { l.Close(); conns.Wait() })
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { _, _ = io.Copy(io.Discard, c); c.Close() })
		}
	})
	m := newMailer(t, smtp.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: "none", From: "no-reply@example.com"})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err = m.Send(ctx, notify.Message{Channel: "email", To: "alice@example.com", Body: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want deadline exceeded", err)
	}
	if notify.IsPermanent(err) {
		t.Error("a timeout is not permanent")
	}
}

func TestSendRefusesOtherChannels(t *testing.T) {
	m := newMailer(t, smtp.Config{Host: "127.0.0.1", Port: 1, TLS: "none", From: "no-reply@example.com"})
	for _, msg := range []notify.Message{
		{Channel: "sms", To: "+14255550100", Body: "x"},
		{Channel: "email", To: "Alice <alice@example.com>", Body: "x"},
		{Channel: "email", To: "not an address", Body: "x"},
	} {
		if err := m.Send(t.Context(), msg); !notify.IsPermanent(err) {
			t.Errorf("Send(%+v) = %v, want a permanent error", msg, err)
		}
	}
}

func TestEncodeSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Your code", "Your code"},
		{"Code\r\nBcc: x@example.com", "Code  Bcc: x@example.com"},
		{"Zoë", "=?utf-8?q?Zo=C3=AB?="},
	}
	for _, tt := range tests {
		if got := smtp.EncodeSubject(tt.in); got != tt.want {
			t.Errorf("EncodeSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 60)
	enc := smtp.EncodeSubject(long)
	var dec mime.WordDecoder
	for _, line := range strings.Split(enc, "\r\n") {
		if len(line) > 78 {
			t.Errorf("folded line too long (%d): %q", len(line), line)
		}
	}
	if got, err := dec.DecodeHeader(strings.ReplaceAll(enc, "\r\n", "")); err != nil || got != long {
		t.Errorf("round trip = %q, %v", got, err)
	}
}

func TestConfigValidate(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := smtp.Config{Host: "smtp.example.com", From: "Reset <no-reply@example.com>"}
	tests := []struct {
		name string
		mod  func(*smtp.Config)
		want []string // "key: fragment"
	}{
		{"minimal", func(*smtp.Config) {}, nil},
		{"full", func(c *smtp.Config) {
			c.Port, c.TLS, c.Username, c.PasswordFile, c.CAFile, c.HelloName = 2525, "implicit", "u", "/run/p", ca, "sspr.example.com"
		}, nil},
		{"none on loopback", func(c *smtp.Config) { c.Host, c.TLS = "127.0.0.1", "none" }, nil},
		{"none on localhost", func(c *smtp.Config) { c.Host, c.TLS = "localhost", "none" }, nil},
		{"empty", func(c *smtp.Config) { *c = smtp.Config{} }, []string{"host: required", "from: required"}},
		{"none remote", func(c *smtp.Config) { c.TLS = "none" }, []string{"tls: none is allowed only when host is 127.0.0.1 or localhost"}},
		{"none with auth", func(c *smtp.Config) { c.Host, c.TLS, c.Username, c.Password = "localhost", "none", "u", "p" }, []string{"username: authentication needs tls"}},
		{"bad tls", func(c *smtp.Config) { c.TLS = "ssl" }, []string{`tls: "ssl" is not one of`}},
		{"bad port", func(c *smtp.Config) { c.Port = 70000 }, []string{"port: 70000"}},
		{"host with port", func(c *smtp.Config) { c.Host = "smtp.example.com:587" }, []string{"host: "}},
		{"username without password", func(c *smtp.Config) { c.Username = "u" }, []string{"passwordFile: required with username"}},
		{"password file without username", func(c *smtp.Config) { c.PasswordFile = "/p" }, []string{"username: required with passwordFile"}},
		{"bad from", func(c *smtp.Config) { c.From = "no-reply" }, []string{"from: "}},
		{"missing ca", func(c *smtp.Config) { c.CAFile = "/nonexistent/ca.pem" }, []string{"caFile: "}},
		{"bad hello", func(c *smtp.Config) { c.HelloName = "a b" }, []string{"helloName: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var ce *problem.List
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want *problem.List", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("problems %v, want %d", ce.Problems, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	for tlsMode, port := range map[string]int{"": 587, "starttls": 587, "implicit": 465, "none": 25} {
		c := smtp.Config{TLS: tlsMode}.WithDefaults()
		if c.Port != port || c.TLS == "" {
			t.Errorf("tls %q: port %d tls %q, want %d", tlsMode, c.Port, c.TLS, port)
		}
	}
	if _, err := smtp.New(smtp.Config{Host: "smtp.example.com", From: "a@example.com", Username: "u", PasswordFile: "/p"}); err == nil || !strings.Contains(err.Error(), "password is empty") {
		t.Errorf("New without password = %v", err)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
host: smtp.example.com
port: 587
tls: starttls
username: sspr@example.com
passwordFile: /run/secrets/smtp-password
from: "Password reset <no-reply@example.com>"
helloName: sspr.example.com
`
	var c smtp.Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := smtp.Config{Host: "smtp.example.com", Port: 587, TLS: "starttls", Username: "sspr@example.com",
		PasswordFile: "/run/secrets/smtp-password", From: "Password reset <no-reply@example.com>", HelloName: "sspr.example.com"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	dec = yaml.NewDecoder(strings.NewReader("host: x\npassword: secret\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err == nil {
		t.Error("a password in the YAML itself was accepted")
	}
}

// TestCheck: the connection test goes as far as AUTH and sends nothing; a wrong password and
// an untrusted certificate fail with the server's reason.
func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		srv     serverOpts
		cfg     smtp.Config
		noCA    bool
		wantErr string // "" = passes
	}{
		{"starttls and auth", serverOpts{User: "sspr", Pass: "right"}, smtp.Config{Username: "sspr", Password: "right"}, false, ""},
		{"implicit tls", serverOpts{Implicit: true}, smtp.Config{TLS: "implicit"}, false, ""},
		{"wrong password", serverOpts{User: "sspr", Pass: "right"}, smtp.Config{Username: "sspr", Password: "wrong"}, false, "AUTH: 535"},
		{"untrusted certificate", serverOpts{}, smtp.Config{}, true, "certificate signed by unknown authority"},
		{"no STARTTLS offered", serverOpts{NoTLS: true}, smtp.Config{}, false, "does not offer STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.srv)
			cfg := tt.cfg
			cfg.Host, cfg.Port, cfg.From = "127.0.0.1", srv.Port, "no-reply@example.com"
			if !tt.noCA {
				cfg.CAFile = srv.CAFile
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := newMailer(t, cfg).Check(ctx)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Check = %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "wrong") {
				t.Errorf("the error shows the password: %v", err)
			}
			if len(srv.Messages()) != 0 {
				t.Error("Check sent a message")
			}
		})
	}
}

// alternatives reads a multipart/alternative mail: each part's decoded body by content type,
// after checking that the plain text comes first, the HTML last, both quoted-printable.
func alternatives(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative with a boundary", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	out := map[string]string{}
	var order []string
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %s: Content-Transfer-Encoding %q", p.Header.Get("Content-Type"), cte)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		out[p.Header.Get("Content-Type")] = string(b)
		order = append(order, p.Header.Get("Content-Type"))
	}
	if want := []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("parts %v, want %v", order, want)
	}
	return out
}
