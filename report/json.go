package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// jsonReport is the JSON report (--format json), the shape CONTRACT.md
// gives plus the fields marked as additions.
type jsonReport struct {
	Version int  `json:"version"`
	Tool    Tool `json:"tool"`
	// Redacted (an addition) says whether the "secret" fields hold redacted
	// text. ReadJSON treats a missing field as false, so that unredacted
	// text is never shown as it is.
	Redacted *bool         `json:"redacted,omitempty"`
	Findings []jsonFinding `json:"findings"`
	Summary  *jsonSummary  `json:"summary"`
}

// jsonFinding is one finding: in the "findings" array of the JSON report,
// and one per line in JSONL.
type jsonFinding struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Secret      string `json:"secret"`
	Fingerprint string `json:"fingerprint"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	// EndColumn (an addition) is the column just after the secret, when the
	// secret is written as it is on one line.
	EndColumn int    `json:"end_column,omitempty"`
	Commit    string `json:"commit,omitempty"`
	Author    string `json:"author,omitempty"`
	Email     string `json:"email,omitempty"`
	Date      string `json:"date,omitempty"`
	Status    string `json:"status"`
	// StatusReason (an addition) explains an unknown status.
	StatusReason string `json:"status_reason,omitempty"`
	// CheckedAt (an addition) is when the status was checked, RFC 3339.
	CheckedAt string `json:"checked_at,omitempty"`
	Identity  string `json:"identity,omitempty"`
	// Entropy (an addition) is the secret's Shannon entropy in bits per
	// byte, rounded to 4 decimals.
	Entropy float64 `json:"entropy,omitempty"`
	// Decoded (an addition) names the decoding layers the secret was found
	// under, outermost first.
	Decoded []string `json:"decoded,omitempty"`
	// Tags (an addition) are the rule's tags.
	Tags []string `json:"tags,omitempty"`
}

// jsonSummary is the "summary" object: findings, complete and errors as in
// CONTRACT.md, then additions.
type jsonSummary struct {
	Findings        int           `json:"findings"`
	Complete        bool          `json:"complete"`
	Errors          []string      `json:"errors"`
	Canceled        bool          `json:"canceled,omitempty"`
	Files           int64         `json:"files"`
	Bytes           int64         `json:"bytes"`
	SkippedBinary   int64         `json:"skipped_binary,omitempty"`
	SkippedLarge    int64         `json:"skipped_large,omitempty"`
	SkippedSymlinks int64         `json:"skipped_symlinks,omitempty"`
	Cached          int64         `json:"cached,omitempty"`
	DurationSeconds float64       `json:"duration_seconds"`
	RulesVersion    string        `json:"rules_version,omitempty"`
	Verification    *Verification `json:"verification,omitempty"`
}

func toJSONFinding(r *Report, f *leak.Finding, opt Options) jsonFinding {
	return jsonFinding{
		Rule:         f.RuleID,
		Description:  f.Description,
		Secret:       secretText(r, f, opt),
		Fingerprint:  f.Fingerprint,
		File:         f.Origin.Path,
		Line:         f.Origin.Line,
		Column:       f.Origin.Column,
		EndColumn:    endColumn(r, f),
		Commit:       f.Origin.Commit,
		Author:       f.Origin.Author,
		Email:        f.Origin.Email,
		Date:         dateText(f.Origin.Time),
		Status:       string(statusOf(f)),
		StatusReason: f.StatusReason,
		CheckedAt:    dateText(f.CheckedAt),
		Identity:     f.Identity,
		Entropy:      math.Round(f.Entropy*1e4) / 1e4,
		Decoded:      f.Decoded,
		Tags:         f.Tags,
	}
}

func toJSONSummary(r *Report) *jsonSummary {
	s := &r.Summary
	errs := s.Errors
	if errs == nil {
		errs = []string{}
	}
	return &jsonSummary{
		Findings:        len(r.Findings),
		Complete:        s.Complete,
		Errors:          errs,
		Canceled:        s.Canceled,
		Files:           s.Files,
		Bytes:           s.Bytes,
		SkippedBinary:   s.SkippedBinary,
		SkippedLarge:    s.SkippedLarge,
		SkippedSymlinks: s.SkippedSymlinks,
		Cached:          s.Cached,
		DurationSeconds: float64(s.Duration.Round(time.Millisecond).Milliseconds()) / 1000,
		RulesVersion:    s.RulesVersion,
		Verification:    s.Verification,
	}
}

func writeJSON(w io.Writer, r *Report, opt Options) error {
	redacted := outputRedacted(r, opt)
	doc := jsonReport{
		Version:  ReportVersion,
		Tool:     toolOf(r),
		Redacted: &redacted,
		Findings: make([]jsonFinding, 0, len(r.Findings)),
		Summary:  toJSONSummary(r),
	}
	for i := range r.Findings {
		doc.Findings = append(doc.Findings, toJSONFinding(r, &r.Findings[i], opt))
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeJSONL writes the JSONL stream (--format jsonl): each finding as one
// compact JSON object per line, exactly the objects of the JSON report's
// "findings" array, then the summary as the last line, exactly the JSON
// report's "summary" object ({"findings":…,"complete":…,"errors":[…],…}).
// The summary is not wrapped: it is told apart from the findings by its
// "complete" key, which no finding has (and findings have "rule", which the
// summary does not). An empty report is the summary line alone.
func writeJSONL(w io.Writer, r *Report, opt Options) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range r.Findings {
		if err := enc.Encode(toJSONFinding(r, &r.Findings[i], opt)); err != nil {
			return err
		}
	}
	return enc.Encode(toJSONSummary(r))
}

// ReadJSON reads a JSON report written by Write (--format json) back into
// a Report, so that it can be rendered in another format, verified or
// remediated without rescanning. Unknown fields are ignored; anything that
// is not a leakgate JSON report of ReportVersion is an error saying what the
// input looks like instead.
//
// The result is Redacted when the report says its secrets are redacted
// ("redacted": true). A finding's date and checked_at are parsed back into
// Origin.Time and CheckedAt; an empty status reads as leak.Unchecked. The
// secret's span survives as Offset 0 and End = end_column - column, so that
// re-rendering gives the same output.
func ReadJSON(rd io.Reader) (*Report, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("report: read JSON report: %w", err)
	}
	if err := checkHeader(data); err != nil {
		return nil, fmt.Errorf("report: read JSON report: %w", err)
	}
	var doc jsonReport
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("report: read JSON report: %w", err)
	}
	if dec.More() {
		return nil, errors.New("report: read JSON report: unexpected data after the report object")
	}
	r := &Report{
		Version:  doc.Version,
		Tool:     doc.Tool,
		Redacted: doc.Redacted != nil && *doc.Redacted,
		Findings: make([]leak.Finding, 0, len(doc.Findings)),
	}
	for i, jf := range doc.Findings {
		f, err := fromJSONFinding(jf, r.Redacted)
		if err != nil {
			return nil, fmt.Errorf("report: read JSON report: finding %d (%s at %s:%d): %w", i+1, jf.Rule, jf.File, jf.Line, err)
		}
		r.Findings = append(r.Findings, f)
	}
	if s := doc.Summary; s != nil {
		if s.DurationSeconds < 0 || s.DurationSeconds > math.MaxInt64/float64(time.Second) {
			return nil, fmt.Errorf("report: read JSON report: summary: duration_seconds %v out of range", s.DurationSeconds)
		}
		r.Summary = Summary{
			Findings:        s.Findings,
			Complete:        s.Complete,
			Errors:          s.Errors,
			Canceled:        s.Canceled,
			Files:           s.Files,
			Bytes:           s.Bytes,
			SkippedBinary:   s.SkippedBinary,
			SkippedLarge:    s.SkippedLarge,
			SkippedSymlinks: s.SkippedSymlinks,
			Cached:          s.Cached,
			Duration:        time.Duration(math.Round(s.DurationSeconds*1000)) * time.Millisecond,
			RulesVersion:    s.RulesVersion,
			Verification:    s.Verification,
		}
	}
	return r, nil
}

// checkHeader makes sure data is a leakgate JSON report before it is
// decoded in full, and otherwise says what it seems to be.
func checkHeader(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty input, not a leakgate JSON report")
	}
	// Decode only the first value: a JSONL stream's first line then gets
	// the helpful message below rather than a syntax error.
	var head map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("not a leakgate JSON report: the input is a JSON %s, not an object", te.Value)
		}
		return fmt.Errorf("not JSON: %w", err)
	}
	if head == nil {
		return errors.New("not a leakgate JSON report: the input is JSON null, not an object")
	}
	_, hasRuns := head["runs"]
	_, hasSchema := head["$schema"]
	switch {
	case hasRuns || hasSchema:
		return errors.New("not a leakgate JSON report: this looks like a SARIF file; write the report with --format json")
	case head["rule"] != nil || head["complete"] != nil:
		return errors.New("not a leakgate JSON report: this looks like a JSONL stream (--format jsonl); write the report with --format json")
	}
	raw, ok := head["version"]
	if !ok {
		return errors.New(`not a leakgate JSON report: no "version" field`)
	}
	var version int
	if err := json.Unmarshal(raw, &version); err != nil {
		return fmt.Errorf(`not a leakgate JSON report: "version" is %s, not a number`, raw)
	}
	if version != ReportVersion {
		return fmt.Errorf("unsupported leakgate report version %d (this leakgate reads version %d)", version, ReportVersion)
	}
	var tool Tool
	if raw, ok := head["tool"]; !ok || json.Unmarshal(raw, &tool) != nil {
		return errors.New(`not a leakgate JSON report: no "tool" object`)
	}
	if tool.Name != ToolName {
		return fmt.Errorf("not a leakgate JSON report: written by %q", tool.Name)
	}
	if _, ok := head["findings"]; !ok {
		return errors.New(`not a leakgate JSON report: no "findings" array`)
	}
	return nil
}

func fromJSONFinding(jf jsonFinding, redacted bool) (leak.Finding, error) {
	f := leak.Finding{
		RuleID:      jf.Rule,
		Description: jf.Description,
		Secret:      leak.NewSecret(jf.Secret),
		Fingerprint: jf.Fingerprint,
		Origin: leak.Origin{
			Commit: jf.Commit,
			Author: jf.Author,
			Email:  jf.Email,
			Path:   jf.File,
			Line:   jf.Line,
			Column: jf.Column,
		},
		Entropy:      jf.Entropy,
		Decoded:      jf.Decoded,
		Tags:         jf.Tags,
		Status:       leak.Status(jf.Status),
		Identity:     jf.Identity,
		StatusReason: jf.StatusReason,
	}
	if jf.Rule == "" {
		return f, errors.New(`no "rule"`)
	}
	if f.Status == "" {
		f.Status = leak.Unchecked
	}
	if f.Fingerprint == "" && !redacted {
		f.Fingerprint = leak.Fingerprint(jf.Rule, jf.Secret)
	}
	if jf.EndColumn > jf.Column && jf.Column > 0 {
		f.End = jf.EndColumn - jf.Column
	}
	var err error
	if f.Origin.Time, err = parseDate(jf.Date); err != nil {
		return f, fmt.Errorf("date: %w", err)
	}
	if f.CheckedAt, err = parseDate(jf.CheckedAt); err != nil {
		return f, fmt.Errorf("checked_at: %w", err)
	}
	return f, nil
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}
