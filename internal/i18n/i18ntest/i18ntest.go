package i18ntest

import (
	"html"
	"regexp"
	"strings"
)

var (
	tagRE       = regexp.MustCompile(`(?s)<[^>]*>`)
	visibleAttr = regexp.MustCompile(`\b(?:aria-label|title|placeholder|alt)="([^"]*)"`)
	wordsRE     = regexp.MustCompile(`[A-Za-z]{2,}`)
	// notTranslated are the elements a page marks translate="no": data shown as it is (event
	// types, actors, display names) or another package's English account (with lang="en").
	notTranslated = func() []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, tag := range []string{"td", "span", "dd", "p", "ol", "div"} {
			out = append(out, regexp.MustCompile(`(?s)<`+tag+`\b[^>]*\btranslate="no"[^>]*>.*?</`+tag+`>`))
		}
		return out
	}()
)

// Untransformed lists the visible texts of page (text nodes and the attributes read out:
// aria-label, title, placeholder, alt) that hold plain English words once what data matches
// (addresses, names, the company, languages' own names) is taken out, leaving aside the
// elements marked translate="no". An empty list: every text came from the catalog.
func Untransformed(page string, data *regexp.Regexp) []string {
	for _, re := range notTranslated {
		page = re.ReplaceAllString(page, "")
	}
	var texts []string
	for _, m := range visibleAttr.FindAllStringSubmatch(page, -1) {
		texts = append(texts, m[1])
	}
	texts = append(texts, tagRE.Split(page, -1)...)
	var bad []string
	for _, t := range texts {
		t = html.UnescapeString(t)
		if w := wordsRE.FindString(data.ReplaceAllString(t, "")); w != "" {
			bad = append(bad, strings.TrimSpace(t))
		}
	}
	return bad
}
