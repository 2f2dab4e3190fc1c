package main

import (
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/notify"
)

// describing is a Registerer that records the metric names of every collector registered.
type describing struct {
	prometheus.Registerer
	names map[string]bool
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return d.Registerer.Register(c)
}

func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

// TestDashboardQueriesExist: every metric the Grafana dashboard (deploy/grafana/sspr.json)
// queries is registered by sspr serve (a histogram's _bucket, _sum and _count included), and
// every sspr_ metric registered is on the dashboard.
func TestDashboardQueriesExist(t *testing.T) {
	reg := &describing{Registerer: prometheus.NewRegistry(), names: map[string]bool{}}
	if _, err := registerMetrics(reg, &app{log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	// The outbox worker registers its own, as serve builds it.
	sealer, err := notify.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	notify.NewWorker(nil, sealer, nil, notify.WorkerOptions{Registerer: reg}, nil)
	raw, err := os.ReadFile("../../deploy/grafana/sspr.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "definition") {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dash)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries", len(exprs))
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, name := range regexp.MustCompile(`\b(?:sspr|go|process)_[a-z0-9_]+`).FindAllString(e, -1) {
			used[name] = true
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suffix); ok && reg.names[b] {
					base = b
				}
			}
			if !reg.names[base] {
				t.Errorf("the dashboard queries %s, which sspr serve does not register (in %q)", name, e)
			}
		}
	}
	var missing []string
	for name := range reg.names {
		if !strings.HasPrefix(name, "sspr_") {
			continue
		}
		found := used[name]
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			found = found || used[name+suffix]
		}
		if !found {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics not on the dashboard: %v", missing)
	}
}
