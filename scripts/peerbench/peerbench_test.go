package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/secret"
)

// TestParseMessage: the receiver reads both systems' deliveries, and refuses what has no
// destination or no code.
func TestParseMessage(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		to, code string
		wantErr  bool
	}{
		{"sspr SMS webhook", `{"channel":"sms","to":"+14252000007","body":"Your reset code: 12345678. It expires in 10 minutes."}`, "+14252000007", "12345678", false},
		{"Kratos HTTP courier", `{"recipient":"user0000007@bench.test","template_type":"recovery_code_valid","to":"user0000007@bench.test","recovery_code":"424242","subject":"Recover access"}`, "user0000007@bench.test", "424242", false},
		{"no code", `{"channel":"sms","to":"+14252000007","body":"hello"}`, "", "", true},
		{"no destination", `{"recovery_code":"424242"}`, "", "", true},
		{"not JSON", `code 12345678`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, code, err := parseMessage([]byte(tt.body))
			if (err != nil) != tt.wantErr || to != tt.to || code != tt.code {
				t.Fatalf("parseMessage = %q, %q, %v; want %q, %q, error %v", to, code, err, tt.to, tt.code, tt.wantErr)
			}
		})
	}
}

// TestReceiver: a code posted to the receiver is handed out once to whoever waits for its
// address; another address times out.
func TestReceiver(t *testing.T) {
	rc, err := startReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.stop()
	resp, err := http.Post(rc.url, "application/json", strings.NewReader(`{"to":"a@bench.test","recovery_code":"123456"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, err := rc.wait("a@bench.test", time.Second); err != nil || code != "123456" {
		t.Fatalf("wait = %q, %v; want 123456", code, err)
	}
	if _, err := rc.wait("a@bench.test", 50*time.Millisecond); err == nil {
		t.Fatal("a code was handed out twice")
	}
	resp, err = http.Post(rc.url, "application/json", strings.NewReader(`{"to":"b@bench.test"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a message without a code: %d, want 400", resp.StatusCode)
	}
}

func TestKratosFlowCSRF(t *testing.T) {
	var f kratosFlow
	body := `{"id":"f1","state":"choose_method","ui":{"nodes":[{"attributes":{"name":"email","value":""}},{"attributes":{"name":"csrf_token","value":"tok"}},{"attributes":{"name":"method","value":"code"}}]}}`
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != "f1" || f.csrf() != "tok" {
		t.Fatalf("flow %q csrf %q, want f1 and tok", f.ID, f.csrf())
	}
	var e kratosFlow
	if err := json.Unmarshal([]byte(`{"error":{"id":"browser_location_change_required"},"redirect_browser_to":"http://x/ui/settings?flow=s1"}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.Error.ID != "browser_location_change_required" || e.csrf() != "" || !strings.HasSuffix(e.RedirectBrowserTo, "flow=s1") {
		t.Fatalf("error answer read as %+v", e)
	}
}

// TestPlan: the complete resets' blocks never overlap each other or the first step's users.
func TestPlan(t *testing.T) {
	*users, *runs, *resets, *pwResets = 1000, 3, 50, 10
	p, err := newPlan(2)
	if err != nil {
		t.Fatal(err)
	}
	if p.firstUsers != 1000-2*6*50 {
		t.Fatalf("firstUsers = %d", p.firstUsers)
	}
	seen := map[int]bool{}
	for s := range 2 {
		for b := range p.blocksPerStore {
			for i := p.block(s, b); i < p.block(s, b)+*resets; i++ {
				if seen[i] || i < p.firstUsers || i >= *users {
					t.Fatalf("user %d of store %d block %d overlaps or is out of range", i, s, b)
				}
				seen[i] = true
			}
		}
	}
	*users = 500
	if _, err := newPlan(2); err == nil {
		t.Fatal("a plan without first-step users was accepted")
	}
}

func TestParseStores(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"postgres,sqlite", "postgres sqlite", false},
		{"sqlite, postgres,sqlite", "sqlite postgres", false},
		{"mysql", "", true},
	}
	for _, tt := range tests {
		got, err := parseStores(tt.in)
		if (err != nil) != tt.wantErr || strings.Join(got, " ") != tt.want {
			t.Errorf("parseStores(%q) = %q, %v", tt.in, got, err)
		}
	}
}

// TestKratosConfig: the configuration has the courier settings
// that keep delivery off the critical path.
func TestKratosConfig(t *testing.T) {
	text, err := kratosConfig("postgres://postgres@127.0.0.1:5/k?sslmode=disable", "127.0.0.1:4433", "127.0.0.1:4434", "/tmp/s.json", "http://127.0.0.1:9/messages")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pull_count: 200", "pull_wait: 100ms", "haveibeenpwned_enabled: false", "use: code", "port: 4433", `url: "http://127.0.0.1:9/messages"`} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
}

// TestSSPRConfigValidates: sspr accepts the benchmark's configuration (when a built sspr is there).
func TestSSPRConfigValidates(t *testing.T) {
	// The binary is built here, not taken from bin/ (a fresh clone has none, and a test that
	// skipped there would prove nothing).
	dir := t.TempDir()
	bin := filepath.Join(dir, "sspr")
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/sspr/sspr/cmd/sspr").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sspr: %v\n%s", err, out)
	}
	if _, err := secret.Generate(filepath.Join(dir, "secret")); err != nil {
		t.Fatal(err)
	}
	text := ssprConfig("sqlite://"+dir+"/s.db", "ldap://127.0.0.1:1", "cn=admin,"+suffix, filepath.Join(dir, "secret"), "127.0.0.1:8080", "127.0.0.1:8081", filepath.Join(dir, "secret"), "http://127.0.0.1:9/messages", time.Millisecond)
	cfg := filepath.Join(dir, "sspr.yaml")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-c", cfg, "config", "validate")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sspr config validate: %v\n%s\n%s", err, out.String(), text)
	}
}
