package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/scripts/internal/benchrun"
	"github.com/sspr/sspr/scripts/internal/resetpages"
)

const suffix = "dc=bench,dc=test"

// userName, phoneOf and emailOf spell user i the same way in slapd (for sspr) and in Kratos.
func userName(i int) string { return fmt.Sprintf("user%07d", i) }
func phoneOf(i int) string  { return fmt.Sprintf("+1425%03d%04d", 200+i/10000%800, i%10000) }
func emailOf(i int) string  { return userName(i) + "@bench.test" }

// writeLDIF writes the suffix, ou=people and n users with a mobile number and an email.
func writeLDIF(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench\n\n", suffix)
	fmt.Fprintf(w, "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", suffix)
	for i := range n {
		p := phoneOf(i)
		fmt.Fprintf(w, "dn: uid=%[1]s,ou=people,%[2]s\nobjectClass: inetOrgPerson\nuid: %[1]s\ncn: User %[3]d\nsn: %[3]d\nmail: %[4]s\nmobile: +1 %[5]s %[6]s %[7]s\nuserPassword: Initial-Secret-%[3]d\n\n",
			userName(i), suffix, i, emailOf(i), p[2:5], p[5:8], p[8:])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// directory is the slapd both runs of sspr read, with the users.
type directory struct {
	srv    *slapd.Server
	pwFile string
}

func startDirectory(ctx context.Context, dir string, users int) (*directory, error) {
	ldif := filepath.Join(dir, "users.ldif")
	if err := writeLDIF(ldif, users); err != nil {
		return nil, err
	}
	srv, err := slapd.Start(ctx, slapd.Options{Dir: filepath.Join(dir, "slapd"), Suffix: suffix, LDIFFiles: []string{ldif}, NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("slapd: %w", err)
	}
	pw := filepath.Join(dir, "slapd-pw")
	if err := os.WriteFile(pw, []byte(srv.AdminPassword), 0o600); err != nil {
		srv.Stop()
		return nil, err
	}
	return &directory{srv: srv, pwFile: pw}, nil
}

// sspr is one sspr store (SQLite file or PostgreSQL database) with its configuration; serve
// runs `sspr serve` on it.
type sspr struct {
	bin, cfg, base string
	codes          *receiver
}

// ssprConfig is the serve configuration: the SMS codes go to the receiver by the webhook
// channel (as Kratos's go to it by its HTTP courier), the first step is padded to floor, and
// the throttles are the product's defaults, per client address as 127.0.0.1 tells it in
// X-Forwarded-For (each start comes from its own address: see clientAddr).
func ssprConfig(store, ldapURL, adminDN, pwFile, listen, metrics, secretFile, webhook string, floor time.Duration) string {
	return benchrun.ServeConfigHead(store, ldapURL, adminDN, pwFile, suffix, listen, listen, secretFile) + fmt.Sprintf(`  metricsListen: %s
  trustedProxies: ["127.0.0.1"]
notify:
  sms:
    webhook:
      url: %s
reset:
  methods: [sms]
  responseFloor: %s
log:
  level: warn
`, metrics, webhook, floor)
}

// setupSSPR writes the configuration for store and syncs the directory into it.
func setupSSPR(bin, dir, store string, env []string, d *directory, codes *receiver, floor time.Duration) (*sspr, error) {
	secretFile := filepath.Join(dir, "sspr-secret")
	if _, err := secret.Generate(secretFile); err != nil {
		return nil, err
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "sspr.yaml")
	text := ssprConfig(store, d.srv.URL, d.srv.AdminDN, d.pwFile, listen, metrics, secretFile, codes.url, floor)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command(bin, "-c", cfg, "config", "validate").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sspr config validate: %w\n%s", err, out)
	}
	sync := exec.Command(bin, "-c", cfg, "sync", "-q")
	sync.Env = env
	if out, err := sync.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sspr sync: %w\n%s", err, out)
	}
	return &sspr{bin: bin, cfg: cfg, base: "http://" + listen, codes: codes}, nil
}

// serve starts `sspr serve`; stop it with the returned function.
func (s *sspr) serve(env []string) (pid int, stop func(), err error) {
	cmd := exec.Command(s.bin, "-c", s.cfg, "serve", "--no-sync")
	cmd.Env = env
	return startServer(cmd, s.base+"/healthz", 20*time.Second)
}

// browser opens a session on sspr's reset pages (GET /reset, from 127.0.0.1 itself).
func (s *sspr) browser() (*resetpages.Browser, error) {
	return resetpages.New(s.base, newClient(), nil)
}

func (s *sspr) newStarter() (func(string) error, error) {
	b, err := s.browser()
	if err != nil {
		return nil, err
	}
	return func(name string) error {
		b.Header.Set("X-Forwarded-For", clientAddr())
		return b.Start(name)
	}, nil
}

// reset is a complete sspr reset, from one client address; the new password is always
// written to the directory.
func (s *sspr) reset(n int, _ bool) error {
	b, err := s.browser()
	if err != nil {
		return err
	}
	b.Header.Set("X-Forwarded-For", clientAddr())
	if err := b.Start(userName(n)); err != nil {
		return err
	}
	code, err := s.codes.wait(phoneOf(n), codeWait)
	if err != nil {
		return err
	}
	return b.Complete("sms", code, fmt.Sprintf("Quiet-Harbor-Lantern-%d", n))
}
