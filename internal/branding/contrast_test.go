package branding

import "testing"

func TestContrast(t *testing.T) {
	white := RGB{255, 255, 255}
	tests := []struct {
		color string
		want  string
	}{
		{"#000000", "21.0:1"},
		{"#ffffff", "1.0:1"},
		{"#fff", "1.0:1"},
		{"#0b5cad", "6.6:1"},
		{"#7fb3ff", "2.1:1"},
		{"#767676", "4.5:1"}, // the lightest grey that passes on white
		{"#777777", "4.4:1"}, // 4.48: rounded down, never shown as 4.5
	}
	for _, tt := range tests {
		c, err := ParseColor(tt.color)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatRatio(Contrast(c, white)); got != tt.want {
			t.Errorf("%s on white: %s, want %s", tt.color, got, tt.want)
		}
	}
	for _, bad := range []string{"", "0b5cad", "#0b5ca", "#gggggg", "red", "#0b5cad00"} {
		if _, err := ParseColor(bad); err == nil {
			t.Errorf("ParseColor(%q) accepted", bad)
		}
	}
}
