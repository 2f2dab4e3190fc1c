// Package i18ntest checks pages rendered in the pseudo-locale (i18n.Pseudo, en-XA): a visible
// text that still holds plain English words did not come from the catalog.
package i18ntest
