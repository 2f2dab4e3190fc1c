package config

import (
	"slices"
	"strings"
	"testing"
)

func TestReminders(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	c, err := Parse([]byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Reminders; !r.On() || !slices.Equal(r.DaysBefore, []int{14, 7, 3, 1}) || !slices.Equal(r.Channels, []string{"email"}) ||
		r.QuietHours != "21:00-08:00" || r.TimeZone != "UTC" {
		t.Errorf("reminder defaults %+v", r)
	}
	c, err = Parse([]byte(base+`reminders:
  enabled: false
  daysBefore: [10, 2]
  channels: [email, sms]
  quietHours: none
  timeZone: Europe/Berlin
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Reminders; r.On() || !slices.Equal(r.DaysBefore, []int{10, 2}) || len(r.Channels) != 2 || r.TimeZone != "Europe/Berlin" {
		t.Errorf("reminders %+v", r)
	}
	_, err = Parse([]byte(base+`reminders:
  daysBefore: [0, 7]
  channels: [voice]
  quietHours: "late"
  timeZone: Mars/Olympus
  daysbefore: [1]
`), nil)
	for _, want := range []string{"reminders.daysBefore[0]: 0", "reminders.channels[0]: \"voice\"", "reminders.quietHours: \"late\"",
		"reminders.timeZone: \"Mars/Olympus\"", `reminders.daysbefore (line 9): unknown key`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}
