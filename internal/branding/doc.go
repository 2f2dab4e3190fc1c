// Package branding makes sspr's pages, mails and texts the organization's own: the
// configuration block branding (Config: company name, logo, favicon, colours, helpdesk, footer
// links, the user-name hint, an extra stylesheet), checked by Validate, and the Brand built
// from it by New, which the web server and the mail channel use.
//
//	branding: (YAML) ──► Config.Validate: every problem with its key; a colour whose contrast
//	                     with its white text is below WCAG AA (4.5:1) is refused with the ratio
//	               ──► New: reads the files (PNG/SVG logo, favicon, extra CSS), checks their type
//	                   and size, generates the theme stylesheet (colours as CSS variables)
//	               ──► Brand: content-hashed URLs under /branding/ (LogoURL, FaviconURL,
//	                   StylesheetURL, ExtraCSSURL), served by Handler with a year-long immutable
//	                   cache header; a changed file gets a new URL.
//
// Pages never carry inline styles (the CSP is style-src 'self'): the colours reach them
// through the generated stylesheet. Mails carry inline styles (mail clients drop style
// sheets) and no external image unless mailLogo is set.
package branding
