package console

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 50

// auditForm is the audit page's filters as typed, for the form and the links.
type auditForm struct {
	Since, Until, User, Type, Actor, Outcome, ClientIP string
	// After is the cursor of the page's first event's predecessor (api.EncodeAuditCursor): ""
	// for the newest events.
	After string
}

func (f auditForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"since": f.Since, "until": f.Until, "user": f.User, "type": f.Type, "actor": f.Actor,
		"outcome": f.Outcome, "clientIP": f.ClientIP} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// DownloadURL is the export of the events the filters match, as CSV or JSON.
func (f auditForm) DownloadURL(format string) string {
	return "/admin/audit." + format + "?" + f.values().Encode()
}

// PageURL is the audit page that starts after the event of cursor ("": the newest events),
// with the same filters.
func (f auditForm) PageURL(cursor string) string {
	v := f.values()
	if cursor != "" {
		v.Set("after", cursor)
	}
	return "/admin/audit?" + v.Encode()
}

// parseAudit reads the filters (the API's and the CLI's: store.AuditFilter); each bad value is
// named.
func (s *Server) parseAudit(v url.Values) (auditForm, store.AuditFilter, []admin.FieldError) {
	f := auditForm{Since: strings.TrimSpace(v.Get("since")), Until: strings.TrimSpace(v.Get("until")), User: strings.TrimSpace(v.Get("user")),
		Type: strings.TrimSpace(v.Get("type")), Actor: strings.TrimSpace(v.Get("actor")), Outcome: strings.TrimSpace(v.Get("outcome")),
		ClientIP: strings.TrimSpace(v.Get("clientIP")), After: v.Get("after")}
	q := store.AuditFilter{UserPrincipalName: f.User, TypePrefix: f.Type, Actor: f.Actor, Outcome: f.Outcome}
	var errs []admin.FieldError
	bad := func(field string, err error) {
		errs = append(errs, admin.FieldError{Field: field, Code: admin.CodeInvalid, Message: err.Error()})
	}
	now := s.cfg.Now()
	for _, t := range []struct {
		param, val string
		dst        *time.Time
	}{{"since", f.Since, &q.Since}, {"until", f.Until, &q.Until}} {
		if t.val == "" {
			continue
		}
		tm, err := api.ParseAuditTime(t.val, now)
		if err != nil {
			bad(t.param, err)
			continue
		}
		*t.dst = tm
	}
	if f.ClientIP != "" {
		p, err := api.ParseAuditClientIP(f.ClientIP)
		if err != nil {
			bad("clientIP", err)
		}
		q.ClientIP = p
	}
	if f.After != "" {
		c, err := api.DecodeAuditCursor(f.After)
		if err != nil {
			bad("after", err)
		}
		q.After = &c
	}
	return f, q, errs
}

// AuditRow is one event as the page shows it.
type AuditRow struct {
	store.AuditEvent
	Outcome string
	Detail  string
}

func auditRow(e store.AuditEvent) AuditRow {
	return AuditRow{AuditEvent: e, Outcome: e.Details["outcome"], Detail: details(e.Details)}
}

// details writes details as key=value pairs in key order, outcome left out (a column of its
// own), as `sspr audit list` does.
func details(d map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if k != "outcome" {
			parts = append(parts, k+"="+d[k])
		}
	}
	return strings.Join(parts, " ")
}

type auditData struct {
	Form   auditForm
	Errors []admin.FieldError
	Rows   []AuditRow
	// Next is the cursor of the next page ("" when this is the last).
	Next string
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, a *Admin) {
	f, q, errs := s.parseAudit(r.URL.Query())
	d := auditData{Form: f, Errors: errs}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	} else {
		q.Limit = auditPageSize + 1
		err := s.st.ListAudit(r.Context(), q, func(e store.AuditEvent) error {
			d.Rows = append(d.Rows, auditRow(e))
			return nil
		})
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		if len(d.Rows) > auditPageSize {
			d.Rows = d.Rows[:auditPageSize]
			last := d.Rows[auditPageSize-1]
			d.Next = api.EncodeAuditCursor(store.AuditCursor{Time: last.Time, ID: last.ID})
		}
		if v := f.values(); len(v) > 0 || f.After != "" {
			det := map[string]string{}
			for k := range v {
				det[k] = v.Get(k)
			}
			if f.After != "" {
				det["after"] = f.After
			}
			s.record(r.Context(), a, EventAuditSearched, "", "", det)
		}
	}
	p := s.newPage(w, r, "console.audit.title", "audit", a)
	p.Data = d
	if len(errs) > 0 {
		p.Error = p.Tr.T("console.audit.filtersWrong")
	}
	s.render(w, "audit", status, p)
}

// auditHeader is the CSV's columns: those of `sspr audit list -o csv`.
var auditHeader = []string{"id", "time", "type", "actor", "userPrincipalName", "clientIP", "outcome", "details", "userId", "userAgent"}

// export streams the events the filters match (memory stays flat), audited first.
func (s *Server) export(w http.ResponseWriter, r *http.Request, a *Admin, format string, write func(*bufio.Writer, store.AuditEvent) error, start, end string) {
	f, q, errs := s.parseAudit(r.URL.Query())
	if len(errs) > 0 {
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		p := s.newPage(w, r, "console.audit.filtersWrongTitle", "", a)
		p.Error = p.Tr.T("console.audit.exportWrong", p.Words("console.audit.filter.", fields))
		s.render(w, "message", http.StatusBadRequest, p)
		return
	}
	det := map[string]string{"format": format}
	for k := range f.values() {
		det[k] = f.values().Get(k)
	}
	s.record(r.Context(), a, EventAuditExported, "", "", det)
	ct := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json"}[format]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sspr-audit-%s.%s"`, s.cfg.Now().UTC().Format("20060102-150405"), format))
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(start)
	n := 0
	q.After = nil // the export starts from the newest event the filters match
	err := s.st.ListAudit(r.Context(), q, func(e store.AuditEvent) error {
		if format == "json" && n > 0 {
			bw.WriteByte(',')
		}
		n++
		return write(bw, e)
	})
	if err != nil {
		// The status is sent: the body ends without its closing, so that no one takes a cut
		// export for a whole one.
		s.log.Error("console: audit export", "err", err)
		bw.Flush()
		return
	}
	bw.WriteString(end)
	bw.Flush()
}

func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request, a *Admin) {
	var cw *csv.Writer
	var to *bufio.Writer
	header := strings.Join(auditHeader, ",") + "\n"
	s.export(w, r, a, "csv", func(bw *bufio.Writer, e store.AuditEvent) error {
		if cw == nil || to != bw {
			cw, to = csv.NewWriter(bw), bw
		}
		row := []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339), e.Type, e.Actor, e.UserPrincipalName,
			e.ClientIP, e.Details["outcome"], details(e.Details), e.UserID, e.UserAgent}
		for i := range row {
			row[i] = userview.CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}, header, "")
}

func (s *Server) auditJSON(w http.ResponseWriter, r *http.Request, a *Admin) {
	s.export(w, r, a, "json", func(bw *bufio.Writer, e store.AuditEvent) error {
		b, err := json.Marshal(api.NewAuditEventJSON(e))
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	}, `{"events":[`, "]}\n")
}
