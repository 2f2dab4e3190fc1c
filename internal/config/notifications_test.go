package config

import (
	"strings"
	"testing"
)

func TestNotifications(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	c, err := Parse([]byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Notifications; n.On() || n.DeliveryFailures != 10 || n.LockoutsPerHour != 20 {
		t.Errorf("notification defaults %+v", n)
	}
	c, err = Parse([]byte(base+`notifications:
  administrators: [secops@contoso.com, it@contoso.com]
  deliveryFailures: 5
  lockoutsPerHour: 50
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Notifications; !n.On() || len(n.Administrators) != 2 || n.DeliveryFailures != 5 || n.LockoutsPerHour != 50 {
		t.Errorf("notifications %+v", n)
	}
	_, err = Parse([]byte(base+`notifications:
  administrators: ["Sec Ops <secops@contoso.com>"]
  deliveryFailures: -1
  lockoutsPerHour: -1
  administrator: [it@contoso.com]
`), nil)
	for _, want := range []string{`notifications.administrators[0]: "Sec Ops <secops@contoso.com>" is not an email address`,
		"notifications.deliveryFailures: -1", "notifications.lockoutsPerHour: -1", `notifications.administrator (line 8): unknown key`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}
