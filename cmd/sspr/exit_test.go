package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/demo"
)

// fileConfig writes a configuration that reads the demo's users from an LDIF export (no server
// needed) into a SQLite store that does not exist yet; it returns the config and store paths.
func fileConfig(t *testing.T) (cfg, storePath string) {
	t.Helper()
	dir := t.TempDir()
	ldif := filepath.Join(dir, "users.ldif")
	if err := os.WriteFile(ldif, demo.SampleLDIF, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, storePath = filepath.Join(dir, "sspr.yaml"), filepath.Join(dir, "state", "sspr.db")
	if err := os.WriteFile(cfg, []byte(demo.FileConfig(storePath, ldif)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, storePath
}

// TestExitCodes: the exit status is the README's (0 success, 1 error, 2 configuration or usage
// error), and stderr says what was wrong, for every kind of command-line mistake.
func TestExitCodes(t *testing.T) {
	cfg, _ := fileConfig(t)
	missing := filepath.Join(t.TempDir(), "nowhere", "sspr.yaml")
	for _, tc := range []struct {
		name   string
		config string // cfg when empty
		args   []string
		code   int
		stderr []string // each must appear in stderr
	}{
		{"unknown command", "", []string{"bogus"}, 2, []string{`sspr: unknown command "bogus" for "sspr"`, "sspr --help"}},
		{"misspelt command", "", []string{"usr", "list"}, 2, []string{`unknown command "usr" for "sspr"; did you mean "user"?`}},
		{"unknown subcommand", "", []string{"user", "bogus"}, 2, []string{`unknown command "bogus" for "sspr user"`}},
		{"command group alone", "", []string{"user"}, 2, []string{"missing command: sspr user takes one of ", "get", "list"}},
		{"completion alone", "", []string{"completion"}, 2, []string{"missing command: sspr completion takes one of ", "bash"}},
		{"root alone", "", nil, 2, []string{"missing command: sspr takes one of ", "sync", "user"}},
		{"unknown flag", "", []string{"user", "list", "--bogus"}, 2, []string{"unknown flag: --bogus", "usage: sspr user list"}},
		{"unknown flag on a group", "", []string{"user", "--bogus"}, 2, []string{"unknown flag: --bogus"}},
		{"unknown shorthand flag", "", []string{"sync", "-Z"}, 2, []string{"unknown shorthand flag: 'Z' in -Z"}},
		{"flag without its value", "", []string{"user", "list", "-o"}, 2, []string{"flag needs an argument"}},
		{"bad flag value", "", []string{"user", "list", "-o", "xml"}, 2, []string{"-o xml: use table, json, csv"}},
		{"missing argument", "", []string{"user", "get"}, 2, []string{"accepts 1 arg(s), received 0", "usage: sspr user get"}},
		{"extra argument", "", []string{"sync", "runs", "extra"}, 2, []string{`unknown command "extra" for "sspr sync runs"`}},
		{"missing required flags", "", []string{"token", "create"}, 2, []string{`required flag(s) "name", "scope" not set`}},
		{"missing config file", missing, []string{"user", "list"}, 2, []string{missing, "no such file", "--config"}},
		{"missing config file, validate", missing, []string{"config", "validate"}, 2, []string{missing, "--config"}},
		{"version", "", []string{"--version"}, 0, nil},
		{"help", "", []string{"user", "--help"}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.config
			if c == "" {
				c = cfg
			}
			r := run(t, c, tc.args...)
			if r.code != tc.code {
				t.Fatalf("sspr %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), r.code, tc.code, r)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("sspr %s: stderr lacks %q\n%s", strings.Join(tc.args, " "), want, r)
				}
			}
			if tc.code != 0 && strings.Contains(r.stderr, "Usage:") {
				t.Errorf("a mistake prints one line, not the help:\n%s", r)
			}
		})
	}
}

// TestReadOnlyCommandsCreateNoStore: a command that only reads, given a SQLite store path that
// names no file (a typo, or no sync yet), exits 2 naming the path and creates nothing; a command
// that writes creates the store, and then the same reads succeed.
func TestReadOnlyCommandsCreateNoStore(t *testing.T) {
	cfg, storePath := fileConfig(t)
	csv := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(csv, []byte("userPrincipalName,displayName\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reads := [][]string{
		{"user", "get", "carol"},
		{"user", "list"},
		{"report", "readiness"},
		{"report", "expiry"},
		{"report", "coverage"},
		{"report", "activity"},
		{"report", "deliveries"},
		{"sync", "runs"},
		{"token", "list"},
		{"user", "import", csv}, // a dry run
	}
	for _, args := range reads {
		r := run(t, cfg, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "no store at "+storePath) {
			t.Errorf("sspr %s on a missing store: want exit 2 naming %s\n%s", strings.Join(args, " "), storePath, r)
		}
		if _, err := os.Stat(filepath.Dir(storePath)); !os.IsNotExist(err) {
			t.Fatalf("sspr %s created %s (%v)", strings.Join(args, " "), filepath.Dir(storePath), err)
		}
	}

	if r := run(t, cfg, "sync"); r.code != 0 {
		t.Fatalf("sync must create the store:\n%s", r)
	}
	if _, err := os.Stat(storePath); err != nil {
		t.Fatalf("sync did not create the store: %v", err)
	}
	for _, args := range reads {
		if r := run(t, cfg, args...); r.code != 0 {
			t.Errorf("sspr %s on the synced store:\n%s", strings.Join(args, " "), r)
		}
	}
}
