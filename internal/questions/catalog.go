package questions

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/language"

	"github.com/sspr/sspr/internal/i18n"
)

// CustomPrefix starts the key of an administrator's custom question ("custom:badge").
const CustomPrefix = "custom:"

// Predefined lists the catalog's question keys, in the order the registration page offers them.
// A key is stored with each answer: never rename one (add a new key instead).
var Predefined = []string{
	"firstPet", "birthCity", "parentsMetCity", "primarySchool", "favoriteTeacher", "childhoodFriend",
	"childhoodStreet", "firstJob", "firstCar", "firstConcert", "childhoodBook", "childhoodFood",
	"oldestSiblingMiddleName", "grandmotherFirstName", "firstJobCity", "childhoodTeam",
	"firstCinemaFilm", "childhoodHoliday", "favoriteToy", "childhoodNickname", "firstFlightCity",
	"childhoodHero", "firstStuffedAnimal", "grandparentsTown",
}

// Texts is the translation catalog of the predefined questions, by language: the i18n
// catalog's question.* texts (internal/i18n/catalog/<lang>.json). English is complete; a
// language falls back to English for the keys it lacks.
var Texts = i18n.Texts("question.")

// stopWords are words of the questions that are not key words, by language: an answer may
// hold them ("the", "what"), but not the question's own subject ("pet", "city", "car").
var stopWords = map[language.Base]map[string]bool{
	language.MustParseBase("en"): set("a", "an", "and", "are", "as", "at", "by", "did", "do", "does", "for", "from",
		"had", "has", "have", "her", "his", "how", "in", "is", "it", "its", "my", "of", "on", "or", "our", "the",
		"their", "to", "was", "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "with",
		"you", "your", "name", "first", "last"),
	language.MustParseBase("de"): normalSet("der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem",
		"und", "oder", "als", "wie", "was", "wer", "wen", "wem", "wo", "wohin", "welche", "welcher", "welches", "welchem",
		"welchen", "war", "waren", "ist", "sind", "hat", "haben", "hieß", "lautet", "lautete", "sie", "ihr", "ihre", "ihrer",
		"ihres", "ihrem", "ihren", "sich", "in", "im", "an", "am", "auf", "aus", "bei", "mit", "von", "vom", "zu", "zum",
		"zur", "für", "kind", "kindheit", "name", "vorname", "nachname", "erste", "ersten", "erstes", "erster", "stadt", "ort",
		"welchem", "haben", "wurden"),
	language.MustParseBase("fr"): normalSet("le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "quel",
		"quelle", "quels", "quelles", "qui", "que", "qu", "où", "comment", "était", "étaient", "est", "a", "avez", "vous",
		"votre", "vos", "se", "s", "sont", "dans", "en", "au", "aux", "à", "pour", "par", "sur", "avec", "quand", "enfant",
		"enfance", "nom", "prénom", "premier", "première", "ville", "village", "appelait", "étiez"),
	language.MustParseBase("es"): normalSet("el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "y", "o", "qué",
		"cuál", "cuáles", "quién", "cómo", "dónde", "adónde", "era", "eran", "es", "fue", "su", "sus", "se", "en", "a", "al",
		"con", "por", "para", "niño", "infancia", "nombre", "apellido", "primer", "primera", "ciudad", "pueblo", "llamaba",
		"tuvo", "vivía", "iba"),
	language.MustParseBase("ar"): normalSet("ما", "من", "في", "إلى", "أي", "كان", "كانت", "كنت", "اسم", "الاسم", "الأول", "الأولى",
		"أول", "طفولتك", "مدينة", "بلدة", "أو", "و", "هو", "هي", "لك", "لأمك", "التي", "الذي"),
}

// allStopWords is the stop words of every language (for custom questions).
func allStopWords() map[string]bool {
	all := map[string]bool{}
	for _, m := range stopWords {
		for w := range m {
			all[w] = true
		}
	}
	return all
}

// normalSet is set of the words normalized as answers are (ß → ss, case folded).
func normalSet(words ...string) map[string]bool {
	for i, w := range words {
		words[i] = Normalize(w)
	}
	return set(words...)
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Custom questions' limits (characters, after trimming).
const (
	MinQuestionLength = 3
	MaxQuestionLength = 200
)

// Catalog is the questions a user may choose: the predefined ones and the administrator's
// custom ones (config reset.questions.custom: id → text, in the administrator's language).
type Catalog struct {
	keys     []string
	custom   map[string]string // key ("custom:<id>") → text
	keyWords map[string][]string
}

// NewCatalog builds the catalog with the custom questions (id → text), checked by
// CustomProblems.
func NewCatalog(custom map[string]string) (*Catalog, error) {
	if ps := CustomProblems(custom); len(ps) > 0 {
		return nil, fmt.Errorf("questions: %s", strings.Join(ps, "; "))
	}
	c := &Catalog{keys: slices.Clone(Predefined), custom: map[string]string{}, keyWords: map[string][]string{}}
	ids := make([]string, 0, len(custom))
	for id := range custom {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		key := CustomPrefix + id
		c.keys = append(c.keys, key)
		c.custom[key] = strings.TrimSpace(custom[id])
	}
	for _, key := range c.keys {
		var words []string
		if text, ok := c.custom[key]; ok {
			words = keyWords(text, allStopWords()) // the administrator's language is not known
		} else {
			for tag, texts := range Texts {
				base, _ := tag.Base()
				if text, ok := texts[key]; ok {
					words = append(words, keyWords(text, stopWords[base])...)
				}
			}
		}
		slices.Sort(words)
		c.keyWords[key] = slices.Compact(words)
	}
	return c, nil
}

// CustomProblems checks custom questions: ids of 1–32 letters, digits, '-' or '_'; texts of
// 3–200 characters; no text twice, none equal to a predefined question.
func CustomProblems(custom map[string]string) []string {
	var ps []string
	seen := map[string]string{}
	for _, tr := range Texts {
		for _, text := range tr {
			seen[Normalize(text)] = "a predefined question"
		}
	}
	ids := make([]string, 0, len(custom))
	for id := range custom {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		text := strings.TrimSpace(custom[id])
		if len(id) == 0 || len(id) > 32 || strings.IndexFunc(id, func(r rune) bool {
			return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')
		}) >= 0 {
			ps = append(ps, fmt.Sprintf("custom.%s: use an id of 1 to 32 letters, digits, - or _", id))
		}
		if n := len([]rune(text)); n < MinQuestionLength || n > MaxQuestionLength {
			ps = append(ps, fmt.Sprintf("custom.%s: %d characters: a question has %d to %d", id, n, MinQuestionLength, MaxQuestionLength))
			continue
		}
		if other, dup := seen[Normalize(text)]; dup {
			ps = append(ps, fmt.Sprintf("custom.%s: the same question as %s", id, other))
		}
		seen[Normalize(text)] = "custom." + id
	}
	return ps
}

// Keys lists every question a user may choose: predefined, then custom (by id).
func (c *Catalog) Keys() []string { return slices.Clone(c.keys) }

// Has reports whether key is in the catalog.
func (c *Catalog) Has(key string) bool {
	if _, ok := c.custom[key]; ok {
		return true
	}
	_, ok := Texts[language.English][key]
	return ok
}

// Text returns the question in the language tag (custom questions: as configured), falling back
// to English; "" for a key not in the catalog.
func (c *Catalog) Text(tag language.Tag, key string) string {
	if text, ok := c.custom[key]; ok {
		return text
	}
	if tr, ok := Texts[tag]; ok {
		if text, ok := tr[key]; ok {
			return text
		}
	}
	return Texts[language.English][key]
}

// KeyWords returns the question's key words, normalized, in every language of the catalog.
func (c *Catalog) KeyWords(key string) []string { return slices.Clone(c.keyWords[key]) }

// keyWords returns the normalized words of text that are not stop words.
func keyWords(text string, stop map[string]bool) []string {
	var out []string
	for _, w := range words(Normalize(text)) {
		if len([]rune(w)) >= 3 && !stop[w] {
			out = append(out, w)
		}
	}
	return out
}

// words splits normalized text into its words (letters and digits; an apostrophe ends a word,
// so "grandmother's" holds "grandmother").
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
}
