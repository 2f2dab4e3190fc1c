package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/reminder"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
)

// readiness streams {"users": [...], "totals": {...}}. The totals count every user the source and
// search filters keep; ?readiness= only narrows the list, as `--not-ready` does in the CLI.
func (a *API) readiness(w http.ResponseWriter, r *http.Request, _ principal) {
	lq, errs := parseListQuery(r.URL.Query())
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters", errs)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	started := false
	t, err := report.Build(r.Context(), a.st, a.cfg.Policy, lq.filter, func(rd report.Readiness) error {
		if lq.readiness == "ready" && !rd.Ready || lq.readiness == "notReady" && rd.Ready {
			return nil
		}
		if !started {
			bw.WriteString(`{"users":[`)
			started = true
		} else {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(rd)
		if err != nil {
			return err
		}
		bw.Write(b)
		return nil
	})
	if err != nil {
		a.streamFailed(w, r, bw, started, "readiness", err)
		return
	}
	if !started {
		bw.WriteString(`{"users":[`)
	}
	b, _ := json.Marshal(t.JSON())
	bw.WriteString(`],"totals":`)
	bw.Write(b)
	bw.WriteString("}\n")
	bw.Flush()
}

func (a *API) listRuns(w http.ResponseWriter, r *http.Request, _ principal) {
	limit := 20
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("limit %q: a whole number from 1 to 1000", s), nil)
			return
		}
		limit = n
	}
	runs, err := a.st.ListRuns(r.Context(), limit)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	out := make([]syncer.RunJSON, 0, len(runs))
	for _, run := range runs {
		out = append(out, syncer.NewRunJSON(run))
	}
	writeJSON(w, http.StatusOK, struct {
		Runs []syncer.RunJSON `json:"runs"`
	}{out})
}

// EventSyncRequested is the audit event of a sync run started through the API.
const EventSyncRequested = "admin.sync.requested"

// startRun runs a sync now. It answers with the finished run (200, whatever its status: a run
// refused by the accidental-delete guard says so in its status and errors), or 202 when the run
// takes longer than SyncWait; 409 while another run started here is still going.
func (a *API) startRun(w http.ResponseWriter, r *http.Request, p principal) {
	m, ok := readBody(w, r, true)
	if !ok {
		return
	}
	var opts syncer.Options
	var bad []string
	for k, raw := range m {
		var dst *bool
		switch k {
		case "dryRun":
			dst = &opts.DryRun
		case "full":
			dst = &opts.Full
		case "allowDeletes":
			dst = &opts.AllowDeletes
		default:
			bad = append(bad, k)
			continue
		}
		if json.Unmarshal(raw, dst) != nil {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("%v: the body takes dryRun, full and allowDeletes, each true or false", bad), nil)
		return
	}
	if a.syncer == nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "this server does not sync (no directory configured)", nil)
		return
	}
	a.syncMu.Lock()
	if a.syncing != nil {
		a.syncMu.Unlock()
		writeError(w, http.StatusConflict, codeSyncRunning, "a sync run started through the API is still running: see GET /api/v1/sync/runs", nil)
		return
	}
	done := make(chan struct{})
	a.syncing = done
	a.syncMu.Unlock()

	actor := a.actor(r, p)
	if err := a.st.AppendAudit(r.Context(), &store.AuditEvent{Type: EventSyncRequested, Actor: actor.Name, ClientIP: actor.ClientIP,
		UserAgent: actor.UserAgent, Details: map[string]string{"dryRun": strconv.FormatBool(opts.DryRun),
			"full": strconv.FormatBool(opts.Full), "allowDeletes": strconv.FormatBool(opts.AllowDeletes)}}); err != nil {
		a.endSync(done)
		a.internal(w, r, err)
		return
	}
	var rep syncer.Report
	var runErr error
	a.syncWG.Add(1)
	go func() {
		defer a.syncWG.Done()
		defer a.endSync(done)
		rep, runErr = a.syncer.Run(a.cfg.Context, opts)
		if runErr != nil {
			a.cfg.Log.Warn("api: sync run", "token", p.token.Name, "err", runErr)
		}
	}()
	timer := time.NewTimer(a.cfg.SyncWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		w.Header().Set("Location", Prefix+"sync/runs")
		writeJSON(w, http.StatusAccepted, map[string]string{"status": string(store.RunRunning),
			"message": "the run goes on; GET /api/v1/sync/runs shows it"})
		return
	case <-r.Context().Done():
		return
	}
	var guard *syncer.GuardError
	if runErr != nil && rep.Run.ID == 0 && !errors.As(runErr, &guard) {
		// Nothing was recorded: the run could not start (directory configuration, store).
		if errors.Is(runErr, context.Canceled) {
			writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the server is shutting down", nil)
			return
		}
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the sync could not start: "+runErr.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, syncer.NewRunJSON(rep.Run))
}

func (a *API) endSync(done chan struct{}) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.syncing == done {
		a.syncing = nil
	}
	close(done)
}

// since reads ?since= (days, 30d, or a duration, 36h; at most 366d; default 30d) as a start
// time; false after answering 400.
func (a *API) since(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	s := r.URL.Query().Get("since")
	if s == "" {
		s = "30d"
	}
	d, err := reminder.ParseWithin(s)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters",
			[]admin.FieldError{{Field: "since", Code: admin.CodeInvalid, Message: err.Error()}})
		return time.Time{}, false
	}
	return a.cfg.Now().Add(-d), true
}

// coverage streams {"since", "users": [...], "totals": {...}}: what each user registered and
// when (never a value, question or answer), as `sspr report coverage -o json`. ?source= and
// ?search= narrow the users as for the readiness report; ?registered=false lists only the
// enabled users who never registered (the totals count every user kept).
func (a *API) coverage(w http.ResponseWriter, r *http.Request, _ principal) {
	lq, errs := parseListQuery(r.URL.Query())
	never := false
	switch v := r.URL.Query().Get("registered"); v {
	case "", "true":
	case "false":
		never = true
	default:
		errs = append(errs, admin.FieldError{Field: "registered", Code: admin.CodeInvalid, Message: fmt.Sprintf("%q: use false (only those who never registered)", v)})
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters", errs)
		return
	}
	from, ok := a.since(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	sinceJSON, _ := json.Marshal(from.UTC())
	bw.WriteString(`{"since":` + string(sinceJSON) + `,"users":[`)
	first := true
	t, err := report.Coverage(r.Context(), a.st, lq.filter, from, func(row report.CoverageRow) error {
		if never && (row.Registered || !row.AccountEnabled) {
			return nil
		}
		b, err := json.Marshal(row)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(b)
		return nil
	})
	if err != nil {
		a.streamFailed(w, r, bw, true, "coverage", err)
		return
	}
	b, _ := json.Marshal(t)
	bw.WriteString(`],"totals":`)
	bw.Write(b)
	bw.WriteString("}\n")
	bw.Flush()
}

// activity answers {"since", "days": [...]}: resets, unlocks and registrations per day, flow,
// outcome and method, as `sspr report activity -o json`.
func (a *API) activity(w http.ResponseWriter, r *http.Request, _ principal) {
	from, ok := a.since(w, r)
	if !ok {
		return
	}
	counts, err := report.Activity(r.Context(), a.st, from, a.cfg.Now())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Since time.Time            `json:"since"`
		Days  []report.ActivityRow `json:"days"`
	}{store.Day(from), report.ActivityRows(counts)})
}

// deliveries answers {"since", "channels": [...], "days": [...]}: the outbox per channel and
// per day, as `sspr report deliveries -o json`.
func (a *API) deliveries(w http.ResponseWriter, r *http.Request, _ principal) {
	from, ok := a.since(w, r)
	if !ok {
		return
	}
	channels, days, err := report.Deliveries(r.Context(), a.st, from, a.cfg.Now())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Since    time.Time               `json:"since"`
		Channels []report.DeliveryRow    `json:"channels"`
		Days     []report.DeliveryDayRow `json:"days"`
	}{from.UTC(), channels, report.DeliveryDays(days)})
}
