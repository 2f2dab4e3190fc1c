package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every message key the flows answer with (flow.Errorf, userErr, a password problem, a
// questions problem) is in the catalog, so that no error shows as its key.
func TestFlowKeysInCatalog(t *testing.T) {
	en := Default().For("en")
	keyRE := regexp.MustCompile(`(?:userErr|Errorf)\((?:flow\.)?Kind[A-Za-z]+, "([a-zA-Z.-]+)"|Problem\{[^}]*Key: "([a-zA-Z.]+)"|problem\(\w*, *"([a-zA-Z.]+)"`)
	found := 0
	for _, dir := range []string{"flow", "reset", "register", "change", "password", "questions", "web"} {
		err := filepath.WalkDir(filepath.Join("..", dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range keyRE.FindAllStringSubmatch(string(src), -1) {
				key := m[1] + m[2] + m[3]
				if strings.HasSuffix(key, ".") {
					continue // a prefix: the reasons are checked below
				}
				found++
				if !en.Has(key) {
					t.Errorf("%s: %q is not in the catalog", path, key)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 30 {
		t.Errorf("only %d keys found: the pattern no longer matches the code", found)
	}
	for _, prefix := range []string{"writeback.", "signin.", "change."} {
		for _, reason := range []string{"failed", "notPermitted"} {
			if !en.Has(prefix + reason) {
				t.Errorf("%s%s is not in the catalog", prefix, reason)
			}
		}
	}
	for _, reason := range []string{"tooShort", "complexity", "history", "tooYoung", "locked", "unavailable", "unknown"} {
		if !en.Has("writeback." + reason) {
			t.Errorf("writeback.%s is not in the catalog", reason)
		}
	}
	for _, reason := range []string{"locked", "mustChange", "expired", "disabled", "unavailable", "error"} {
		if !en.Has("signin." + reason) {
			t.Errorf("signin.%s is not in the catalog", reason)
		}
	}
}
