package questions

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/language"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Rex", "rex"},
		{"  Rex   the\tDog  ", "rex the dog"},
		{"Ｒｅｘ", "rex"},                           // full width (NFKC)
		{"rex\u00a0the\u2003dog", "rex the dog"}, // no-break and em spaces
		{"re\u200bx", "rex"},                     // zero-width space dropped
		{"STRASSE", "strasse"},
		{"Straße", "strasse"},     // case folding, not lower-casing
		{"Café", "café"},          // composed
		{"Cafe\u0301", "café"},    // decomposed → composed
		{"ﬁsh", "fish"},           // ligature (NFKC)
		{"İstanbul", "i̇stanbul"}, // full folding keeps the dot as a combining mark
		{"\n\n", ""},
		{"x\xffy", "x\ufffdy"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCatalog(t *testing.T) {
	c, err := NewCatalog(map[string]string{"badge": "What colour was your first employee badge?"})
	if err != nil {
		t.Fatal(err)
	}
	if len(Predefined) < 20 {
		t.Errorf("%d predefined questions; at least 20", len(Predefined))
	}
	for _, k := range Predefined {
		if Texts[language.English][k] == "" {
			t.Errorf("%s has no English text", k)
		}
		if len(c.KeyWords(k)) == 0 {
			t.Errorf("%s has no key words", k)
		}
	}
	if len(Texts[language.English]) != len(Predefined) {
		t.Errorf("%d English texts for %d questions", len(Texts[language.English]), len(Predefined))
	}
	keys := c.Keys()
	if keys[len(keys)-1] != "custom:badge" || !c.Has("custom:badge") || c.Has("custom:nope") || !c.Has("firstPet") {
		t.Errorf("keys %v", keys)
	}
	if got := c.Text(language.French, "firstPet"); got != "Comment s’appelait votre premier animal de compagnie\u00a0?" {
		t.Errorf("French: %q", got)
	}
	if got := c.Text(language.Japanese, "firstPet"); got != "What was the name of your first pet?" {
		t.Errorf("fallback to English: %q", got)
	}
	if got := c.Text(language.English, "custom:badge"); got != "What colour was your first employee badge?" {
		t.Errorf("custom text %q", got)
	}
	// The key words of every language's text: an answer may not repeat any of them.
	if kw := c.KeyWords("firstPet"); !slices.Equal(kw, []string{"animal", "compagnie", "haustier", "mascota", "pet", "الأليف", "حيوانك"}) {
		t.Errorf("firstPet key words %v", kw)
	}
	if kw := c.KeyWords("custom:badge"); !slices.Equal(kw, []string{"badge", "colour", "employee"}) {
		t.Errorf("custom key words %v", kw)
	}
}

func TestCustomProblems(t *testing.T) {
	for _, tc := range []struct {
		custom map[string]string
		want   string
	}{
		{map[string]string{"ok": "What is your favourite colour?"}, ""},
		{map[string]string{"a b": "What is your favourite colour?"}, "custom.a b: use an id"},
		{map[string]string{"short": "Hi"}, "2 characters"},
		{map[string]string{"long": strings.Repeat("x", 201)}, "201 characters"},
		{map[string]string{"pet": "  what was the NAME of your first pet? "}, "the same question as a predefined question"},
		{map[string]string{"a": "Your badge?", "b": "your  BADGE?"}, "custom.b: the same question as custom.a"},
	} {
		got := strings.Join(CustomProblems(tc.custom), "; ")
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.custom, got, tc.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{}.WithDefaults()
	if p.Register != 3 || p.AtReset != 3 || !p.Peppered() || p.MaxConcurrentHashes != 8 || len(p.Problems()) != 0 {
		t.Errorf("defaults %+v %v", p, p.Problems())
	}
	p = Policy{Register: 4, AtReset: 5, MaxConcurrentHashes: 1000}.WithDefaults()
	if got := strings.Join(p.Problems(), "; "); !strings.Contains(got, "atReset: 5: at most register (4)") || !strings.Contains(got, "maxConcurrentHashes") {
		t.Errorf("problems %q", got)
	}
	if got := (Policy{Register: 6, AtReset: 2}).WithDefaults().Problems(); len(got) != 2 {
		t.Errorf("problems %q", got)
	}
}

func TestCheck(t *testing.T) {
	c, _ := NewCatalog(map[string]string{"badge": "What colour was your employee badge?"})
	ok := []Choice{{"firstPet", "Rex"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}
	if ps := c.Check(3, ok); len(ps) != 0 {
		t.Fatalf("valid: %v", ps)
	}
	for _, tc := range []struct {
		name    string
		choices []Choice
		want    []string // "index key"
	}{
		{"too few", ok[:2], []string{"-1 questions.count"}},
		{"question twice", []Choice{{"firstPet", "Rex"}, {"firstPet", "Max"}, {"firstCar", "Renault 4"}}, []string{"1 questions.duplicate"}},
		{"answer twice (after normalizing)", []Choice{{"firstPet", "Rex"}, {"birthCity", " REX "}, {"firstCar", "Renault 4"}}, []string{"1 answers.duplicate"}},
		{"too short", []Choice{{"firstPet", "Ra"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.tooShort"}},
		{"too short once normalized", []Choice{{"firstPet", " R\u200bA "}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.tooShort"}},
		{"too long", []Choice{{"firstPet", strings.Repeat("r", 41)}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.tooLong"}},
		{"40 is fine", []Choice{{"firstPet", strings.Repeat("r", 40)}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, nil},
		{"empty", []Choice{{"firstPet", "  "}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.empty"}},
		{"no question", []Choice{{"", "Rex"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 questions.choose"}},
		{"unknown question", []Choice{{"custom:nope", "Rex"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 questions.unknown"}},
		{"key word", []Choice{{"firstPet", "my PET rex"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.containsQuestion"}},
		{"key word of a custom question", []Choice{{"custom:badge", "blue badge"}, {"birthCity", "Lyon"}, {"firstCar", "Renault 4"}}, []string{"0 answers.containsQuestion"}},
		{"a word that only starts like a key word", []Choice{{"firstPet", "Petunia"}, {"birthCity", "Cityville"}, {"firstCar", "Renault 4"}}, nil},
	} {
		var got []string
		for _, p := range c.Check(3, tc.choices) {
			got = append(got, fmt.Sprintf("%d %s", p.Index, p.Key))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDraw(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "e"}
	seen := map[string]bool{}
	for range 200 {
		d := Draw(keys, 3)
		if len(d) != 3 || len(slices.Compact(slices.Sorted(slices.Values(d)))) != 3 {
			t.Fatalf("draw %v", d)
		}
		seen[strings.Join(slices.Sorted(slices.Values(d)), "")] = true
	}
	if len(seen) < 5 { // 10 possible sets; 200 draws see nearly all
		t.Errorf("only %d different sets in 200 draws", len(seen))
	}
	r1, r2 := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	if !slices.Equal(DrawFrom(r1, keys, 3), DrawFrom(r2, keys, 3)) {
		t.Error("a seeded draw differs")
	}
	if d := Draw(keys[:2], 3); len(d) != 2 {
		t.Errorf("draw more than there are: %v", d)
	}
}

// cheap parameters for the tests that do not measure.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(HasherOptions{Pepper: []byte("pepper-pepper-pepper-pepper-0001")})
	phc, err := h.Hash(ctx, "  Rex the  DOG ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1,keyid=") || strings.Contains(strings.ToLower(phc), "rex") {
		t.Fatalf("PHC %q", phc)
	}
	phc2, _ := h.Hash(ctx, "rex the dog")
	if phc2 == phc {
		t.Error("two hashes of one answer are equal: no salt")
	}
	for answer, want := range map[string]bool{"rex the dog": true, "ＲＥＸ THE\u00a0dog": true, "rex the cat": false, "rexthedog": false, "": false} {
		if ok, err := h.Verify(ctx, phc, answer); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", answer, ok, err, want)
		}
	}
	// Another pepper: cannot verify, says so.
	other := NewHasher(HasherOptions{Pepper: []byte("another-pepper-another-pepper-02")})
	if _, err := other.Verify(ctx, phc, "rex the dog"); !errors.Is(err, ErrOtherPepper) {
		t.Errorf("other pepper: %v", err)
	}
	// No pepper: a hash made without one still verifies once a pepper is configured.
	plain := NewHasher(HasherOptions{Params: cheap})
	phcPlain, _ := plain.Hash(ctx, "Lyon")
	if strings.Contains(phcPlain, "keyid") {
		t.Errorf("unpeppered PHC %q", phcPlain)
	}
	if ok, err := h.Verify(ctx, phcPlain, "lyon"); !ok || err != nil {
		t.Errorf("unpeppered hash with a peppered hasher: %v %v", ok, err)
	}
	// The pepper matters: the same answer and salt without it give another hash.
	if ok, _ := plain.Verify(ctx, strings.Replace(phc, ",keyid="+h.keyID, "", 1), "rex the dog"); ok {
		t.Error("peppered hash verified without the pepper")
	}
}

func TestMalformed(t *testing.T) {
	h := NewHasher(HasherOptions{Params: cheap})
	good, _ := h.Hash(context.Background(), "answer")
	f := strings.Split(good, "$")
	for _, phc := range []string{
		"", "plain text", "$argon2i$v=19$m=64,t=1,p=1$" + f[4] + "$" + f[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + f[4] + "$" + f[5],
		"$argon2id$v=19$m=4194304,t=1,p=1$" + f[4] + "$" + f[5], // 4 GiB
		"$argon2id$v=19$m=64,t=1000,p=1$" + f[4] + "$" + f[5],
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + f[4] + "$" + f[5],
		"$argon2id$v=19$m=64,t=1,t=1,p=1$" + f[4] + "$" + f[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + f[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + f[4] + "$",
	} {
		if _, err := h.Verify(context.Background(), phc, "answer"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", phc, err)
		}
	}
}

func TestBoundedConcurrency(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(HasherOptions{Params: cheap, MaxConcurrent: 3})
	phc, _ := h.Hash(ctx, "answer")
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if ok, err := h.Verify(ctx, phc, "answer"); !ok || err != nil {
				t.Errorf("verify: %v %v", ok, err)
			}
		})
	}
	wg.Wait()
	if s := h.Stats(); s.Peak > 3 || s.Running != 0 {
		t.Errorf("stats %+v: more than 3 at once", s)
	}

	// Every slot taken: a caller waits, then gives up with ErrBusy (or its context's error).
	h = NewHasher(HasherOptions{Params: cheap, MaxConcurrent: 2, MaxWait: time.Millisecond})
	for range 2 {
		if err := h.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Verify(ctx, phc, "answer"); !errors.Is(err, ErrBusy) || h.Stats().Busy != 1 {
		t.Errorf("full: %v %+v", err, h.Stats())
	}
	h.maxWait = time.Hour
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Verify(cctx, phc, "answer"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	h.release()
	if ok, err := h.Verify(ctx, phc, "answer"); !ok || err != nil {
		t.Errorf("after a release: %v %v", ok, err)
	}
}
