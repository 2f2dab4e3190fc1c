package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/store"
)

// AuditQuery is a search of the audit log: what the store filters (Filter, whose Limit it leaves
// at 0 when a filter below applies, since those are checked here), and the actor, outcome and
// client address, checked on each event. It is shared by `sspr audit list` and GET /api/v1/audit.
type AuditQuery struct {
	Filter store.AuditFilter
	// Actor matches the event's actor exactly (case-insensitive), or, when it ends with ":",
	// every actor it starts ("admin:" for every token).
	Actor string
	// Outcome matches details["outcome"] exactly (case-insensitive).
	Outcome string
	// ClientIP, when valid, keeps events from that address, or from that network when it
	// has more than one address (10.0.0.0/8).
	ClientIP netip.Prefix
	// Limit is the most events to return, newest first; 0: no limit.
	Limit int
}

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

// keep reports whether e passes the filters the store does not apply.
func (q AuditQuery) keep(e store.AuditEvent) bool {
	if q.Actor != "" {
		if prefix, ok := strings.CutSuffix(q.Actor, ":"); ok {
			if len(e.Actor) <= len(prefix) || !strings.EqualFold(e.Actor[:len(prefix)+1], prefix+":") {
				return false
			}
		} else if !strings.EqualFold(e.Actor, q.Actor) {
			return false
		}
	}
	if q.Outcome != "" && !strings.EqualFold(e.Details["outcome"], q.Outcome) {
		return false
	}
	if q.ClientIP.IsValid() {
		a, err := netip.ParseAddr(e.ClientIP)
		if err != nil || !q.ClientIP.Contains(a.Unmap()) {
			return false
		}
	}
	return true
}

var errAuditEnough = errors.New("audit: limit reached")

// ListAudit calls fn for the events q matches, newest first, one at a time (memory stays flat).
func ListAudit(ctx context.Context, st interface {
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
}, q AuditQuery, fn func(store.AuditEvent) error) error {
	f := q.Filter
	f.Limit = 0
	inGo := q.Actor != "" || q.Outcome != "" || q.ClientIP.IsValid()
	if !inGo {
		f.Limit = q.Limit
	}
	n := 0
	err := st.ListAudit(ctx, f, func(e store.AuditEvent) error {
		if !q.keep(e) {
			return nil
		}
		if q.Limit > 0 && n >= q.Limit {
			return errAuditEnough
		}
		n++
		return fn(e)
	})
	if errors.Is(err, errAuditEnough) {
		return nil
	}
	return err
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
}

// NewAuditEventJSON converts e (time in UTC).
func NewAuditEventJSON(e store.AuditEvent) AuditEventJSON {
	return AuditEventJSON{ID: e.ID, Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor, UserID: e.UserID,
		UserPrincipalName: e.UserPrincipalName, ClientIP: e.ClientIP, UserAgent: e.UserAgent, Details: e.Details}
}

// parseAuditQuery reads GET /api/v1/audit's parameters; each bad one is named in the errors.
func parseAuditQuery(v url.Values, now time.Time) (AuditQuery, []admin.FieldError) {
	var q AuditQuery
	var errs []admin.FieldError
	bad := func(param string, err error) {
		errs = append(errs, admin.FieldError{Field: param, Code: admin.CodeInvalid, Message: err.Error()})
	}
	for _, t := range []struct {
		param string
		dst   *time.Time
	}{{"since", &q.Filter.Since}, {"until", &q.Filter.Until}} {
		param, dst := t.param, t.dst
		if s := v.Get(param); s != "" {
			t, err := ParseAuditTime(s, now)
			if err != nil {
				bad(param, err)
			}
			*dst = t
		}
	}
	q.Filter.UserPrincipalName = v.Get("user")
	q.Filter.TypePrefix = v.Get("type")
	q.Actor = v.Get("actor")
	q.Outcome = v.Get("outcome")
	if s := v.Get("clientIP"); s != "" {
		p, err := ParseAuditClientIP(s)
		if err != nil {
			bad("clientIP", err)
		}
		q.ClientIP = p
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			bad("limit", fmt.Errorf("%q: a positive whole number", s))
		}
		q.Limit = n
	}
	return q, errs
}

// listAudit streams {"events": [...]}, newest first.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ principal) {
	q, errs := parseAuditQuery(r.URL.Query(), a.cfg.Now())
	if len(errs) > 0 {
		names := make([]string, len(errs))
		for i, e := range errs {
			names[i] = e.Field
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters: "+strings.Join(names, ", "), errs)
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
	n := 0
	err := ListAudit(r.Context(), a.st, q, func(e store.AuditEvent) error {
		b, err := json.Marshal(NewAuditEventJSON(e))
		if err != nil {
			return err
		}
		start()
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		a.streamFailed(w, r, bw, started, "audit", err)
		return
	}
	start()
	bw.WriteString("]}\n")
	bw.Flush()
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
