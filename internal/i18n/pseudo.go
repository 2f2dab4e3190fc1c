package i18n

import (
	"maps"
	"strings"
)

var accents = strings.NewReplacer(
	"a", "á", "b", "ƀ", "c", "ç", "d", "ð", "e", "é", "f", "ƒ", "g", "ĝ", "h", "ĥ", "i", "í", "j", "ĵ",
	"k", "ķ", "l", "ļ", "m", "ɱ", "n", "ñ", "o", "ö", "p", "þ", "q", "ǫ", "r", "ŕ", "s", "š", "t", "ţ",
	"u", "û", "v", "ṽ", "w", "ŵ", "x", "ẋ", "y", "ý", "z", "ž",
	"A", "Á", "B", "Ɓ", "C", "Ç", "D", "Ð", "E", "É", "F", "Ƒ", "G", "Ĝ", "H", "Ĥ", "I", "Í", "J", "Ĵ",
	"K", "Ķ", "L", "Ļ", "M", "Ṁ", "N", "Ñ", "O", "Ö", "P", "Þ", "Q", "Ǫ", "R", "Ŕ", "S", "Š", "T", "Ţ",
	"U", "Û", "V", "Ṽ", "W", "Ŵ", "X", "Ẋ", "Y", "Ý", "Z", "Ž",
)

// PseudoText is s accented and bracketed, its placeholders kept: "[Ñéẋţ]".
func PseudoText(s string) string {
	var b strings.Builder
	b.WriteString("[")
	rest := s
	for {
		loc := placeholderRE.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(accents.Replace(rest))
			break
		}
		b.WriteString(accents.Replace(rest[:loc[0]]))
		b.WriteString(rest[loc[0]:loc[1]])
		rest = rest[loc[1]:]
	}
	b.WriteString("]")
	return b.String()
}

// pseudoCatalog is en transformed by PseudoText.
func pseudoCatalog(en catalog) catalog {
	out := make(catalog, len(en))
	for k, x := range en {
		if x.forms == nil {
			out[k] = text{plain: PseudoText(x.plain)}
			continue
		}
		forms := maps.Clone(x.forms)
		for f, s := range forms {
			forms[f] = PseudoText(s)
		}
		out[k] = text{forms: forms}
	}
	return out
}
