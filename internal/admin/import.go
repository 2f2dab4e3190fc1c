package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

// Row is one line of an import file: the cells of its columns, by field name.
type Row struct {
	Line  int
	Cells map[string]string
}

// Writable are the columns an import may change; the other columns of the export
// (authenticationPhone, authenticationEmail, the security questions' columns, source) are read
// and ignored, except source=directory for a user that is not in the store.
var Writable = []string{store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone,
	store.FieldAlternateEmails, store.FieldAccountEnabled}

// ReadCSV reads an import file with the columns of `sspr user list -o csv`: a header row of field
// names (any case, any order, any subset that includes userPrincipalName), then one row per user.
// A cell that the export protected against spreadsheet formulas (userview.CSVCell: a quote
// before = + - @ tab CR or a quote) is read back without that quote, so that an export imported
// again holds the export's values exactly.
func ReadCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("import: empty file: the first row must name the columns (userPrincipalName, mobilePhone, ...)")
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF") // a spreadsheet's byte order mark
		}
		name, ok := userview.Canonical(strings.TrimSpace(h))
		if !ok {
			return nil, fmt.Errorf("import: line 1: column %q is not a user field (use %s)", h, strings.Join(userview.Columns, ", "))
		}
		for _, c := range cols[:i] {
			if c == name {
				return nil, fmt.Errorf("import: line 1: column %s appears twice", name)
			}
		}
		cols[i] = name
	}
	hasUPN := false
	for _, c := range cols {
		hasUPN = hasUPN || c == store.FieldUserPrincipalName
	}
	if !hasUPN {
		return nil, errors.New("import: line 1: no userPrincipalName column")
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		line, _ := cr.FieldPos(0)
		cells := make(map[string]string, len(cols))
		for i, v := range rec {
			cells[cols[i]] = userview.FromCSVCell(v)
		}
		rows = append(rows, Row{Line: line, Cells: cells})
	}
}

// Action is what an import does to one row's user.
type Action string

const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionUnchanged Action = "unchanged"
	ActionInvalid   Action = "invalid"
)

// RowReport is what an import does, or would do, with one row.
type RowReport struct {
	Line              int           `json:"line"`
	UserPrincipalName string        `json:"userPrincipalName"`
	Action            Action        `json:"action"`
	Changes           []FieldChange `json:"changes,omitempty"`
	Errors            []FieldError  `json:"errors,omitempty"`
	Notes             []string      `json:"notes,omitempty"`
}

// ImportReport sums up an import. Rows holds every row that creates, updates or is invalid;
// unchanged rows are only counted.
type ImportReport struct {
	Rows      []RowReport `json:"rows"`
	Created   int         `json:"created"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Invalid   int         `json:"invalid"`
	// Applied: the changes were written. False for a dry run, and whenever a row is invalid.
	Applied bool `json:"applied"`
}

// errDryRun rolls back an import that must not be kept.
var errDryRun = errors.New("dry run")

// Import plans every row in one transaction: a known user is updated with the row's writable
// cells that differ from what the export shows, an unknown one is created as a cloud user. With
// apply and no invalid row, every change is written with its audit events, all together; else
// nothing is. Rows name users case-insensitively; a user named twice is invalid.
func (s *Service) Import(ctx context.Context, actor Actor, rows []Row, apply bool) (ImportReport, error) {
	var rep ImportReport
	err := s.st.Update(ctx, func(tx store.UsersTx) error {
		rep = ImportReport{Rows: []RowReport{}}
		seen := make(map[string]int, len(rows))
		for _, row := range rows {
			rr, err := s.importRow(ctx, tx, actor, row, seen, apply)
			if err != nil {
				return fmt.Errorf("import: line %d: %w", row.Line, err)
			}
			switch rr.Action {
			case ActionCreate:
				rep.Created++
			case ActionUpdate:
				rep.Updated++
			case ActionUnchanged:
				rep.Unchanged++
				continue
			case ActionInvalid:
				rep.Invalid++
				apply = false // nothing more is written; what was is rolled back
			}
			rep.Rows = append(rep.Rows, rr)
		}
		if !apply || rep.Invalid > 0 {
			return errDryRun
		}
		rep.Applied = true
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return ImportReport{}, err
	}
	return rep, nil
}

func (s *Service) importRow(ctx context.Context, tx store.UsersTx, actor Actor, row Row, seen map[string]int, write bool) (RowReport, error) {
	upn := strings.TrimSpace(row.Cells[store.FieldUserPrincipalName])
	rr := RowReport{Line: row.Line, UserPrincipalName: upn, Action: ActionInvalid}
	invalid := func(field, code, format string, args ...any) (RowReport, error) {
		rr.Errors = append(rr.Errors, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
		return rr, nil
	}
	if upn == "" {
		return invalid(store.FieldUserPrincipalName, CodeRequired, "empty userPrincipalName")
	}
	k := strings.ToLower(upn)
	if first, dup := seen[k]; dup {
		return invalid(store.FieldUserPrincipalName, CodeInvalid, "%s is also on line %d", upn, first)
	}
	seen[k] = row.Line
	extra := map[string]string{"via": "import", "line": strconv.Itoa(row.Line)}

	u, err := tx.UserByUPN(ctx, upn)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if row.Cells[userview.FieldSource] == string(store.SourceDirectory) {
			return invalid(store.FieldUserPrincipalName, CodeInvalid,
				"no user %s here, and the row says source directory: directory users are added by sync, not by import", upn)
		}
		c, errs := changeFromCells(row.Cells, nil)
		if len(errs) > 0 {
			rr.Errors = errs
			return rr, nil
		}
		nu, p := s.planCreate(upn, c)
		if len(p.errs) > 0 {
			rr.Errors = p.errs
			return rr, nil
		}
		rr.Action, rr.Changes, rr.Notes = ActionCreate, p.changes, p.notes
		if write {
			if _, err := s.create(ctx, tx, actor, nu.UserPrincipalName, c, extra); err != nil {
				return rr, err
			}
		}
		return rr, nil
	case err != nil:
		return rr, err
	}
	rr.UserPrincipalName = u.UserPrincipalName
	view := userview.FromStore(u)
	c, errs := changeFromCells(row.Cells, &view)
	if len(errs) > 0 {
		rr.Errors = errs
		return rr, nil
	}
	planned := u
	p := s.plan(&planned, c)
	switch {
	case len(p.errs) > 0:
		rr.Errors = p.errs
		return rr, nil
	case len(p.changes) == 0:
		rr.Action = ActionUnchanged
		return rr, nil
	}
	rr.Action, rr.Changes, rr.Notes = ActionUpdate, p.changes, p.notes
	if write {
		if _, err := s.update(ctx, tx, actor, u, c, extra); err != nil {
			return rr, err
		}
	}
	return rr, nil
}

// changeFromCells turns a row's writable cells into a Change. With the user's current view, a
// cell equal to what the export shows is left out: a re-imported export changes nothing.
func changeFromCells(cells map[string]string, view *userview.User) (Change, []FieldError) {
	var c Change
	var errs []FieldError
	for _, f := range Writable {
		v, ok := cells[f]
		if !ok || view != nil && v == view.Cell(f) {
			continue
		}
		switch f {
		case store.FieldDisplayName:
			c.DisplayName = &v
		case store.FieldMobilePhone:
			c.MobilePhone = &v
		case store.FieldOfficePhone:
			c.OfficePhone = &v
		case store.FieldAlternateEmails:
			l := SplitList(v)
			c.AlternateEmails = &l
		case store.FieldAccountEnabled:
			if strings.TrimSpace(v) == "" {
				continue // blank: unchanged (a new user is enabled)
			}
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, FieldError{Field: f, Code: CodeInvalid, Message: fmt.Sprintf("%q: use true or false", v)})
				continue
			}
			c.AccountEnabled = &b
		}
	}
	return c, errs
}

// SplitList reads a list of addresses separated by ";" (as the export writes them) or ",".
func SplitList(v string) []string {
	l := []string{}
	for a := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			l = append(l, a)
		}
	}
	return l
}
