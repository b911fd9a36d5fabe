package detect

import (
	"fmt"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
)

// RuleProblem is a rule whose examples do not behave as written.
type RuleProblem struct {
	Rule    string
	Source  string
	Problem string
}

func (p RuleProblem) String() string {
	return fmt.Sprintf("%s: rule %s: %s", p.Source, p.Rule, p.Problem)
}

// CheckExamples runs every rule's examples (each must yield a finding of the
// rule) and counterexamples (none may) with the rule alone plus the set's
// global allowlist. Documented example keys count as secrets here.
func CheckExamples(set *rules.Set) []RuleProblem {
	var problems []RuleProblem
	for _, r := range set.Rules {
		one := &rules.Set{Rules: []*rules.Rule{r}, Allowlist: set.Allowlist}
		d, err := New(one, Options{ReportExampleKeys: true})
		if err != nil {
			problems = append(problems, RuleProblem{r.ID, r.Source, err.Error()})
			continue
		}
		path := r.ExamplePath
		if path == "" {
			path = "example.txt"
		}
		found := func(text string) bool {
			for _, f := range d.Detect(leak.Chunk{Data: []byte(text), Origin: leak.Origin{Path: path}}) {
				if f.RuleID == r.ID {
					return true
				}
			}
			return false
		}
		for i, ex := range r.Examples {
			if !found(ex) {
				problems = append(problems, RuleProblem{r.ID, r.Source, fmt.Sprintf("example %d finds nothing: %q", i+1, abbreviate(ex))})
			}
		}
		for i, ex := range r.Counterexamples {
			if found(ex) {
				problems = append(problems, RuleProblem{r.ID, r.Source, fmt.Sprintf("counterexample %d is reported: %q", i+1, abbreviate(ex))})
			}
		}
	}
	return problems
}

func abbreviate(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
