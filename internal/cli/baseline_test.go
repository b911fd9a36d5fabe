package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
)

// TestBaselineRoundTrip checks that a baseline is sorted, unique and
// byte-identical for the same findings in any order, and reads back as the
// same fingerprints.
func TestBaselineRoundTrip(t *testing.T) {
	t.Parallel()
	fpA := strings.Repeat("a", 64)
	fpB := strings.Repeat("B", 64) // written lower-case
	fpC := strings.Repeat("0", 63) + "c"
	findings := []leak.Finding{
		{RuleID: "rule-b", Fingerprint: fpB, Origin: leak.Origin{Path: "x", Line: 3}},
		{RuleID: "rule-a", Fingerprint: fpA, Origin: leak.Origin{Path: "y", Line: 1}},
		{RuleID: "rule-b", Fingerprint: fpB, Origin: leak.Origin{Path: "z", Line: 9}},
		{RuleID: "rule-c", Fingerprint: fpC},
	}
	var first bytes.Buffer
	if n := writeBaseline(&first, findings); n != 3 {
		t.Errorf("writeBaseline wrote %d entries, want 3", n)
	}
	// Reversed input, same bytes.
	rev := make([]leak.Finding, len(findings))
	for i := range findings {
		rev[len(findings)-1-i] = findings[i]
	}
	var second bytes.Buffer
	writeBaseline(&second, rev)
	if diff := cmp.Diff(first.String(), second.String()); diff != "" {
		t.Errorf("baseline depends on the order of findings (-first +second):\n%s", diff)
	}
	want := `{"version": 1, "baseline": [
  {"about": "` + baselineAbout + `"}
  ,{"fingerprint": "` + fpC + `", "rule": "rule-c"}
  ,{"fingerprint": "` + fpA + `", "rule": "rule-a"}
  ,{"fingerprint": "` + strings.ToLower(fpB) + `", "rule": "rule-b"}
]}
`
	if diff := cmp.Diff(want, first.String()); diff != "" {
		t.Errorf("baseline (-want +got):\n%s", diff)
	}

	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := writeFileAtomic(path, first.Bytes()); err != nil {
		t.Fatal(err)
	}
	got, err := readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{fpC, fpA, strings.ToLower(fpB)}, got); diff != "" {
		t.Errorf("readBaseline (-want +got):\n%s", diff)
	}

	// An entry line can be dropped or repeated (what a union merge may
	// do) and the file still reads.
	lines := strings.SplitAfter(first.String(), "\n")
	edited := strings.Join(append(append([]string{}, lines[:3]...), append([]string{lines[2]}, lines[4:]...)...), "")
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = readBaseline(path)
	if err != nil {
		t.Fatalf("readBaseline of an edited baseline: %v", err)
	}
	if diff := cmp.Diff([]string{fpC, fpC, strings.ToLower(fpB)}, got); diff != "" {
		t.Errorf("readBaseline of an edited baseline (-want +got):\n%s", diff)
	}
}

// TestShellQuote checks that a fallback path with spaces and quotes comes
// out of the shell unchanged.
func TestShellQuote(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"", "/usr/local/bin/leakgate", "/home/o'brien/my tools/$HOME/`x`/leakgate"} {
		out, err := exec.Command("sh", "-c", "x="+shellQuote(s)+`; printf %s "$x"`).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s {
			t.Errorf("shellQuote(%q) came out of sh as %q", s, out)
		}
	}
}
