package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/leakgate/leakgate/leak"
)

// FingerprintKey is the key of leakgate's fingerprint in each SARIF
// result's partialFingerprints.
const FingerprintKey = "leakgate/v1"

// writeSARIF writes SARIF 2.1.0 for GitHub code scanning and other SARIF
// consumers: one run whose driver lists one rule per rule id used (sorted
// by id), one result per finding (in report order) with the file as a
// relative URI, the region of the secret, the fingerprint under
// FingerprintKey in partialFingerprints and the git origin and status in
// properties. No result carries a snippet; the message names the rule and
// the secret as the other formats show it (redacted unless NoRedact).
// Findings verified dead are "warning", all others "error".
func writeSARIF(w io.Writer, r *Report, opt Options) error {
	doc, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	tool := toolOf(r)
	driver := sarif.NewDriver(tool.Name).WithInformationURI(InformationURI)
	if tool.Version != "" {
		driver.WithVersion(tool.Version)
	}
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	// The detector counts columns in Unicode code points.
	run.WithColumnKind("unicodeCodePoints")
	run.Properties = sarif.Properties{"redacted": outputRedacted(r, opt)}

	rules, index := sarifRules(r)
	driver.WithRules(rules)
	for i := range r.Findings {
		f := &r.Findings[i]
		res := sarifResult(r, f, opt)
		res.WithRuleIndex(index[f.RuleID])
		run.Results = append(run.Results, res)
	}
	run.AddInvocations(sarifInvocation(r))
	doc.AddRun(run)

	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// sarifRules returns one reporting descriptor per rule id used in r, sorted
// by id, and the index of each id.
func sarifRules(r *Report) ([]*sarif.ReportingDescriptor, map[string]int) {
	descr := map[string]string{}
	tags := map[string][]string{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if d, ok := descr[f.RuleID]; !ok || d == "" {
			descr[f.RuleID] = f.Description
		}
		tags[f.RuleID] = append(tags[f.RuleID], f.Tags...)
	}
	ids := make([]string, 0, len(descr))
	for id := range descr {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rules := make([]*sarif.ReportingDescriptor, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		d := descr[id]
		if d == "" {
			d = id
		}
		t := append([]string{"secret", "security"}, tags[id]...)
		slices.Sort(t)
		t = slices.Compact(t)
		help := fmt.Sprintf("A secret matching rule %s (%s) was found. Treat it as compromised: revoke or rotate it with its provider, then remove it from the code and, where it matters, from history.", id, d)
		rule := sarif.NewRule(id).
			WithName(sarifRuleName(id)).
			WithDescription(d).
			WithHelp(sarif.NewMultiformatMessageString(help)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("error"))
		rule.Properties = sarif.Properties{"tags": t}
		rules = append(rules, rule)
		index[id] = i
	}
	return rules, index
}

// sarifRuleName turns a rule id such as "github-pat" into the PascalCase
// name SARIF suggests ("GithubPat").
func sarifRuleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if b.Len() == 0 {
		return "Secret"
	}
	return b.String()
}

func sarifResult(r *Report, f *leak.Finding, opt Options) *sarif.Result {
	status := statusOf(f)
	level := "error"
	if status == leak.Dead {
		level = "warning"
	}
	msg := fmt.Sprintf("%s: %s: %s", f.RuleID, orDefault(f.Description, "secret"), secretText(r, f, opt))
	switch status {
	case leak.Live:
		msg += " (verified live)"
	case leak.Dead:
		msg += " (verified dead)"
	}

	region := sarif.NewRegion()
	if f.Origin.Line >= 1 {
		region.WithStartLine(f.Origin.Line)
		if f.Origin.Column >= 1 {
			region.WithStartColumn(f.Origin.Column)
			if end := endColumn(r, f); end > f.Origin.Column {
				region.WithEndColumn(end)
			}
		}
	}
	loc := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(f.Origin.Path)))
	if region.StartLine != nil {
		loc.WithRegion(region)
	}

	res := sarif.NewRuleResult(f.RuleID).
		WithLevel(level).
		WithMessage(sarif.NewTextMessage(msg)).
		WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(loc)}).
		WithPartialFingerPrints(map[string]any{FingerprintKey: f.Fingerprint})
	// Rank orders results for viewers: a verified-live secret first, a dead
	// one last.
	switch status {
	case leak.Live:
		res.WithRank(100)
	case leak.Dead:
		res.WithRank(10)
	default:
		res.WithRank(50)
	}

	props := sarif.Properties{"status": string(status)}
	for k, v := range map[string]string{
		"commit":        f.Origin.Commit,
		"author":        f.Origin.Author,
		"email":         f.Origin.Email,
		"date":          dateText(f.Origin.Time),
		"identity":      f.Identity,
		"status_reason": f.StatusReason,
	} {
		if v != "" {
			props[k] = v
		}
	}
	if len(f.Decoded) > 0 {
		props["decoded"] = f.Decoded
	}
	res.Properties = props // encoding/json sorts map keys: deterministic
	return res
}

// sarifInvocation records whether the scan was complete, with one error
// notification per summary error.
func sarifInvocation(r *Report) *sarif.Invocation {
	inv := sarif.NewInvocation().WithExecutionSuccess(r.Summary.Complete)
	for _, e := range r.Summary.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarif.NewNotification().WithLevel("error").WithMessage(sarif.NewTextMessage(e)))
	}
	return inv
}

// sarifURI turns a report path into a relative URI reference: forward
// slashes, each segment percent-escaped, and ':' escaped too so that no
// segment reads as a URI scheme.
func sarifURI(path string) string {
	segs := strings.Split(filepath.ToSlash(path), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
