package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/sspr/sspr/internal/chart"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/report"
)

// Outcomes sums the reset and unlock flows of some days by how they ended (report.Activity's
// per user and day counting, summed by insight.Dashboard).
type Outcomes struct {
	Days                                                     int
	Done, Abandoned, FailedProof, Throttled, WritebackFailed int
}

// outcomes sums the last days entries of activity (oldest first, today last).
func outcomes(activity []insight.DayActivity, days int) Outcomes {
	o := Outcomes{Days: days}
	for _, a := range activity[max(0, len(activity)-days):] {
		o.Done += a.Done
		o.Abandoned += a.Abandoned
		o.FailedProof += a.FailedProof
		o.Throttled += a.Throttled
		o.WritebackFailed += a.WritebackFailed
	}
	return o
}

// Figure is one chart of the dashboard: the SVG and its data table.
type Figure struct {
	ID    string
	Title string
	SVG   template.HTML
	Table template.HTML
}

// Dashboard is what the dashboard page shows.
type Dashboard struct {
	insight.Data
	Week, Month Outcomes
	// SuccessRate is Tiles.SuccessRate30 as the page writes it.
	SuccessRate string
	Figures     []Figure
}

// dashboard computes the page: insight.Dashboard (tiles and series from the daily snapshots,
// the stored daily counts and today's events). The first view of a day takes the day's
// readiness snapshot when serve's housekeeping has not yet (report.TakeSnapshot: once a day).
func (s *Server) dashboardFigures(ctx context.Context, tr *i18n.Translator) (Dashboard, error) {
	now := s.cfg.Now()
	if _, err := report.TakeSnapshot(ctx, s.st, s.cfg.Reset, now); err != nil {
		return Dashboard{}, fmt.Errorf("console: %w", err)
	}
	data, err := insight.Dashboard(ctx, s.st, now)
	if err != nil {
		return Dashboard{}, fmt.Errorf("console: %w", err)
	}
	d := Dashboard{Data: data, Week: outcomes(data.Activity, 7), Month: outcomes(data.Activity, insight.Days), SuccessRate: dash}
	if r := data.Tiles.SuccessRate30; r != nil {
		d.SuccessRate = tr.T("console.format.percent", chart.Format(*r))
	}
	c := data.Charts(chartWords(tr))
	for _, f := range []struct {
		c    chart.Chart
		draw func(chart.Chart) template.HTML
	}{{c.Readiness, chart.Line}, {c.Coverage, chart.Line}, {c.Activity, chart.StackedBars}, {c.Methods, chart.HBars},
		{c.NotReady, chart.HBars}, {c.SyncRuns, chart.Line}} {
		d.Figures = append(d.Figures, Figure{ID: f.c.ID, Title: f.c.Title, SVG: f.draw(f.c), Table: chart.Table(f.c)})
	}
	return d, nil
}

// RunDuration is the last sync's duration (0 while it runs).
func (d Dashboard) RunDuration() time.Duration {
	if d.Tiles.LastSync == nil {
		return 0
	}
	return d.Tiles.LastSync.Duration
}

// OutboxAge is how long the oldest queued message has waited (0: none queued).
func (d Dashboard) OutboxAge() time.Duration {
	if d.Tiles.OutboxOldest == nil {
		return 0
	}
	return max(d.Now.Sub(*d.Tiles.OutboxOldest), time.Second)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a *Admin) {
	p := s.newPage(w, r, "console.dashboard.title", "dashboard", a)
	d, err := s.dashboardFigures(r.Context(), p.Tr)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	p.Data = d
	s.render(w, "dashboard", http.StatusOK, p)
}
