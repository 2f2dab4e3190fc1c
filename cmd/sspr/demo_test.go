package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoTryCommands: the commands the demo prints work as typed (the binary as started, not a
// bare "sspr"), the demo enables security questions as its banner says, and a busy port is
// said before anything else, with how to pick another.
func TestDemoTryCommands(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.CommandContext(context.Background(), os.Args[0], "demo", "--once", "--no-slapd", "--dir", filepath.Join(dir, "demo"))
	cmd.Env = append(os.Environ(), "SSPR_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	tries := regexp.MustCompile(`(?m)^(?:Try:)?\s+(\S+ -c \S+ [^\n]+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(tries) < 3 {
		t.Fatalf("no commands to try:\n%s", out.String())
	}
	for _, m := range tries {
		args := strings.Fields(m[1])
		if args[0] != os.Args[0] {
			t.Errorf("printed %q, not the binary that ran", args[0])
		}
		c := exec.Command(args[0], args[1:]...)
		c.Env = append(os.Environ(), "SSPR_TEST_MAIN=1")
		if b, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", m[1], err, b)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "demo", "sspr.yaml"))
	if !strings.Contains(string(cfg), "methods: [email, sms, voice, questions]") {
		t.Errorf("the demo does not enable security questions:\n%s", cfg)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := exec.Command(os.Args[0], "demo", "--no-slapd", "--dir", filepath.Join(dir, "busy"), "--listen", ln.Addr().String())
	busy.Env = append(os.Environ(), "SSPR_TEST_MAIN=1")
	b, err := busy.CombinedOutput()
	if code := busy.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(b), "is not free") || !strings.Contains(string(b), "make demo LISTEN=") ||
		strings.Contains(string(b), "readiness") || strings.Contains(string(b), "ready under") {
		t.Errorf("busy port: exit %d, %v\n%s", code, err, b)
	}
}
