package questions

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Answer limits, in characters of the normalized answer.
const (
	MinAnswerLength = 3
	MaxAnswerLength = 40
	// maxAnswerBytes bounds what is read before normalizing (a form field may be anything).
	maxAnswerBytes = 1024
)

var folder = cases.Fold()

// Normalize returns the form of an answer that is hashed and compared: Unicode NFKC (full-width
// and compatibility forms become their plain letters), case folded, every run of white space
// (and invisible format characters) collapsed to one space, trimmed. "  Ｒｅｘ\u00a0 the  DOG "
// and "rex the dog" are the same answer.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFKC.String(folder.String(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.Is(unicode.Cf, r) || unicode.IsControl(r):
			// zero-width spaces, joiners, direction marks, controls: invisible, dropped
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Choice is one question a user chose and the answer they typed.
type Choice struct {
	Key    string
	Answer string
}

// Problem is one thing wrong with a registration: Index is the choice (0-based; -1 for the
// whole form), Key a message catalog key, Args its arguments.
type Problem struct {
	Index int
	Key   string
	Args  []any
}

func (p Problem) String() string { return fmt.Sprintf("%d: %s %v", p.Index, p.Key, p.Args) }

// Check applies the registration rules: exactly want choices, each a question of the catalog,
// no question twice, answers of MinAnswerLength to MaxAnswerLength characters once normalized,
// no answer twice, no answer containing one of its question's key words.
func (c *Catalog) Check(want int, choices []Choice) []Problem {
	var ps []Problem
	add := func(i int, key string, args ...any) { ps = append(ps, Problem{Index: i, Key: key, Args: args}) }
	if len(choices) != want {
		add(-1, "questions.count", want)
	}
	questions := map[string]int{}
	answers := map[string]int{}
	for i, ch := range choices {
		switch {
		case ch.Key == "":
			add(i, "questions.choose")
		case !c.Has(ch.Key):
			add(i, "questions.unknown")
		default:
			if _, dup := questions[ch.Key]; dup {
				add(i, "questions.duplicate")
			}
			questions[ch.Key] = i
		}
		if len(ch.Answer) > maxAnswerBytes {
			add(i, "answers.tooLong", MaxAnswerLength)
			continue
		}
		a := Normalize(ch.Answer)
		n := utf8.RuneCountInString(a)
		switch {
		case n == 0:
			add(i, "answers.empty")
			continue
		case n < MinAnswerLength:
			add(i, "answers.tooShort", MinAnswerLength)
		case n > MaxAnswerLength:
			add(i, "answers.tooLong", MaxAnswerLength)
		}
		if _, dup := answers[a]; dup {
			add(i, "answers.duplicate")
		}
		answers[a] = i
		if ch.Key != "" && c.containsKeyWord(ch.Key, a) {
			add(i, "answers.containsQuestion")
		}
	}
	return ps
}

// containsKeyWord reports whether the normalized answer holds one of the question's key words
// as a word of its own ("rex my pet" for the first pet; "bornholm" is fine for "born").
func (c *Catalog) containsKeyWord(key, normalized string) bool {
	kw := c.keyWords[key]
	for _, w := range words(normalized) {
		if slices.Contains(kw, w) {
			return true
		}
	}
	return false
}
