package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestVersion: sspr version names the version, the Go release and every module compiled in;
// the report is made of the build information as given.
func TestVersion(t *testing.T) {
	cfg, _ := fileConfig(t)
	r := run(t, cfg, "version")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"sspr dev\n", "go " + runtime.Version() + " ", "dep github.com/spf13/cobra v", "dep modernc.org/sqlite v"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sspr version lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, tc := range []struct {
		name    string
		version string
		bi      *debug.BuildInfo
		want    []string
	}{
		{"stamped", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, []string{"sspr v1.2.3\n"}},
		{"go install module@version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, []string{"sspr v1.4.0\n"}},
		{"settings and a replaced module", "v1", &debug.BuildInfo{
			Settings: []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "-ldflags", Value: "-X main.version=v1"}, {Key: "vcs.revision", Value: "abc123"}},
			Deps:     []*debug.Module{{Path: "example.com/a", Version: "v1.0.0", Sum: "h1:x=", Replace: &debug.Module{Path: "../a", Version: ""}}},
		}, []string{"build CGO_ENABLED=0\n", "build vcs.revision=abc123\n", "dep example.com/a v1.0.0 => ../a  h1:x=\n"}},
		{"no build information", "dev", nil, []string{"sspr dev\n", "(no build information in this binary)\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeVersion(&b, tc.version, tc.bi); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("lacks %q:\n%s", want, b.String())
				}
			}
			if strings.Contains(b.String(), "ldflags") {
				t.Errorf("prints the linker flags:\n%s", b.String())
			}
		})
	}
}

// TestHealth: sspr health exits 0 on a 2xx answer, 1 on another status, a redirect or no
// server, and 2 on a URL that is not http(s); it reads no configuration.
func TestHealth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok\n"))
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		default:
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	closed := "http://" + closedPort(t) + "/healthz"
	noConfig := filepath.Join(t.TempDir(), "none.yaml")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"healthy", []string{srv.URL + "/healthz"}, 0},
		{"not ready", []string{srv.URL + "/readyz"}, 1},
		{"a redirect is not followed", []string{srv.URL + "/moved"}, 1},
		{"nothing listens", []string{closed}, 1},
		{"the default URL, nothing listens", []string{"--timeout", "2s"}, -1},
		{"not an http URL", []string{"ftp://127.0.0.1/"}, 2},
		{"two URLs", []string{srv.URL, srv.URL}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, noConfig, append([]string{"health"}, tc.args...)...)
			if tc.code == -1 { // 127.0.0.1:8080 may be anyone's here: only never a usage error
				if r.code == 2 {
					t.Error(r)
				}
				return
			}
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r)
			}
		})
	}
}

// TestDocsMan: sspr docs man writes a man page per command, with the command's synopsis.
func TestDocsMan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	r := run(t, filepath.Join(t.TempDir(), "none.yaml"), "docs", "man", dir)
	if r.code != 0 {
		t.Fatal(r)
	}
	var pages []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pages = append(pages, e.Name())
	}
	for _, want := range []string{"sspr.1", "sspr-user-get.1", "sspr-serve.1", "sspr-version.1", "sspr-docs-man.1", "sspr-explain.1"} {
		if !slices.Contains(pages, want) {
			t.Errorf("no %s among %v", want, pages)
		}
	}
	// One page per command a user can run or group (cobra's hidden ones and help excluded).
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	slices.Sort(want)
	if !slices.Equal(pages, want) {
		t.Errorf("man pages\n%v\nwant one per command\n%v", pages, want)
	}
	page := mustRead(t, filepath.Join(dir, "sspr-user-get.1"))
	for _, want := range []string{`.TH "SSPR" "1"`, "sspr user get USERPRINCIPALNAME", "--output", ".SH SEE ALSO"} {
		if !strings.Contains(page, want) {
			t.Errorf("sspr-user-get.1 lacks %q:\n%s", want, page)
		}
	}
}

// complete runs the shell's completion request (what the completion scripts call) and returns
// the candidates, without the directive line.
func complete(t *testing.T, cfg string, args ...string) []string {
	t.Helper()
	r := run(t, cfg, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatal(r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != ":4" { // ShellCompDirectiveNoFileComp
		t.Fatalf("completion did not end with the no-file directive :4:\n%s", r)
	}
	return lines[:len(lines)-1]
}

// TestCompleteUserNames: the commands that take a user complete the names in the store that
// start with what is typed (case-insensitively), each with its display name; only the first
// argument; and nothing, quietly, when there is no configuration or no store (which completion
// does not create).
func TestCompleteUserNames(t *testing.T) {
	cfg, storePath := fileConfig(t)

	// Before any sync there is no store: nothing offered, nothing created.
	if got := complete(t, cfg, "user", "get", ""); len(got) != 0 {
		t.Errorf("completion without a store offered %q", got)
	}
	if _, err := os.Stat(storePath); !os.IsNotExist(err) {
		t.Fatalf("completion created the store: %v", err)
	}
	if r := run(t, cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"user get", []string{"user", "get", "c"}, []string{"carol\tCarol Clarke"}},
		{"case-insensitive", []string{"user", "get", "AL"}, []string{"alice\tAlice Anderson"}},
		{"user set", []string{"user", "set", "da"}, []string{"dave\tDave Dawson"}},
		{"user delete", []string{"user", "delete", "er"}, []string{"erin\tErin Engel"}},
		{"explain", []string{"explain", "fr"}, []string{"frank\tFrank Fischer"}},
		{"a prefix, not a substring", []string{"user", "get", "lice"}, nil},
		{"only the first argument", []string{"explain", "alice", "b"}, nil},
		{"no such name", []string{"user", "get", "zz"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := complete(t, cfg, tc.args...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("completing %q: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
	if got := complete(t, cfg, "user", "get", ""); len(got) < 10 {
		t.Errorf("an empty prefix offered %d names, want every user (the sample has more than 10)", len(got))
	}
	if got := complete(t, filepath.Join(t.TempDir(), "none.yaml"), "user", "get", "a"); len(got) != 0 {
		t.Errorf("completion without a configuration offered %q", got)
	}
	// Every command whose first argument is a user completes it.
	var missing []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := strings.Fields(c.Use); len(f) > 1 && f[1] == "USERPRINCIPALNAME" && c.ValidArgsFunction == nil {
			missing = append(missing, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	if len(missing) > 0 {
		t.Errorf("these commands take a user but do not complete it: %v", missing)
	}
}
