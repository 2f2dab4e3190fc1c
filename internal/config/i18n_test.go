package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The i18n block: its problems carry the key path, and an overrides file's unknown key or
// wrong placeholders name the file and the key.
func TestI18N(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	c, err := Parse([]byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.I18N.DefaultLanguage != "" || c.I18N.OverridesDir != "" || c.Directory.Mapping.PreferredLanguage != "preferredLanguage" {
		t.Errorf("defaults %+v, mapping %+v", c.I18N, c.Directory.Mapping)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "de.json"), []byte(`{"start.submit": "Los", "start.sumbit": "Los", "verify.sent": "Gesendet."}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Parse([]byte(base+"i18n:\n  defaultLanguage: de\n  timeZone: Europe/Berlin\n  overridesDir: "+filepath.Join(dir, "none")+"\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "i18n.overridesDir: open ") {
		t.Errorf("a missing folder: %v", err)
	}
	_, err = Parse([]byte(base+"  mapping:\n    preferredLanguage: \"bad attr\"\ni18n:\n  defaultLanguage: ja\n  timeZone: Mars/Base\n  overridesDir: "+dir+"\n"), nil)
	for _, want := range []string{
		`directory.mapping.preferredLanguage: "bad attr" is not an attribute name`,
		`i18n.defaultLanguage: "ja" is not offered: use en, de, fr, es or ar`,
		`i18n.timeZone: "Mars/Base" is not a time zone`,
		`i18n.overridesDir: de.json: unknown key "start.sumbit"`,
		`i18n.overridesDir: de.json: verify.sent: placeholders [], want [{0}]`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
	if _, err := Parse([]byte(base+"i18n:\n  pseudoLocal: true\n"), nil); err == nil || !strings.Contains(err.Error(), `i18n.pseudoLocal (line 5): unknown key`) {
		t.Errorf("unknown key: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "de.json")); err != nil {
		t.Fatal(err)
	}
	c, err = Parse([]byte(base+"i18n:\n  defaultLanguage: ar\n  overridesDir: "+dir+"\n  pseudoLocale: true\n"), nil)
	if err != nil || c.I18N.DefaultLanguage != "ar" || !c.I18N.PseudoLocale {
		t.Errorf("a good block: %+v %v", c.I18N, err)
	}
}
