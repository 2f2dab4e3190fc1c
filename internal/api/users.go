package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// errStop ends a listing early.
var errStop = errors.New("stop")

// listQuery is the filter of GET /api/v1/users and GET /api/v1/reports/readiness.
type listQuery struct {
	filter    store.UserFilter
	readiness string // "", "ready", "notReady"
	fields    []string
	limit     int
}

func parseListQuery(q url.Values) (listQuery, []admin.FieldError) {
	var lq listQuery
	var errs []admin.FieldError
	bad := func(param, format string, args ...any) {
		errs = append(errs, admin.FieldError{Field: param, Code: admin.CodeInvalid, Message: fmt.Sprintf(format, args...)})
	}
	switch s := q.Get("source"); s {
	case "":
	case string(store.SourceDirectory), string(store.SourceCloud):
		lq.filter.Source = store.Source(s)
	default:
		bad("source", "%q: use directory or cloud", s)
	}
	switch s := q.Get("readiness"); strings.ToLower(s) {
	case "":
	case "ready":
		lq.readiness = "ready"
	case "notready", "not-ready":
		lq.readiness = "notReady"
	default:
		bad("readiness", "%q: use ready or notReady", s)
	}
	lq.filter.Search = q.Get("search")
	lq.filter.AfterUPN = q.Get("after")
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			bad("limit", "%q: a positive whole number", s)
		}
		lq.limit = n
	}
	fields, err := userview.ParseSelect(q.Get("select"))
	if err != nil {
		bad("select", "%v", err)
	}
	lq.fields = fields
	return lq, errs
}

// keeper returns the ?readiness= filter under the policy (flow.Methods, as the report).
func (a *API) keeper(ctx context.Context, lq listQuery) (func(store.User) bool, error) {
	if lq.readiness == "" {
		return func(store.User) bool { return true }, nil
	}
	as, err := report.NewAssessor(ctx, a.st, a.cfg.Policy)
	if err != nil {
		return nil, err
	}
	want := lq.readiness == "ready"
	return func(u store.User) bool { return as.Assess(u).Ready == want }, nil
}

// explain is GET /api/v1/users/{upn}/explain: `sspr explain` as JSON.
func (a *API) explain(w http.ResponseWriter, r *http.Request, _ principal) {
	upn := r.PathValue("upn")
	x, err := a.cfg.Explain(r.Context(), upn)
	if errors.Is(err, report.ErrNoUser) {
		a.fail(w, r, upn, store.ErrNotFound)
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// listUsers streams {"users": [...], "next": "upn" | null}. With a limit, next is the
// userPrincipalName to pass as ?after= for the following page.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ principal) {
	lq, errs := parseListQuery(r.URL.Query())
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters", errs)
		return
	}
	f := lq.filter
	if lq.limit > 0 && lq.readiness == "" {
		f.Limit = lq.limit + 1 // one more tells whether there is a next page
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	all := len(lq.fields) == len(userview.Columns)
	n, next, last := 0, "", ""
	keep, err := a.keeper(r.Context(), lq)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	started := false
	err = a.st.ListUsers(r.Context(), f, func(u store.User) error {
		if !keep(u) {
			return nil
		}
		if lq.limit > 0 && n == lq.limit {
			next = last
			return errStop
		}
		if !started {
			bw.WriteString(`{"users":[`)
			started = true
		} else {
			bw.WriteByte(',')
		}
		var b []byte
		var err error
		if v := userview.FromStore(u); all {
			b, err = json.Marshal(v)
		} else {
			b, err = v.Select(lq.fields).MarshalJSON() // already compact: no second pass
		}
		if err != nil {
			return err
		}
		bw.Write(b)
		n++
		last = u.UserPrincipalName
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		a.streamFailed(w, r, bw, started, "list users", err)
		return
	}
	if !started {
		bw.WriteString(`{"users":[`)
	}
	bw.WriteString(`],"next":`)
	if next == "" {
		bw.WriteString("null")
	} else {
		b, _ := json.Marshal(next)
		bw.Write(b)
	}
	bw.WriteString("}\n")
	bw.Flush()
}

func etag(u store.User) string { return `"` + strconv.FormatInt(u.Version, 10) + `"` }

func (a *API) getUser(w http.ResponseWriter, r *http.Request, _ principal) {
	upn := r.PathValue("upn")
	fields, err := userview.ParseSelect(r.URL.Query().Get("select"))
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error(), nil)
		return
	}
	u, err := a.st.UserByUPN(r.Context(), upn)
	if err != nil {
		a.fail(w, r, upn, err)
		return
	}
	w.Header().Set("ETag", etag(u))
	if inm := r.Header.Get("If-None-Match"); inm != "" && (strings.TrimSpace(inm) == "*" || matchesETag(inm, u.Version)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	v := userview.FromStore(u)
	if len(fields) == len(userview.Columns) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeJSON(w, http.StatusOK, v.Select(fields))
}

// matchesETag reports whether a header's list of entity tags holds the version's strong tag.
func matchesETag(header string, version int64) bool {
	want := `"` + strconv.FormatInt(version, 10) + `"`
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == want || tag == "W/"+want {
			return true
		}
	}
	return false
}

// ifMatch reads If-Match for a change: the version to require (0 for "*"), or the status to answer.
func ifMatch(r *http.Request) (version int64, tags []int64, status int, msg string) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, nil, http.StatusPreconditionRequired,
			`If-Match is required: send the ETag of the user as you read it (GET), or "*" to overwrite whatever is there`
	}
	if h == "*" {
		return 0, nil, 0, ""
	}
	for tag := range strings.SplitSeq(h, ",") {
		tag = strings.TrimSpace(tag)
		if strings.HasPrefix(tag, "W/") {
			continue // weak tags never match for a change (strong comparison)
		}
		n, err := strconv.ParseInt(strings.Trim(tag, `"`), 10, 64)
		if err != nil || n < 1 || !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
			return 0, nil, http.StatusBadRequest, fmt.Sprintf("If-Match: %q is not an ETag of this API (\"N\")", tag)
		}
		tags = append(tags, n)
	}
	if len(tags) == 0 {
		return 0, nil, http.StatusPreconditionFailed, "If-Match holds only weak tags, which never match for a change"
	}
	return tags[0], tags, 0, ""
}

// precondition resolves If-Match into one version for package admin: with several tags, the one
// that is current (the transaction checks it again).
func (a *API) precondition(w http.ResponseWriter, r *http.Request, upn string) (int64, bool) {
	v, tags, status, msg := ifMatch(r)
	if status != 0 {
		code := codeBadRequest
		switch status {
		case http.StatusPreconditionRequired:
			code = codePreconditionRequired
		case http.StatusPreconditionFailed:
			code = codePreconditionFailed
		}
		writeError(w, status, code, msg, nil)
		return 0, false
	}
	if len(tags) > 1 {
		u, err := a.st.UserByUPN(r.Context(), upn)
		if err != nil {
			a.fail(w, r, upn, err)
			return 0, false
		}
		for _, t := range tags {
			if t == u.Version {
				return t, true
			}
		}
	}
	return v, true
}

// readBody reads a JSON object body into its members, answering 4xx when it cannot.
func readBody(w http.ResponseWriter, r *http.Request, allowEmpty bool) (map[string]json.RawMessage, bool) {
	body, err := readAll(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBody), nil)
		} else {
			writeError(w, http.StatusBadRequest, codeBadRequest, "cannot read the body", nil)
		}
		return nil, false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return map[string]json.RawMessage{}, true
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "a JSON object is required", nil)
		return nil, false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			writeError(w, http.StatusUnsupportedMediaType, codeUnsupportedMedia, "send application/json (or application/merge-patch+json)", nil)
			return nil, false
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "the body is not a JSON object", nil)
		return nil, false
	}
	return m, true
}

func readAll(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	return buf.Bytes(), err
}

// readOnlyFields are fields of the user JSON that no administrator sets.
var readOnlyFields = []string{store.FieldUserPrincipalName, store.FieldAuthenticationPhone, store.FieldAuthenticationEmail,
	userview.FieldSecurityQuestionsRegistered, userview.FieldSecurityQuestionsCount, userview.FieldSecurityQuestionsRegisteredAt,
	userview.FieldSource, userview.FieldPasswordExpiresAt}

// changeFromJSON reads the members of a PATCH or POST body. A read-only field is accepted only
// with the value it has (current, nil for a new user), so a GET document sent back changes
// nothing; unknown members are refused.
func changeFromJSON(m map[string]json.RawMessage, current *userview.User) (admin.Change, []admin.FieldError) {
	var c admin.Change
	var errs []admin.FieldError
	bad := func(field, code, format string, args ...any) {
		errs = append(errs, admin.FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	str := func(field string, raw json.RawMessage) (*string, bool) {
		if string(raw) == "null" {
			s := ""
			return &s, true
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			bad(field, admin.CodeInvalid, "must be a string or null")
			return nil, false
		}
		return &s, true
	}
	list := func(field string, raw json.RawMessage) ([]string, bool) {
		if string(raw) == "null" {
			return []string{}, true
		}
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			bad(field, admin.CodeInvalid, "must be an array of strings")
			return nil, false
		}
		return l, true
	}
	for k, raw := range m {
		switch k {
		case store.FieldDisplayName:
			c.DisplayName, _ = str(k, raw)
		case store.FieldMobilePhone:
			c.MobilePhone, _ = str(k, raw)
		case store.FieldOfficePhone:
			c.OfficePhone, _ = str(k, raw)
		case store.FieldAlternateEmails:
			if l, ok := list(k, raw); ok {
				c.AlternateEmails = &l
			}
		case "addAlternateEmails":
			c.AddAlternateEmails, _ = list(k, raw)
		case "removeAlternateEmails":
			c.RemoveAlternateEmails, _ = list(k, raw)
		case store.FieldAccountEnabled:
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				bad(k, admin.CodeInvalid, "must be true or false")
				continue
			}
			c.AccountEnabled = &b
		default:
			if !isReadOnly(k) {
				bad(k, admin.CodeUnknown, "not a field that can be set (use displayName, mobilePhone, officePhone, alternateEmails, addAlternateEmails, removeAlternateEmails, accountEnabled)")
				continue
			}
			if current == nil || !sameJSON(k, raw, *current) {
				bad(k, admin.CodeReadOnly, "cannot be set by an administrator%s", readOnlyWhy(k))
			}
		}
	}
	return c, errs
}

func isReadOnly(k string) bool {
	for _, f := range readOnlyFields {
		if f == k {
			return true
		}
	}
	return false
}

func readOnlyWhy(k string) string {
	switch k {
	case store.FieldAuthenticationPhone, store.FieldAuthenticationEmail:
		return ": the user sets it at registration, with a verification code"
	case userview.FieldSecurityQuestionsRegistered, userview.FieldSecurityQuestionsCount, userview.FieldSecurityQuestionsRegisteredAt:
		return ": security questions belong to the user alone"
	case userview.FieldSource:
		return ": the sync adds directory users"
	case userview.FieldPasswordExpiresAt:
		return ": the sync reads it from the directory's password policy"
	case store.FieldUserPrincipalName:
		return ": users are not renamed here"
	}
	return ""
}

// sameJSON reports whether raw is the JSON value the user's field has.
func sameJSON(field string, raw json.RawMessage, v userview.User) bool {
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		return false
	}
	cur, _ := json.Marshal(v.Value(field))
	var want any
	_ = json.Unmarshal(cur, &want)
	if s, ok := got.(string); ok && field == store.FieldUserPrincipalName {
		w, _ := want.(string)
		return strings.EqualFold(s, w)
	}
	return reflect.DeepEqual(got, want)
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request, p principal) {
	upn := r.PathValue("upn")
	version, ok := a.precondition(w, r, upn)
	if !ok {
		return
	}
	m, ok := readBody(w, r, false)
	if !ok {
		return
	}
	var current *userview.User
	for k := range m {
		if isReadOnly(k) {
			u, err := a.st.UserByUPN(r.Context(), upn)
			if err != nil {
				a.fail(w, r, upn, err)
				return
			}
			v := userview.FromStore(u)
			current = &v
			break
		}
	}
	c, errs := changeFromJSON(m, current)
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, codeInvalid, fmt.Sprintf("%s: nothing was changed: %d refused value(s)", upn, len(errs)), errs)
		return
	}
	res, err := a.admin.Update(r.Context(), a.actor(r, p), upn, version, c)
	if err != nil {
		a.fail(w, r, upn, err)
		return
	}
	w.Header().Set("ETag", etag(res.User))
	writeJSON(w, http.StatusOK, userview.FromStore(res.User))
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, p principal) {
	m, ok := readBody(w, r, false)
	if !ok {
		return
	}
	var upn string
	raw, has := m[store.FieldUserPrincipalName]
	if !has || json.Unmarshal(raw, &upn) != nil || strings.TrimSpace(upn) == "" {
		writeError(w, http.StatusUnprocessableEntity, codeInvalid, "userPrincipalName is required",
			[]admin.FieldError{{Field: store.FieldUserPrincipalName, Code: admin.CodeRequired, Message: "a non-empty string is required"}})
		return
	}
	delete(m, store.FieldUserPrincipalName)
	if src, ok := m[userview.FieldSource]; ok && (string(src) == `"cloud"` || string(src) == "null") {
		delete(m, userview.FieldSource) // "source": "cloud" is what a new user is
	}
	c, errs := changeFromJSON(m, nil)
	if len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, codeInvalid, fmt.Sprintf("%s: nothing was created: %d refused value(s)", upn, len(errs)), errs)
		return
	}
	res, err := a.admin.Create(r.Context(), a.actor(r, p), upn, c)
	if err != nil {
		a.fail(w, r, upn, err)
		return
	}
	w.Header().Set("ETag", etag(res.User))
	w.Header().Set("Location", Prefix+"users/"+url.PathEscape(res.User.UserPrincipalName))
	writeJSON(w, http.StatusCreated, userview.FromStore(res.User))
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, p principal) {
	upn := r.PathValue("upn")
	version, ok := a.precondition(w, r, upn)
	if !ok {
		return
	}
	if err := a.admin.Delete(r.Context(), a.actor(r, p), upn, version); err != nil {
		a.fail(w, r, upn, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
