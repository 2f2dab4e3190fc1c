package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/testenv"
)

// maxExposure is the highest `systemd-analyze security` exposure the unit may score: 2.0 and
// below is "OK" on its 0 (locked down) to 10 (unprotected) scale.
const maxExposure = 2.0

// unitCopy writes packaging/sspr.service into a temporary folder with its ExecStart binary
// pointed at an executable that exists here (systemd-analyze verify checks that it does), and
// returns the copy's path and the unit's text.
func unitCopy(t *testing.T) (path, text string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "packaging", "sspr.service"))
	if err != nil {
		t.Fatal(err)
	}
	text = string(data)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const bin = "ExecStart=/usr/local/bin/sspr "
	if !strings.Contains(text, bin) {
		t.Fatalf("the unit has no %q line", bin)
	}
	path = filepath.Join(t.TempDir(), "sspr.service")
	if err := os.WriteFile(path, []byte(strings.Replace(text, bin, "ExecStart="+exe+" ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, text
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testenv.Unavailable(t, "systemd-analyze is not installed (apt-get install systemd): %v", err)
	}
	return p
}

// TestSystemdUnitVerifies: systemd-analyze verify finds nothing wrong with the unit (it needs
// no running systemd).
func TestSystemdUnitVerifies(t *testing.T) {
	sa := systemdAnalyze(t)
	path, _ := unitCopy(t)
	out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

var overall = regexp.MustCompile(`Overall exposure level for sspr\.service: (\d+\.\d+) (\S+)`)

// TestSystemdUnitSecurity: systemd-analyze security rates the unit's exposure at most 2.0, "OK"
// (the README quotes the figure), and the unit keeps the hardening the README promises.
func TestSystemdUnitSecurity(t *testing.T) {
	sa := systemdAnalyze(t)
	path, text := unitCopy(t)
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", path).CombinedOutput()
	m := overall.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("systemd-analyze security: no overall exposure in its output (%v):\n%s", err, out)
	}
	exposure, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security: exposure %.1f %s", exposure, m[2])
	if exposure > maxExposure || m[2] != "OK" {
		t.Errorf("exposure %.1f %s, want at most %.1f OK:\n%s", exposure, m[2], maxExposure, out)
	}
	// --threshold makes the command itself fail above the limit: the check a CI would use.
	if err := exec.Command(sa, "security", "--offline=true", "--threshold="+strconv.Itoa(int(maxExposure*10)), path).Run(); err != nil {
		t.Errorf("systemd-analyze security --threshold=%d: %v", int(maxExposure*10), err)
	}
	settings := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			settings[line] = true
		}
	}
	for _, want := range []string{
		"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
		"StateDirectory=sspr", "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"ExecStart=/usr/local/bin/sspr serve --config /etc/sspr/sspr.yaml",
	} {
		if !settings[want] {
			t.Errorf("the unit lacks %s", want)
		}
	}
}

// TestSystemdCredentialsMatchExample: every credential file sspr.example.yaml names
// (/run/credentials/sspr.service/NAME) is one the unit loads (LoadCredential=NAME:..., or a
// "#LoadCredential=" line to uncomment for an optional one), and the bind password's variable
// points at a loaded credential too.
func TestSystemdCredentialsMatchExample(t *testing.T) {
	_, unit := unitCopy(t)
	example, err := os.ReadFile(filepath.Join(root, "sspr.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?LoadCredential=([^:\s]+):`).FindAllStringSubmatch(unit, -1) {
		loaded[m[1]] = true
	}
	named := regexp.MustCompile(`/run/credentials/sspr\.service/([A-Za-z0-9_.-]+)`).FindAllStringSubmatch(string(example), -1)
	if len(named) == 0 {
		t.Fatal("sspr.example.yaml names no credential")
	}
	for _, m := range named {
		if !loaded[m[1]] {
			t.Errorf("sspr.example.yaml reads /run/credentials/sspr.service/%s, which packaging/sspr.service does not load", m[1])
		}
	}
	env := regexp.MustCompile(`(?m)^Environment=SSPR_DIRECTORY_BIND_PASSWORD_FILE=%d/(\S+)$`).FindStringSubmatch(unit)
	if env == nil || !loaded[env[1]] {
		t.Errorf("the unit's SSPR_DIRECTORY_BIND_PASSWORD_FILE names no loaded credential (%v)", env)
	}
}
