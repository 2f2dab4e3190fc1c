package benchrun

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "1234 (slapd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 100 1000 10", 3 * time.Second, false},
		{"spaces and parens in the name", "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1", 100 * time.Millisecond, false},
		{"no name", "1234 S 1", 0, true},
		{"short", "1 (x) S 1 2 3", 0, true},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a 3 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseStat = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCPUOfThisProcess(t *testing.T) {
	m := Start(os.Getpid(), -5)
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	_ = x
	got := m.Stop()
	if got[0] < 0 {
		t.Fatalf("own CPU unknown: %v", got)
	}
	if got[1] != -1 {
		t.Fatalf("CPU of a missing process = %v, want -1 (unknown)", got[1])
	}
}

func TestSeries(t *testing.T) {
	tests := []struct {
		s         Series
		median    float64
		summary0f string
	}{
		{nil, 0, "-"},
		{Series{5}, 5, "5"},
		{Series{3, 1, 2}, 2, "2 (1–3)"},
		{Series{4, 1, 3, 2}, 2.5, "2 (1–4)"},
		{Series{7, 7.2, 6.9}, 7, "7"},
	}
	for _, tt := range tests {
		if got := tt.s.Median(); got != tt.median {
			t.Errorf("%v.Median() = %v, want %v", tt.s, got, tt.median)
		}
		if got := tt.s.Summary("%.0f"); got != tt.summary0f {
			t.Errorf("%v.Summary = %q, want %q", tt.s, got, tt.summary0f)
		}
	}
}

func TestLoad(t *testing.T) {
	if got := Load(); !regexp.MustCompile(`^(unknown|[0-9.]+ [0-9.]+ [0-9.]+)$`).MatchString(got) {
		t.Fatalf("Load() = %q", got)
	}
}

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("runs", 3, "")
	fs.String("sspr", "", "")
	if err := fs.Parse([]string{"-runs", "5"}); err != nil {
		t.Fatal(err)
	}
	if got, want := Flags(fs), `-runs 5 -sspr ""`; got != want {
		t.Fatalf("Flags = %q, want %q", got, want)
	}
}

func TestParseStatTree(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantPPID int
		want     time.Duration
		wantErr  bool
	}{
		{"own and ended children", "900 (postgres) S 1 900 900 0 -1 4194560 100 0 0 0 250 50 30 70 20 0 4 0 100 1000 10", 1, 4 * time.Second, false},
		{"spaces in the name", "77 (postgres: a b) R 900 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1", 900, 100 * time.Millisecond, false},
		{"short", "1 (x) S 1 2 3 0 -1 0 0 0 0 0 1 1", 0, 0, true},
		{"no name", "1234 S 1", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ppid, got, err := parseStatTree(tt.line)
			if (err != nil) != tt.wantErr || got != tt.want || ppid != tt.wantPPID {
				t.Fatalf("parseStatTree = %d, %v, %v; want %d, %v, error %v", ppid, got, err, tt.wantPPID, tt.want, tt.wantErr)
			}
		})
	}
}

// TestTreeCPUCountsChildren: a child that burns CPU and ends is counted in its parent's tree.
func TestTreeCPUCountsChildren(t *testing.T) {
	before, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Skip("no sh:", err)
	}
	own, _ := CPU(os.Getpid())
	after, err := TreeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 50*time.Millisecond || after < own {
		t.Fatalf("tree CPU grew %v (own %v, tree %v), want the child's time counted", after-before, own, after)
	}
}
