// Package report renders the results of a scan: a human text report, the
// canonical JSON report, a JSONL stream and SARIF 2.1.0.
//
// It only renders. It never scans, verifies, filters or decides whether the
// gate passes, and the same Report gives the same bytes every time. JSON is
// the canonical form: ReadJSON reads a saved JSON report back, and every
// format can be rendered from it without rescanning.
//
// Secrets are redacted in every format unless Options.NoRedact is set. A
// Report read back from a redacted JSON report (Report.Redacted) carries
// only the redacted text, which every format then prints as it is.
package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakgate/leakgate/leak"
)

// ReportVersion is the version of the JSON report this package writes and
// reads: the top-level "version" field.
const ReportVersion = 1

// ToolName is the name of the tool in every report.
const ToolName = "leakgate"

// InformationURI is the project's home page, named in SARIF output.
const InformationURI = "https://github.com/leakgate/leakgate"

// Report is the result of one scan: the canonical model that every format
// renders.
type Report struct {
	// Version is the JSON report version; 0 means ReportVersion.
	Version int
	// Tool names the tool that made the report; an empty Name means
	// ToolName.
	Tool Tool
	// Redacted is true when the secrets in Findings are already redacted
	// text rather than raw secrets (a Report read back from a redacted JSON
	// report). Such text is printed as it is, in every format, and never
	// claimed to be raw.
	Redacted bool
	// Findings in the order they are to be shown; the caller sorts them
	// (see leak.Less). Writers never reorder them, except that the text
	// format lists live findings first.
	Findings []leak.Finding
	Summary  Summary
}

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary describes how the scan went. In JSON it is the "summary" object;
// the JSON names are given with each field.
type Summary struct {
	// Findings is the number of findings ("findings"). Writers always emit
	// len(Report.Findings); ReadJSON sets it from the file.
	Findings int
	// Complete is false when anything could not be scanned ("complete").
	Complete bool
	// Errors says what could not be scanned and why, one entry per problem
	// ("errors", always an array, [] when empty).
	Errors []string
	// Canceled is true when the scan was stopped before it finished
	// ("canceled", omitted when false).
	Canceled bool
	// Files and Bytes count what was scanned ("files", "bytes").
	Files, Bytes int64
	// SkippedBinary, SkippedLarge and SkippedSymlinks count files left out
	// on purpose ("skipped_binary", "skipped_large", "skipped_symlinks",
	// omitted when 0).
	SkippedBinary, SkippedLarge, SkippedSymlinks int64
	// Cached counts files (git blobs) not read because the cache held
	// their findings ("cached", omitted when 0): a re-scan with --cache
	// reports them without scanning them again.
	Cached int64
	// Duration is how long the scan took ("duration_seconds", a number of
	// seconds with millisecond precision).
	Duration time.Duration
	// RulesVersion identifies the rule set used ("rules_version", omitted
	// when empty).
	RulesVersion string
	// Verification counts the verification results ("verification",
	// omitted when nothing was verified).
	Verification *Verification
}

// Verification counts what verification concluded about the reported
// findings, and how many provider calls it took.
type Verification struct {
	Live      int `json:"live"`
	Dead      int `json:"dead"`
	Unknown   int `json:"unknown"`
	Unchecked int `json:"unchecked"`
	Calls     int `json:"calls"`
}

// Options change how a Report is rendered.
type Options struct {
	// NoRedact shows secrets in full (--no-redact). It has no effect on a
	// Report that is already Redacted.
	NoRedact bool
	// Color adds ANSI colours to the text format. The caller decides, for
	// example from whether the output is a terminal; other formats ignore it.
	Color bool
}

// Format is an output format.
type Format string

// The output formats.
const (
	Text  Format = "text"
	JSON  Format = "json"
	JSONL Format = "jsonl"
	SARIF Format = "sarif"
)

// Formats lists every output format, in the order help text shows them.
func Formats() []Format { return []Format{Text, JSON, JSONL, SARIF} }

// ParseFormat returns the Format named s (case-insensitive).
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for _, f := range Formats() {
		if string(f) == name {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (valid formats: %s)", s, formatList())
}

func formatList() string {
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Set parses a format name into f, so that a *Format can serve as a command
// line flag value (flag.Value, pflag.Value).
func (f *Format) Set(s string) error {
	v, err := ParseFormat(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Type names the flag value's type for pflag's help text.
func (f *Format) Type() string { return "format" }

// Write renders r in format to w. The output is complete or w receives
// nothing from Write: it is built in memory and written with a single
// w.Write.
func Write(w io.Writer, format Format, r *Report, opt Options) error {
	if r == nil {
		return fmt.Errorf("report: write %s: nil report", format)
	}
	if r.Version != 0 && r.Version != ReportVersion {
		return fmt.Errorf("report: write %s: unsupported report version %d (this leakgate writes version %d)", format, r.Version, ReportVersion)
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case Text:
		err = writeText(&buf, r, opt)
	case JSON:
		err = writeJSON(&buf, r, opt)
	case JSONL:
		err = writeJSONL(&buf, r, opt)
	case SARIF:
		err = writeSARIF(&buf, r, opt)
	default:
		return fmt.Errorf("report: unknown format %q (valid formats: %s)", format, formatList())
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	return nil
}

// toolOf returns r's tool with the default name filled in.
func toolOf(r *Report) Tool {
	t := r.Tool
	if t.Name == "" {
		t.Name = ToolName
	}
	return t
}

// secretText is the text shown for f's secret: the stored text of an
// already redacted report, the raw secret with NoRedact, and the redacted
// form otherwise.
func secretText(r *Report, f *leak.Finding, opt Options) string {
	if r.Redacted || opt.NoRedact {
		return f.Secret.Reveal()
	}
	return f.Secret.Redacted()
}

// outputRedacted reports whether the secrets written for r are redacted.
func outputRedacted(r *Report, opt Options) bool { return r.Redacted || !opt.NoRedact }

// statusOf returns f's status, with the empty status read as unchecked.
func statusOf(f *leak.Finding) leak.Status {
	if f.Status == "" {
		return leak.Unchecked
	}
	return f.Status
}

// endColumn returns the 1-based column just after f's secret on its line,
// or 0 when that is not known: for a decoded secret (the written text is
// longer than the secret), a secret spanning lines, or no column. For an
// already redacted report the span is End-Offset, as ReadJSON restores it.
func endColumn(r *Report, f *leak.Finding) int {
	if f.Origin.Column < 1 {
		return 0
	}
	if r.Redacted {
		if f.End > f.Offset {
			return f.Origin.Column + f.End - f.Offset
		}
		return 0
	}
	raw := f.Secret.Reveal()
	if raw == "" || len(f.Decoded) > 0 || strings.ContainsAny(raw, "\r\n") {
		return 0
	}
	// Columns count Unicode code points, as the detector computes them.
	return f.Origin.Column + utf8.RuneCountInString(raw)
}

// dateText formats a commit time for every format: RFC 3339, "" for zero.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
