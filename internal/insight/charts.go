package insight

import (
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/chart"
	"github.com/sspr/sspr/internal/report"
)

// Words are the charts' texts in the administrator's language (the console translates them);
// English says what each is. Desc formats take the figures named in their comments.
type Words struct {
	NoData    string
	Day       string
	DayFormat string // time layout of the day labels

	ReadinessTitle string
	ReadinessDesc  string // %d points, latest %s percent
	Ready          string

	CoverageTitle string
	CoverageDesc  string // %d points, latest %s percent
	Registered    string

	ActivityTitle string
	ActivityDesc  string // %d days, %d done, %d in all
	Outcomes      map[string]string

	MethodsTitle     string
	MethodsDesc      string // %d proofs, %d failed, %d delivery failures
	Method           string
	Used             string
	Failed           string
	DeliveryFailures string
	Methods          map[string]string

	NotReadyTitle string
	NotReadyDesc  string // %d users not ready
	Reason        string
	Users         string
	Reasons       map[string]string

	SyncTitle string
	SyncDesc  string // %d runs, latest %s
	Run       string
	Duration  string // seconds
	Changes   string
	RunLabel  string // time layout of a run's label
}

// English are the words of the English console.
var English = Words{
	NoData: "No data yet", Day: "Day", DayFormat: "Jan 2",
	ReadinessTitle: "Users ready to reset", ReadinessDesc: "Percentage of enabled users who can reset their password under the current policy, one point per day (%d days). Latest: %s%%.", Ready: "Ready (%)",
	CoverageTitle: "Registration coverage", CoverageDesc: "Percentage of enabled users who registered an authentication phone, email or security questions, one point per day (%d days). Latest: %s%%.", Registered: "Registered (%)",
	ActivityTitle: "Resets and unlocks per day", ActivityDesc: "Resets and unlocks per day over %d days, stacked by outcome: %d done of %d in all.",
	Outcomes: map[string]string{report.OutcomeDone: "Done", report.OutcomeAbandoned: "Abandoned", report.OutcomeFailedProof: "Failed proof",
		report.OutcomeThrottled: "Throttled", report.OutcomeWritebackFailed: "Writeback failed"},
	MethodsTitle: "Methods used and failing", MethodsDesc: "Proofs by method over 30 days: %d succeeded, %d failed; %d delivery failures.",
	Method: "Method", Used: "Used", Failed: "Failed", DeliveryFailures: "Delivery failures",
	Methods:       map[string]string{"email": "Email", "sms": "SMS", "voice": "Voice call", "questions": "Security questions"},
	NotReadyTitle: "Why users are not ready", NotReadyDesc: "Enabled users who cannot reset today, by reason: %d in all.", Reason: "Reason", Users: "Users",
	Reasons: map[string]string{report.ReasonNoContact: "No contact information", report.ReasonUnusableValue: "A value cannot be used",
		report.ReasonPrivileged: "Privileged, one method of two", report.ReasonTooFewMethods: "Too few methods"},
	SyncTitle: "Sync runs", SyncDesc: "Duration in seconds and changes of the last %d sync runs. Latest: %s.", Run: "Run",
	Duration: "Duration (s)", Changes: "Changes", RunLabel: "Jan 2 15:04",
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
		days = append(days, p.Day.Format(w.DayFormat))
		ready = append(ready, p.ReadyPercent)
		registered = append(registered, p.RegisteredPercent)
	}
	latest := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		return chart.Format(v[len(v)-1])
	}
	c.Readiness = chart.Chart{ID: "readiness", Title: w.ReadinessTitle, Desc: fmt.Sprintf(w.ReadinessDesc, len(days), latest(ready)),
		Labels: days, LabelHeader: w.Day, NoData: w.NoData, Series: []chart.Series{{Name: w.Ready, Values: ready, Color: "#1f5fa8"}}}
	c.Coverage = chart.Chart{ID: "coverage", Title: w.CoverageTitle, Desc: fmt.Sprintf(w.CoverageDesc, len(days), latest(registered)),
		Labels: days, LabelHeader: w.Day, NoData: w.NoData, Series: []chart.Series{{Name: w.Registered, Values: registered, Color: "#00695c"}}}

	actDays := []string{}
	series := make([]chart.Series, len(report.StackedOutcomes))
	for i, o := range report.StackedOutcomes {
		series[i] = chart.Series{Name: word(w.Outcomes, o), Color: outcomeColors[o]}
	}
	done, all := 0, 0
	for _, a := range d.Activity {
		actDays = append(actDays, a.Day.Format(w.DayFormat))
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
	c.Activity = chart.Chart{ID: "activity", Title: w.ActivityTitle, Desc: fmt.Sprintf(w.ActivityDesc, len(d.Activity), done, all),
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
	c.Methods = chart.Chart{ID: "methods", Title: w.MethodsTitle, Desc: fmt.Sprintf(w.MethodsDesc, nu, nf, nd), Labels: mLabels,
		LabelHeader: w.Method, NoData: w.NoData, Series: []chart.Series{used, failed, deliv}}

	var rLabels []string
	users := chart.Series{Name: w.Users, Color: "#1f5fa8"}
	total := 0
	for _, r := range d.NotReady {
		rLabels = append(rLabels, word(w.Reasons, r.Reason))
		users.Values = append(users.Values, float64(r.Users))
		total += r.Users
	}
	c.NotReady = chart.Chart{ID: "not-ready", Title: w.NotReadyTitle, Desc: fmt.Sprintf(w.NotReadyDesc, total), Labels: rLabels,
		LabelHeader: w.Reason, NoData: w.NoData, Series: []chart.Series{users}}

	var runs []string
	dur, changes := chart.Series{Name: w.Duration, Color: "#1f5fa8"}, chart.Series{Name: w.Changes, Color: "#b34700"}
	for _, r := range d.SyncRuns {
		runs = append(runs, r.StartedAt.Format(w.RunLabel))
		dur.Values = append(dur.Values, r.Duration.Round(100*time.Millisecond).Seconds())
		changes.Values = append(changes.Values, float64(r.Changes))
	}
	last := "–"
	if d.Tiles.LastSync != nil {
		last = string(d.Tiles.LastSync.Status)
	}
	c.SyncRuns = chart.Chart{ID: "sync-runs", Title: w.SyncTitle, Desc: fmt.Sprintf(w.SyncDesc, len(runs), last), Labels: runs,
		LabelHeader: w.Run, NoData: w.NoData, Series: []chart.Series{dur, changes}}
	return c
}
