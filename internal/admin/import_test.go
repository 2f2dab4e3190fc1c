package admin_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name, in string
		err      string
		rows     int
		check    func(t *testing.T, rows []admin.Row)
	}{
		{name: "export header, BOM, protected cell",
			in:   "\uFEFFuserPrincipalName,DisplayName,mobilePhone\ncarl,'=SUM(1),+1 4255550100\n\nbob,'-x,\n",
			rows: 2,
			check: func(t *testing.T, rows []admin.Row) {
				if rows[0].Cells["displayName"] != "=SUM(1)" || rows[0].Cells["mobilePhone"] != "+1 4255550100" || rows[1].Line != 4 || rows[1].Cells["displayName"] != "-x" {
					t.Errorf("rows %+v", rows)
				}
			}},
		{name: "a quote before anything else stays", in: "userPrincipalName,displayName\ncarl,'quoted'\n", rows: 1,
			check: func(t *testing.T, rows []admin.Row) {
				if rows[0].Cells["displayName"] != "'quoted'" {
					t.Errorf("rows %+v", rows)
				}
			}},
		{name: "unknown column", in: "userPrincipalName,pager\n", err: `column "pager" is not a user field`},
		{name: "duplicate column", in: "userPrincipalName,mobilePhone,MOBILEPHONE\n", err: "column mobilePhone appears twice"},
		{name: "no userPrincipalName", in: "mobilePhone\n+1 4255550100\n", err: "no userPrincipalName column"},
		{name: "empty", in: "", err: "empty file"},
		{name: "ragged row", in: "userPrincipalName,mobilePhone\ncarl\n", err: "wrong number of fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := admin.ReadCSV(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			tc.check(t, rows)
		})
	}
}

// export writes every user as `sspr user list -o csv` does.
func export(t *testing.T, st testStore) string {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(userview.Columns)
	st.ListUsers(t.Context(), store.UserFilter{}, func(u store.User) error {
		row := userview.FromStore(u).Row()
		for i, v := range row {
			row[i] = userview.CSVCell(v)
		}
		return w.Write(row)
	})
	w.Flush()
	return buf.String()
}

func TestImport(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		seed(t, st)
		svc := newService(t, st, "US")
		ctx := t.Context()
		actor := admin.CLIActor("root")
		importText := func(text string, apply bool) admin.ImportReport {
			t.Helper()
			rows, err := admin.ReadCSV(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := svc.Import(ctx, actor, rows, apply)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}

		// An export imported again changes nothing, even dora's unusable mobile (exported empty)
		// and alice's directory-owned officePhone.
		orig := export(t, st)
		rep := importText(orig, true)
		if rep.Unchanged != 3 || rep.Created+rep.Updated+rep.Invalid != 0 || len(rep.Rows) != 0 || !rep.Applied {
			t.Fatalf("round trip: %+v", rep)
		}
		if after := export(t, st); after != orig {
			t.Errorf("round trip changed the store:\n%s\n%s", orig, after)
		}

		edit := "userPrincipalName,mobilePhone,officePhone,alternateEmails,source\n" +
			"carl,(425) 555-0150,,carl@example.org;c2@example.org,cloud\n" + // two changes
			"alice,+1 4255550100,+1 4255550101,,directory\n" + // unchanged
			"gina,+1 425 555 0160,,,\n" + // a new cloud user
			"dora,+1 425 555 0170,,dora@example.net,directory\n" // override of an unusable directory mobile
		rep = importText(edit, false)
		if rep.Created != 1 || rep.Updated != 2 || rep.Unchanged != 1 || rep.Invalid != 0 || rep.Applied {
			t.Fatalf("dry run: %+v", rep)
		}
		if rep.Rows[0].UserPrincipalName != "carl" || len(rep.Rows[0].Changes) != 2 || rep.Rows[0].Changes[0].New != "+1 4255550150" {
			t.Errorf("carl row: %+v", rep.Rows[0])
		}
		if _, err := st.UserByUPN(ctx, "gina"); err == nil {
			t.Fatal("a dry run created a user")
		}
		if get(t, st, "carl").MobilePhone.Number != "" {
			t.Fatal("a dry run changed a user")
		}

		// One bad row: nothing is applied, every problem is reported with its line.
		bad := edit + "carl,,,,\n" + "heidi,555-1234x,+1 425 555 0101,bad@,\n" + "mallory,,,,directory\n" + ",+1 425 555 0100,,,\n"
		rep = importText(bad, true)
		if rep.Invalid != 4 || rep.Applied {
			t.Fatalf("bad import: %+v", rep)
		}
		msgs := ""
		for _, r := range rep.Rows {
			for _, e := range r.Errors {
				msgs += "\n" + strings.Join([]string{string(rune('0' + r.Line)), r.UserPrincipalName, e.Field, e.Message}, " | ")
			}
		}
		for _, want := range []string{"6 | carl | userPrincipalName | carl is also on line 2",
			`7 | heidi | mobilePhone | "555-1234x": `, `7 | heidi | alternateEmails | "bad@": invalid email address`,
			"8 | mallory | userPrincipalName | no user mallory here, and the row says source directory",
			"9 |  | userPrincipalName | empty userPrincipalName"} {
			if !strings.Contains(msgs, want) {
				t.Errorf("missing %q in%s", want, msgs)
			}
		}
		if _, err := st.UserByUPN(ctx, "gina"); err == nil || get(t, st, "carl").MobilePhone.Number != "" {
			t.Fatal("an import with invalid rows wrote")
		}

		// A refused directory-owned change is invalid too.
		rep = importText("userPrincipalName,officePhone\nalice,+1 425 555 0999\n", true)
		if rep.Invalid != 1 || rep.Rows[0].Errors[0].Code != admin.CodeDirectoryOwned {
			t.Fatalf("officePhone of a directory user: %+v", rep)
		}

		rep = importText(edit, true)
		if !rep.Applied || rep.Created != 1 || rep.Updated != 2 {
			t.Fatalf("apply: %+v", rep)
		}
		if u := get(t, st, "dora"); u.MobilePhone.Number != "+1 4255550170" || !u.MobilePhoneOverridden || u.DirectoryMobilePhone != "call me maybe" {
			t.Errorf("dora %+v", u)
		}
		if u := get(t, st, "gina"); u.Source != store.SourceCloud || u.MobilePhone.Number != "+1 4255550160" || !u.AccountEnabled {
			t.Errorf("gina %+v", u)
		}
		n := 0
		st.ListAudit(ctx, store.AuditFilter{TypePrefix: "admin."}, func(e store.AuditEvent) error {
			if e.Details["via"] != "import" || e.Details["line"] == "" {
				t.Errorf("event %+v", e)
			}
			n++
			return nil
		})
		if n != 4 { // carl ×2, gina created, dora
			t.Errorf("%d audit events, want 4", n)
		}
		// Applied twice: no change.
		if rep := importText(edit, true); rep.Unchanged != 4 {
			t.Errorf("second apply: %+v", rep)
		}
	})
}

// TestImportRoundTripTrickyValues: an export imported again changes nothing, whatever the values
// start with (a quote, a formula character, a quote before one).
func TestImportRoundTripTrickyValues(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		ctx := t.Context()
		names := []string{"'=x", "=x", "''=x", "'", "'tis", "+x", "-2+3", "@cmd", "\tTab", "'+1 4255550100", "'\rx", "''", "=cmd|' /C calc'!A0"}
		err := st.Update(ctx, func(tx store.UsersTx) error {
			for i, n := range names {
				n = strings.NewReplacer(`\t`, "\t", `\r`, "\r").Replace(n)
				u := store.User{Source: store.SourceCloud, UserPrincipalName: fmt.Sprintf("u%d@example.com", i), DisplayName: n, AccountEnabled: true}
				if err := tx.CreateUser(ctx, &u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		orig := export(t, st)
		rows, err := admin.ReadCSV(strings.NewReader(orig))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := newService(t, st, "US").Import(ctx, admin.CLIActor("root"), rows, true)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unchanged != len(names) || len(rep.Rows) != 0 {
			t.Errorf("export imported again: %+v", rep)
		}
		if after := export(t, st); after != orig {
			t.Errorf("round trip changed the store:\n%s\n%s", orig, after)
		}
	})
}
