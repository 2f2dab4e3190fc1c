package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/chart"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/report"
)

// The page's helpers write data in the page's language (p.Tr), in the configured time zone.

// dash stands for a value that is not there.
const dash = "—"

// When is a moment to the second, with the date, the zone and the year ("December 7, 2026,
// 03:15:04 CET").
func (p *page) When(t time.Time) string {
	if t.IsZero() {
		return dash
	}
	t = t.In(p.Tr.Location())
	return p.Tr.T("console.format.when", p.Tr.Date(t), t.Format("15:04:05"), t.Format("MST"))
}

// WhenP is When of a moment that may be missing.
func (p *page) WhenP(t *time.Time) string {
	if t == nil {
		return dash
	}
	return p.When(*t)
}

// Pct is a percentage ("—" when negative: no figure).
func (p *page) Pct(f float64) string {
	if f < 0 {
		return dash
	}
	return p.Tr.T("console.format.percent", chart.Format(f))
}

// Word is the catalog's text of a value of the data (a reason, a source, a method, a sync
// status) under prefix, or the value itself when the catalog has none.
func (p *page) Word(prefix, value string) string { return word(p.Tr, prefix, value) }

// Words are Word of each value, listed in the language.
func (p *page) Words(prefix string, values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = word(p.Tr, prefix, v)
	}
	return strings.Join(out, p.Tr.T("console.format.listSeparator"))
}

// YesNo is yes or no in the language.
func (p *page) YesNo(b bool) string {
	if b {
		return p.Tr.T("console.yes")
	}
	return p.Tr.T("console.no")
}

func word(tr *i18n.Translator, prefix, value string) string {
	if tr.Has(prefix + value) {
		return tr.T(prefix + value)
	}
	return value
}

// chartWords are the dashboard charts' texts in tr's language: the day labels are calendar days
// (as insight counts them), a run's label is in the configured zone.
func chartWords(tr *i18n.Translator) insight.Words {
	day := func(t time.Time) string {
		return tr.T("console.chart.dayLabel", strconv.Itoa(t.Day()), tr.T("console.monthShort."+strconv.Itoa(int(t.Month()))))
	}
	words := func(prefix string, keys ...string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = tr.T(prefix + k)
		}
		return m
	}
	return insight.Words{
		NoData: tr.T("console.chart.noData"), Day: tr.T("console.chart.day"), DayLabel: day,
		ReadinessTitle: tr.T("console.chart.readiness.title"), Ready: tr.T("console.chart.readiness.series"),
		ReadinessDesc: func(n int, latest string) string { return tr.T("console.chart.readiness.desc", n, latest) },
		CoverageTitle: tr.T("console.chart.coverage.title"), Registered: tr.T("console.chart.coverage.series"),
		CoverageDesc:  func(n int, latest string) string { return tr.T("console.chart.coverage.desc", n, latest) },
		ActivityTitle: tr.T("console.chart.activity.title"),
		ActivityDesc: func(days, done, all int) string {
			return tr.T("console.chart.activity.desc", days, tr.T("console.chart.activity.done", done, all))
		},
		Outcomes:     words("console.outcome.", report.StackedOutcomes...),
		MethodsTitle: tr.T("console.chart.methods.title"),
		MethodsDesc: func(ok, failed, deliv int) string {
			return tr.T("console.chart.methods.desc", tr.T("console.chart.methods.succeeded", ok),
				tr.T("console.chart.methods.failed", failed), tr.T("console.chart.methods.deliveryFailures", deliv))
		},
		Method: tr.T("console.chart.methods.method"), Used: tr.T("console.chart.methods.used"), Failed: tr.T("console.chart.methods.failedSeries"),
		DeliveryFailures: tr.T("console.chart.methods.deliverySeries"),
		Methods:          words("console.method.", "email", "sms", "voice", "questions"),
		NotReadyTitle:    tr.T("console.chart.notReady.title"),
		NotReadyDesc:     func(n int) string { return tr.T("console.chart.notReady.desc", n) },
		Reason:           tr.T("console.chart.notReady.reason"), Users: tr.T("console.chart.notReady.users"),
		Reasons:   words("console.reason.", report.AllReasons...),
		SyncTitle: tr.T("console.chart.sync.title"),
		SyncDesc: func(n int, latest string) string {
			return tr.T("console.chart.sync.desc", n, word(tr, "console.sync.status.", latest))
		},
		Run: tr.T("console.chart.sync.run"), Duration: tr.T("console.chart.sync.duration"), Changes: tr.T("console.chart.sync.changes"),
		RunLabel: func(t time.Time) string {
			t = t.In(tr.Location())
			return tr.T("console.chart.runLabel", day(t), t.Format("15:04"))
		},
	}
}
