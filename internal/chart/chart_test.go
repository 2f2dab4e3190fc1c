package chart

import (
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type kind struct {
	name string
	fn   func(Chart) template.HTML
}

var kinds = []kind{{"line", Line}, {"stacked", StackedBars}, {"hbars", HBars}}

// parse checks that svg is well-formed XML and returns its elements with their attributes, and
// the text of title and desc.
func parse(t *testing.T, svg string) (elems []xml.StartElement, title, desc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var in string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not valid XML: %v\n%s", err, svg)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			elems = append(elems, v)
			in = v.Name.Local
		case xml.CharData:
			if len(elems) > 0 && in == "title" && title == "" && len(elems) == 2 {
				title = string(v)
			}
			if in == "desc" {
				desc = string(v)
			}
		case xml.EndElement:
			in = ""
		}
	}
	return elems, title, desc
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func sample() Chart {
	return Chart{ID: "act", Title: "Resets <per> day & outcome", Desc: "Resets per day, stacked by outcome, last 3 days",
		Labels: []string{"12-04", "12-05", `12-06 "today"`}, LabelHeader: "Day",
		Series: []Series{{Name: "done", Values: []float64{3, 0, 10}}, {Name: "failed", Values: []float64{1, 2, 2.5}}}}
}

func TestEveryKind(t *testing.T) {
	for _, k := range kinds {
		for _, tc := range []struct {
			name string
			c    Chart
		}{
			{"sample", sample()},
			{"one point", Chart{Title: "t", Desc: "d", Labels: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{5}}}}},
			{"all zero", Chart{Title: "t", Desc: "d", Labels: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{0, 0}}}}},
			{"bad values", Chart{Title: "t", Desc: "d", Labels: []string{"a", "b", "c"}, Series: []Series{{Name: "s", Values: []float64{math.NaN(), -4, math.Inf(1)}}}}},
			{"short series", Chart{Title: "t", Desc: "d", Labels: []string{"a", "b", "c"}, Series: []Series{{Name: "s", Values: []float64{1}}}}},
			{"empty", Chart{Title: "t", Desc: "d"}},
			{"huge", Chart{Title: "t", Desc: "d", Labels: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{1e9, 3}}}}},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				svg := string(k.fn(tc.c))
				elems, title, desc := parse(t, svg)
				root := elems[0]
				if root.Name.Local != "svg" || attr(root, "role") != "img" || attr(root, "aria-labelledby") == "" {
					t.Errorf("root %v: want <svg role=img aria-labelledby>", root)
				}
				if elems[1].Name.Local != "title" || elems[2].Name.Local != "desc" || title != tc.c.Title || desc != tc.c.Desc {
					t.Errorf("title %q desc %q, want %q %q as the first children", title, desc, tc.c.Title, tc.c.Desc)
				}
				ids := strings.Fields(attr(root, "aria-labelledby"))
				if len(ids) != 2 || attr(elems[1], "id") != ids[0] || attr(elems[2], "id") != ids[1] {
					t.Errorf("aria-labelledby %v does not name the title and desc", ids)
				}
				// Strict CSP: no style attribute or element, no script, no event handler.
				for _, e := range elems {
					if e.Name.Local == "script" || e.Name.Local == "style" || e.Name.Local == "foreignObject" {
						t.Errorf("element %s", e.Name.Local)
					}
					for _, a := range e.Attr {
						if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") || strings.Contains(a.Value, "javascript:") {
							t.Errorf("attribute %s=%q on %s", a.Name.Local, a.Value, e.Name.Local)
						}
					}
				}
				checkInside(t, elems, root)
				if tc.name == "empty" && !strings.Contains(svg, ">No data<") {
					t.Errorf("empty chart without its no-data text: %s", svg)
				}
			})
		}
	}
}

// checkInside: every coordinate is a finite number inside the viewBox.
func checkInside(t *testing.T, elems []xml.StartElement, root xml.StartElement) {
	t.Helper()
	w, _ := strconv.ParseFloat(attr(root, "width"), 64)
	h, _ := strconv.ParseFloat(attr(root, "height"), 64)
	for _, e := range elems {
		for _, a := range e.Attr {
			var vals []string
			switch a.Name.Local {
			case "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height":
				vals = []string{a.Value}
			case "points":
				vals = regexp.MustCompile(`[ ,]`).Split(a.Value, -1)
			default:
				continue
			}
			for _, v := range vals {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsNaN(f) || f < 0 || f > math.Max(w, h) {
					t.Errorf("%s %s=%q: not a coordinate inside %vx%v", e.Name.Local, a.Name.Local, a.Value, w, h)
				}
			}
		}
	}
}

// TestScales: bar heights and lengths are proportional to the values.
func TestScales(t *testing.T) {
	c := Chart{Title: "t", Desc: "d", Labels: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{10, 5}}}}
	for _, k := range []kind{{"stacked", StackedBars}, {"hbars", HBars}} {
		elems, _, _ := parse(t, string(k.fn(c)))
		var sizes []float64
		for _, e := range elems {
			if e.Name.Local == "rect" && attr(e, "fill") == Palette[0] {
				dim := "height"
				if k.name == "hbars" {
					dim = "width"
				}
				v, _ := strconv.ParseFloat(attr(e, dim), 64)
				sizes = append(sizes, v)
			}
		}
		if len(sizes) != 2 || sizes[1] == 0 || math.Abs(sizes[0]/sizes[1]-2) > 0.05 {
			t.Errorf("%s: bar sizes %v, want 2:1", k.name, sizes)
		}
	}
	// Stacked: the stack of 3+1 is as tall as a single 4.
	s := Chart{Title: "t", Desc: "d", Labels: []string{"a", "b"},
		Series: []Series{{Name: "x", Values: []float64{3, 4}}, {Name: "y", Values: []float64{1, 0}}}}
	elems, _, _ := parse(t, string(StackedBars(s)))
	var h []float64
	for _, e := range elems {
		if e.Name.Local == "rect" && attr(e, "fill") != "none" && attr(e, "width") != "12" {
			v, _ := strconv.ParseFloat(attr(e, "height"), 64)
			h = append(h, v)
		}
	}
	if len(h) != 3 || math.Abs(h[0]+h[1]-h[2]) > 0.2 {
		t.Errorf("stacked heights %v: 3+1 should equal 4", h)
	}
}

func TestScale(t *testing.T) {
	tests := []struct {
		v         float64
		whole     bool
		top, step float64
	}{
		{0, true, 1, 0.25},
		{3, true, 3, 1}, // counts: whole steps
		{3, false, 3, 1},
		{0.7, false, 0.8, 0.2},
		{0.7, true, 1, 1},
		{23, true, 30, 10},
		{25, true, 30, 10},
		{100, false, 100, 50}, // 100/4 = 25 rounds up to a step of 50
		{1e6 + 1, true, 1.5e6, 5e5},
	}
	for _, tt := range tests {
		top, step := scale(tt.v, tt.whole)
		if top != tt.top || step != tt.step || top < tt.v || top/step > 5 {
			t.Errorf("scale(%v, %v) = %v, %v; want %v, %v", tt.v, tt.whole, top, step, tt.top, tt.step)
		}
	}
}

func TestTable(t *testing.T) {
	html := string(Table(sample()))
	elems, _, _ := parse(t, html)
	rows := 0
	for _, e := range elems {
		if e.Name.Local == "tr" {
			rows++
		}
	}
	if rows != 4 {
		t.Errorf("%d rows, want a header and 3", rows)
	}
	for _, want := range []string{"<caption>Resets &lt;per&gt; day &amp; outcome</caption>", `<th scope="col">Day</th>`,
		`<th scope="row">12-06 &#34;today&#34;</th><td>10</td><td>2.5</td>`} {
		if !strings.Contains(html, want) {
			t.Errorf("table lacks %s:\n%s", want, html)
		}
	}
	empty := string(Table(Chart{Title: "t", NoData: "Nothing yet", Series: []Series{{Name: "s"}}}))
	if !strings.Contains(empty, `<td colspan="2">Nothing yet</td>`) {
		t.Errorf("empty table: %s", empty)
	}
}

// TestContrast: every palette colour and the text colour reach 4.5:1 on white (WCAG AA).
func TestContrast(t *testing.T) {
	for _, c := range append([]string{textColor, gridColor}, Palette...) {
		if r := contrast(c, "#ffffff"); r < 4.5 {
			t.Errorf("%s on white: %.2f:1, want ≥ 4.5", c, r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}

func ExampleStackedBars() {
	c := Chart{ID: "resets", Title: "Resets per day", Desc: "Resets per day by outcome",
		Labels: []string{"Dec 5", "Dec 6"}, Series: []Series{{Name: "done", Values: []float64{4, 6}}}}
	svg := StackedBars(c)
	_ = svg      // <svg role="img" …><title>Resets per day</title>…
	_ = Table(c) // <table class="chart-data">…, behind a <details> on the page
}
