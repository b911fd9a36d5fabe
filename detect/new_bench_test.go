package detect_test

import (
	"testing"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/rules"
)

// BenchmarkDetectorNew is the rest of a git hook's start-up: the keyword
// automaton over the built-in rules.
func BenchmarkDetectorNew(b *testing.B) {
	set := rules.Default()
	for b.Loop() {
		if _, err := detect.New(set, detect.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
