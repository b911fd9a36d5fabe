package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leakgate/leakgate/leak"
)

// GitHub Actions limits that shape what the GitHub writers emit.
const (
	// MaxGitHubAnnotations is how many error annotations (and, separately,
	// warning annotations) GitHub shows for one step; the rest are dropped
	// silently.
	MaxGitHubAnnotations = 10
	// DefaultSummaryBytes is the size the step summary table is kept under.
	// GitHub refuses a step summary over 1 MiB; this leaves ample room for
	// other steps' text.
	DefaultSummaryBytes = 256 << 10
	// DefaultSummaryRows is the most findings listed in the step summary.
	DefaultSummaryRows = 500
	// maxSummaryErrors is the most scan errors listed in the step summary.
	maxSummaryErrors = 20
	// maxCell is the most bytes of untrusted text put in one table cell.
	maxCell = 300
)

// GitHubOptions shape the GitHub Actions annotations and step summary.
type GitHubOptions struct {
	// Scope says in plain text what was scanned ("the 3 commits of pull
	// request #12 (1a2b3c4..5d6e7f8)"); shown in the summary. Optional.
	Scope string
	// ExitCode is the gate's outcome (0, 1 or 2), shown in the summary.
	ExitCode int
	// SARIFFile names the SARIF file, so that the notice about findings
	// left out of the annotations can point at it. Optional.
	SARIFFile string
	// MaxAnnotations caps the error annotations, and separately the
	// warning annotations; 0 means MaxGitHubAnnotations.
	MaxAnnotations int
	// MaxSummaryBytes and MaxSummaryRows cap the summary's table of
	// findings; 0 means DefaultSummaryBytes and DefaultSummaryRows.
	MaxSummaryBytes, MaxSummaryRows int
}

// WriteGitHubAnnotations writes GitHub Actions workflow commands to w: one
// "::error" annotation per finding (a "::warning" for a finding verified
// dead) on its file, line and column, at most opt.MaxAnnotations of each
// level; then, when any were left out, one "::notice" saying how many and
// where to find them. An incomplete scan is one more "::error" (it counts
// against the cap).
//
// An annotation never contains the secret, redacted or not: it names the
// rule, the commit, the author and the fingerprint. Every untrusted text
// (paths, authors, rule descriptions, error messages) is escaped as
// actions/toolkit escapes it (EscapeWorkflowData, EscapeWorkflowProperty),
// so no line break in a file name can start a workflow command of its own.
func WriteGitHubAnnotations(w io.Writer, r *Report, opt GitHubOptions) error {
	if r == nil {
		return fmt.Errorf("report: write GitHub annotations: nil report")
	}
	limit := opt.MaxAnnotations
	if limit <= 0 {
		limit = MaxGitHubAnnotations
	}
	var buf bytes.Buffer
	errorsLeft, warningsLeft := limit, limit
	if !r.Summary.Complete {
		msg := fmt.Sprintf("The scan is incomplete (%d errors), so secrets may have been missed.", len(r.Summary.Errors))
		if len(r.Summary.Errors) > 0 {
			msg += " First error: " + r.Summary.Errors[0]
		}
		writeCommand(&buf, "error", [][2]string{{"title", "leakgate: scan incomplete"}}, msg)
		errorsLeft--
	}
	omitted := 0
	for i := range r.Findings {
		f := &r.Findings[i]
		level := "error"
		left := &errorsLeft
		if statusOf(f) == leak.Dead {
			level, left = "warning", &warningsLeft
		}
		if *left <= 0 {
			omitted++
			continue
		}
		*left--
		writeCommand(&buf, level, annotationProperties(f), annotationMessage(f))
	}
	if omitted > 0 {
		where := "the step summary and the SARIF file"
		if opt.SARIFFile != "" {
			where = "the step summary and " + opt.SARIFFile
		}
		noun := "findings are"
		if omitted == 1 {
			noun = "finding is"
		}
		msg := fmt.Sprintf("%d more %s not annotated here (GitHub shows at most %d error annotations per step): all %d are listed in %s.",
			omitted, noun, limit, len(r.Findings), where)
		writeCommand(&buf, "notice", [][2]string{{"title", "leakgate: more findings"}}, msg)
	}
	_, err := w.Write(buf.Bytes())
	if err != nil {
		return fmt.Errorf("report: write GitHub annotations: %w", err)
	}
	return nil
}

// annotationProperties are the file, position and title of f's annotation.
func annotationProperties(f *leak.Finding) [][2]string {
	var props [][2]string
	if f.Origin.Path != "" {
		props = append(props, [2]string{"file", f.Origin.Path})
		if f.Origin.Line > 0 {
			props = append(props, [2]string{"line", strconv.Itoa(f.Origin.Line)})
			if f.Origin.Column > 0 {
				props = append(props, [2]string{"col", strconv.Itoa(f.Origin.Column)})
			}
		}
	}
	return append(props, [2]string{"title", "leakgate: " + f.RuleID})
}

// annotationMessage describes f without its secret.
func annotationMessage(f *leak.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s found by rule %s", orDefault(f.Description, "A secret"), f.RuleID)
	if f.Origin.Commit != "" {
		fmt.Fprintf(&b, " in commit %s", shortHash(f.Origin.Commit))
		if f.Origin.Author != "" {
			fmt.Fprintf(&b, " by %s", f.Origin.Author)
		}
	}
	b.WriteString(".")
	switch statusOf(f) {
	case leak.Live:
		b.WriteString(" Verified LIVE.")
	case leak.Dead:
		b.WriteString(" Verified dead (revoked or expired).")
	}
	fmt.Fprintf(&b, " Treat it as compromised: revoke or rotate it, then remove it. Fingerprint %s.", f.Fingerprint)
	return b.String()
}

// writeCommand writes one workflow command line: ::name k=v,k=v::message.
func writeCommand(buf *bytes.Buffer, name string, props [][2]string, msg string) {
	buf.WriteString("::")
	buf.WriteString(name)
	for i, p := range props {
		if i == 0 {
			buf.WriteByte(' ')
		} else {
			buf.WriteByte(',')
		}
		buf.WriteString(p[0])
		buf.WriteByte('=')
		buf.WriteString(EscapeWorkflowProperty(p[1]))
	}
	buf.WriteString("::")
	buf.WriteString(EscapeWorkflowData(msg))
	buf.WriteByte('\n')
}

// EscapeWorkflowData escapes s for the message of a GitHub Actions
// workflow command, as actions/toolkit's escapeData does: "%" becomes
// "%25", "\r" "%0D" and "\n" "%0A". The result holds no line break.
func EscapeWorkflowData(s string) string {
	return dataEscaper.Replace(s)
}

// EscapeWorkflowProperty escapes s for a property value of a GitHub
// Actions workflow command, as actions/toolkit's escapeProperty does:
// EscapeWorkflowData, and also ":" becomes "%3A" and "," "%2C".
func EscapeWorkflowProperty(s string) string {
	return propertyEscaper.Replace(s)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// WriteGitHubSummary writes a GitHub-flavoured Markdown step summary to w
// (the caller appends it to $GITHUB_STEP_SUMMARY): a heading with the
// outcome, what was scanned, a table of findings (rule, file:line, commit,
// status, short fingerprint) and the scan's errors. The table stops at
// opt.MaxSummaryRows rows or opt.MaxSummaryBytes bytes, whichever comes
// first, and says how many findings it left out; GitHub rejects a summary
// over 1 MiB. The summary never contains a secret. Every untrusted text is
// escaped so that it cannot break the table or add Markdown or HTML.
func WriteGitHubSummary(w io.Writer, r *Report, opt GitHubOptions) error {
	if r == nil {
		return fmt.Errorf("report: write GitHub summary: nil report")
	}
	maxBytes, maxRows := opt.MaxSummaryBytes, opt.MaxSummaryRows
	if maxBytes <= 0 {
		maxBytes = DefaultSummaryBytes
	}
	if maxRows <= 0 {
		maxRows = DefaultSummaryRows
	}
	var buf bytes.Buffer
	n := len(r.Findings)
	switch {
	case n == 1:
		buf.WriteString("## leakgate: 1 secret found\n\n")
	case n > 1:
		fmt.Fprintf(&buf, "## leakgate: %d secrets found\n\n", n)
	case !r.Summary.Complete:
		buf.WriteString("## leakgate: no secrets found, but the scan is incomplete\n\n")
	default:
		buf.WriteString("## leakgate: no secrets found\n\n")
	}
	if opt.Scope != "" {
		fmt.Fprintf(&buf, "Scanned %s.", markdownText(opt.Scope))
		fmt.Fprintf(&buf, " Files scanned: %d (%d bytes).\n\n", r.Summary.Files, r.Summary.Bytes)
	}
	switch opt.ExitCode {
	case 0:
		buf.WriteString("Gate: **passed** (exit code 0).\n\n")
	case 1:
		buf.WriteString("Gate: **failed** (exit code 1): treat each secret below as compromised; revoke or rotate it, then remove it.\n\n")
	default:
		fmt.Fprintf(&buf, "Gate: **could not decide** (exit code %d): the scan was incomplete or could not run.\n\n", opt.ExitCode)
	}

	if n > 0 {
		buf.WriteString("| rule | file:line | commit | status | fingerprint |\n|---|---|---|---|---|\n")
		shown := 0
		for i := range r.Findings {
			row := summaryRow(&r.Findings[i])
			if shown >= maxRows || buf.Len()+len(row) > maxBytes {
				break
			}
			buf.WriteString(row)
			shown++
		}
		if shown < n {
			where := "the SARIF file"
			if opt.SARIFFile != "" {
				where = markdownText(opt.SARIFFile)
			}
			fmt.Fprintf(&buf, "\n%d more findings are not listed here, to keep this summary small: see %s or code scanning.\n", n-shown, where)
		}
		buf.WriteString("\n")
	}

	if errs := r.Summary.Errors; len(errs) > 0 {
		fmt.Fprintf(&buf, "**The scan is incomplete: %d errors.**\n\n", len(errs))
		for i, e := range errs {
			if i == maxSummaryErrors {
				fmt.Fprintf(&buf, "- … and %d more (see the step's log)\n", len(errs)-i)
				break
			}
			fmt.Fprintf(&buf, "- %s\n", markdownText(e))
		}
		buf.WriteString("\n")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write GitHub summary: %w", err)
	}
	return nil
}

// summaryRow is f's row in the summary table.
func summaryRow(f *leak.Finding) string {
	pos := printable(f.Origin.Path)
	if pos == "" {
		pos = "-"
	}
	if f.Origin.Line > 0 {
		pos += ":" + strconv.Itoa(f.Origin.Line)
	}
	commit := "-"
	if f.Origin.Commit != "" {
		commit = shortHash(f.Origin.Commit)
		if f.Origin.Author != "" {
			commit += " by " + f.Origin.Author
		}
	}
	fp := f.Fingerprint
	if len(fp) > 12 {
		fp = fp[:12]
	}
	return "| " + markdownText(f.RuleID) + " | " + markdownText(pos) + " | " + markdownText(commit) +
		" | " + markdownText(string(statusOf(f))) + " | " + markdownText(fp) + " |\n"
}

// markdownText makes untrusted text safe as plain text in a Markdown table
// cell or paragraph: control characters and invalid UTF-8 are shown quoted
// (as Go escapes), every ASCII punctuation character is backslash-escaped
// (so "|" cannot end a cell, and "<", "*", "[" or "`" cannot start HTML,
// emphasis, links or code), and the text is cut at maxCell bytes.
func markdownText(s string) string {
	s = printable(s)
	if len(s) > maxCell {
		cut := maxCell
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && unicode.IsPunct(r) || r < utf8.RuneSelf && unicode.IsSymbol(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shortHash is the first 7 characters of a commit hash.
func shortHash(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}
