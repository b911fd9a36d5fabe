package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
)

// TestEscapeWorkflow checks the escaping of actions/toolkit's command.ts.
func TestEscapeWorkflow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"a:b,c", "a:b,c", "a%3Ab%2Cc"},
		{"%0A", "%250A", "%250A"},
		{"x\n::error::y", "x%0A::error::y", "x%0A%3A%3Aerror%3A%3Ay"},
	} {
		if got := report.EscapeWorkflowData(c.in); got != c.data {
			t.Errorf("EscapeWorkflowData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := report.EscapeWorkflowProperty(c.in); got != c.prop {
			t.Errorf("EscapeWorkflowProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

func ghFinding(i int, path string, status leak.Status) leak.Finding {
	secret := fmt.Sprintf("AKIAI44QH8DHBEX%05d", i)
	return leak.Finding{
		RuleID: "aws-access-key-id", Description: "AWS access key ID",
		Secret:      leak.NewSecret(secret),
		Fingerprint: leak.Fingerprint("aws-access-key-id", secret),
		Origin: leak.Origin{Path: path, Line: i + 1, Column: 9,
			Commit: "a3e540abcaab1ffe491d9d1a443a1d21d87d3c9c", Author: "Ada, Author: x"},
		Status: status,
	}
}

// TestGitHubAnnotations checks one annotation per finding, escaped,
// without the secret, capped at 10 per level with a notice for the rest.
func TestGitHubAnnotations(t *testing.T) {
	t.Parallel()
	r := &report.Report{Summary: report.Summary{Complete: true}}
	for i := range 12 {
		r.Findings = append(r.Findings, ghFinding(i, "cfg/a,b:c.env", leak.Unchecked))
	}
	r.Findings = append(r.Findings, ghFinding(12, "dead.env", leak.Dead))
	var b bytes.Buffer
	if err := report.WriteGitHubAnnotations(&b, r, report.GitHubOptions{SARIFFile: "leakgate.sarif"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	count := map[string]int{}
	for _, l := range lines {
		count[l[:strings.IndexAny(l[2:], " :")+2]]++
	}
	if count["::error"] != 10 || count["::warning"] != 1 || count["::notice"] != 1 || len(lines) != 12 {
		t.Errorf("counts %v in:\n%s", count, b.String())
	}
	first := "::error file=cfg/a%2Cb%3Ac.env,line=1,col=9,title=leakgate%3A aws-access-key-id::AWS access key ID found by rule aws-access-key-id in commit a3e540a by Ada, Author: x. Treat it as compromised: revoke or rotate it, then remove it. Fingerprint " + r.Findings[0].Fingerprint + "."
	if lines[0] != first {
		t.Errorf("first annotation\n got %s\nwant %s", lines[0], first)
	}
	if !strings.HasPrefix(lines[10], "::warning file=dead.env,line=13,") || !strings.Contains(lines[10], "Verified dead") {
		t.Errorf("dead finding: %s", lines[10])
	}
	if want := "::notice title=leakgate%3A more findings::2 more findings are not annotated here (GitHub shows at most 10 error annotations per step): all 13 are listed in the step summary and leakgate.sarif."; lines[11] != want {
		t.Errorf("notice\n got %s\nwant %s", lines[11], want)
	}
	if strings.Contains(b.String(), "AKIAI44QH8DHBEX") || strings.Contains(b.String(), "AKIA****") {
		t.Error("an annotation shows the secret")
	}
}

// TestGitHubAnnotationsIncomplete checks that an incomplete scan is an
// error annotation that counts against the cap.
func TestGitHubAnnotationsIncomplete(t *testing.T) {
	t.Parallel()
	r := &report.Report{Summary: report.Summary{Complete: false, Errors: []string{"read x\ny: denied"}}}
	for i := range 10 {
		r.Findings = append(r.Findings, ghFinding(i, "a.env", leak.Live))
	}
	var b bytes.Buffer
	if err := report.WriteGitHubAnnotations(&b, r, report.GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "::error "); n != 10 {
		t.Errorf("%d error annotations, want 10:\n%s", n, out)
	}
	if !strings.HasPrefix(out, "::error title=leakgate%3A scan incomplete::The scan is incomplete (1 errors), so secrets may have been missed. First error: read x%0Ay: denied\n") {
		t.Errorf("no incomplete-scan annotation first:\n%s", out)
	}
	if !strings.Contains(out, "Verified LIVE.") || !strings.Contains(out, "::notice title=leakgate%3A more findings::1 more finding is not annotated") {
		t.Errorf("live status or notice missing:\n%s", out)
	}
}

// TestGitHubAnnotationsInjection checks that a file name with line breaks
// and command syntax stays inside one annotation line.
func TestGitHubAnnotationsInjection(t *testing.T) {
	t.Parallel()
	f := ghFinding(0, "x\n::error::pwned\r\n::add-mask::y", leak.Unchecked)
	f.Origin.Author = "Eve\n::warning::boo"
	r := &report.Report{Findings: []leak.Finding{f}, Summary: report.Summary{Complete: true}}
	var b bytes.Buffer
	if err := report.WriteGitHubAnnotations(&b, r, report.GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(b.String(), "::error file=x%0A%3A%3Aerror%3A%3Apwned%0D%0A%3A%3Aadd-mask%3A%3Ay,line=1,") ||
		!strings.Contains(b.String(), "by Eve%0A::warning::boo.") {
		t.Errorf("not escaped:\n%s", b.String())
	}
}

// TestGitHubSummary checks the table, the escaping of its cells, the
// absence of secrets and the caps.
func TestGitHubSummary(t *testing.T) {
	t.Parallel()
	r := &report.Report{Summary: report.Summary{Complete: true, Files: 3, Bytes: 99}}
	r.Findings = append(r.Findings, ghFinding(0, "a|b*c`<script>\n.env", leak.Unchecked))
	for i := 1; i < 30; i++ {
		r.Findings = append(r.Findings, ghFinding(i, "b.env", leak.Unchecked))
	}
	var b bytes.Buffer
	opt := report.GitHubOptions{Scope: "the commits of pull request #7 (abc..def)", ExitCode: 1, SARIFFile: "out/x.sarif", MaxSummaryRows: 20}
	if err := report.WriteGitHubSummary(&b, r, opt); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"## leakgate: 30 secrets found\n",
		`Scanned the commits of pull request \#7 \(abc\.\.def\). Files scanned: 3 (99 bytes).`,
		"Gate: **failed** (exit code 1)",
		"| rule | file:line | commit | status | fingerprint |\n|---|---|---|---|---|\n",
		`| aws\-access\-key\-id | \"a\|b\*c\` + "`" + `\<script\>\\n\.env\"\:1 | a3e540a by Ada\, Author\: x | unchecked | ` + r.Findings[0].Fingerprint[:12] + " |\n",
		`10 more findings are not listed here, to keep this summary small: see out\/x\.sarif or code scanning.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n| aws"); n != 20 {
		t.Errorf("%d rows, want 20", n)
	}
	if strings.Contains(out, "AKIA") {
		t.Errorf("the summary shows a secret:\n%s", out)
	}

	// The byte cap holds with long paths.
	long := &report.Report{Summary: report.Summary{Complete: true}}
	for i := range 2000 {
		long.Findings = append(long.Findings, ghFinding(i, strings.Repeat("d/", 2000)+"x.env", leak.Unchecked))
	}
	b.Reset()
	if err := report.WriteGitHubSummary(&b, long, report.GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	if b.Len() > report.DefaultSummaryBytes+4096 || !strings.Contains(b.String(), "more findings are not listed here") {
		t.Errorf("summary of %d bytes, cap %d", b.Len(), report.DefaultSummaryBytes)
	}
}

// TestGitHubSummaryIncomplete checks the heading and error list of a scan
// that could not finish.
func TestGitHubSummaryIncomplete(t *testing.T) {
	t.Parallel()
	r := &report.Report{Summary: report.Summary{Errors: []string{"the base commit <b>x</b> is missing"}}}
	var b bytes.Buffer
	if err := report.WriteGitHubSummary(&b, r, report.GitHubOptions{ExitCode: 2}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## leakgate: no secrets found, but the scan is incomplete\n",
		"Gate: **could not decide** (exit code 2)",
		"**The scan is incomplete: 1 errors.**",
		`- the base commit \<b\>x\<\/b\> is missing`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
