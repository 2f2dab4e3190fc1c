package slapd

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
)

// Line renders one LDIF attribute line ("attr: value\n"), base64-encoded ("attr:: ...") when
// the value is not a safe string (non-ASCII, leading space/colon/<, trailing space, CR/LF/NUL).
func Line(attr, value string) string {
	if safeString(value) {
		return attr + ": " + value + "\n"
	}
	return attr + ":: " + base64.StdEncoding.EncodeToString([]byte(value)) + "\n"
}

func safeString(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}

// User is a sample inetOrgPerson for UsersLDIF. Empty fields are left out.
type User struct {
	UID             string
	GivenName       string
	Surname         string
	DisplayName     string
	Mail            string
	Mobile          string
	TelephoneNumber string
	Password        string // stored as given (cleartext): tests and demos only
	// Attrs adds attributes, e.g. {"modifyTimestamp": {"20200101000000Z"}} to backdate an
	// entry (slapadd keeps operational attributes it is given).
	Attrs map[string][]string
}

// PeopleDN is where UsersLDIF puts users: ou=people,<suffix>.
func PeopleDN(suffix string) string { return "ou=people," + suffix }

// UserDN is the DN UsersLDIF gives a user: uid=<uid>,ou=people,<suffix>.
func UserDN(suffix, uid string) string { return "uid=" + uid + "," + PeopleDN(suffix) }

// UsersLDIF renders ou=people,<suffix> and the users under it, for Options.LDIF.
func UsersLDIF(suffix string, users []User) []byte {
	var b strings.Builder
	b.Grow(300 * (len(users) + 1))
	b.WriteString(Line("dn", PeopleDN(suffix)))
	b.WriteString("objectClass: top\nobjectClass: organizationalUnit\nou: people\n\n")
	for _, u := range users {
		b.WriteString(Line("dn", UserDN(suffix, u.UID)))
		b.WriteString("objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\n")
		b.WriteString(Line("uid", u.UID))
		cn := u.DisplayName
		if cn == "" {
			cn = strings.TrimSpace(u.GivenName + " " + u.Surname)
		}
		if cn == "" {
			cn = u.UID
		}
		b.WriteString(Line("cn", cn))
		sn := u.Surname
		if sn == "" {
			sn = u.UID
		}
		b.WriteString(Line("sn", sn))
		for _, a := range [][2]string{
			{"givenName", u.GivenName}, {"displayName", u.DisplayName}, {"mail", u.Mail},
			{"mobile", u.Mobile}, {"telephoneNumber", u.TelephoneNumber}, {"userPassword", u.Password},
		} {
			if a[1] != "" {
				b.WriteString(Line(a[0], a[1]))
			}
		}
		keys := make([]string, 0, len(u.Attrs))
		for k := range u.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range u.Attrs[k] {
				b.WriteString(Line(k, v))
			}
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

var (
	givenNames = []string{"Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Greta", "Hugo", "Inès", "Jonas",
		"Katarzyna", "Léo", "Maya", "Noah", "Olivia", "Pavel", "Quentin", "Rosa", "Sven", "Tomoko"}
	surnames = []string{"Martin", "Bernard", "Müller", "García", "Rossi", "Nowak", "Dubois", "Jensen", "Silva",
		"Kowalski", "Leroy", "Schmidt", "O'Brien", "Yamamoto", "Novák", "Petit", "Fischer", "Moreau", "Haddad", "Lindqvist"}
)

// SampleUsers returns n deterministic users (user00001, ...) with varied, valid-looking
// names, mail addresses and phone numbers (French mobile and office formats, some missing).
// domain is the mail domain, e.g. "example.com".
func SampleUsers(n int, domain string) []User {
	users := make([]User, n)
	for i := range users {
		k := i + 1
		g := givenNames[i%len(givenNames)]
		s := surnames[(i/len(givenNames)+i)%len(surnames)]
		u := User{
			UID:         fmt.Sprintf("user%05d", k),
			GivenName:   g,
			Surname:     s,
			DisplayName: g + " " + s,
			Mail:        fmt.Sprintf("user%05d@%s", k, domain),
			Mobile:      fmt.Sprintf("+33 6 %02d %02d %02d %02d", k/1000000%100, k/10000%100, k/100%100, k%100),
		}
		if k%3 != 0 {
			u.TelephoneNumber = fmt.Sprintf("+33 1 %02d %02d %02d %02d", 40+k/1000000%60, k/10000%100, k/100%100, k%100)
		}
		if k%10 == 0 {
			u.Mobile = "" // some users have no mobile phone
		}
		users[i] = u
	}
	return users
}
