// Package chart renders small, accessible charts as server-side SVG for the administrators'
// console: Line (values over time), StackedBars (one stacked bar per day) and HBars (one
// horizontal bar, or a group of bars, per category).
//
// Each chart is an <svg role="img"> labelled by its <title> and <desc>, with only presentation
// attributes (fill=, stroke=, font-size=): no style attribute and no script, so it passes the
// console's Content-Security-Policy (style-src 'self', no inline script). Table renders the same
// data as an HTML table for the page to put behind a <details> disclosure. Colours have at least
// 4.5:1 contrast on white. Every word comes from the caller (Chart.Title, Desc, NoData, labels
// and series names), who translates them; the package escapes them.
//
// No Go SVG chart library fitted: the maintained ones (go-analyze/charts, the go-chart family)
// write style attributes and lack title/desc/role, so this is a renderer of our own (~300 lines).
package chart
