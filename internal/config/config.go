package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/alert"
	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/console"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/register"
	"github.com/sspr/sspr/internal/reminder"
	"github.com/sspr/sspr/internal/secret"
)

// Config is sspr's whole configuration, one YAML file.
type Config struct {
	// Store is where sspr keeps its data: sqlite:///path/to/sspr.db or postgres://user@host/db.
	Store     string    `yaml:"store"`
	Directory Directory `yaml:"directory"`
	Phone     Phone     `yaml:"phone"`
	Sync      Sync      `yaml:"sync"`
	Log       Log       `yaml:"log"`
	Server    Server    `yaml:"server"`
	// Reset is the reset policy: methods, codes, sessions, throttles, security questions
	// (reset.questions).
	Reset flow.Policy `yaml:"reset"`
	// Registration configures the registration portal (/register): sessions, re-confirmation.
	Registration register.Policy `yaml:"registration"`
	// Password is the rules a new password must meet before it is written back.
	Password password.Policy `yaml:"password"`
	Notify   Notify          `yaml:"notify"`
	// Audit is the audit log's retention.
	Audit Audit `yaml:"audit"`
	// Reminders are the password expiry reminders (package reminder).
	Reminders reminder.Policy `yaml:"reminders"`
	// Notifications tell administrators what needs their attention (package alert).
	Notifications alert.Policy `yaml:"notifications"`
	// Console is the administrators' web console at /admin: who may sign in (package console).
	Console console.Policy `yaml:"console"`
	// Branding is the organization's name, logo, colours and helpdesk on every page, mail and
	// text message (package branding).
	Branding branding.Config `yaml:"branding"`
	// I18N is the languages: the default one, the display time zone, the administrators'
	// text overrides (package i18n).
	I18N i18n.Config `yaml:"i18n"`

	// StorePasswordFile holds the PostgreSQL store's password ($SSPR_STORE_PASSWORD_FILE wins);
	// never in the URL. StorePassword is what it holds.
	StorePasswordFile string       `yaml:"storePasswordFile"`
	StorePassword     secret.Value `yaml:"-"`
	// StoreAllowInsecure lets sspr reach a PostgreSQL store on another host without TLS that
	// checks the server (sslmode=verify-full): tests only.
	StoreAllowInsecure bool `yaml:"storeAllowInsecure"`
}

// Directory says where users come from: a live LDAP directory (url) or an export file (file).
type Directory struct {
	Type directory.Kind `yaml:"type"`
	// Endpoint is how to reach a live directory and as whom (url, startTLS, allowInsecure,
	// caFile, bindDN, operationTimeout, callTimeout), shared by the reader and the writeback.
	// Its BindPassword is read from BindPasswordFile or the SSPR_DIRECTORY_BIND_PASSWORD_FILE
	// environment variable; never from the YAML itself.
	ldapconn.Endpoint `yaml:",inline"`
	BindPasswordFile  string            `yaml:"bindPasswordFile"`
	BaseDNs           []string          `yaml:"baseDNs"`
	Filter            string            `yaml:"filter"`
	Group             string            `yaml:"group"`
	Mapping           directory.Mapping `yaml:"mapping"`
	PageSize          int               `yaml:"pageSize"`
	// PasswordPolicyDN (openldap) is the default ppolicy entry (ppolicy_default): its
	// pwdMaxAge gives the password expiry of users without a pwdPolicySubentry.
	PasswordPolicyDN string `yaml:"passwordPolicyDN"`
	// File is an ldifde/slapcat LDIF or csvde CSV export to sync from instead of a live directory.
	File       string `yaml:"file"`
	FileFormat string `yaml:"fileFormat"` // ldif | csv; default from the file's extension
	// ObjectClass keeps only entries of this class from an export file; default per type.
	ObjectClass string `yaml:"objectClass"`
}

// Phone configures phone normalization.
type Phone struct {
	// DefaultRegion (ISO 3166 code such as US) lets numbers written without + be read as national
	// numbers of that region. Without it they are reported as unusable.
	DefaultRegion string `yaml:"defaultRegion"`
}

// Sync configures the sync engine.
type Sync struct {
	Interval        time.Duration `yaml:"interval"`
	DeleteThreshold int           `yaml:"deleteThreshold"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Defaults, in one place.
const (
	DefaultStore           = "sqlite:///var/lib/sspr/sspr.db"
	DefaultSyncInterval    = 30 * time.Minute
	DefaultDeleteThreshold = 500
	DefaultPageSize        = 1000
)

// Default returns a configuration with every default applied and no directory.
func Default() Config {
	var c Config
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.Store == "" {
		c.Store = DefaultStore
	}
	if c.Sync.Interval == 0 {
		c.Sync.Interval = DefaultSyncInterval
	}
	if c.Sync.DeleteThreshold == 0 {
		c.Sync.DeleteThreshold = DefaultDeleteThreshold
	}
	d := &c.Directory
	if d.Type == "" {
		d.Type = directory.ActiveDirectory
	}
	d.Mapping = d.Mapping.WithDefaults(d.Type)
	if d.Filter == "" {
		if d.Type == directory.OpenLDAP {
			d.Filter = "(objectClass=inetOrgPerson)"
		} else {
			d.Filter = "(objectClass=user)"
		}
	}
	if d.PageSize == 0 {
		d.PageSize = DefaultPageSize
	}
	if d.URL != "" {
		d.Endpoint = d.Endpoint.WithDefaults()
	}
	if d.File != "" && d.FileFormat == "" {
		switch strings.ToLower(filepath.Ext(d.File)) {
		case ".csv":
			d.FileFormat = "csv"
		default:
			d.FileFormat = "ldif"
		}
	}
	if d.File != "" && d.ObjectClass == "" {
		if d.Type == directory.OpenLDAP {
			d.ObjectClass = "inetOrgPerson"
		} else {
			d.ObjectClass = "user"
		}
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	c.applyServerDefaults()
}

// Problem is one thing wrong with a configuration, at a key path such as directory.url: the
// one problem type of every configuration block (package problem).
type Problem = problem.Problem

// Error lists every problem found in a configuration at once.
type Error = problem.List

// Env is how Load reads the environment (os.Getenv in production; a map in tests).
type Env func(key string) string

// Environment variables read by Load.
const (
	EnvBindPasswordFile = "SSPR_DIRECTORY_BIND_PASSWORD_FILE"
)

// Load reads, strictly decodes, defaults and validates the configuration file at path. Every
// problem (unknown keys, wrong types, invalid values, unreadable secrets) is reported at once in
// an *Error, each with its key path.
func Load(path string, env Env) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data, env)
	var ce *Error
	if errors.As(err, &ce) {
		ce.File = path
	}
	return c, err
}

// Parse is Load for bytes already read.
func Parse(data []byte, env Env) (Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	var c Config
	var problems []Problem
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, &Error{Problems: []Problem{{Key: "(file)", Message: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	lines := map[int]string{}
	if len(root.Content) > 0 {
		doc := root.Content[0]
		problems = append(problems, checkKeys(doc, reflect.TypeOf(c), "", lines)...)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&c); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				for _, m := range te.Errors {
					problems = append(problems, typeProblem(m, lines))
				}
			} else if !strings.Contains(err.Error(), "not found in type") {
				problems = append(problems, Problem{Key: "(file)", Message: err.Error()})
			}
		}
	}
	c.applyDefaults()
	problems = append(problems, c.readSecrets(env)...)
	problems = append(problems, c.readStoreSecret(env)...)
	problems = append(problems, c.readServerSecrets()...)
	problems = append(problems, c.validate(env)...)
	problems = append(problems, c.validateStore()...)
	problems = append(problems, c.Audit.problems()...)
	problems = append(problems, c.validateServer()...)
	if len(problems) > 0 {
		return c, &Error{Problems: dedupe(problems)}
	}
	return c, nil
}

// checkKeys walks the YAML mapping against the struct's yaml tags and reports unknown keys with
// their full path, recording which key path each line holds.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string, lines map[int]string) []Problem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			for i := 0; i < f.Type.NumField(); i++ {
				if g := f.Type.Field(i); g.IsExported() {
					if n := strings.Split(g.Tag.Get("yaml"), ",")[0]; n != "" && n != "-" {
						fields[n] = g
					}
				}
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f
	}
	var problems []Problem
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		lines[k.Line] = path
		if v.Line != k.Line {
			lines[v.Line] = path
		}
		f, ok := fields[k.Value]
		if !ok {
			msg := "unknown key"
			if r, ok := renamed[path]; ok {
				msg += " (" + r + ")"
			} else if s := suggest(k.Value, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			problems = append(problems, Problem{Key: path, Line: k.Line, Message: msg})
			continue
		}
		if v.Kind == yaml.MappingNode {
			problems = append(problems, checkKeys(v, f.Type, path, lines)...)
		}
		if v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				lines[item.Line] = path
			}
		}
	}
	return problems
}

// renamed says where a key that no longer exists went.
var renamed = map[string]string{
	"directory.timeout":  "replaced by operationTimeout, each wait for the directory, and callTimeout, a whole interactive call",
	"server.companyName": "moved to branding.companyName",
	"server.helpdeskURL": "moved to branding.helpdesk.url",
}

func suggest(key string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if d := distance(strings.ToLower(key), strings.ToLower(name)); d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// typeProblem turns yaml's "line N: cannot unmarshal ..." into a Problem with the key's path.
func typeProblem(msg string, lines map[int]string) Problem {
	var line int
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
		rest := msg[strings.Index(msg, ":")+1:]
		key := lines[line]
		if key == "" {
			key = "(file)"
		}
		return Problem{Key: key, Line: line, Message: "wrong type:" + rest}
	}
	return Problem{Key: "(file)", Message: msg}
}

func dedupe(ps []Problem) []Problem {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

func (c *Config) readSecrets(env Env) []Problem {
	d := &c.Directory
	path, key := d.BindPasswordFile, "directory.bindPasswordFile"
	if p := env(EnvBindPasswordFile); p != "" {
		path, key = p, EnvBindPasswordFile
	}
	if path == "" {
		return nil
	}
	s, err := secret.ReadFile(path)
	if err != nil {
		return []Problem{{Key: key, Message: err.Error()}}
	}
	d.BindPassword = s
	return nil
}

// validate checks every value and returns all problems, table-driven by key.
func (c *Config) validate(env Env) []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}

	if _, _, err := ParseStore(c.Store); err != nil {
		add("store", "%v", err)
	}

	d := c.Directory
	switch d.Type {
	case directory.ActiveDirectory, directory.OpenLDAP:
	default:
		add("directory.type", "%q is not a directory type: use activedirectory (also Samba AD) or openldap", d.Type)
	}
	switch {
	case d.URL == "" && d.File == "":
		add("directory", "set directory.url (a live directory) or directory.file (an LDIF or CSV export)")
	case d.URL != "" && d.File != "":
		add("directory.file", "set either directory.url or directory.file, not both")
	case d.File != "":
		if d.FileFormat != "ldif" && d.FileFormat != "csv" {
			add("directory.fileFormat", "%q is not a file format: use ldif or csv", d.FileFormat)
		}
	default:
		var ps problem.List
		_, err := d.Endpoint.Check()
		ps.Under("directory", err)
		for _, p := range ps.Problems {
			if p.Key == "directory.bindPassword" {
				if d.BindPasswordFile != "" || env(EnvBindPasswordFile) != "" {
					continue // the file was named: readSecrets said why it gave nothing
				}
				p.Key, p.Message = "directory.bindPasswordFile", "required for a live directory (or set "+EnvBindPasswordFile+")"
			}
			add(p.Key, "%s", p.Message)
		}
		if len(d.BaseDNs) == 0 {
			add("directory.baseDNs", "at least one base DN is required")
		}
	}
	for i, b := range d.BaseDNs {
		if _, err := goldap.ParseDN(b); err != nil || b == "" {
			add(fmt.Sprintf("directory.baseDNs[%d]", i), "%q is not a DN", b)
		}
	}
	if _, err := goldap.CompileFilter(d.Filter); err != nil {
		add("directory.filter", "not an LDAP filter: %v", err)
	}
	if d.Group != "" {
		if _, err := goldap.ParseDN(d.Group); err != nil {
			add("directory.group", "%q is not a DN", d.Group)
		}
	}
	if d.PasswordPolicyDN != "" {
		if dn, err := goldap.ParseDN(d.PasswordPolicyDN); err != nil || len(dn.RDNs) == 0 {
			add("directory.passwordPolicyDN", "%q is not a DN", d.PasswordPolicyDN)
		}
	}
	if d.PageSize < 1 || d.PageSize > 100000 {
		add("directory.pageSize", "%d is out of range 1..100000", d.PageSize)
	}
	m := d.Mapping
	for key, attr := range map[string]string{
		"userPrincipalName": m.UserPrincipalName, "displayName": m.DisplayName,
		"mobilePhone": m.MobilePhone, "officePhone": m.OfficePhone, "alternateEmails": m.AlternateEmails,
		"preferredLanguage": m.PreferredLanguage,
	} {
		if attr != "" && !validAttribute(attr) {
			add("directory.mapping."+key, "%q is not an attribute name", attr)
		}
	}

	if c.Phone.DefaultRegion != "" && !phone.ValidRegion(c.Phone.DefaultRegion) {
		add("phone.defaultRegion", "%q is not a region code (ISO 3166, such as US, GB, DE)", c.Phone.DefaultRegion)
	}
	if c.Sync.Interval < time.Minute {
		add("sync.interval", "%s is too short (at least 1m)", c.Sync.Interval)
	}
	if c.Sync.DeleteThreshold < 0 {
		add("sync.deleteThreshold", "must not be negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "%q: use debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "%q: use text or json", c.Log.Format)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

func validAttribute(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// StoreKind is the store backend named by a store URL.
type StoreKind string

const (
	StoreSQLite   StoreKind = "sqlite"
	StorePostgres StoreKind = "postgres"
)

// ParseStore splits a store URL into its backend and what the backend opens: a file path for
// sqlite:///path (sqlite://relative/path is relative), the DSN itself for postgres://.
func ParseStore(s string) (StoreKind, string, error) {
	switch {
	case strings.HasPrefix(s, "sqlite://"):
		p := strings.TrimPrefix(s, "sqlite://")
		if p == "" {
			return "", "", fmt.Errorf("%q has no file path: write sqlite:///var/lib/sspr/sspr.db", s)
		}
		return StoreSQLite, p, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			return "", "", fmt.Errorf("not a URL: %w", err)
		}
		return StorePostgres, s, nil
	default:
		return "", "", fmt.Errorf("%q: use sqlite:///path/to/sspr.db or postgres://user@host/db", RedactURL(s))
	}
}

// RedactURL hides a password in a URL (user info or a password parameter) so that it can
// appear in an error.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
