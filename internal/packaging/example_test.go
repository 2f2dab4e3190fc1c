package packaging

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/config"
)

// root is the repository's root, where the packaged files live.
const root = "../.."

// keyPaths lists every YAML key path of t's fields (yaml tags, inline structs flattened), such
// as directory.url or reset.throttle.failedProofs.max, and the paths whose values are maps of
// the administrator's own keys (reset.questions.custom). A pointer is followed.
func keyPaths(t reflect.Type, prefix string) (paths, maps []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
		return nil, nil
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") { // an embedded struct's fields, exported or not
			p, m := keyPaths(f.Type, prefix)
			paths, maps = append(paths, p...), append(maps, m...)
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			continue // no yaml tag: the loader refuses such a key
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		paths = append(paths, path)
		if f.Type.Kind() == reflect.Map {
			maps = append(maps, path)
		}
		p, m := keyPaths(f.Type, path)
		paths, maps = append(paths, p...), append(maps, m...)
	}
	return paths, maps
}

// disabledKey is an optional key shown in the example: "#key: value", the # at the key's
// indentation and no space after it (prose comments have one).
var disabledKey = regexp.MustCompile(`(?m)^(\s*)#([A-Za-z][A-Za-z0-9]*:(\s.*)?)$`)

// uncomment turns every optional key of the example into a set one.
func uncomment(text string) string { return disabledKey.ReplaceAllString(text, "$1$2") }

// documented collects the key paths of a YAML document; keysWithoutComment those of its
// block-style keys that have no comment of their own (above the key, or at the end of its line).
func documented(t *testing.T, text string) (paths map[string]bool, keysWithoutComment []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("sspr.example.yaml with its optional keys set is not YAML: %v", err)
	}
	lines := strings.Split(text, "\n")
	// commented: the line above the key is a comment, or the key's line ends with one.
	commented := func(k, v *yaml.Node) bool {
		if k.LineComment != "" || v.LineComment != "" {
			return true
		}
		return k.Line >= 2 && strings.HasPrefix(strings.TrimSpace(lines[k.Line-2]), "#")
	}
	paths = map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			paths[path] = true
			if n.Style&yaml.FlowStyle == 0 && !commented(k, v) {
				keysWithoutComment = append(keysWithoutComment, path)
			}
			walk(v, path)
		}
	}
	if len(doc.Content) > 0 {
		walk(doc.Content[0], "")
	}
	return paths, keysWithoutComment
}

// channel is the notify channel in a key path: a provider's keys (smtp, twilio, webhook) are
// the same under each channel, and the example shows each provider's once.
var channel = regexp.MustCompile(`^notify\.(email|sms|voice)\.`)

func anyChannel(path string) string { return channel.ReplaceAllString(path, "notify.*.") }

// findings are what checkExample finds wrong with an example against a configuration type.
type findings struct {
	missing   []string // keys of the type the example does not show
	unknown   []string // keys the example shows that the type does not have
	noComment []string // keys without a comment
}

// checkExample compares the example text (optional keys included) with the key paths of typ.
func checkExample(t *testing.T, typ reflect.Type, text string) findings {
	t.Helper()
	want, maps := keyPaths(typ, "")
	got, uncommented := documented(t, uncomment(text))
	underMap := func(p string) bool {
		return slices.ContainsFunc(maps, func(m string) bool { return strings.HasPrefix(p, m+".") })
	}
	gotAny, wantAny := map[string]bool{}, map[string]bool{}
	for p := range got {
		gotAny[anyChannel(p)] = true
	}
	var f findings
	for _, p := range want {
		wantAny[anyChannel(p)] = true
		if !gotAny[anyChannel(p)] {
			f.missing = append(f.missing, p)
		}
	}
	for p := range got {
		if !wantAny[anyChannel(p)] && !underMap(p) {
			f.unknown = append(f.unknown, p)
		}
	}
	for _, p := range uncommented {
		if !underMap(p) {
			f.noComment = append(f.noComment, p)
		}
	}
	slices.Sort(f.unknown)
	return f
}

// TestExampleDocumentsEveryKey: every key the configuration structs accept appears in
// sspr.example.yaml (set, or shown as an optional "#key: value" line) with a comment, and the
// example names no key the configuration does not have. A new key in a config struct fails
// this test until it is documented there.
func TestExampleDocumentsEveryKey(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "sspr.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if paths, _ := keyPaths(reflect.TypeOf(config.Config{}), ""); len(paths) < 100 {
		t.Fatalf("found %d key paths in config.Config: the reflection walk is broken", len(paths))
	}
	f := checkExample(t, reflect.TypeOf(config.Config{}), string(text))
	for _, p := range f.missing {
		t.Errorf("key %s is not in sspr.example.yaml: document it there, with a comment (as an optional \"#%s: value\" line if the example does not set it)", p, p[strings.LastIndex(p, ".")+1:])
	}
	for _, p := range f.unknown {
		t.Errorf("sspr.example.yaml has %s, which is no configuration key (renamed or removed?)", p)
	}
	for _, p := range f.noComment {
		t.Errorf("sspr.example.yaml: key %s has no comment (above it, or at the end of its line)", p)
	}
}

// TestExampleCheckFindsGaps: the check above catches a key added to a struct but not to the
// example, a key the example keeps after a rename, and a key without a comment; it follows
// inline structs, pointers and optional keys, and lets a map hold the administrator's own keys.
func TestExampleCheckFindsGaps(t *testing.T) {
	type limit struct {
		Max    int           `yaml:"max"`
		Window time.Duration `yaml:"window"`
	}
	type inline struct {
		URL string `yaml:"url"`
	}
	type section struct {
		inline  `yaml:",inline"`
		Limit   *limit            `yaml:"limit"`
		Custom  map[string]string `yaml:"custom"`
		Secret  string            `yaml:"-"`
		NewFlag bool              `yaml:"newFlag"`
	}
	type cfg struct {
		Section section `yaml:"section"`
	}
	complete := `# The section.
section:
  # The URL.
  url: ldaps://x
  # The limit.
  limit: {max: 1, window: 1s} # max, window
  # Own keys.
  custom: {anything: "a question?"}
  # A new flag, optional.
  #newFlag: true
`
	for _, tc := range []struct {
		name string
		text string
		want findings
	}{
		{"complete", complete, findings{}},
		{"a new key undocumented", strings.Replace(complete, "  # A new flag, optional.\n  #newFlag: true\n", "", 1),
			findings{missing: []string{"section.newFlag"}}},
		{"a renamed key left behind", strings.Replace(complete, "#newFlag: true", "#newFlag: true\n  # Old.\n  #oldFlag: true", 1),
			findings{unknown: []string{"section.oldFlag"}}},
		{"no comment", strings.Replace(complete, "  # The URL.\n", "", 1),
			findings{noComment: []string{"section.url"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkExample(t, reflect.TypeOf(cfg{}), tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestExampleLoads: the example, with its credential paths pointed at files of the right kind,
// is a configuration `sspr config validate` accepts: Load and CheckServe find no problem and no
// warning.
func TestExampleLoads(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "sspr.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	creds := t.TempDir()
	key := make([]byte, 48)
	_, _ = rand.Read(key)
	for name, content := range map[string]string{
		"server-secret": base64.StdEncoding.EncodeToString(key),
		"bind-password": "directory service account password",
		"smtp-password": "smtp password",
		"twilio-token":  "0123456789abcdef0123456789abcdef",
	} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const systemdCredentials = "/run/credentials/sspr.service/"
	if !strings.Contains(string(text), systemdCredentials) {
		t.Fatalf("sspr.example.yaml names no %s file: the systemd unit's credentials are not used", systemdCredentials)
	}
	data := strings.ReplaceAll(string(text), systemdCredentials, creds+"/")
	// The bind password comes as the systemd unit gives it: SSPR_DIRECTORY_BIND_PASSWORD_FILE.
	env := map[string]string{config.EnvBindPasswordFile: filepath.Join(creds, "bind-password")}
	cfg, err := config.Parse([]byte(data), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("sspr.example.yaml does not load: %v", err)
	}
	problems, warnings := cfg.CheckServe()
	for _, p := range append(problems, warnings...) {
		t.Errorf("sspr.example.yaml: sspr config validate would say: %s", p)
	}
	if cfg.Directory.BindPassword == "" {
		t.Error("the bind password was not read from SSPR_DIRECTORY_BIND_PASSWORD_FILE")
	}
}

// TestExampleUncommentRule: the rule that turns optional keys into set ones leaves prose alone.
func TestExampleUncommentRule(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  #startTLS: true", "  startTLS: true"},
		{"#store: postgres://x", "store: postgres://x"},
		{"    #webhook:", "    webhook:"},
		{"  # The service account: it reads", "  # The service account: it reads"},
		{"  # e.g. note: not a key", "  # e.g. note: not a key"},
		{"#!/bin/sh", "#!/bin/sh"},
	} {
		if got := uncomment(tc.in); got != tc.want {
			t.Errorf("uncomment(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
