package packaging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/testenv"
)

// The image test's names: it removes exactly these, never another image or container.
const (
	testImage   = "localhost/sspr:packaging-test"
	testVersion = "v0.0.0-packaging-test"
	runtimeUID  = 65532 // the Containerfile's USER
)

// buildah runs buildah on the test's own storage folder (scripts/image.sh's BUILDAH_ROOT).
type buildah struct {
	t    *testing.T
	root string
}

func (b buildah) args(args ...string) []string {
	return append([]string{"--storage-driver", "vfs", "--root", filepath.Join(b.root, "storage"), "--runroot", filepath.Join(b.root, "run")}, args...)
}

func (b buildah) run(args ...string) (string, error) {
	b.t.Helper()
	cmd := exec.Command("buildah", b.args(args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("buildah %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func (b buildah) must(args ...string) string {
	b.t.Helper()
	out, err := b.run(args...)
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// TestImage builds the Containerfile the way `make image` does (buildah, vfs, chroot
// isolation, the builder image made from this machine's Go toolchain), then checks the image:
// its binary prints the stamped version, it runs as a numeric non-root user with a health
// check, the CA bundle and an empty state folder that user owns, and nothing else; and it
// serves: `sspr serve` runs in a container (host network), answers /healthz, the image's own
// health check command passes against it, SIGTERM stops it gracefully (exit 0), and the health
// check then fails.
func TestImage(t *testing.T) {
	if _, err := exec.LookPath("buildah"); err != nil {
		testenv.Unavailable(t, "buildah is not installed (apt-get install buildah): %v", err)
	}
	if testing.Short() && !testenv.Required() {
		t.Skip("builds a container image: not in -short")
	}
	start := time.Now()
	b := buildah{t: t, root: t.TempDir()}
	var containers []string
	t.Cleanup(func() {
		for _, c := range containers {
			_, _ = b.run("umount", c)
			_, _ = b.run("rm", c)
		}
		_, _ = b.run("rmi", "--force", testImage)
		// The builder image, made by this test in its own storage, goes with the folder.
		_, _ = b.run("rmi", "--all", "--force")
	})

	build := exec.Command("make", "--no-print-directory", "-C", root, "image", "IMAGE="+testImage, "VERSION="+testVersion)
	build.Env = append(os.Environ(), "BUILDAH_ROOT="+b.root)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Logf("make image: %s", time.Since(start).Round(time.Second))

	// The image's configuration.
	var inspect struct {
		Docker struct {
			Config struct {
				User         string
				Entrypoint   []string
				Cmd          []string
				ExposedPorts map[string]struct{}
				Healthcheck  *struct{ Test []string }
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(b.must("inspect", "--type", "image", testImage)), &inspect); err != nil {
		t.Fatal(err)
	}
	cfg := inspect.Docker.Config
	if cfg.User != fmt.Sprintf("%d:%d", runtimeUID, runtimeUID) {
		t.Errorf("image user %q, want %d:%d (numeric, non-root)", cfg.User, runtimeUID, runtimeUID)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/sspr"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q, want [/sspr] [serve]", cfg.Entrypoint, cfg.Cmd)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if cfg.Healthcheck == nil || !slices.Contains(cfg.Healthcheck.Test, "health") {
		t.Errorf("health check %+v, want /sspr health", cfg.Healthcheck)
	}

	c := "sspr-packaging-test-" + fmt.Sprint(os.Getpid())
	containers = append(containers, c)
	b.must("from", "--name", c, testImage)

	// The files: the binary, the CA bundle, the state folder; owned as they should be.
	mnt := strings.TrimSpace(b.must("mount", c))
	var files []string
	err := filepath.Walk(mnt, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, mnt)
		switch rel {
		case "/dev", "/proc", "/sys", "/run": // mount points buildah adds to every container
			return filepath.SkipDir
		}
		if !fi.IsDir() || rel == "/var/lib/sspr" {
			st := fi.Sys().(*syscall.Stat_t)
			files = append(files, fmt.Sprintf("%s %d:%d %v", rel, st.Uid, st.Gid, fi.Mode()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.must("umount", c)
	slices.Sort(files)
	wantFiles := []string{
		"/etc/ssl/certs/ca-certificates.crt 0:0 -rw-r--r--",
		"/sspr 0:0 -rwxr-xr-x",
		fmt.Sprintf("/var/lib/sspr %d:%d drwxr-xr-x", runtimeUID, runtimeUID),
	}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("the image holds\n%s\nwant\n%s", strings.Join(files, "\n"), strings.Join(wantFiles, "\n"))
	}

	// The binary runs, as the image's user, and says what it is.
	out := b.must("run", "--isolation", "chroot", c, "--", "/sspr", "version")
	for _, want := range []string{"sspr " + testVersion + "\n", "\ngo go1.", "build CGO_ENABLED=0", "build -trimpath=true", "dep github.com/spf13/cobra "} {
		if !strings.Contains(out, want) {
			t.Errorf("/sspr version in the image lacks %q:\n%s", want, out)
		}
	}

	testServeInContainer(t, b, c)
	t.Logf("image test: %s in all", time.Since(start).Round(time.Second))
}

// testServeInContainer runs `sspr serve` in container c on the host's network, with a state
// volume at /var/lib/sspr owned by the image's user, as a deployment would mount one. The
// configuration, users and secret are in that volume too: buildah 1.28's run shadows the second
// of two -v mounts with the image's anonymous VOLUME when it is the VOLUME's path.
func testServeInContainer(t *testing.T, b buildah, c string) {
	state := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(state, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("users.ldif", string(demo.SampleLDIF))
	if _, err := secret.Generate(filepath.Join(state, "secret")); err != nil {
		t.Fatal(err)
	}
	server := strings.Replace(demo.Server(addr, "/var/lib/sspr/secret", "/var/lib/sspr/outbox.jsonl"),
		"server:\n", "server:\n  metricsListen: none\n", 1)
	write("sspr.yaml", demo.FileConfig("/var/lib/sspr/sspr.db", "/var/lib/sspr/users.ldif")+server)
	for _, name := range []string{"", "users.ldif", "secret", "sspr.yaml"} {
		if err := os.Chown(filepath.Join(state, name), runtimeUID, runtimeUID); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, "buildah", b.args("run", "--isolation", "chroot", "--network", "host",
		"-v", state+":/var/lib/sspr", c, "--", "/sspr", "serve", "--config", "/var/lib/sspr/sspr.yaml")...)
	// Its own process group, so that the test ends buildah and the server it started, and only them.
	serve.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	serve.Cancel = func() error { return syscall.Kill(-serve.Process.Pid, syscall.SIGTERM) }
	serve.WaitDelay = 10 * time.Second
	var log bytes.Buffer
	serve.Stdout, serve.Stderr = &log, &log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			_ = serve.Wait()
		}
	}
	defer stop()

	up := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			up = resp.StatusCode == http.StatusOK
			break
		}
	}
	if !up {
		stop()
		t.Fatalf("sspr serve in the container did not answer /healthz on %s:\n%s", addr, log.String())
	}
	// The image's health check, run in a second container as the engine would run it.
	health := []string{"run", "--isolation", "chroot", "--network", "host", c, "--", "/sspr", "health", "http://" + addr + "/healthz"}
	if out, err := b.run(health...); err != nil {
		t.Errorf("the health check fails against a serving container: %v\n%s", err, out)
	}
	// An engine stops a container with SIGTERM to its process: sspr finishes the requests in
	// flight and exits 0, which buildah run passes on.
	if pid := serverPID(serve.Process.Pid); pid == 0 {
		t.Error("no sspr process under buildah run")
	} else if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Error(err)
	} else {
		stopped = true
		kill := time.AfterFunc(30*time.Second, cancel)
		err := serve.Wait()
		kill.Stop()
		if err != nil || !strings.Contains(log.String(), "shutting down") {
			t.Errorf("sspr serve in the container did not stop gracefully on SIGTERM: %v", err)
		}
	}
	stop()
	if _, err := b.run(health...); err == nil {
		t.Error("the health check passes with the server stopped")
	}
	// The server ran as the image's user: the store it created is that user's, and private.
	fi, err := os.Stat(filepath.Join(state, "sspr.db"))
	if err != nil {
		t.Fatalf("serve left no store in /var/lib/sspr: %v\n%s", err, log.String())
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != runtimeUID || fi.Mode().Perm() != 0o600 {
		t.Errorf("the store is owned by uid %d with mode %v, want uid %d and 0600", st.Uid, fi.Mode().Perm(), runtimeUID)
	}
	if t.Failed() {
		t.Logf("serve log:\n%s", log.String())
	}
}

// serverPID finds the sspr process among those of process group pgid (buildah run and the
// processes it started): 0 when there is none.
func serverPID(pgid int) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err != nil || g != pgid {
			continue
		}
		if comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm")); err == nil && strings.TrimSpace(string(comm)) == "sspr" {
			return pid
		}
	}
	return 0
}
