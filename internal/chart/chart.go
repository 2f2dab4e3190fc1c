package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Series is one named row of values, one value per label of the chart.
type Series struct {
	Name   string
	Values []float64
	// Color is a fill/stroke colour ("#1f5fa8"); "" takes the next of Palette.
	Color string
}

// Chart is what every kind draws.
type Chart struct {
	// ID makes the title and desc IDs unique on a page (letters, digits, '-'); default "chart".
	ID    string
	Title string
	Desc  string
	// Labels name the categories: days for Line and StackedBars, reasons or methods for HBars.
	Labels []string
	Series []Series
	// NoData is the text drawn when there is nothing to draw (default "No data").
	NoData string
	// LabelHeader heads the label column of the data table (default "").
	LabelHeader string
	// Width and Height of the drawing, in user units (defaults 640 × 260).
	Width, Height int
}

// Palette has colours of at least 4.5:1 contrast on white, told apart by more than hue.
var Palette = []string{"#1f5fa8", "#b34700", "#2e7d32", "#c62828", "#6a1b9a", "#00695c", "#5d4037", "#37474f"}

const (
	textColor = "#1a1a1a"
	gridColor = "#767676" // 4.5:1 on white
	font      = "system-ui, sans-serif"
)

type frame struct {
	c                        Chart
	w, h                     float64
	left, right, top, bottom float64
	b                        strings.Builder
}

func newFrame(c Chart, left float64) *frame {
	if c.Width <= 0 {
		c.Width = 640
	}
	if c.Height <= 0 {
		c.Height = 260
	}
	if c.ID == "" {
		c.ID = "chart"
	}
	if c.NoData == "" {
		c.NoData = "No data"
	}
	for i := range c.Series {
		if c.Series[i].Color == "" {
			c.Series[i].Color = Palette[i%len(Palette)]
		}
	}
	f := &frame{c: c, w: float64(c.Width), h: float64(c.Height), left: left, right: 16, top: 16, bottom: 48}
	if len(c.Series) > 1 {
		f.top = 36 // the legend
	}
	id := esc(c.ID)
	fmt.Fprintf(&f.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %d %d" width="%d" height="%d" font-family="%s" font-size="12" fill="%s">`,
		id, id, c.Width, c.Height, c.Width, c.Height, font, textColor)
	fmt.Fprintf(&f.b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(c.Title), id, esc(c.Desc))
	return f
}

func (f *frame) end() template.HTML {
	f.b.WriteString(`</svg>`)
	return template.HTML(f.b.String()) // every caller's text went through esc
}

// empty reports whether there is nothing to draw, and then draws the "no data" chart.
func (f *frame) empty() bool {
	n := 0
	for _, s := range f.c.Series {
		n += len(s.Values)
	}
	if len(f.c.Labels) > 0 && n > 0 {
		return false
	}
	fmt.Fprintf(&f.b, `<rect x="0.5" y="0.5" width="%s" height="%s" fill="none" stroke="%s"/>`, num(f.w-1), num(f.h-1), gridColor)
	fmt.Fprintf(&f.b, `<text x="%s" y="%s" text-anchor="middle" font-size="14">%s</text>`, num(f.w/2), num(f.h/2), esc(f.c.NoData))
	return true
}

func (f *frame) legend() {
	if len(f.c.Series) < 2 {
		return
	}
	x := f.left
	for _, s := range f.c.Series {
		fmt.Fprintf(&f.b, `<rect x="%s" y="8" width="12" height="12" fill="%s"/><text x="%s" y="18">%s</text>`, num(x), s.Color, num(x+16), esc(s.Name))
		x += 16 + 7*float64(len([]rune(s.Name))) + 16
	}
}

// value returns series s's value at i (0 when missing, negative or not a number).
func value(s Series, i int) float64 {
	if i >= len(s.Values) || math.IsNaN(s.Values[i]) || math.IsInf(s.Values[i], 0) || s.Values[i] < 0 {
		return 0
	}
	return s.Values[i]
}

// scale returns the top of the value axis for values up to v and the step of its grid lines:
// the step is 1, 2 or 5 × 10^k (at least 1 when whole is set), the top a multiple of it, at
// most five steps.
func scale(v float64, whole bool) (top, step float64) {
	if v <= 0 {
		return 1, 0.25
	}
	raw := v / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * p
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*p {
			step = m * p
			break
		}
	}
	if whole && step < 1 {
		step = 1
	}
	return math.Ceil(v/step) * step, step
}

// whole reports whether every value of the chart is a whole number (counts).
func (f *frame) whole() bool {
	for _, s := range f.c.Series {
		for _, v := range s.Values {
			if v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

// yAxis draws the grid lines and their values for [0, top] and returns the y of a value.
func (f *frame) yAxis(v float64) func(float64) float64 {
	top, step := scale(v, f.whole())
	plotH := f.h - f.top - f.bottom
	y := func(v float64) float64 { return f.h - f.bottom - v/top*plotH }
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(&f.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="0.5"/>`, num(f.left), num(y(v)), num(f.w-f.right), num(y(v)), gridColor)
		fmt.Fprintf(&f.b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(f.left-6), num(y(v)+4), Format(v))
	}
	return y
}

// charWidth is about the width of a character of the 12-unit font.
const charWidth = 7

func textWidth(s string) float64 { return charWidth * float64(len([]rune(s))) }

// xLabels writes as many of the labels under the plot as fit, evenly spread, centred on x(i).
func (f *frame) xLabels(x func(int) float64) {
	n := len(f.c.Labels)
	widest := 0.0
	for _, l := range f.c.Labels {
		widest = math.Max(widest, textWidth(l))
	}
	fit := max(1, int((f.w-f.left-f.right)/(widest+12)))
	step := (n + fit - 1) / fit
	for i := 0; i < n; i += step {
		fmt.Fprintf(&f.b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(x(i)), num(f.h-f.bottom+18), esc(f.c.Labels[i]))
	}
}

func (f *frame) maxOf(stacked bool) float64 {
	m := 0.0
	for i := range f.c.Labels {
		sum := 0.0
		for _, s := range f.c.Series {
			if stacked {
				sum += value(s, i)
			} else {
				m = math.Max(m, value(s, i))
			}
		}
		m = math.Max(m, sum)
	}
	return m
}

// Line draws each series as a line over the labels (days), with a dot per value.
func Line(c Chart) template.HTML {
	f := newFrame(c, 48)
	if f.empty() {
		return f.end()
	}
	f.legend()
	y := f.yAxis(f.maxOf(false))
	n := len(f.c.Labels)
	plotW := f.w - f.left - f.right
	x := func(i int) float64 {
		if n == 1 {
			return f.left + plotW/2
		}
		return f.left + plotW*float64(i)/float64(n-1)
	}
	for _, s := range f.c.Series {
		pts := make([]string, n)
		for i := range n {
			pts[i] = num(x(i)) + "," + num(y(value(s, i)))
		}
		fmt.Fprintf(&f.b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.Color, strings.Join(pts, " "))
		for i := range n {
			fmt.Fprintf(&f.b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s, %s: %s</title></circle>`,
				num(x(i)), num(y(value(s, i))), s.Color, esc(s.Name), esc(f.c.Labels[i]), Format(value(s, i)))
		}
	}
	f.xLabels(x)
	return f.end()
}

// StackedBars draws one bar per label (day), the series stacked in order from the bottom.
func StackedBars(c Chart) template.HTML {
	f := newFrame(c, 48)
	if f.empty() {
		return f.end()
	}
	f.legend()
	y := f.yAxis(f.maxOf(true))
	n := len(f.c.Labels)
	slot := (f.w - f.left - f.right) / float64(n)
	bw := math.Max(1, slot*0.7)
	x := func(i int) float64 { return f.left + slot*(float64(i)+0.5) }
	for i := range n {
		base := 0.0
		for _, s := range f.c.Series {
			v := value(s, i)
			if v == 0 {
				continue
			}
			fmt.Fprintf(&f.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>`,
				num(x(i)-bw/2), num(y(base+v)), num(bw), num(y(base)-y(base+v)), s.Color, esc(f.c.Labels[i]), esc(s.Name), Format(v))
			base += v
		}
	}
	f.xLabels(x)
	return f.end()
}

// HBars draws one horizontal bar per label and series (grouped when there are several series),
// the label on the left and the value at the bar's end.
func HBars(c Chart) template.HTML {
	if c.Height <= 0 {
		rows := len(c.Labels) * max(1, len(c.Series))
		c.Height = max(120, 52+rows*22+len(c.Labels)*6)
	}
	left := 48.0
	for _, l := range c.Labels {
		left = math.Max(left, textWidth(l)+16)
	}
	width := c.Width
	if width <= 0 {
		width = 640
	}
	f := newFrame(c, math.Min(left, float64(width)/2))
	if f.empty() {
		return f.end()
	}
	f.legend()
	top, _ := scale(f.maxOf(false), false)
	plotW := f.w - f.left - f.right - 48
	ns := len(f.c.Series)
	group := (f.h - f.top - 16) / float64(len(f.c.Labels))
	bh := math.Min(18, (group-6)/float64(ns))
	for i, l := range f.c.Labels {
		gy := f.top + group*float64(i)
		fmt.Fprintf(&f.b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(f.left-8), num(gy+group/2+4), esc(l))
		for j, s := range f.c.Series {
			v := value(s, i)
			by := gy + (group-bh*float64(ns))/2 + bh*float64(j)
			w := v / top * plotW
			fmt.Fprintf(&f.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>`,
				num(f.left), num(by), num(w), num(bh-2), s.Color, esc(l), esc(s.Name), Format(v))
			fmt.Fprintf(&f.b, `<text x="%s" y="%s">%s</text>`, num(f.left+w+4), num(by+bh/2+3), Format(v))
		}
	}
	fmt.Fprintf(&f.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(f.left), num(f.top), num(f.left), num(f.h-16), gridColor)
	return f.end()
}

// Table renders the chart's data as an HTML table: a row per label, a column per series.
func Table(c Chart) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<table class="chart-data"><caption>%s</caption><thead><tr><th scope="col">%s</th>`, esc(c.Title), esc(c.LabelHeader))
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody>`)
	if len(c.Labels) == 0 {
		noData := c.NoData
		if noData == "" {
			noData = "No data"
		}
		fmt.Fprintf(&b, `<tr><td colspan="%d">%s</td></tr>`, len(c.Series)+1, esc(noData))
	}
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th>`, esc(l))
		for _, s := range c.Series {
			fmt.Fprintf(&b, `<td>%s</td>`, Format(value(s, i)))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}

// Format writes a value as the charts and tables show it: whole numbers without decimals,
// others with one.
func Format(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func esc(s string) string { return html.EscapeString(s) }
