package api

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

// ParseAuditTime reads a --since or --until value: an RFC 3339 time, or an age before now: a
// whole number of days ("7d") or a Go duration ("24h", "30m", "1h30m").
func ParseAuditTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*366 {
			return time.Time{}, fmt.Errorf("%q: use an RFC 3339 time (2026-01-02T15:04:05Z) or an age (7d, 24h, 30m)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q: use an RFC 3339 time (2026-01-02T15:04:05Z) or an age (7d, 24h, 30m)", s)
		}
	}
	return now.Add(-d), nil
}

// ParseAuditClientIP reads a client address (192.0.2.7, 2001:db8::1) or network (10.0.0.0/8).
func ParseAuditClientIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: an IP address or network (10.0.0.0/8)", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q: an IP address or network (10.0.0.0/8)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AuditQuery is the audit search as it was before store.AuditFilter took every filter: Filter
// with Actor, Outcome, ClientIP and Limit beside it. New code sets store.AuditFilter and calls
// the store's ListAudit; this stays for the callers that use it.
type AuditQuery struct {
	Filter   store.AuditFilter
	Actor    string
	Outcome  string
	ClientIP netip.Prefix
	Limit    int
}

// AuditFilter is q as one store.AuditFilter.
func (q AuditQuery) AuditFilter() store.AuditFilter {
	f := q.Filter
	if q.Actor != "" {
		f.Actor = q.Actor
	}
	if q.Outcome != "" {
		f.Outcome = q.Outcome
	}
	if q.ClientIP.IsValid() {
		f.ClientIP = q.ClientIP
	}
	if q.Limit != 0 {
		f.Limit = q.Limit
	}
	return f
}

// ListAudit calls fn for the events q matches, newest first, one at a time (memory stays flat).
func ListAudit(ctx context.Context, st interface {
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
}, q AuditQuery, fn func(store.AuditEvent) error) error {
	return st.ListAudit(ctx, q.AuditFilter(), fn)
}

// MaxAuditPage is the largest limit GET /api/v1/audit takes; without a limit it streams every
// matching event.
const MaxAuditPage = 10000

// EncodeAuditCursor writes c as the opaque cursor of GET /api/v1/audit (the next page starts
// after the event c names).
func EncodeAuditCursor(c store.AuditCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

// DecodeAuditCursor reads EncodeAuditCursor's form.
func DecodeAuditCursor(s string) (store.AuditCursor, error) {
	bad := fmt.Errorf("%q: not a cursor this server gave (use the next value of the previous page)", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.AuditCursor{}, bad
	}
	us, id, ok := strings.Cut(string(b), ".")
	if !ok {
		return store.AuditCursor{}, bad
	}
	u, err1 := strconv.ParseInt(us, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n < 1 {
		return store.AuditCursor{}, bad
	}
	return store.AuditCursor{Time: time.UnixMicro(u).UTC(), ID: n}, nil
}

// AuditEventJSON is an audit event as the API and `sspr audit list -o json` write it.
type AuditEventJSON struct {
	ID                int64             `json:"id"`
	Time              time.Time         `json:"time"`
	Type              string            `json:"type"`
	Actor             string            `json:"actor"`
	UserID            string            `json:"userId,omitempty"`
	UserPrincipalName string            `json:"userPrincipalName,omitempty"`
	ClientIP          string            `json:"clientIP,omitempty"`
	UserAgent         string            `json:"userAgent,omitempty"`
	Details           map[string]string `json:"details,omitempty"`
	// Seq and Hash (hex) are the event's place in the tamper-evident chain; absent for events
	// from before the chain.
	Seq  int64  `json:"seq,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// NewAuditEventJSON converts e (time in UTC).
func NewAuditEventJSON(e store.AuditEvent) AuditEventJSON {
	return AuditEventJSON{ID: e.ID, Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor, UserID: e.UserID,
		UserPrincipalName: e.UserPrincipalName, ClientIP: e.ClientIP, UserAgent: e.UserAgent, Details: e.Details,
		Seq: e.Seq, Hash: hex.EncodeToString(e.Hash)}
}

// AuditCSVHeader is the columns of the CSV form (API and CLI).
var AuditCSVHeader = []string{"id", "time", "type", "actor", "userPrincipalName", "clientIP", "outcome", "details", "userId", "userAgent", "seq", "hash"}

// AuditCSVRow is e as a row under AuditCSVHeader: details as key=value pairs in key order,
// outcome left out (it has a column of its own).
func AuditCSVRow(e store.AuditEvent) []string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		if k != "outcome" {
			parts = append(parts, k+"="+e.Details[k])
		}
	}
	return []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Type, e.Actor, e.UserPrincipalName,
		e.ClientIP, e.Details["outcome"], strings.Join(parts, " "), e.UserID, e.UserAgent, seqText(e.Seq), hex.EncodeToString(e.Hash)}
}

func seqText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// parseAuditQuery reads GET /api/v1/audit's parameters; each bad one is named in the errors.
func parseAuditQuery(v url.Values, now time.Time) (f store.AuditFilter, csv bool, errs []admin.FieldError) {
	bad := func(param string, err error) {
		errs = append(errs, admin.FieldError{Field: param, Code: admin.CodeInvalid, Message: err.Error()})
	}
	for _, t := range []struct {
		param string
		dst   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		param, dst := t.param, t.dst
		if s := v.Get(param); s != "" {
			t, err := ParseAuditTime(s, now)
			if err != nil {
				bad(param, err)
			}
			*dst = t
		}
	}
	f.UserPrincipalName = v.Get("user")
	f.TypePrefix = v.Get("type")
	f.Actor = v.Get("actor")
	f.Outcome = v.Get("outcome")
	if s := v.Get("clientIP"); s != "" {
		p, err := ParseAuditClientIP(s)
		if err != nil {
			bad("clientIP", err)
		}
		f.ClientIP = p
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxAuditPage {
			bad("limit", fmt.Errorf("%q: a whole number from 1 to %d (without limit, every event streams)", s, MaxAuditPage))
		}
		f.Limit = n
	}
	if s := v.Get("cursor"); s != "" {
		c, err := DecodeAuditCursor(s)
		if err != nil {
			bad("cursor", err)
		}
		f.After = &c
	}
	switch v.Get("format") {
	case "", "json":
	case "csv":
		csv = true
	default:
		bad("format", fmt.Errorf("%q: json or csv", v.Get("format")))
	}
	return f, csv, errs
}

// listAudit streams the events, newest first: {"events": [...], "next": cursor} or CSV. With a
// limit, "next" (JSON) or the Sspr-Next-Cursor header and a Link rel="next" (CSV) continue the
// listing when more events match; without one, every matching event streams (memory flat).
func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ principal) {
	f, asCSV, errs := parseAuditQuery(r.URL.Query(), a.cfg.Now())
	if len(errs) > 0 {
		names := make([]string, len(errs))
		for i, e := range errs {
			names[i] = e.Field
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters: "+strings.Join(names, ", "), errs)
		return
	}
	limit := f.Limit
	if limit > 0 {
		f.Limit = limit + 1 // one more tells whether a next page exists
	}
	if asCSV {
		a.listAuditCSV(w, r, f, limit)
		return
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	started := false
	start := func() {
		if !started {
			w.Header().Set("Content-Type", "application/json")
			bw.WriteString(`{"events":[`)
			started = true
		}
	}
	var (
		n        int
		next     *store.AuditCursor
		prevTime time.Time
		prevID   int64
	)
	err := a.st.ListAudit(r.Context(), f, func(e store.AuditEvent) error {
		if limit > 0 && n == limit {
			next = &store.AuditCursor{Time: prevTime, ID: prevID}
			return nil
		}
		b, err := json.Marshal(NewAuditEventJSON(e))
		if err != nil {
			return err
		}
		start()
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		prevTime, prevID = e.Time, e.ID
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		a.streamFailed(w, r, bw, started, "audit", err)
		return
	}
	start()
	bw.WriteString("]")
	if next != nil {
		bw.WriteString(`,"next":"` + EncodeAuditCursor(*next) + `"`)
	}
	bw.WriteString("}\n")
	bw.Flush()
}

// listAuditCSV writes the events as CSV: streamed without a limit; a page (at most
// MaxAuditPage rows) is read first, so that the next page's cursor goes in the headers.
func (a *API) listAuditCSV(w http.ResponseWriter, r *http.Request, f store.AuditFilter, limit int) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit.csv"`)
	if limit > 0 {
		var page []store.AuditEvent
		if err := a.st.ListAudit(r.Context(), f, func(e store.AuditEvent) error {
			page = append(page, e)
			return nil
		}); err != nil {
			h.Del("Content-Disposition")
			a.internal(w, r, err)
			return
		}
		if len(page) > limit {
			page = page[:limit]
			last := page[limit-1]
			c := EncodeAuditCursor(store.AuditCursor{Time: last.Time, ID: last.ID})
			q := r.URL.Query()
			q.Set("cursor", c)
			h.Set("Sspr-Next-Cursor", c)
			h.Set("Link", `<`+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
		}
		cw := csv.NewWriter(w)
		cw.Write(AuditCSVHeader)
		for _, e := range page {
			writeCSVRow(cw, AuditCSVRow(e))
		}
		cw.Flush()
		return
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.Write(AuditCSVHeader)
	err := a.st.ListAudit(r.Context(), f, func(e store.AuditEvent) error {
		return writeCSVRow(cw, AuditCSVRow(e))
	})
	cw.Flush()
	if err != nil {
		a.cfg.Log.Error("api: audit", "err", err)
		// The status is sent: cut the connection, so that no client takes a cut CSV for a
		// whole one (a CSV has no closing bracket to miss).
		panic(http.ErrAbortHandler)
	}
	bw.Flush()
}

// writeCSVRow writes row with each cell made safe for spreadsheets (userview.CSVCell: a
// leading =, +, - or @ is neutralized), as `sspr audit list -o csv` writes it.
func writeCSVRow(cw *csv.Writer, row []string) error {
	for i, v := range row {
		row[i] = userview.CSVCell(v)
	}
	return cw.Write(row)
}

// streamFailed ends a streamed answer that err cut short: 500 when nothing was sent yet; else
// the status is sent, and the body ends without its closing brackets, so that no client takes
// a cut listing for a whole one.
func (a *API) streamFailed(w http.ResponseWriter, r *http.Request, bw *bufio.Writer, started bool, what string, err error) {
	if !started {
		a.internal(w, r, err)
		return
	}
	a.cfg.Log.Error("api: "+what, "err", err)
	bw.Flush()
}
