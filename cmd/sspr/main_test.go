package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// The test binary doubles as the sspr binary: with SSPR_TEST_MAIN=1 it runs main, so the tests
// drive real processes (exit codes, signals, SIGKILL mid-sync).
func TestMain(m *testing.M) {
	if os.Getenv("SSPR_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func command(ctx context.Context, cfg string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-c", cfg}, args...)...)
	cmd.Env = append(os.Environ(), "SSPR_TEST_MAIN=1")
	return cmd
}

func run(t *testing.T, cfg string, args ...string) result {
	t.Helper()
	cmd := command(context.Background(), cfg, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// testDir is a throwaway slapd with the demo's sample users and a config for it.
type testDir struct {
	srv   *slapd.Server
	cfg   string
	store string
	dir   string
}

func newDirectory(t *testing.T, extraLDIF []byte, configExtra string) *testDir {
	t.Helper()
	ldif := [][]byte{demo.SampleLDIF}
	if extraLDIF != nil {
		ldif = append(ldif, extraLDIF)
	}
	srv := testenv.Slapd(t, slapd.Options{Suffix: demo.Suffix, LDIF: ldif, TLS: true, PPolicy: true})
	dir := t.TempDir()
	d := &testDir{srv: srv, dir: dir, cfg: filepath.Join(dir, "sspr.yaml"), store: filepath.Join(dir, "sspr.db")}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(srv.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.writeConfig(t, demo.LiveConfig(d.store, srv.LDAPSURL, srv.AdminDN, pw, srv.CAFile)+configExtra)
	return d
}

func (d *testDir) writeConfig(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(d.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (d *testDir) conn(t *testing.T) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL(d.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(d.srv.AdminDN, d.srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *testDir) users(t *testing.T) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), d.store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountUsers(context.Background(), store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncAndRead(t *testing.T) {
	d := newDirectory(t, nil, "")

	r := run(t, d.cfg, "sync", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "+ carol (uid=carol,ou=Staff,dc=contoso,dc=com)") ||
		!strings.Contains(r.stdout, "sync full dry-run") {
		t.Fatalf("dry run:\n%s", r)
	}
	if n := d.users(t); n != 0 {
		t.Fatalf("dry run stored %d users", n)
	}

	r = run(t, d.cfg, "sync")
	if r.code != 0 || !strings.Contains(r.stdout, "sync full succeeded") ||
		!strings.Contains(r.stdout, "21 added, 0 updated, 0 deleted, 0 unchanged, 0 entries rejected; 4 unusable values left out") {
		t.Fatalf("sync:\n%s", r)
	}
	if n := strings.Count(r.stdout+r.stderr, "succeeded"); n != 1 {
		t.Errorf("the summary is printed %d times:\n%s", n, r)
	}
	if !strings.Contains(r.stdout, `unusable: trent: mobilePhone "+999 12345678": unknown country code`) {
		t.Errorf("rejections not shown:\n%s", r.stdout)
	}
	r = run(t, d.cfg, "sync")
	if r.code != 0 || !strings.Contains(r.stdout, "0 added, 0 updated, 0 deleted, 21 unchanged") {
		t.Fatalf("second sync:\n%s", r)
	}

	// The user JSON has exactly the product's field names; unusable phones are null.
	r = run(t, d.cfg, "user", "get", "CAROL", "-o", "json")
	var carol map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &carol); err != nil {
		t.Fatalf("user get: %v\n%s", err, r)
	}
	keys := make([]string, 0, len(carol))
	for k := range carol {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"accountEnabled", "alternateEmails", "authenticationEmail", "authenticationPhone", "displayName",
		"mobilePhone", "officePhone", "passwordExpiresAt", "securityQuestionsRegistered", "source", "userPrincipalName"}
	if !slices.Equal(keys, want) {
		t.Errorf("user JSON fields %v, want %v", keys, want)
	}
	if carol["mobilePhone"] != "+44 7400123456" || carol["officePhone"] != "+44 2079460958" || carol["source"] != "directory" {
		t.Errorf("carol = %v", carol)
	}
	r = run(t, d.cfg, "user", "get", "heidi")
	if !strings.Contains(r.stdout, `"mobilePhone": null`) {
		t.Errorf("heidi's unusable mobile must be null:\n%s", r.stdout)
	}
	r = run(t, d.cfg, "user", "get", "nobody")
	if r.code != 1 || !strings.Contains(r.stderr, `no user "nobody"`) {
		t.Errorf("unknown user:\n%s", r)
	}

	r = run(t, d.cfg, "user", "list", "-o", "csv")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 22 || !strings.HasPrefix(lines[0], "userPrincipalName,displayName,mobilePhone,officePhone,alternateEmails") {
		t.Errorf("user list csv:\n%s", r)
	}
	r = run(t, d.cfg, "user", "list")
	if !strings.Contains(r.stdout, "zoe") || !strings.Contains(r.stdout, "Zoë Ångström") {
		t.Errorf("user list table:\n%s", r)
	}

	r = run(t, d.cfg, "report", "readiness", "-o", "json")
	var rep struct {
		Users []struct {
			UserPrincipalName string   `json:"userPrincipalName"`
			Ready             bool     `json:"ready"`
			Methods           []string `json:"methods"`
			Problems          []string `json:"problems"`
		} `json:"users"`
		Totals struct {
			Users, Enabled, Ready int
			ReadyPercent          float64 `json:"readyPercent"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("readiness json: %v\n%s", err, r)
	}
	if rep.Totals.Users != 21 || rep.Totals.Enabled != 20 || rep.Totals.Ready != 16 || rep.Totals.ReadyPercent != 80 {
		t.Errorf("totals %+v", rep.Totals)
	}
	for _, u := range rep.Users {
		switch u.UserPrincipalName {
		case "dave":
			if !slices.Equal(u.Methods, []string{"voice"}) || !strings.Contains(strings.Join(u.Problems, ";"), "cannot receive SMS") {
				t.Errorf("dave: %+v", u)
			}
		case "xavier":
			if u.Ready || !strings.Contains(strings.Join(u.Problems, ";"), "disabled") {
				t.Errorf("xavier: %+v", u)
			}
		}
	}
	r = run(t, d.cfg, "report", "readiness", "-o", "csv", "--not-ready")
	if n := strings.Count(strings.TrimSpace(r.stdout), "\n"); n != 5 { // header + 4 not ready + xavier
		t.Errorf("not-ready csv has %d rows:\n%s", n, r.stdout)
	}
	r = run(t, d.cfg, "sync", "runs", "-o", "json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 3 || runs[2]["status"] != "dry-run" {
		t.Errorf("runs: %v\n%s", err, r)
	}
}

func TestDeleteGuard(t *testing.T) {
	d := newDirectory(t, nil, "")
	d.writeConfig(t, strings.Replace(mustRead(t, d.cfg), "deleteThreshold: 500", "deleteThreshold: 2", 1))
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	c := d.conn(t)
	for _, uid := range []string{"alice", "bob", "carol"} {
		if err := c.Del(goldap.NewDelRequest("uid="+uid+",ou=Staff,dc=contoso,dc=com", nil)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, d.cfg, "sync")
	if r.code != 3 || !strings.Contains(r.stderr, "would delete 3 users, more than sync.deleteThreshold (2); nothing was changed") {
		t.Fatalf("guard:\n%s", r)
	}
	if n := d.users(t); n != 21 {
		t.Errorf("guard let %d users remain, want 21", n)
	}
	r = run(t, d.cfg, "sync", "--allow-deletes", "-v")
	if r.code != 0 || !strings.Contains(r.stdout, "- alice") || !strings.Contains(r.stdout, "3 deleted") {
		t.Fatalf("allow-deletes:\n%s", r)
	}
}

func TestVanishedBaseDN(t *testing.T) {
	d := newDirectory(t, nil, "")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	d.writeConfig(t, strings.Replace(mustRead(t, d.cfg), `"ou=Staff,dc=contoso,dc=com"`, `"ou=Gone,dc=contoso,dc=com"`, 1))
	r := run(t, d.cfg, "sync", "--full")
	if r.code != 1 || !strings.Contains(r.stderr, "ou=Gone,dc=contoso,dc=com") {
		t.Fatalf("vanished base DN:\n%s", r)
	}
	if n := d.users(t); n != 21 {
		t.Errorf("%d users left, want 21", n)
	}
}

func TestBindAndTLSErrors(t *testing.T) {
	d := newDirectory(t, nil, "")
	good := mustRead(t, d.cfg)

	wrong := filepath.Join(d.dir, "wrong-pw")
	os.WriteFile(wrong, []byte("Wr0ng-Secret-Value\n"), 0o600)
	d.writeConfig(t, strings.Replace(good, filepath.Join(d.dir, "pw"), wrong, 1))
	r := run(t, d.cfg, "sync")
	if r.code != 1 || !strings.Contains(r.stderr, "invalid credentials") || strings.Contains(r.stdout+r.stderr, "Wr0ng-Secret-Value") {
		t.Errorf("wrong bind password:\n%s", r)
	}

	other := testenv.Slapd(t, slapd.Options{TLS: true}) // a CA that did not sign d's certificate
	d.writeConfig(t, strings.Replace(good, d.srv.CAFile, other.CAFile, 1))
	r = run(t, d.cfg, "sync")
	if r.code != 1 || !strings.Contains(r.stderr, "directory.caFile") {
		t.Errorf("bad CA:\n%s", r)
	}
	if n := d.users(t); n != 0 {
		t.Errorf("failed syncs stored %d users", n)
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sspr.yaml")
	os.WriteFile(cfg, []byte("stor: x\ndirectory:\n  type: novell\n  url: http://x\n"), 0o600)
	r := run(t, cfg, "config", "validate")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r)
	}
	for _, want := range []string{`stor (line 1): unknown key (did you mean "store"?)`, `directory.type: "novell"`, `directory.url: scheme "http"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("missing %q in\n%s", want, r.stderr)
		}
	}
	r = run(t, filepath.Join(dir, "missing.yaml"), "config", "validate")
	if r.code != 2 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("missing file:\n%s", r)
	}
	r = run(t, cfg, "user", "list", "-o", "xml")
	if r.code != 2 || !strings.Contains(r.stderr, "-o xml: use table, json, csv") {
		t.Errorf("bad -o:\n%s", r)
	}
}

// bigDirectory adds n generated users so that a sync lasts long enough to be interrupted.
func bigDirectory(t *testing.T, n int) *testDir {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "dn: uid=bulk%06d,ou=Staff,dc=contoso,dc=com\nobjectClass: inetOrgPerson\nuid: bulk%06d\ncn: Bulk %d\nsn: Bulk\nmobile: +1 425 %03d %04d\n\n",
			i, i, i, 200+i/10000, i%10000)
	}
	return newDirectory(t, []byte(b.String()), "")
}

// waitForRun waits until the sync has recorded its run as running (it then reads the directory
// and writes users in its transaction), then lets it work for a moment.
func waitForRun(t *testing.T, d *testDir, cmd *exec.Cmd, after time.Duration) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if db, err := sql.Open("sqlite", "file:"+d.store+"?mode=ro"); err == nil {
			var status string
			err := db.QueryRow("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1").Scan(&status)
			db.Close()
			if err == nil && status == string(store.RunRunning) {
				time.Sleep(after)
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("sync never started")
}

func TestKilledMidSync(t *testing.T) {
	d := bigDirectory(t, 30000)
	cmd := command(context.Background(), d.cfg, "sync", "-q")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForRun(t, d, cmd, 300*time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if n := d.users(t); n != 0 {
		t.Fatalf("a killed sync left %d users", n)
	}
	// The next run marks the dead one interrupted and completes.
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 || !strings.Contains(r.stdout, "30021 added") {
		t.Fatal(r)
	}
	r := run(t, d.cfg, "sync", "runs", "-o", "json")
	if !strings.Contains(r.stdout, `"status": "interrupted"`) {
		t.Errorf("killed run not marked interrupted:\n%s", r.stdout)
	}
}

func TestDirectoryDiesMidSync(t *testing.T) {
	d := bigDirectory(t, 30000)
	cmd := command(context.Background(), d.cfg, "sync", "-q")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForRun(t, d, cmd, 50*time.Millisecond)
	d.srv.Kill()
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("sync succeeded although slapd died:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "sync full failed") || !strings.Contains(errb.String(), "read directory") {
		t.Errorf("no failed summary:\n%s\n%s", out.String(), errb.String())
	}
	if n := d.users(t); n != 0 {
		t.Fatalf("a failed sync left %d users", n)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
