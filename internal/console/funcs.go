package console

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"pct": func(f float64) string {
		if f < 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f %%", f)
	},
	"join": strings.Join,
	"path": url.PathEscape,
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"orDash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
	"details": details,
	"add":     func(a, b int) int { return a + b },
}
