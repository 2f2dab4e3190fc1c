package phone_test

import (
	"errors"
	"fmt"

	"github.com/sspr/sspr/internal/phone"
)

func ExampleNormalizer_Normalize() {
	n, err := phone.NewNormalizer("US") // phone.defaultRegion: for numbers written without +
	if err != nil {
		panic(err)
	}
	for _, raw := range []string{
		"+1 4255551234X12345",
		"(425) 555-1234",
		"+44 (0)20 7946 0958",
		"tel:+49-151-23456789;ext=7",
		"+1 4255551234 please call",
	} {
		num, err := n.Normalize(raw)
		var pe *phone.Error
		if errors.As(err, &pe) {
			fmt.Printf("%-28q refused (%v)\n", raw, pe.Reason)
			continue
		}
		fmt.Printf("%-28q %-16s %-18v ext=%q sms=%v\n", raw, num.Canonical, num.Type, num.Extension, num.Type.CanReceiveSMS())
	}
	// Output:
	// "+1 4255551234X12345"        +1 4255551234    fixedLineOrMobile  ext="12345" sms=true
	// "(425) 555-1234"             +1 4255551234    fixedLineOrMobile  ext="" sms=true
	// "+44 (0)20 7946 0958"        +44 2079460958   fixedLine          ext="" sms=false
	// "tel:+49-151-23456789;ext=7" +49 15123456789  mobile             ext="7" sms=true
	// "+1 4255551234 please call"  refused (invalidCharacters)
}

func ExampleError() {
	n, _ := phone.NewNormalizer("") // no default region: a + is required
	_, err := n.Normalize("4255551234")
	fmt.Println(err)                           // for the administrator's report
	fmt.Println(err.(*phone.Error).Redacted()) // for logs
	// Output:
	// "4255551234": no country code: write it as +CC NUMBER or set phone.defaultRegion
	// "••••••1234": no country code: write it as +CC NUMBER or set phone.defaultRegion
}

func ExampleMask() {
	fmt.Println(phone.Mask("+1 4255551234"))
	// Output:
	// +1 ••••••1234
}
