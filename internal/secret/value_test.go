package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/secret"
)

func TestValueNeverPrints(t *testing.T) {
	const text = "Sup3r-S3cret-Token"
	v := secret.Value(text)
	holder := struct {
		Name     string
		Password secret.Value
	}{"svc", v}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("bind", "password", v, "holder", holder)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("bind", "password", v)
	js, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", v), "%s": fmt.Sprintf("%s", v), "%q": fmt.Sprintf("%q", v),
		"%x": fmt.Sprintf("%x", v), "%#v": fmt.Sprintf("%#v", v), "%+v struct": fmt.Sprintf("%+v", holder),
		"%#v struct": fmt.Sprintf("%#v", holder), "String": v.String(), "GoString": v.GoString(),
		"json": string(js), "yaml": string(y), "slog": logged.String(),
		"error": fmt.Errorf("bind with %v failed", v).Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, text) || strings.Contains(out, fmt.Sprintf("%x", text)) {
			t.Errorf("%s shows the secret: %s", name, out)
		}
		if !strings.Contains(out, "******") {
			t.Errorf("%s does not show the mask: %s", name, out)
		}
	}
	if v.Reveal() != text {
		t.Errorf("Reveal = %q", v.Reveal())
	}
	if secret.Value("").String() != "" {
		t.Error("an empty secret should print empty, so that it is seen missing")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v, err := secret.ReadFile(write("ok", "pa55\r\n"))
	if err != nil || v.Reveal() != "pa55" {
		t.Errorf("ReadFile = %q, %v", v.Reveal(), err)
	}
	if _, err := secret.ReadFile(write("empty", "\n")); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := secret.ReadFile(filepath.Join(dir, "missing")); err == nil || strings.Contains(err.Error(), "pa55") {
		t.Errorf("missing file: %v", err)
	}
}
