package rules

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Each built-in file, cut by stripExamples, decodes to the same rules as
// the whole file, less their examples and counterexamples, and the lean
// set has the same rules and version as the full one.
func TestLeanMatchesDefault(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(defaultFS, "default/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	for _, name := range files {
		data, err := fs.ReadFile(defaultFS, name)
		if err != nil {
			t.Fatal(err)
		}
		stripped := stripExamples(data)
		if len(stripped) >= len(data) {
			t.Errorf("%s: nothing cut", name)
		}
		full, err := parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := parse(name, stripped)
		if err != nil {
			t.Fatalf("%s cut: %v", name, err)
		}
		for _, r := range full.Rules {
			r.Examples, r.Counterexamples = nil, nil
		}
		if diff := cmp.Diff(full, lean, cmpopts.IgnoreUnexported(Rule{}, Allowlist{}), cmpopts.IgnoreFields(ruleFile{}, "Verify", "Remediate")); diff != "" {
			t.Errorf("%s: the cut file decodes differently (-whole +cut):\n%s", name, diff)
		}
	}
	d, l := Default(), Lean()
	if d.Version != l.Version || len(d.Rules) != len(l.Rules) {
		t.Fatalf("lean set: version %s, %d rules; full: %s, %d", l.Version, len(l.Rules), d.Version, len(d.Rules))
	}
	for i, r := range l.Rules {
		if r.ID != d.Rules[i].ID || len(r.Examples)+len(r.Counterexamples) != 0 {
			t.Errorf("lean rule %d: %s with %d examples", i, r.ID, len(r.Examples))
		}
	}
}

// stripExamples follows TOML strings of every kind, comments and nested
// arrays, so that a bracket or a key-like line inside an example does not
// end the cut early or late; what it cannot follow it leaves whole.
func TestStripExamples(t *testing.T) {
	t.Parallel()
	in := `[[rules]]
id = "a"
examples = [
  '''x = ] "' [''', # a comment with ] and '
  "quoted \" ] [",
  'literal ]',
  """multi "" ]
examples = [ still inside """,
  ['nested', "]"],
]  # trailing comment
counterexamples = ['''one''']
keywords = ["k"]
[[rules]]
id = "b"
  examples=["b ]"]
regex = 'x'
`
	want := `[[rules]]
id = "a"
keywords = ["k"]
[[rules]]
id = "b"
regex = 'x'
`
	if got := string(stripExamples([]byte(in))); got != want {
		t.Errorf("stripExamples:\n%s\nwant:\n%s", got, want)
	}
	for _, broken := range []string{"examples = ['''never closed\n", "examples = [\"x\"\n", "examples = [ # only a comment"} {
		if got := string(stripExamples([]byte(broken))); got != broken {
			t.Errorf("stripExamples(%q) = %q, want it whole", broken, got)
		}
	}
	if strings.Contains(string(stripExamples([]byte(in))), "examples") {
		t.Error("an examples key is left")
	}
}
