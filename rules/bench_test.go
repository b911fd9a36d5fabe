package rules_test

import (
	"testing"

	"github.com/leakgate/leakgate/rules"
)

// BenchmarkDefaultRules is the start-up cost of the built-in rules, as a
// git hook pays it on every run.
func BenchmarkDefaultRules(b *testing.B) {
	for b.Loop() {
		s := rules.Default()
		_ = s.Version
	}
}

// BenchmarkLeanRules is what a scan or a hook pays for the built-in
// rules at start-up (lean_gen.go, no TOML decoding).
func BenchmarkLeanRules(b *testing.B) {
	for b.Loop() {
		s := rules.Lean()
		_ = s.Version
	}
}
