package reset

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
		"olivia", "peggy", "rupert", "sybil", "trent", "victor", "wendy", "xavier", "yara", "zoe", "amir", "bea", "chen", "dana",
		"emil", "fatima", "goran", "hana", "ines", "jonas", "kofi", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa"}
	lastNames = []string{"smith", "jones", "garcia", "muller", "martin", "rossi", "nowak", "kim", "singh", "dubois", "schmidt",
		"lopez", "brown", "wilson", "moreau", "fischer", "silva", "tanaka", "ivanova", "okafor", "haddad", "larsen", "novak", "costa"}
	countries = []struct {
		cc     string
		natLen int
		weight int
	}{{"1", 10, 40}, {"44", 10, 20}, {"49", 11, 12}, {"33", 9, 10}, {"91", 10, 8}, {"61", 9, 5}, {"49", 10, 5}}
	domains = []string{"gmail.com", "outlook.com", "contoso-mail.com", "example.net", "web.de", "orange.fr", "yahoo.co.uk", "proton.me"}
)

// population of real users for the decoy test: varied countries, number lengths, domains,
// method combinations, privileged users and registrations, as a real directory has.
func decoyPopulation(r *rand.Rand, n int) []store.User {
	pick := func() (string, int) {
		total := 0
		for _, c := range countries {
			total += c.weight
		}
		x := r.IntN(total)
		for _, c := range countries {
			if x < c.weight {
				return c.cc, c.natLen
			}
			x -= c.weight
		}
		return "1", 10
	}
	number := func() string {
		cc, l := pick()
		var b strings.Builder
		b.WriteByte(byte('1' + r.IntN(9)))
		for range l - 1 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return "+" + cc + " " + b.String()
	}
	types := []string{"mobile", "mobile", "fixedLineOrMobile", "fixedLine", "voip"}
	var users []store.User
	seen := map[string]bool{}
	for len(users) < n {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		upn := fmt.Sprintf("%s.%s%d@contoso.com", first, last, r.IntN(100))
		if seen[upn] {
			continue
		}
		seen[upn] = true
		u := store.User{UserPrincipalName: upn, DN: "uid=" + upn, AccountEnabled: r.IntN(40) != 0, Privileged: r.IntN(25) == 0}
		if r.IntN(10) < 7 {
			nr := number()
			u.MobilePhone = store.Phone{Raw: nr, Number: nr, Type: types[r.IntN(len(types))]}
		}
		if r.IntN(10) < 4 {
			nr := number()
			u.OfficePhone = store.Phone{Raw: nr, Number: nr, Type: "fixedLine"}
		}
		if r.IntN(10) < 6 {
			local := first + "." + last
			if r.IntN(10) < 3 {
				local = string(rune('a'+r.IntN(26))) + "x" + last
			}
			u.AlternateEmails = []string{local + "@" + domains[r.IntN(len(domains))]}
		}
		if r.IntN(10) == 0 {
			u.AuthenticationPhone = number()
		}
		if r.IntN(8) == 0 {
			u.SecurityQuestionsCount = 3
		}
		users = append(users, u)
	}
	return users
}

// pageFeatures is everything one methods page shows but the hidden digits: how many methods
// are required, the options in order, each hint with its digits as D and an email's first
// letter as M when it is the name's first letter (else L).
func pageFeatures(name string, v View) string {
	digits := regexp.MustCompile(`[0-9]`)
	var b strings.Builder
	fmt.Fprintf(&b, "req=%d", v.Required)
	for _, o := range v.Options {
		h := o.Hint
		if o.Method == flow.MethodEmail {
			r, size := utf8.DecodeRuneInString(h)
			n, _ := utf8.DecodeRuneInString(name)
			letter := "L"
			if unicode.ToLower(r) == unicode.ToLower(n) {
				letter = "M"
			}
			h = letter + h[size:]
		} else if o.Method != flow.MethodQuestions {
			h = digits.ReplaceAllString(h, "D")
		}
		fmt.Fprintf(&b, "|%s:%s", o.ID, h)
	}
	return b.String()
}

// TestDecoysMatchThePopulation: over a synced population of 3,000 varied users and as many
// unknown names, a classifier that sees one methods page per name does no better than chance.
// The classifier is the best one for these features: trained on half of the names (for each
// page's features, the number of real and of unknown names that showed it), it calls a page
// real when more real names showed its features, and is scored on the other half. Chance is
// 50%; the test fails when the accuracy exceeds 50% by more than 3 standard errors of a fair
// coin over the scored names (about 2.7 points here).
func TestDecoysMatchThePopulation(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users := decoyPopulation(r, 3000)
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source = store.SourceCloud
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Security questions count as registered through the store's own path.
	for _, u := range users {
		if u.SecurityQuestionsCount > 0 {
			cur, _ := st.UserByUPN(ctx, u.UserPrincipalName)
			if err := st.SetSecurityAnswers(ctx, cur.ID, []store.SecurityAnswer{{QuestionKey: "firstPet", Hash: "x"}, {QuestionKey: "birthCity", Hash: "x"},
				{QuestionKey: "firstCar", Hash: "x"}}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := flow.DefaultPolicy()
	p.Methods = []string{flow.MethodEmail, flow.MethodSMS, flow.MethodVoice, flow.MethodQuestions}
	p.Throttle.StartsIP.Max = 1 << 20
	decoys := &Decoys{}
	if err := decoys.Build(ctx, st, p, nil); err != nil {
		t.Fatal(err)
	}
	svc := New(st, &outbox{}, &fakeDirectory{passwords: map[string]string{}, members: map[string]bool{}}, Config{Policy: p,
		Password: password.Default(), CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), Decoys: decoys},
		slog.New(slog.DiscardHandler))

	type sample struct {
		features string
		real     bool
	}
	var samples []sample
	page := func(name string, real bool) {
		_, v, err := svc.Start(ctx, KindReset, name, flow.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, sample{pageFeatures(name, v), real})
	}
	for _, u := range users {
		page(u.UserPrincipalName, true)
	}
	unknown := decoyPopulation(rand.New(rand.NewPCG(3, 4)), 3200)
	known := map[string]bool{}
	for _, u := range users {
		known[u.UserPrincipalName] = true
	}
	n := 0
	for _, u := range unknown {
		if !known[u.UserPrincipalName] && n < len(users) {
			page(u.UserPrincipalName, false)
			n++
		}
	}
	r.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	train, test := samples[:len(samples)/2], samples[len(samples)/2:]
	realCount, unknownCount := map[string]int{}, map[string]int{}
	for _, s := range train {
		if s.real {
			realCount[s.features]++
		} else {
			unknownCount[s.features]++
		}
	}
	right := 0.0
	for _, s := range test {
		rc, uc := realCount[s.features], unknownCount[s.features]
		switch {
		case rc == uc:
			right += 0.5 // a coin
		case (rc > uc) == s.real:
			right++
		}
	}
	acc := right / float64(len(test))
	limit := 0.5 + 3*math.Sqrt(0.25/float64(len(test)))
	t.Logf("%d real and %d unknown names, %d distinct pages; classifier accuracy %.3f on %d names (chance 0.5, limit %.3f)",
		len(users), n, len(realCount)+len(unknownCount), acc, len(test), limit)
	if acc > limit {
		t.Errorf("one methods page tells real names from unknown ones: accuracy %.3f > %.3f", acc, limit)
	}
}

// TestDecoyQuestionsFollowThePopulation: the questions a decoy "registered" come up as often as
// real users registered them, so a popular question is no sign of a real name. Threshold: the
// share of decoys with the popular question is within 4 standard errors of the real share.
func TestDecoyQuestionsFollowThePopulation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := rand.New(rand.NewPCG(5, 6))
	users := decoyPopulation(r, 600)
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source, users[i].SecurityQuestionsCount = store.SourceCloud, 0
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// 80% of real users chose firstPet; the other two of three from the rest of the catalog.
	others := []string{"birthCity", "firstCar", "childhoodHero", "firstJob", "favoriteTeacher", "firstConcert"}
	withPet := 0
	for _, u := range users {
		keys := []string{}
		if r.IntN(10) < 8 {
			keys = append(keys, "firstPet")
			withPet++
		}
		for _, i := range r.Perm(len(others)) {
			if len(keys) == 3 {
				break
			}
			keys = append(keys, others[i])
		}
		var answers []store.SecurityAnswer
		for _, k := range keys {
			answers = append(answers, store.SecurityAnswer{QuestionKey: k, Hash: "x"})
		}
		if err := st.SetSecurityAnswers(ctx, u.ID, answers, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	p := flow.DefaultPolicy()
	p.Methods = []string{flow.MethodEmail, flow.MethodQuestions}
	decoys := &Decoys{}
	if err := decoys.Build(ctx, st, p, nil); err != nil {
		t.Fatal(err)
	}
	svc := New(st, &outbox{}, &fakeDirectory{}, Config{Policy: p, Password: password.Default(), CodeKey: bytes.Repeat([]byte("c"), 32),
		DecoyKey: bytes.Repeat([]byte("d"), 32), Decoys: decoys}, slog.New(slog.DiscardHandler))
	const n = 2000
	decoyPet := 0
	for i := range n {
		qs := svc.decoyQuestions(fmt.Sprintf("nobody%d@contoso.com", i))
		if len(qs) != 3 {
			t.Fatalf("decoy questions %v", qs)
		}
		if slices.Contains(qs, "firstPet") {
			decoyPet++
		}
	}
	real, fake := float64(withPet)/float64(len(users)), float64(decoyPet)/n
	se := math.Sqrt(real*(1-real)/float64(len(users)) + fake*(1-fake)/n)
	t.Logf("firstPet registered by %.3f of real users, by %.3f of decoys (standard error %.3f)", real, fake, se)
	if math.Abs(real-fake) > 4*se {
		t.Errorf("decoys register the popular question at %.3f, real users at %.3f", fake, real)
	}
}
