package rules

import (
	"bytes"
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
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
		// A quote left open parses alone, but swallows the group the
		// detector puts the regex in (it panicked there).
		{"open quote", "[[rules]]\nid = \"a\"\nregex = 'token=\\Q$x'\nkeywords = [\"token\"]\nanchor = \"keyword\"", `a \Q quote not ended`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cfg.toml", []byte(tc.toml), Default())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Parse("cfg.toml", []byte("[[rules]]\nid = \"a\"\nregex = 'token=\\Q$x\\E'\nkeywords = [\"token\"]\nanchor = \"keyword\""), Default()); err != nil {
		t.Errorf("a quote ended with \\E: %v", err)
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

// TestVersion: the version identifies the rule set. The built-in set's is
// the same in every run (it depends only on the embedded files), a config
// that changes, disables or adds a rule changes it, and identical inputs
// give identical versions.
func TestVersion(t *testing.T) {
	t.Parallel()
	base := Default()
	if again := Default(); again.Version != base.Version || len(base.Version) != 16 {
		t.Fatalf("Default().Version: %q, then %q", base.Version, again.Version)
	}

	// The built-in version depends on the files' bytes only: the same
	// files elsewhere give the same version; a changed rule, another one.
	files, err := fs.Glob(defaultFS, "default/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	copied := fstest.MapFS{}
	for _, name := range files {
		data, err := fs.ReadFile(defaultFS, name)
		if err != nil {
			t.Fatal(err)
		}
		copied[name] = &fstest.MapFile{Data: data}
	}
	same, err := loadFS(copied, false, false)
	if err != nil || same.Version != base.Version {
		t.Errorf("same files: version %q, want %q (%v)", same.Version, base.Version, err)
	}
	first := copied[files[0]]
	changed := bytes.Replace(first.Data, []byte("[[rules]]\n"), []byte("[[rules]]\nwindow = 77\n"), 1)
	if bytes.Equal(changed, first.Data) {
		t.Fatalf("%s: no rule to change", files[0])
	}
	copied[files[0]] = &fstest.MapFile{Data: changed}
	other, err := loadFS(copied, false, false)
	if err != nil || other.Version == base.Version {
		t.Errorf("changed built-in rule: version %q, base %q (%v)", other.Version, base.Version, err)
	}

	id := base.Rules[0].ID
	configs := map[string]string{
		"empty":     "",
		"comment":   "# nothing\n",
		"disable":   `disable = ["` + id + `"]`,
		"replace":   "[[rules]]\nid = \"" + id + "\"\nregex = \"zzz\"\n",
		"add":       "[[rules]]\nid = \"acme\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-z0-9]{8}'''\n",
		"add2":      "[[rules]]\nid = \"acme\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-z0-9]{9}'''\n",
		"allow":     "[allowlist]\npaths = ['''^vendor/''']\n",
		"only":      "use-default = false\n[[rules]]\nid = \"acme\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-z0-9]{8}'''\n",
		"onlyOther": "use-default = false\n[[rules]]\nid = \"acme\"\nkeywords = [\"acme_\"]\nregex = '''acme_[a-z0-9]{9}'''\n",
	}
	seen := map[string]string{base.Version: "the built-in set"}
	for name, cfg := range configs {
		s, err := Parse("a/.leakgate.toml", []byte(cfg), base)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, ok := seen[s.Version]; ok {
			t.Errorf("config %s: version %s, the same as %s", name, s.Version, prev)
		}
		seen[s.Version] = name
		// Identical inputs (under another file name, from another Default()).
		again, err := Parse("b/other.toml", []byte(cfg), Default())
		if err != nil || again.Version != s.Version {
			t.Errorf("config %s again: version %q, want %q (%v)", name, again.Version, s.Version, err)
		}
		// The same config over another base.
		if over, err := Parse("a/.leakgate.toml", []byte(cfg), other); err != nil {
			t.Fatal(err)
		} else if replaces := strings.Contains(cfg, "use-default = false"); (over.Version == s.Version) != replaces {
			// Without the base, the base does not matter.
			t.Errorf("config %s: over a changed base, version %q, over the built-in set %q", name, over.Version, s.Version)
		}
	}
	// A merged set merged again: the version follows the chain.
	one, _ := Parse("x.toml", []byte(configs["add"]), base)
	two, err := Parse("y.toml", []byte(configs["allow"]), one)
	if err != nil || two.Version == one.Version || seen[two.Version] != "" {
		t.Errorf("chained merge: version %q (%v)", two.Version, err)
	}
}

// TestDefaultRegexes parses every built-in rule's regex and compiles its
// allowlist's regexes, which loading them does not do (Default trusts this
// test: it compiles both on first use), and checks that the group
// counting gave the same secret group as parsing.
func TestDefaultRegexes(t *testing.T) {
	t.Parallel()
	parsed, err := loadFS(defaultFS, true, false)
	if err != nil {
		t.Fatal(err)
	}
	trusted := Default()
	if len(parsed.Rules) != len(trusted.Rules) {
		t.Fatalf("%d rules parsed, %d loaded", len(parsed.Rules), len(trusted.Rules))
	}
	for i, p := range parsed.Rules {
		r := trusted.Rules[i]
		if p.ID != r.ID || p.SecretGroup != r.SecretGroup || p.lazy.anchor != r.lazy.anchor {
			t.Errorf("rule %s: secret group %d, anchored %t; without parsing: rule %s, %d, %t",
				p.ID, p.SecretGroup, p.lazy.anchor, r.ID, r.SecretGroup, r.lazy.anchor)
		}
		n, secret := groups(p.Regex)
		if n != p.Compiled().NumSubexp() || secret != max(p.Compiled().SubexpIndex("secret"), 0) {
			t.Errorf("rule %s: groups() = %d, %d; the regexp has %d, secret %d", p.ID, n, secret,
				p.Compiled().NumSubexp(), p.Compiled().SubexpIndex("secret"))
		}
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		``, `abc`, `(a)`, `(?:a)(b)`, `(?i)(a)`, `\(a\)`, `\\(a)`, `[(]a`, `[^(](b)`, `[]()]`, `[^]()](c)`,
		`[[:alpha:]()](x)`, `[\]()](x)`, `\Q(a)\E(b)`, `\Q(a)`, `(?P<secret>a)`, `(a)(?P<secret>b)(?<secret>c)`,
		`(?<key>a)(?<secret>b)`, `(?P<secrets>a)`, `((a)|(?:b))(c)`, `a{2}(b)`, `\p{Greek}(x)`, `[\p{L}(](x)`,
		`(?s:.)(?-i:x)(y)`, `[a-z[:digit:]](x)`, `\x{28}(a)`,
		`(?i)(?:aws|amazon)(?:.{0,20})?['"]([a-z0-9/+]{40})['"]`,
	} {
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		n, secret := groups(expr)
		if want := max(re.SubexpIndex("secret"), 0); n != re.NumSubexp() || secret != want {
			t.Errorf("groups(%q) = %d, %d; want %d, %d", expr, n, secret, re.NumSubexp(), want)
		}
	}
}
