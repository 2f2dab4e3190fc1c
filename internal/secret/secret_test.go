package secret

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestDerive(t *testing.T) {
	k, err := New(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.Derive("code-mac"), k.Derive("csrf")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, k.Derive("code-mac")) {
		t.Error("derived keys must be 32 bytes, distinct per purpose, stable")
	}
	if fmt.Sprint(k) != "******" || fmt.Sprintf("%+v", k) == string(k.b) {
		t.Error("key printed")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short secret accepted")
	}
}

func TestGenerate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	k1, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Generate(p) // exists: loaded, not replaced
	if err != nil || !bytes.Equal(k1.b, k2.b) {
		t.Fatalf("second Generate: %v", err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}
