package rules

import (
	"regexp"
	"strings"
	"testing"
)

// PathClass skips a path regex only when the path lacks a literal the regex
// needs: the classes are those of running every regex, on paths made to
// nearly match the built-in rules' path filters.
func TestPathClassNeededLiterals(t *testing.T) {
	merged, err := Parse("x.toml", []byte(`
[allowlist]
paths = ['''(?i)^Vendor/''', '''(^|/)node_modules/''', '''\.(?:png|jpe?g)$''']
[[rules]]
id = "x"
regex = '''X(\d+)'''
paths = ['''(?i)secrets?\.ya?ml$''', '''a+bc''']
`), Default())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{
		".env", "app/.env", "app/.env.local", "x.env", "envfile", ".ENV", "a/.edgerc", "A/.EDGERC", "edgerc",
		".pgpass", "pgpass", "home/.pgpass", "datadog.yaml", "conf/datadog-agent/x.yml", "datadog/x.yaml", "Datadog.yaml",
		"vendor/x.go", "VENDOR/x.go", "a/node_modules/b.js", "node_modules", "img.PNG", "img.jpeg",
		"SECRETS.YML", "config/secret.yaml", "secretsyaml", "aaabc", "abc", "bc", "", "ü/.env", "x/ÿedgerc",
	}
	plain := func(path string) string {
		b := make([]byte, len(merged.classBits))
		for i, bit := range merged.classBits {
			b[i] = '0'
			for _, k := range bit {
				if merged.classRes[k].MatchString(path) {
					b[i] = '1'
					break
				}
			}
		}
		return string(b)
	}
	some := 0
	for _, p := range paths {
		got := merged.PathClass(p)
		if want := plain(p); got != want {
			t.Errorf("PathClass(%q) = %s, every regex run gives %s", p, got, want)
		}
		some += strings.Count(got, "1")
	}
	if some == 0 {
		t.Fatal("no path matched any path filter: the test proves nothing")
	}
	skipped := 0
	for _, n := range merged.classNeed {
		if n.lit != "" {
			skipped++
		}
	}
	if skipped == 0 {
		t.Error("no path regex has a needed literal")
	}
	for re, want := range map[string]pathNeed{
		`(?:^|/)\.env(?:\.[\w.-]+)?$`: {lit: ".env"},
		`(?i)(?:^|/)[^/]*\.?edgerc$`:  {lit: "edgerc", fold: true},
		`a|bcd`:                       {},
		`(?:abc)?de`:                  {lit: "de"},
		`x(?:yz)+`:                    {lit: "yz"},
	} {
		if got := neededLiteral(regexp.MustCompile(re)); got != want {
			t.Errorf("neededLiteral(%s) = %+v, want %+v", re, got, want)
		}
	}
}
