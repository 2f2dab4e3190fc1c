// Package i18n is the message catalog of every text a user reads: pages, errors, mails, SMS and
// voice texts, and the security-question catalog, in English, German, French, Spanish and
// Arabic.
//
// The catalogs are JSON files embedded from catalog/<lang>.json, one per language, all with the
// same keys (TestCatalogsComplete). A value is either a text or, for a text that depends on a
// count, an object of CLDR plural forms (zero, one, two, few, many, other; Arabic uses all six)
// chosen by the first integer argument. Placeholders are positional, {0}, {1}…, so a translation
// may reorder them; a plural form may leave out the count ("one try left").
//
// How a text is rendered (Translator.T):
//
//	string, int          as is
//	time.Time            date and time in the language, in Config.TimeZone, with the zone ("03:15 CET on December 7")
//	time.Duration        "2 hours", "15 minutes", in the language, with its plural
//
// Choosing a language is the caller's (htmlpage.Language, for the end-user pages and the
// console: ?lang=, then the cookie, then Accept-Language, then Config.DefaultLanguage):
// Bundle.Pick takes the candidates in order. Package i18ntest checks pages rendered in the
// pseudo-locale.
//
// Administrators override any text per language with files of the same shape in
// Config.OverridesDir (<lang>.json), read once at start; Config.Problems reports a file that is
// not JSON, a language that is not offered, an unknown key, or placeholders that differ from the
// English text's, naming the file and the key.
//
// The pseudo-locale en-XA (Config.PseudoLocale, and tests) renders English accented and
// bracketed, "[Ŕéšéţ ýöûŕ þåššŵöŕð]", so that a page showing plain English text has a text that
// does not come from the catalog.
package i18n
