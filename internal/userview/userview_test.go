package userview

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func TestParseSelect(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", Columns, false},
		{" , ", Columns, false},
		{"mobilePhone", []string{"mobilePhone"}, false},
		{"OfficePhone, MOBILEPHONE,officePhone", []string{"officePhone", "mobilePhone"}, false},
		{"securityQuestionsCount,securityquestionsregisteredat", []string{"securityQuestionsCount", "securityQuestionsRegisteredAt"}, false},
		{"mobilePhone,pager", nil, true},
		{"securityAnswers", nil, true},
	}
	for _, tc := range tests {
		got, err := ParseSelect(tc.in)
		if tc.err {
			if !errors.Is(err, ErrUnknownField) {
				t.Errorf("ParseSelect(%q) err = %v, want ErrUnknownField", tc.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSelect(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestViews(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	u := FromStore(store.User{UserPrincipalName: "alice", DisplayName: "Alice", Source: store.SourceDirectory, AccountEnabled: true,
		MobilePhone:     store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100"},
		OfficePhone:     store.Phone{Raw: "call me", Problem: "invalid character"},
		AlternateEmails: []string{"a@example.org", "b@example.org"}, AuthenticationEmail: "p@example.net",
		SecurityQuestionsCount: 3, SecurityQuestionsRegisteredAt: &at, PasswordExpiresAt: &at})

	b, _ := json.Marshal(u)
	want := `{"userPrincipalName":"alice","displayName":"Alice","mobilePhone":"+1 4255550100","officePhone":null,` +
		`"alternateEmails":["a@example.org","b@example.org"],"authenticationPhone":null,"authenticationEmail":"p@example.net",` +
		`"securityQuestionsRegistered":true,"source":"directory","accountEnabled":true,"passwordExpiresAt":"2025-03-04T04:06:07Z"}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
	// The full selection is the JSON form, member for member.
	if s, _ := json.Marshal(u.Select(Columns)); string(s) != want {
		t.Errorf("Select(Columns)\n%s\nwant\n%s", s, want)
	}
	if s, _ := json.Marshal(u.Select([]string{"officePhone", "alternateEmails", "userPrincipalName"})); string(s) != `{"officePhone":null,"alternateEmails":["a@example.org","b@example.org"],"userPrincipalName":"alice"}` {
		t.Errorf("Select: %s", s)
	}
	row := strings.Join(u.Row(), "|")
	if s, _ := json.Marshal(u.Select(Extra)); string(s) != `{"securityQuestionsCount":3,"securityQuestionsRegisteredAt":"2025-03-04T04:06:07Z"}` {
		t.Errorf("Select(Extra): %s", s)
	}
	if row != "alice|Alice|+1 4255550100||a@example.org;b@example.org||p@example.net|true|directory|true|2025-03-04T04:06:07Z" {
		t.Errorf("Row: %s", row)
	}
	if len(Columns) != len(u.Row()) {
		t.Error("Columns and Row differ in length")
	}

	// No questions: count 0, no date, even if a stale date were stored.
	v := FromStore(store.User{SecurityQuestionsRegisteredAt: &at})
	if v.SecurityQuestionsRegistered || v.SecurityQuestionsRegisteredAt != nil || v.AlternateEmails == nil {
		t.Errorf("no questions: %+v", v)
	}
	// A password that never expires (or an expiry the directory does not give) is null.
	if b, _ := json.Marshal(v.Select([]string{FieldPasswordExpiresAt})); string(b) != `{"passwordExpiresAt":null}` || v.Cell(FieldPasswordExpiresAt) != "" {
		t.Errorf("never expires: %s %q", b, v.Cell(FieldPasswordExpiresAt))
	}
}
