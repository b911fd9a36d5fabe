package detect

import (
	"testing"

	"github.com/leakgate/leakgate/rules"
)

// TestDefaultRules runs every built-in rule's examples and counterexamples.
func TestDefaultRules(t *testing.T) {
	set := rules.Default()
	for _, p := range CheckExamples(set) {
		t.Error(p)
	}
	if n := len(set.Rules); n < 10 {
		t.Errorf("default rule set has %d rules", n)
	}
}
