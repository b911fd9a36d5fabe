package rules

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultLoads(t *testing.T) {
	t.Parallel()
	s := Default()
	if len(s.Rules) < 300 {
		t.Errorf("only %d built-in rules", len(s.Rules))
	}
	if len(DefaultFiles()) < 10 {
		t.Errorf("only %d built-in rule files", len(DefaultFiles()))
	}
	for _, r := range s.Rules {
		if r.Description == "" || len(r.Examples) == 0 {
			t.Errorf("%s: rule %s needs a description and examples", r.Source, r.ID)
		}
		// A rule without keywords runs over every chunk: only for rules
		// limited to a few paths.
		if len(r.Keywords) == 0 && len(r.Paths) == 0 {
			t.Errorf("%s: rule %s has neither keywords nor a path filter", r.Source, r.ID)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, toml, want string }{
		{"syntax", "[allowlist]\npaths = \"x", "cfg.toml:2:"},
		{"unknown key", "[[rules]]\nid = \"a\"\nregex = \"x\"\nfrobnicate = 1", `unknown key "rules.frobnicate"`},
		{"bad regex names the rule", "[[rules]]\nid = \"broken\"\nregex = \"(unclosed\"", `rule "broken": regex does not compile`},
		{"bad id", "[[rules]]\nid = \"Bad Id\"\nregex = \"x\"", "id must be"},
		{"duplicate", "[[rules]]\nid = \"a\"\nregex = \"x\"\n[[rules]]\nid = \"a\"\nregex = \"y\"", "defined twice"},
		{"group", "[[rules]]\nid = \"a\"\nregex = \"(x)\"\nsecret-group = 3", "secret-group 3"},
		{"checksum", "[[rules]]\nid = \"a\"\nregex = \"x\"\nchecksum = \"md5\"", "unknown checksum"},
		{"disable unknown", "disable = [\"nope\"]", `no rule "nope"`},
		{"anchor", "[[rules]]\nid = \"a\"\nregex = \"x\"\nkeywords = [\"x\"]\nanchor = \"left\"", `anchor "left"`},
		{"huge regex", "[[rules]]\nid = \"a\"\nregex = \"" + strings.Repeat("a", MaxRegexLen+1) + "\"", "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cfg.toml", []byte(tc.toml), Default())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	var pe *ParseError
	_, err := Parse("cfg.toml", []byte("a = [\n1,\n"), nil)
	if !errors.As(err, &pe) || pe.Line == 0 {
		t.Errorf("syntax error %v has no line", err)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	base := Default()
	id := base.Rules[0].ID
	s, err := Parse("cfg.toml", []byte(`
disable = ["`+id+`"]
[allowlist]
paths = ['''^vendor/''']
[[rules]]
id = "acme"
keywords = ["acme_"]
regex = '''acme_[a-z0-9]{8}'''
`), base)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lookup(id) != nil || s.Lookup("acme") == nil || len(s.Rules) != len(base.Rules) {
		t.Errorf("merge: %d rules (base %d)", len(s.Rules), len(base.Rules))
	}
	if !s.Allowlist.AllowsPath("vendor/x.go") || s.Version == base.Version {
		t.Error("allowlist not merged or version unchanged")
	}
	if base.Allowlist.AllowsPath("vendor/x.go") {
		t.Error("merging changed the base set's allowlist")
	}
	only, err := Parse("cfg.toml", []byte("use-default = false\n[[rules]]\nid = \"x\"\nregex = \"x\"\n"), base)
	if err != nil || len(only.Rules) != 1 {
		t.Errorf("use-default = false: %v, %d rules", err, len(only.Rules))
	}
	// Replacing a built-in rule by id.
	repl, err := Parse("cfg.toml", []byte("[[rules]]\nid = \""+id+"\"\nregex = \"zzz\"\n"), base)
	if err != nil || repl.Lookup(id).Regex != "zzz" || len(repl.Rules) != len(base.Rules) {
		t.Errorf("replace: %v", err)
	}
}
