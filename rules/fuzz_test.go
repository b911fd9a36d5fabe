package rules

import (
	"strings"
	"testing"
)

// FuzzParse feeds random TOML to Parse: it must not panic, an error must
// say something, and a set it returns must be valid.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"use-default = false\n",
		"[[rules]]\nid = \"x\"\nregex = '''a(b)c'''\nkeywords = [\"a\"]\n",
		"[[rules]]\nid = \"Bad ID\"\nregex = \"a\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"(\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\nsecret-group = 3\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\nentropy = 9\nwindow = -1\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\nchecksum = \"crc\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\nkeywords = [\" \"]\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\n[rules.allowlist]\nregex-target = \"line\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"a\"\n[[rules]]\nid = \"x\"\nregex = \"b\"\n",
		"[[rules]]\n[[rules]]\n",
		"disable = [\"nope\"]\n",
		"[allowlist]\npaths = ['''^vendor/''']\nregexes = ['''[''']\nstopwords = [\"ABC\"]\n",
		"unknown = 1\n",
		"[[rules]]\nid = 1\n",
		"[[rules]\n",
		"\x00\xff",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	base, err := ParseRules("base.toml", []byte("[[rules]]\nid = \"x\"\nregex = '''x(y)'''\nkeywords = [\"x\"]\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, withBase bool) {
		b := base
		if !withBase {
			b = nil
		}
		set, err := Parse("fuzz.toml", data, b)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("empty error for %q", data)
			}
			return
		}
		if set == nil {
			t.Fatal("nil set and nil error")
		}
		for _, r := range set.Rules {
			if r == nil || r.Compiled() == nil {
				t.Fatalf("invalid rule in a parsed set: %+v", r)
			}
			if r.SecretGroup < 0 || r.SecretGroup > r.Compiled().NumSubexp() {
				t.Fatalf("rule %s: secret group %d of %d", r.ID, r.SecretGroup, r.Compiled().NumSubexp())
			}
		}
	})
}
