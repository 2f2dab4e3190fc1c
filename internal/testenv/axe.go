package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release scripts/install-deps.sh installs.
const AxeVersion = "4.14.1"

// EnvAxeScript names an axe.min.js to use instead of the one scripts/install-deps.sh installs.
const EnvAxeScript = "SSPR_AXE_JS"

// AxeTags are the rule sets every page must pass: WCAG 2.0 and 2.1, levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// AxeScriptPath is where axe.min.js is read from: $SSPR_AXE_JS, else the cache directory
// scripts/install-deps.sh installs the npm package axe-core into
// ($XDG_CACHE_HOME or ~/.cache, then sspr/axe-core/node_modules/axe-core/axe.min.js).
func AxeScriptPath() string {
	if p := os.Getenv(EnvAxeScript); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sspr", "axe-core", "node_modules", "axe-core", "axe.min.js")
}

var axeScript = sync.OnceValues(func() (string, error) {
	p := AxeScriptPath()
	if p == "" {
		return "", fmt.Errorf("no cache directory for axe-core (set %s)", EnvAxeScript)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("axe-core: %w (scripts/install-deps.sh test installs it)", err)
	}
	return string(b), nil
})

// AxeViolation is one rule axe-core found broken, with the elements that break it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target         []any  `json:"target"`
		HTML           string `json:"html"`
		FailureSummary string `json:"failureSummary"`
	} `json:"nodes"`
}

// String is the violation as a failure message lists it: rule, impact, help, then each element.
func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.FailureSummary, "\n", "\n      "))
	}
	return b.String()
}

// AxeViolations injects axe-core into the page loaded in ctx (a chromedp tab, as Browser
// returns) and runs it with AxeTags. The page's CSP does not apply: the script is evaluated
// through the DevTools protocol, never served by the site.
func AxeViolations(ctx context.Context) ([]AxeViolation, error) {
	src, err := axeScript()
	if err != nil {
		return nil, err
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			return nil, fmt.Errorf("axe: inject: %w", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	run := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]})` +
		`.then(r => JSON.stringify(r.violations))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: run: %w", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("axe: result: %w", err)
	}
	return vs, nil
}

// Axe runs axe-core on the page loaded in ctx and fails t listing every WCAG 2.1 AA violation;
// what names the page and state in the message ("reset: wrong code"). Unavailable when
// axe-core is not installed.
func Axe(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	if _, err := axeScript(); err != nil {
		Unavailable(t, "%v", err)
	}
	vs, err := AxeViolations(ctx)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\n  " + v.String())
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	t.Errorf("%s (%s): %d axe-core violation(s) of %s:%s", what, url, len(vs), strings.Join(AxeTags, ", "), b.String())
}
