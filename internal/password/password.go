// Package password checks a new password against sspr's rules before it is written back to the
// directory: length (default 8 to 256 characters), strength (zxcvbn score, default at least 3 of
// 4, with the user's names as known words), and not containing the user name or display name.
// The directory's own policy (history, complexity, age) is checked by the directory at writeback.
package password

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/text/cases"
)

// Policy is the rules. The zero value is not useful: use Default or fill every field.
type Policy struct {
	MinLength int `yaml:"minLength"`
	MaxLength int `yaml:"maxLength"`
	// MinScore is the lowest zxcvbn score accepted (0 weakest .. 4 strongest).
	MinScore int `yaml:"minScore"`
}

// Default is the default policy.
func Default() Policy { return Policy{MinLength: 8, MaxLength: 256, MinScore: 3} }

// Validate reports the first problem with the policy itself.
func (p Policy) Validate() error {
	switch {
	case p.MinLength < 8:
		return fmt.Errorf("minLength %d: at least 8", p.MinLength)
	case p.MaxLength < p.MinLength || p.MaxLength > 256:
		return fmt.Errorf("maxLength %d: between minLength and 256", p.MaxLength)
	case p.MinScore < 0 || p.MinScore > 4:
		return fmt.Errorf("minScore %d: 0 to 4", p.MinScore)
	}
	return nil
}

// Problem is why a password was refused: a message key for the catalog plus its arguments.
type Problem struct {
	Key  string // "password.tooShort", "password.tooLong", "password.weak", "password.containsName", "password.invalid"
	Args []any
}

func (p *Problem) Error() string { return fmt.Sprintf("%s %v", p.Key, p.Args) }

// Check returns nil when pw satisfies the policy for a user with these names, else a *Problem.
// It never logs or keeps the password.
func (p Policy) Check(pw string, names ...string) error {
	if !utf8.ValidString(pw) || strings.ContainsFunc(pw, unicode.IsControl) {
		return &Problem{Key: "password.invalid"}
	}
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return &Problem{Key: "password.tooShort", Args: []any{p.MinLength}}
	}
	if n > p.MaxLength {
		return &Problem{Key: "password.tooLong", Args: []any{p.MaxLength}}
	}
	fold := cases.Fold()
	lpw := fold.String(pw)
	var inputs []string
	for _, name := range names {
		for _, part := range nameParts(name) {
			inputs = append(inputs, part)
			if utf8.RuneCountInString(part) >= 3 && strings.Contains(lpw, fold.String(part)) {
				return &Problem{Key: "password.containsName"}
			}
		}
	}
	if r := zxcvbn.PasswordStrength(pw, inputs); r.Score < p.MinScore {
		return &Problem{Key: "password.weak"}
	}
	return nil
}

// nameParts splits "alice.anderson@contoso.com" or "Anderson, Alice" into the words a password
// must not contain.
func nameParts(name string) []string {
	local := name
	if at := strings.IndexByte(name, '@'); at > 0 {
		local = name[:at]
	}
	parts := strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(parts) > 1 {
		parts = append(parts, local)
	}
	// A number alone ("123" of "Bench User 123") is not a name.
	return slices.DeleteFunc(parts, func(p string) bool { return !strings.ContainsFunc(p, unicode.IsLetter) })
}
