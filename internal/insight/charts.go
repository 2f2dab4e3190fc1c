package insight

import (
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/chart"
	"github.com/sspr/sspr/internal/report"
)

// Words are the charts' texts in the administrator's language (the console translates them);
// English says what each is. The Desc functions write a chart's description from its figures.
type Words struct {
	NoData   string
	Day      string
	DayLabel func(day time.Time) string // a day's label ("Jan 2")

	ReadinessTitle string
	ReadinessDesc  func(points int, latest string) string // latest: a percentage, "–" without points
	Ready          string

	CoverageTitle string
	CoverageDesc  func(points int, latest string) string
	Registered    string

	ActivityTitle string
	ActivityDesc  func(days, done, all int) string
	Outcomes      map[string]string

	MethodsTitle     string
	MethodsDesc      func(succeeded, failed, deliveryFailures int) string
	Method           string
	Used             string
	Failed           string
	DeliveryFailures string
	Methods          map[string]string

	NotReadyTitle string
	NotReadyDesc  func(users int) string
	Reason        string
	Users         string
	Reasons       map[string]string

	SyncTitle string
	SyncDesc  func(runs int, latest string) string // latest: the last run's status, "–" without runs
	Run       string
	Duration  string // seconds
	Changes   string
	RunLabel  func(started time.Time) string // a run's label ("Jan 2 15:04")
}

// English are the words in English, without the catalog (tests; the console writes its words
// from the catalog's console.chart.* texts in the page's language).
var English = Words{
	NoData: "No data yet", Day: "Day", DayLabel: func(t time.Time) string { return t.Format("Jan 2") },
	ReadinessTitle: "Users ready to reset", ReadinessDesc: func(n int, latest string) string {
		return fmt.Sprintf("Percentage of enabled users who can reset their password under the current policy, one point per day (%d days). Latest: %s%%.", n, latest)
	}, Ready: "Ready (%)",
	CoverageTitle: "Registration coverage", CoverageDesc: func(n int, latest string) string {
		return fmt.Sprintf("Percentage of enabled users who registered an authentication phone, email or security questions, one point per day (%d days). Latest: %s%%.", n, latest)
	}, Registered: "Registered (%)",
	ActivityTitle: "Resets and unlocks per day", ActivityDesc: func(days, done, all int) string {
		return fmt.Sprintf("Resets and unlocks per day over %d days, stacked by outcome: %d done of %d in all.", days, done, all)
	},
	Outcomes: map[string]string{report.OutcomeDone: "Done", report.OutcomeAbandoned: "Abandoned", report.OutcomeFailedProof: "Failed proof",
		report.OutcomeThrottled: "Throttled", report.OutcomeWritebackFailed: "Writeback failed"},
	MethodsTitle: "Methods used and failing", MethodsDesc: func(ok, failed, deliv int) string {
		return fmt.Sprintf("Proofs by method over 30 days: %d succeeded, %d failed; %d delivery failures.", ok, failed, deliv)
	},
	Method: "Method", Used: "Used", Failed: "Failed", DeliveryFailures: "Delivery failures",
	Methods:       map[string]string{"email": "Email", "sms": "SMS", "voice": "Voice call", "questions": "Security questions"},
	NotReadyTitle: "Why users are not ready", NotReadyDesc: func(n int) string {
		return fmt.Sprintf("Enabled users who cannot reset today, by reason: %d in all.", n)
	}, Reason: "Reason", Users: "Users",
	Reasons: map[string]string{report.ReasonNoContact: "No contact information", report.ReasonUnusableValue: "A value cannot be used",
		report.ReasonPrivileged: "Privileged, one method of two", report.ReasonTooFewMethods: "Too few methods"},
	SyncTitle: "Sync runs", SyncDesc: func(n int, latest string) string {
		return fmt.Sprintf("Duration in seconds and changes of the last %d sync runs. Latest: %s.", n, latest)
	}, Run: "Run",
	Duration: "Duration (s)", Changes: "Changes", RunLabel: func(t time.Time) string { return t.Format("Jan 2 15:04") },
}

// Charts are the dashboard's charts, ready for chart.Line, StackedBars, HBars and Table.
type Charts struct {
	Readiness chart.Chart // Line
	Coverage  chart.Chart // Line
	Activity  chart.Chart // StackedBars
	Methods   chart.Chart // HBars (grouped)
	NotReady  chart.Chart // HBars
	SyncRuns  chart.Chart // Line: duration and changes per run
}

// outcomeColors keeps an outcome's colour from chart to chart (done green, failures warm).
var outcomeColors = map[string]string{report.OutcomeDone: "#2e7d32", report.OutcomeAbandoned: "#37474f",
	report.OutcomeFailedProof: "#b34700", report.OutcomeThrottled: "#6a1b9a", report.OutcomeWritebackFailed: "#c62828"}

// Charts builds the charts of d with words w.
func (d Data) Charts(w Words) Charts {
	word := func(m map[string]string, k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return k
	}
	var c Charts

	days, ready, registered := []string{}, []float64{}, []float64{}
	for _, p := range d.Readiness {
		days = append(days, w.DayLabel(p.Day))
		ready = append(ready, p.ReadyPercent)
		registered = append(registered, p.RegisteredPercent)
	}
	latest := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		return chart.Format(v[len(v)-1])
	}
	c.Readiness = chart.Chart{ID: "readiness", Title: w.ReadinessTitle, Desc: w.ReadinessDesc(len(days), latest(ready)),
		Labels: days, LabelHeader: w.Day, NoData: w.NoData, Series: []chart.Series{{Name: w.Ready, Values: ready, Color: "#1f5fa8"}}}
	c.Coverage = chart.Chart{ID: "coverage", Title: w.CoverageTitle, Desc: w.CoverageDesc(len(days), latest(registered)),
		Labels: days, LabelHeader: w.Day, NoData: w.NoData, Series: []chart.Series{{Name: w.Registered, Values: registered, Color: "#00695c"}}}

	actDays := []string{}
	series := make([]chart.Series, len(report.StackedOutcomes))
	for i, o := range report.StackedOutcomes {
		series[i] = chart.Series{Name: word(w.Outcomes, o), Color: outcomeColors[o]}
	}
	done, all := 0, 0
	for _, a := range d.Activity {
		actDays = append(actDays, w.DayLabel(a.Day))
		for i, o := range report.StackedOutcomes {
			n := a.Outcome(o)
			series[i].Values = append(series[i].Values, float64(n))
			all += n
		}
		done += a.Done
	}
	if all == 0 {
		actDays = nil // nothing happened: the no-data chart
	}
	c.Activity = chart.Chart{ID: "activity", Title: w.ActivityTitle, Desc: w.ActivityDesc(len(d.Activity), done, all),
		Labels: actDays, LabelHeader: w.Day, NoData: w.NoData, Series: series}

	var mLabels []string
	used, failed, deliv := chart.Series{Name: w.Used, Color: "#2e7d32"}, chart.Series{Name: w.Failed, Color: "#b34700"}, chart.Series{Name: w.DeliveryFailures, Color: "#c62828"}
	var nu, nf, nd int
	for _, m := range d.Methods {
		mLabels = append(mLabels, word(w.Methods, m.Method))
		used.Values = append(used.Values, float64(m.Used))
		failed.Values = append(failed.Values, float64(m.Failed))
		deliv.Values = append(deliv.Values, float64(m.DeliveryFailures))
		nu, nf, nd = nu+m.Used, nf+m.Failed, nd+m.DeliveryFailures
	}
	if nu+nf+nd == 0 {
		mLabels = nil
	}
	c.Methods = chart.Chart{ID: "methods", Title: w.MethodsTitle, Desc: w.MethodsDesc(nu, nf, nd), Labels: mLabels,
		LabelHeader: w.Method, NoData: w.NoData, Series: []chart.Series{used, failed, deliv}}

	var rLabels []string
	users := chart.Series{Name: w.Users, Color: "#1f5fa8"}
	total := 0
	for _, r := range d.NotReady {
		rLabels = append(rLabels, word(w.Reasons, r.Reason))
		users.Values = append(users.Values, float64(r.Users))
		total += r.Users
	}
	c.NotReady = chart.Chart{ID: "not-ready", Title: w.NotReadyTitle, Desc: w.NotReadyDesc(total), Labels: rLabels,
		LabelHeader: w.Reason, NoData: w.NoData, Series: []chart.Series{users}}

	var runs []string
	dur, changes := chart.Series{Name: w.Duration, Color: "#1f5fa8"}, chart.Series{Name: w.Changes, Color: "#b34700"}
	for _, r := range d.SyncRuns {
		runs = append(runs, w.RunLabel(r.StartedAt))
		dur.Values = append(dur.Values, r.Duration.Round(100*time.Millisecond).Seconds())
		changes.Values = append(changes.Values, float64(r.Changes))
	}
	last := "–"
	if d.Tiles.LastSync != nil {
		last = string(d.Tiles.LastSync.Status)
	}
	c.SyncRuns = chart.Chart{ID: "sync-runs", Title: w.SyncTitle, Desc: w.SyncDesc(len(runs), last), Labels: runs,
		LabelHeader: w.Run, NoData: w.NoData, Series: []chart.Series{dur, changes}}
	return c
}
