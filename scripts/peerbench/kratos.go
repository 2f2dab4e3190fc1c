package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// kratosModule is the peer: Ory Kratos at this version, built from its module's source.
const (
	kratosModule  = "github.com/ory/kratos"
	kratosVersion = "v1.3.1"
)

// Kratos's courier settings: by default it pulls 10 messages every second (10 messages/s),
// which would make delivery the bottleneck of its complete flow. It is set to pull up to
// kratosPullCount messages (its limit is 255) every kratosPullWait: up to 2,000 messages/s,
// a code waiting 50 ms on average. Each pull costs Kratos and PostgreSQL CPU even when the
// queue is empty (the benchmark prints the idle cost): 20ms cost 80 ms of CPU per second idle.
const (
	kratosPullCount = 200
	kratosPullWait  = "100ms"
)

// buildKratos returns Kratos's binary under cache, building it when it is not there yet: the
// module's source is downloaded with `go mod download` (its replace directives make `go
// install` refuse it), copied to a writable folder and built with cgo and -tags sqlite (its
// SQLite store needs both).
func buildKratos(ctx context.Context, goCmd, cache string) (string, error) {
	bin := filepath.Join(cache, "kratos-"+kratosVersion)
	if out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput(); err == nil && strings.Contains(string(out), kratosVersion) {
		return bin, nil
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		return "", errors.New("building Kratos needs a C compiler (cgo, for its SQLite store): scripts/install-deps.sh bench")
	}
	fmt.Printf("building Kratos %s into %s (once; the binary is kept)\n", kratosVersion, bin)
	var dl struct{ Dir, Error string }
	out, err := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", kratosModule+"@"+kratosVersion).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w\n%s", kratosModule, kratosVersion, err, out)
	}
	if err := json.Unmarshal(out, &dl); err != nil || dl.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no module folder (%v %s)", kratosModule, kratosVersion, err, dl.Error)
	}
	src := filepath.Join(cache, "kratos-"+kratosVersion+"-src")
	if err := os.RemoveAll(src); err != nil {
		return "", err
	}
	if err := os.CopyFS(src, os.DirFS(dl.Dir)); err != nil {
		return "", fmt.Errorf("copy Kratos's source: %w", err)
	}
	// The module cache is read-only; the copy must be writable for the build (and for rm -rf).
	if err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	}); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	build := exec.CommandContext(ctx, goCmd, "build", "-tags", "sqlite", "-trimpath",
		"-ldflags", "-X github.com/ory/kratos/driver/config.Version="+kratosVersion, "-o", abs, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "GOFLAGS=-buildvcs=false")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	t0 := time.Now()
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build Kratos: %w", err)
	}
	fmt.Printf("built Kratos %s in %s\n", kratosVersion, time.Since(t0).Round(time.Second))
	return bin, nil
}

// kratosSchema is the identity schema: an email that is the password identifier and the
// recovery address.
const kratosSchema = `{
  "$id": "peerbench-identity",
  "title": "Person",
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {
          "type": "string",
          "format": "email",
          "ory.sh/kratos": {
            "credentials": {"password": {"identifier": true}},
            "recovery": {"via": "email"}
          }
        }
      },
      "required": ["email"],
      "additionalProperties": false
    }
  }
}
`

// kratosConfig is Kratos's configuration: recovery by code, codes by the HTTP courier to the
// receiver (its default body carries "to" and "recovery_code"), bcrypt at its default cost
// and no HaveIBeenPwned lookup (no internet here; a lookup would cost Kratos a network call
// per password).
func kratosConfig(dsn, public, admin, schema, webhook string) (string, error) {
	secrets := make([]string, 2)
	for i := range secrets {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		secrets[i] = hex.EncodeToString(b) // 32 characters, as secrets.cipher requires
	}
	ph, pp, _ := strings.Cut(public, ":")
	ah, ap, _ := strings.Cut(admin, ":")
	return fmt.Sprintf(`version: %[1]s
dsn: %[2]q
serve:
  public: {base_url: "http://%[3]s/", host: %[4]s, port: %[5]s}
  admin: {base_url: "http://%[6]s/", host: %[7]s, port: %[8]s}
selfservice:
  default_browser_return_url: "http://%[3]s/ui/welcome"
  allowed_return_urls: ["http://%[3]s/"]
  methods:
    password:
      enabled: true
      config: {haveibeenpwned_enabled: false}
    code: {enabled: true}
    link: {enabled: false}
  flows:
    recovery: {enabled: true, use: code, ui_url: "http://%[3]s/ui/recovery"}
    settings: {ui_url: "http://%[3]s/ui/settings", privileged_session_max_age: 15m}
    login: {ui_url: "http://%[3]s/ui/login"}
    registration: {ui_url: "http://%[3]s/ui/registration"}
    error: {ui_url: "http://%[3]s/ui/error"}
identity:
  default_schema_id: default
  schemas: [{id: default, url: "file://%[9]s"}]
courier:
  delivery_strategy: http
  http:
    request_config: {url: %[10]q, method: POST}
  worker: {pull_count: %[11]d, pull_wait: %[12]s}
hashers:
  algorithm: bcrypt
  bcrypt: {cost: 12}
secrets:
  cookie: [%[13]s]
  cipher: [%[14]s]
log:
  level: error
`, kratosVersion, dsn, public, ph, pp, admin, ah, ap, schema, webhook, kratosPullCount, kratosPullWait, secrets[0], secrets[1]), nil
}

// kratos is one Kratos store (PostgreSQL database or SQLite file) with its configuration.
type kratos struct {
	bin, cfg, dsn string
	public, admin string // base URLs
	codes         *receiver
}

// setupKratos writes the configuration and the schema, and runs Kratos's migrations.
func setupKratos(bin, dir, dsn string, codes *receiver) (*kratos, error) {
	public, err := freeAddr()
	if err != nil {
		return nil, err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	schema := filepath.Join(dir, "identity.schema.json")
	if err := os.WriteFile(schema, []byte(kratosSchema), 0o600); err != nil {
		return nil, err
	}
	text, err := kratosConfig(dsn, public, admin, schema, codes.url)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "kratos.yaml")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return nil, err
	}
	k := &kratos{bin: bin, cfg: cfg, dsn: dsn, public: "http://" + public, admin: "http://" + admin, codes: codes}
	migrate := exec.Command(bin, "-c", cfg, "migrate", "sql", "-e", "--yes")
	migrate.Env = k.env()
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kratos migrate sql: %w\n%s", err, tail(out, 2000))
	}
	return k, nil
}

// env is the environment of Kratos's commands: the DSN (as the configuration has it) and no
// telemetry.
func (k *kratos) env() []string { return append(os.Environ(), "DSN="+k.dsn, "SQA_OPT_OUT=true") }

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// serve starts `kratos serve --watch-courier` (the courier in the same process, as sspr's
// delivery is); stop it with the returned function.
func (k *kratos) serve() (pid int, stop func(), err error) {
	cmd := exec.Command(k.bin, "-c", k.cfg, "serve", "--watch-courier", "--sqa-opt-out")
	cmd.Env = k.env()
	return startServer(cmd, k.public+"/health/ready", 60*time.Second)
}

// importUsers creates users 0..n-1 (email userNNNNNNN@bench.test, no password) through the
// admin API's batch endpoint, 1000 a request, parallel requests at a time.
func (k *kratos) importUsers(n, parallel int) error {
	const batch = 1000
	type create struct {
		SchemaID string            `json:"schema_id"`
		Traits   map[string]string `json:"traits"`
	}
	type patch struct {
		Create create `json:"create"`
	}
	one := func(from int) error {
		var body struct {
			Identities []patch `json:"identities"`
		}
		for i := from; i < min(n, from+batch); i++ {
			body.Identities = append(body.Identities, patch{Create: create{SchemaID: "default", Traits: map[string]string{"email": emailOf(i)}}})
		}
		b, _ := json.Marshal(body)
		status, out, err := send(http.DefaultClient, "PATCH", k.admin+"/admin/identities", "application/json", bytes.NewReader(b), "application/json", "")
		switch {
		case err != nil:
			return fmt.Errorf("kratos import: %w", err)
		case status != http.StatusOK, bytes.Contains(out, []byte(`"error"`)):
			return fmt.Errorf("kratos import: %d %s", status, tail(out, 500))
		}
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, parallel)
	for from := 0; from < n; from += batch {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := one(from); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// kratosFlow is what the benchmark reads of a self-service flow (or of an error answer).
type kratosFlow struct {
	ID    string `json:"id"`
	State string `json:"state"`
	UI    struct {
		Nodes []struct {
			Attributes struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"attributes"`
		} `json:"nodes"`
		Messages []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"messages"`
	} `json:"ui"`
	Error struct {
		ID string `json:"id"`
	} `json:"error"`
	RedirectBrowserTo string `json:"redirect_browser_to"`
}

// csrf is the flow's CSRF token (its csrf_token node).
func (f *kratosFlow) csrf() string {
	for _, n := range f.UI.Nodes {
		if s, ok := n.Attributes.Value.(string); ok && n.Attributes.Name == "csrf_token" {
			return s
		}
	}
	return ""
}

// kratosBrowser is one browser using Kratos's browser flows as a single-page app does (JSON in
// and out, CSRF cookie and token, session cookie).
type kratosBrowser struct {
	c        *http.Client
	base, ip string // ip: the client's address in X-Forwarded-For (Kratos reads none)
}

// do sends one request (JSON body when body is set) and decodes the answer into a flow.
func (b *kratosBrowser) do(method, path string, body any) (*kratosFlow, int, error) {
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	status, out, err := send(b.c, method, b.base+path, "application/json", r, "application/json", b.ip)
	if err != nil {
		return nil, status, err
	}
	var f kratosFlow
	if err := json.Unmarshal(out, &f); err != nil {
		return nil, status, fmt.Errorf("kratos %s %s: %d %s", method, path, status, tail(out, 300))
	}
	return &f, status, nil
}

// start is Kratos's first step: a recovery flow created, the email submitted; Kratos answers
// the same ("sent_email") whether the address is known or not.
func (b *kratosBrowser) start(email string) (*kratosFlow, error) {
	f, status, err := b.do("GET", "/self-service/recovery/browser", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || f.ID == "" || f.csrf() == "" {
		return nil, fmt.Errorf("kratos recovery flow: %d, no flow or no CSRF token (%s)", status, f.Error.ID)
	}
	token := f.csrf()
	sent, status, err := b.do("POST", "/self-service/recovery?flow="+f.ID, map[string]string{"method": "code", "email": email, "csrf_token": token})
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || sent.State != "sent_email" {
		return nil, fmt.Errorf("kratos recovery email: %d state %q %s %v", status, sent.State, sent.Error.ID, sent.UI.Messages)
	}
	return f, nil // the flow as created: its CSRF token stays valid for the code
}

func (k *kratos) newStarter() (func(string) error, error) {
	b := &kratosBrowser{c: newClient(), base: k.public}
	return func(email string) error {
		b.ip = clientAddr()
		_, err := b.start(email)
		return err
	}, nil
}

// reset is a complete Kratos recovery: first step, code from the receiver, code proved (Kratos
// then issues a session and a settings flow); with setPassword the new password is also set in
// that settings flow (bcrypt).
func (k *kratos) reset(n int, setPassword bool) error {
	b := &kratosBrowser{c: newClient(), base: k.public, ip: clientAddr()}
	f, err := b.start(emailOf(n))
	if err != nil {
		return err
	}
	code, err := k.codes.wait(emailOf(n), codeWait)
	if err != nil {
		return err
	}
	done, status, err := b.do("POST", "/self-service/recovery?flow="+f.ID, map[string]string{"method": "code", "code": code, "csrf_token": f.csrf()})
	if err != nil {
		return err
	}
	// A browser flow asked for JSON answers 422 browser_location_change_required, pointing to
	// the settings flow that the recovery opened.
	if status != http.StatusUnprocessableEntity || done.Error.ID != "browser_location_change_required" {
		return fmt.Errorf("kratos recovery code: %d %s %v", status, done.Error.ID, done.UI.Messages)
	}
	if !setPassword {
		return nil
	}
	to, err := url.Parse(done.RedirectBrowserTo)
	if err != nil || to.Query().Get("flow") == "" {
		return fmt.Errorf("kratos recovery code: no settings flow in %q", done.RedirectBrowserTo)
	}
	sid := to.Query().Get("flow")
	sf, status, err := b.do("GET", "/self-service/settings/flows?id="+sid, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK || sf.csrf() == "" {
		return fmt.Errorf("kratos settings flow: %d %s", status, sf.Error.ID)
	}
	pw := fmt.Sprintf("Quiet-Harbor-Lantern-%d", n)
	set, status, err := b.do("POST", "/self-service/settings?flow="+sid, map[string]string{"method": "password", "password": pw, "csrf_token": sf.csrf()})
	if err != nil {
		return err
	}
	if status != http.StatusOK || set.State != "success" {
		return fmt.Errorf("kratos settings password: %d state %q %s %v", status, set.State, set.Error.ID, set.UI.Messages)
	}
	return nil
}
