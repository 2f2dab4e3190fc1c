// Command testreport reads `go test -json` on stdin and prints a short report: every failed
// test with its output, every skipped test with its reason, and one line per package. It exits
// 1 when any test failed or skipped: under the project's test command a skip is a failure,
// because every server the tests need has been started.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	outputs := map[string]*strings.Builder{}
	var failed, skipped []string
	pkgLines := map[string]string{}
	tests := map[string]int{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // build errors and other plain output
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			if b.Len() < 64<<10 {
				b.WriteString(e.Output)
			}
		case "pass":
			if e.Test == "" {
				pkgLines[e.Package] = fmt.Sprintf("ok    %-60s %6.1fs %4d tests", e.Package, e.Elapsed, tests[e.Package])
			} else {
				tests[e.Package]++
			}
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, key)
				tests[e.Package]++
			} else if _, ok := pkgLines[e.Package]; !ok {
				pkgLines[e.Package] = fmt.Sprintf("-     %-60s (no tests)", e.Package)
			}
		case "fail":
			if e.Test == "" {
				pkgLines[e.Package] = fmt.Sprintf("FAIL  %-60s %6.1fs", e.Package, e.Elapsed)
				if len(failed) == 0 || !strings.HasPrefix(failed[len(failed)-1], e.Package+" ") {
					failed = append(failed, key)
				}
			} else {
				failed = append(failed, key)
			}
		}
	}
	pkgs := make([]string, 0, len(pkgLines))
	for p := range pkgLines {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		fmt.Println(pkgLines[p])
	}
	for _, k := range skipped {
		fmt.Printf("\nSKIP %s\n%s", k, tail(outputs[k]))
	}
	for _, k := range failed {
		fmt.Printf("\nFAIL %s\n%s", k, tail(outputs[k]))
	}
	total := 0
	for _, n := range tests {
		total += n
	}
	fmt.Printf("\n%d tests in %d packages: %d failed, %d skipped\n", total, len(pkgs), len(failed), len(skipped))
	if len(failed) > 0 || len(skipped) > 0 {
		if len(skipped) > 0 {
			fmt.Println("a skipped test is a failure here: every server the tests need was started")
		}
		os.Exit(1)
	}
}

func tail(b *strings.Builder) string {
	if b == nil {
		return ""
	}
	s := b.String()
	if len(s) > 8000 {
		s = "...\n" + s[len(s)-8000:]
	}
	return s
}
