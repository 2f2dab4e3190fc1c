package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var catalogFS embed.FS

// Languages are the languages offered, English first (the fallback of every key).
var Languages = []language.Tag{language.English, language.German, language.French, language.Spanish, language.Arabic}

// Pseudo is the pseudo-locale's tag (Config.PseudoLocale).
var Pseudo = language.MustParse("en-XA")

// DefaultLanguage is the language when nothing else decides.
const DefaultLanguage = "en"

// CookieName is the cookie that keeps the language chosen with the switcher (?lang=).
const CookieName = "sspr_lang"

// Config is the i18n block of the configuration.
type Config struct {
	// DefaultLanguage is the language of a user whose browser asks for none that is offered
	// (en, de, fr, es or ar; default en).
	DefaultLanguage string `yaml:"defaultLanguage"`
	// OverridesDir holds <lang>.json files whose texts replace the built-in ones (same keys).
	OverridesDir string `yaml:"overridesDir"`
	// TimeZone is the IANA zone dates and times are shown in (default: the server's zone).
	TimeZone string `yaml:"timeZone"`
	// PseudoLocale offers en-XA (accented, bracketed English) to find untranslated texts.
	PseudoLocale bool `yaml:"pseudoLocale"`
}

// text is one catalog value: a plain text or plural forms.
type text struct {
	plain string
	forms map[plural.Form]string
}

func (t *text) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.plain); err == nil {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("a text or an object of plural forms")
	}
	t.forms = map[plural.Form]string{}
	for k, v := range m {
		f, ok := formNames[k]
		if !ok {
			return fmt.Errorf("%q is not a plural form (zero, one, two, few, many, other)", k)
		}
		t.forms[f] = v
	}
	if _, ok := t.forms[plural.Other]; !ok {
		return errors.New("plural forms need other")
	}
	return nil
}

var formNames = map[string]plural.Form{"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other}

// all returns the texts of every form (a plain text alone).
func (t text) all() []string {
	if t.forms == nil {
		return []string{t.plain}
	}
	return slices.Sorted(maps.Values(t.forms))
}

type catalog map[string]text

// Bundle is every language's catalog, with the overrides applied.
type Bundle struct {
	cats    map[language.Tag]catalog
	offered []language.Tag
	matcher language.Matcher
	def     language.Tag
	loc     *time.Location
}

// New loads the embedded catalogs and the overrides of cfg.
func New(cfg Config) (*Bundle, error) {
	if ps := cfg.Problems(); len(ps) > 0 {
		return nil, fmt.Errorf("i18n: %s", strings.Join(ps, "; "))
	}
	b := &Bundle{cats: map[language.Tag]catalog{}, loc: time.Local, def: language.English}
	for _, tag := range Languages {
		cat, err := embedded(tag)
		if err != nil {
			return nil, err
		}
		b.cats[tag] = cat
	}
	if cfg.OverridesDir != "" {
		for _, tag := range Languages {
			over, err := readOverride(filepath.Join(cfg.OverridesDir, tag.String()+".json"))
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			maps.Copy(b.cats[tag], over)
		}
	}
	b.offered = slices.Clone(Languages)
	if cfg.PseudoLocale {
		b.cats[Pseudo] = pseudoCatalog(b.cats[language.English])
		b.offered = append(b.offered, Pseudo)
	}
	if cfg.DefaultLanguage != "" {
		b.def = language.Make(cfg.DefaultLanguage)
		// The matcher's first tag is what an unmatched browser gets.
		b.offered = append([]language.Tag{b.def}, slices.DeleteFunc(b.offered, func(t language.Tag) bool { return t == b.def })...)
	}
	if cfg.TimeZone != "" {
		b.loc, _ = time.LoadLocation(cfg.TimeZone)
	}
	b.matcher = language.NewMatcher(b.offered)
	return b, nil
}

// Default is a bundle of the built-in catalogs, English by default, in the server's zone: for
// tests and callers without configuration. It is built once and shared (a Bundle is read-only).
func Default() *Bundle { return defaultBundle() }

var defaultBundle = sync.OnceValue(func() *Bundle {
	b, err := New(Config{})
	if err != nil {
		panic(err) // the embedded catalogs are tested
	}
	return b
})

// WithPseudo is Default with the pseudo-locale offered (tests).
func WithPseudo() *Bundle {
	b, err := New(Config{PseudoLocale: true})
	if err != nil {
		panic(err)
	}
	return b
}

func embedded(tag language.Tag) (catalog, error) {
	raw, err := catalogFS.ReadFile("catalog/" + tag.String() + ".json")
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	var cat catalog
	if err := json.Unmarshal(raw, &cat); err != nil {
		return nil, fmt.Errorf("i18n: catalog/%s.json: %w", tag, err)
	}
	return cat, nil
}

// readOverride reads one overrides file; a missing file is no override.
func readOverride(path string) (catalog, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cat catalog
	if err := json.Unmarshal(raw, &cat); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cat, nil
}

// Problems lists what is wrong with the i18n block, each "key: message": the default language,
// the time zone, and each overrides file (not JSON, a language not offered, an unknown key,
// placeholders not those of the English text).
func (c Config) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if c.DefaultLanguage != "" && !offered(c.DefaultLanguage) {
		add("defaultLanguage: %q is not offered: use en, de, fr, es or ar", c.DefaultLanguage)
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			add("timeZone: %q is not a time zone (IANA name such as Europe/Berlin)", c.TimeZone)
		}
	}
	if c.OverridesDir == "" {
		return ps
	}
	entries, err := os.ReadDir(c.OverridesDir)
	if err != nil {
		add("overridesDir: %v", err)
		return ps
	}
	en, err := embedded(language.English)
	if err != nil {
		add("overridesDir: %v", err)
		return ps
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		lang, ok := strings.CutSuffix(name, ".json")
		if !ok || !offered(lang) || language.Make(lang).String() != lang {
			add("overridesDir: %s: not a catalog: name files en.json, de.json, fr.json, es.json or ar.json", name)
			continue
		}
		over, err := readOverride(filepath.Join(c.OverridesDir, name))
		if err != nil {
			add("overridesDir: %s: %v", name, errors.Unwrap(err))
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(over)) {
			want, ok := en[key]
			if !ok {
				add("overridesDir: %s: unknown key %q", name, key)
				continue
			}
			if msg := samePlaceholders(want, over[key]); msg != "" {
				add("overridesDir: %s: %s: %s", name, key, msg)
			}
		}
	}
	return ps
}

func offered(lang string) bool {
	tag, err := language.Parse(lang)
	return err == nil && slices.Contains(Languages, tag)
}

var placeholderRE = regexp.MustCompile(`\{[0-9]\}`)

// placeholders returns the sorted distinct placeholders of s.
func placeholders(s string) []string {
	ph := placeholderRE.FindAllString(s, -1)
	slices.Sort(ph)
	return slices.Compact(ph)
}

// samePlaceholders says how got's placeholders differ from want's ("" when they do not): a
// plain text has exactly want's; plural forms may leave out the count {0} but not add any.
func samePlaceholders(want, got text) string {
	w := placeholders(strings.Join(want.all(), " "))
	if got.forms == nil {
		if g := placeholders(got.plain); !slices.Equal(g, w) {
			return fmt.Sprintf("placeholders %v, want %v", g, w)
		}
		return ""
	}
	for _, f := range got.all() {
		for _, p := range placeholders(f) {
			if !slices.Contains(w, p) {
				return fmt.Sprintf("placeholder %s is not in the English text (%v)", p, w)
			}
		}
	}
	other := placeholders(got.forms[plural.Other])
	if !slices.Equal(other, w) {
		return fmt.Sprintf("the other form has placeholders %v, want %v", other, w)
	}
	return ""
}

// Offered lists the languages users may choose, the default first.
func (b *Bundle) Offered() []language.Tag { return slices.Clone(b.offered) }

// For returns the translator of lang ("de", "ar-EG"): the offered language of the same base,
// or the default language.
func (b *Bundle) For(lang string) *Translator {
	if t, ok := b.exact(lang); ok {
		return t
	}
	return b.translator(b.def)
}

// exact returns the translator of lang when lang names an offered language.
func (b *Bundle) exact(lang string) (*Translator, bool) {
	tag, err := language.Parse(lang)
	if err != nil || lang == "" {
		return nil, false
	}
	if _, ok := b.cats[tag]; ok {
		return b.translator(tag), true
	}
	base, _ := tag.Base()
	for _, t := range b.offered {
		if tb, _ := t.Base(); tb == base && t != Pseudo {
			return b.translator(t), true
		}
	}
	return nil, false
}

// maxAcceptLanguage bounds the Accept-Language header Pick parses.
const maxAcceptLanguage = 1024

// Pick chooses the language: each choice names one language (the ?lang= parameter, the
// cookie), the first offered one wins; else the Accept-Language header's best offered match;
// else the default language.
func (b *Bundle) Pick(acceptLanguage string, choices ...string) *Translator {
	for _, c := range choices {
		if t, ok := b.exact(c); ok {
			return t
		}
	}
	if len(acceptLanguage) > maxAcceptLanguage {
		acceptLanguage = "" // no browser sends that much: not worth parsing
	}
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		if tag, _, conf := b.matcher.Match(tags...); conf != language.No {
			for _, t := range b.offered {
				if tb, _ := t.Base(); tb == baseOf(tag) && t != Pseudo {
					return b.translator(t)
				}
			}
		}
	}
	return b.translator(b.def)
}

func baseOf(t language.Tag) language.Base { base, _ := t.Base(); return base }

func (b *Bundle) translator(tag language.Tag) *Translator {
	return &Translator{b: b, tag: tag, cat: b.cats[tag]}
}

// Translator renders the texts of one language.
type Translator struct {
	b   *Bundle
	tag language.Tag
	cat catalog
}

// Tag is the translator's language.
func (t *Translator) Tag() language.Tag { return t.tag }

// Lang is the language's BCP 47 tag, for lang attributes and storage.
func (t *Translator) Lang() string { return t.tag.String() }

// Dir is the text direction: rtl for Arabic, else ltr.
func (t *Translator) Dir() string {
	if baseOf(t.tag) == baseOf(language.Arabic) {
		return "rtl"
	}
	return "ltr"
}

// Has reports whether key is in the catalog.
func (t *Translator) Has(key string) bool {
	_, ok := t.b.cats[language.English][key]
	return ok
}

// T returns the text of key with args in its placeholders; a plural text takes the form of its
// first count argument (countOf). Unknown keys are shown as the key
// itself so that a missing text is visible, never an empty page.
func (t *Translator) T(key string, args ...any) string {
	x, ok := t.cat[key]
	if !ok {
		x, ok = t.b.cats[language.English][key]
	}
	if !ok {
		return key
	}
	s := x.plain
	if x.forms != nil {
		s = x.forms[plural.Other]
		for _, a := range args {
			if n, ok := countOf(a); ok {
				f := plural.Cardinal.MatchPlural(t.tag, abs(n), 0, 0, 0, 0)
				if v, ok := x.forms[f]; ok {
					s = v
				}
				break
			}
		}
	}
	if len(args) == 0 {
		return s
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(p string) string {
		i := int(p[1] - '0')
		if i >= len(args) {
			return p
		}
		return t.format(args[i])
	})
}

func asInt(a any) (int, bool) {
	switch n := a.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	}
	return 0, false
}

// countOf is the count a plural text is chosen by: an integer, or a string of digits (a hint
// such as the number of questions asked).
func countOf(a any) (int, bool) {
	if s, ok := a.(string); ok {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	return asInt(a)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (t *Translator) format(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case time.Time:
		return t.Time(v)
	case *time.Time:
		if v == nil {
			return ""
		}
		return t.Time(*v)
	case time.Duration:
		return t.Duration(v)
	case fmt.Stringer:
		return v.String()
	}
	if n, ok := asInt(a); ok {
		return strconv.Itoa(n)
	}
	return fmt.Sprint(a)
}

// Location is the zone dates and times are shown in.
func (t *Translator) Location() *time.Location { return t.b.loc }

// Date is the day of tm in the language ("December 7, 2026", "7. Dezember 2026").
func (t *Translator) Date(tm time.Time) string {
	tm = tm.In(t.b.loc)
	return t.T("format.date", strconv.Itoa(tm.Day()), t.T("month."+strconv.Itoa(int(tm.Month()))), strconv.Itoa(tm.Year()))
}

// Time is the day and time of tm in the language, with the zone ("03:15 CET on December 7").
func (t *Translator) Time(tm time.Time) string {
	tm = tm.In(t.b.loc)
	day := t.T("format.day", strconv.Itoa(tm.Day()), t.T("month."+strconv.Itoa(int(tm.Month()))))
	return t.T("format.dateTime", day, tm.Format("15:04"), tm.Format("MST"))
}

// Duration is d in words: whole hours, else minutes (rounded up), else seconds.
func (t *Translator) Duration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return t.T("duration.hours", int(d/time.Hour))
	case d >= time.Minute:
		return t.T("duration.minutes", int((d+time.Minute-1)/time.Minute))
	default:
		return t.T("duration.seconds", int((d+time.Second-1)/time.Second))
	}
}

// Texts returns the built-in plain texts whose keys start with prefix, by language, the prefix
// cut off: the security-question catalog is Texts("question.").
func Texts(prefix string) map[language.Tag]map[string]string {
	out := map[language.Tag]map[string]string{}
	for _, tag := range Languages {
		cat, err := embedded(tag)
		if err != nil {
			panic(err) // the embedded catalogs are tested
		}
		m := map[string]string{}
		for k, x := range cat {
			if rest, ok := strings.CutPrefix(k, prefix); ok && x.forms == nil {
				m[rest] = x.plain
			}
		}
		out[tag] = m
	}
	return out
}
