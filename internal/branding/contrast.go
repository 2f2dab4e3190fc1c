package branding

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MinContrast is WCAG 2.1 AA's minimum contrast ratio for normal text (1.4.3).
const MinContrast = 4.5

// RGB is a colour of 8-bit channels.
type RGB struct{ R, G, B uint8 }

// ParseColor reads #rgb or #rrggbb (case-insensitive).
func ParseColor(s string) (RGB, error) {
	h, ok := strings.CutPrefix(s, "#")
	if !ok || (len(h) != 3 && len(h) != 6) {
		return RGB{}, fmt.Errorf("%q is not a colour: write #rrggbb, such as #0b5cad", s)
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return RGB{}, fmt.Errorf("%q is not a colour: write #rrggbb, such as #0b5cad", s)
	}
	return RGB{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// String is #rrggbb.
func (c RGB) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Luminance is the colour's relative luminance (WCAG 2.1, sRGB).
func (c RGB) Luminance() float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}

// Contrast is the WCAG contrast ratio of a and b, from 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// FormatRatio writes a ratio as "4.4:1", rounded down so that a failing ratio never reads as
// the minimum it missed.
func FormatRatio(r float64) string {
	return strconv.FormatFloat(math.Floor(r*10)/10, 'f', 1, 64) + ":1"
}
