package file_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/file"
)

func TestSendAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	c, err := file.New(file.Config{Path: path, Now: func() time.Time { return time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), notify.Message{Channel: "email", To: "alice@example.com", Subject: "Zoë", Body: "Code 482913\nbye"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), notify.Message{Channel: "voice", To: "+14255550100", Body: "رمزك 482913", Language: "ar"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-03-14T09:26:53Z","channel":"email","to":"alice@example.com","subject":"Zoë","body":"Code 482913\nbye"}` + "\n" +
		`{"time":"2026-03-14T09:26:53Z","channel":"voice","to":"+14255550100","subject":"","body":"رمزك 482913","language":"ar"}` + "\n"
	if string(b) != want {
		t.Errorf("file =\n%s\nwant\n%s", b, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSendConcurrentLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	c, err := file.New(file.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const n = 50
	for i := range n {
		wg.Go(func() {
			if err := c.Send(t.Context(), notify.Message{Channel: "sms", To: "+14255550100", Body: fmt.Sprintf("message %d %0500d", i, i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var l file.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		seen[l.Body] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct lines, want %d", len(seen), n)
	}
}

func TestConfigValidate(t *testing.T) {
	var ce *problem.List
	if err := (file.Config{}).Validate(); !errors.As(err, &ce) || ce.Problems[0].Key != "path" {
		t.Errorf("empty path: %v", err)
	}
	if err := (file.Config{Path: "/nonexistent-dir/x.jsonl"}).Validate(); !errors.As(err, &ce) {
		t.Errorf("missing dir: %v", err)
	}
	if err := (file.Config{Path: filepath.Join(t.TempDir(), "x.jsonl")}).Validate(); err != nil {
		t.Errorf("valid: %v", err)
	}
}
