package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Fake secrets, assembled at run time so that the source text never holds
// a whole token (the repository scans itself).
var (
	fakeAWS     = "AKIA" + "IOSFODNN7EXAMPLE"
	fakeGitHub  = "ghp_" + "x7Qm2LbV9pRt4KwZ1sYd" + "8NcH3jFu6GaE0oTi"
	fakeGeneric = "q8Vz" + "T3nLw0Ye5KpR" + "b2Hs6JcX"
)

var secretCmp = cmp.Comparer(func(a, b leak.Secret) bool { return a.Reveal() == b.Reveal() })

// fixture is a fixed report: findings sorted by path as the scanner sorts
// them, with and without git origin, every status, a decoded secret, a path
// that needs URI escaping, one secret found twice, and an incomplete scan.
func fixture() *report.Report {
	zone := time.FixedZone("CEST", 2*60*60)
	checked := time.Date(2025, 6, 2, 8, 30, 0, 0, time.UTC)
	gitOrigin := func(path string, line, col int, commit string, when time.Time) leak.Origin {
		return leak.Origin{
			Commit: commit, Author: "Jane Doe", Email: "jane@example.com", Time: when,
			Path: path, Line: line, Column: col,
		}
	}
	return &report.Report{
		Version: 1,
		Tool:    report.Tool{Name: "leakgate", Version: "v0.1.0-test"},
		Findings: []leak.Finding{
			{
				RuleID:      "github-pat",
				Description: "GitHub personal access token",
				Secret:      leak.NewSecret(fakeGitHub),
				Fingerprint: leak.Fingerprint("github-pat", fakeGitHub),
				Origin:      leak.Origin{Path: "config/app.yml", Line: 12, Column: 9},
				Entropy:     4.6146,
				Tags:        []string{"github", "token"},
				Status:      leak.Unchecked,
			},
			{
				RuleID:      "generic-api-key",
				Description: "Generic API key",
				Secret:      leak.NewSecret(fakeGeneric),
				Fingerprint: leak.Fingerprint("generic-api-key", fakeGeneric),
				Origin:      leak.Origin{Path: "docs/read me ü.md", Line: 7, Column: 3},
				Entropy:     4.3219,
				Decoded:     []string{"base64"},
				Status:      leak.Dead,
				CheckedAt:   checked,
			},
			{
				RuleID:      "aws-access-key-id",
				Description: "AWS access key ID",
				Secret:      leak.NewSecret(fakeAWS),
				Fingerprint: leak.Fingerprint("aws-access-key-id", fakeAWS),
				Origin: gitOrigin("src/deploy/aws.env", 3, 19,
					"3f1c2e4d5a6b7c8d9e0f11223344556677889900", time.Date(2024, 5, 1, 10, 0, 0, 0, zone)),
				Entropy:   3.6842,
				Status:    leak.Live,
				Identity:  "arn:aws:iam::123456789012:user/ci-deploy",
				CheckedAt: checked,
			},
			{
				RuleID:      "aws-access-key-id",
				Description: "AWS access key ID",
				Secret:      leak.NewSecret(fakeAWS),
				Fingerprint: leak.Fingerprint("aws-access-key-id", fakeAWS),
				Origin: gitOrigin("src/deploy/old.env", 1, 1,
					"a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9", time.Date(2023, 12, 24, 18, 5, 9, 0, time.UTC)),
				Entropy:      3.6842,
				Status:       leak.Unknown,
				StatusReason: "provider timed out",
				CheckedAt:    checked,
			},
		},
		Summary: report.Summary{
			Findings:      4,
			Complete:      false,
			Errors:        []string{"source: read docs/locked.txt: permission denied"},
			Files:         12,
			Bytes:         34567,
			SkippedBinary: 2,
			SkippedLarge:  1,
			Cached:        5,
			Duration:      1500 * time.Millisecond,
			RulesVersion:  "2025.06",
		},
	}
}

func emptyFixture() *report.Report {
	return &report.Report{
		Version: 1,
		Tool:    report.Tool{Name: "leakgate", Version: "v0.1.0-test"},
		Summary: report.Summary{Complete: true, Files: 3, Bytes: 120, Duration: 2 * time.Millisecond},
	}
}

func render(t *testing.T, f report.Format, r *report.Report, opt report.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, f, r, opt); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		format report.Format
		report func() *report.Report
		opt    report.Options
	}{
		{"full.txt", report.Text, fixture, report.Options{}},
		{"full.color.txt", report.Text, fixture, report.Options{Color: true}},
		{"full.json", report.JSON, fixture, report.Options{}},
		{"full.jsonl", report.JSONL, fixture, report.Options{}},
		{"full.sarif", report.SARIF, fixture, report.Options{}},
		{"empty.txt", report.Text, emptyFixture, report.Options{}},
		{"empty.json", report.JSON, emptyFixture, report.Options{}},
		{"empty.jsonl", report.JSONL, emptyFixture, report.Options{}},
		{"empty.sarif", report.SARIF, emptyFixture, report.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got := render(t, tt.format, tt.report(), tt.opt)
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", path, diff)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range report.Formats() {
		first := render(t, f, fixture(), report.Options{})
		for range 20 {
			if got := render(t, f, fixture(), report.Options{}); got != first {
				t.Fatalf("%s output differs between runs:\n%s", f, cmp.Diff(first, got))
			}
		}
	}
}

func rawSecrets() []string { return []string{fakeAWS, fakeGitHub, fakeGeneric} }

// TestRedaction checks that no raw secret, nor a long piece of one, reaches
// any format unless NoRedact, and that an already redacted report is never
// presented as raw.
func TestRedaction(t *testing.T) {
	t.Parallel()
	redactedJSON := render(t, report.JSON, fixture(), report.Options{})
	tests := []struct {
		name   string
		report func() *report.Report
		opt    report.Options
	}{
		{"default", fixture, report.Options{}},
		{"color", fixture, report.Options{Color: true}},
		{"read back with no-redact", func() *report.Report {
			r, err := report.ReadJSON(strings.NewReader(redactedJSON))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}, report.Options{NoRedact: true}},
	}
	for _, tt := range tests {
		for _, f := range report.Formats() {
			t.Run(tt.name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				out := render(t, f, tt.report(), tt.opt)
				for _, raw := range rawSecrets() {
					if strings.Contains(out, raw) {
						t.Errorf("raw secret %q in %s output:\n%s", raw, f, out)
					}
					if piece := raw[4:12]; strings.Contains(out, piece) {
						t.Errorf("piece %q of a raw secret in %s output:\n%s", piece, f, out)
					}
				}
				if strings.Contains(out, `"snippet"`) {
					t.Errorf("%s output has a snippet:\n%s", f, out)
				}
				if f == report.JSON && !strings.Contains(out, `"redacted": true`) {
					t.Errorf("JSON output does not say it is redacted:\n%s", out)
				}
			})
		}
	}
}

// TestNoRedact checks that with NoRedact every JSON and JSONL "secret" is
// exactly the raw secret, and that the other formats show it.
func TestNoRedact(t *testing.T) {
	t.Parallel()
	opt := report.Options{NoRedact: true}
	want := []string{}
	for _, f := range fixture().Findings {
		want = append(want, f.Secret.Reveal())
	}
	secretsOf := func(objs []map[string]any) []string {
		var got []string
		for _, o := range objs {
			if _, ok := o["rule"]; ok {
				got = append(got, o["secret"].(string))
			}
		}
		return got
	}

	var doc struct {
		Redacted *bool            `json:"redacted"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(render(t, report.JSON, fixture(), opt)), &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, secretsOf(doc.Findings)); diff != "" {
		t.Errorf("JSON secrets (-want +got):\n%s", diff)
	}
	if doc.Redacted == nil || *doc.Redacted {
		t.Errorf("JSON redacted = %v, want false", doc.Redacted)
	}

	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(render(t, report.JSONL, fixture(), opt), "\n"), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("JSONL line %q: %v", line, err)
		}
		lines = append(lines, o)
	}
	if diff := cmp.Diff(want, secretsOf(lines)); diff != "" {
		t.Errorf("JSONL secrets (-want +got):\n%s", diff)
	}

	for _, f := range []report.Format{report.Text, report.SARIF} {
		out := render(t, f, fixture(), opt)
		for _, raw := range rawSecrets() {
			if !strings.Contains(out, raw) {
				t.Errorf("%s output with NoRedact lacks %q:\n%s", f, raw, out)
			}
		}
	}
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal([]byte(render(t, report.JSON, fixture(), report.Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	findings := doc["findings"].([]any)
	noGit := findings[0].(map[string]any)
	for _, k := range []string{"commit", "author", "email", "date", "identity"} {
		if _, ok := noGit[k]; ok {
			t.Errorf("finding without git origin has %q: %v", k, noGit)
		}
	}
	for _, k := range []string{"rule", "description", "secret", "fingerprint", "file", "line", "column", "status"} {
		if _, ok := noGit[k]; !ok {
			t.Errorf("finding lacks %q: %v", k, noGit)
		}
	}
	git := findings[2].(map[string]any)
	for k, want := range map[string]any{
		"commit": "3f1c2e4d5a6b7c8d9e0f11223344556677889900", "author": "Jane Doe",
		"email": "jane@example.com", "date": "2024-05-01T10:00:00+02:00",
		"status": "live", "identity": "arn:aws:iam::123456789012:user/ci-deploy",
		"line": 3.0, "column": 19.0, "end_column": 39.0,
	} {
		if got := git[k]; got != want {
			t.Errorf("git finding %q = %v, want %v", k, got, want)
		}
	}

	// An empty status is "unchecked"; empty errors are [], not null.
	r := emptyFixture()
	r.Findings = []leak.Finding{{RuleID: "x", Secret: leak.NewSecret("abcdefgh")}}
	out := render(t, report.JSON, r, report.Options{})
	for _, want := range []string{`"status": "unchecked"`, `"errors": []`, `"findings": 1,`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
}

// TestJSONLLines checks the JSONL layout: the JSON report's finding
// objects one per line, then its summary object as the last line.
func TestJSONLLines(t *testing.T) {
	t.Parallel()
	var doc struct {
		Findings []json.RawMessage `json:"findings"`
		Summary  json.RawMessage   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(render(t, report.JSON, fixture(), report.Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, raw := range append(doc.Findings, doc.Summary) {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		want = append(want, b.String())
	}
	got := strings.Split(strings.TrimSuffix(render(t, report.JSONL, fixture(), report.Options{}), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSONL lines (-want +got):\n%s", diff)
	}
}

func TestReadJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, writeOpt := range []report.Options{{}, {NoRedact: true}} {
		saved := render(t, report.JSON, fixture(), writeOpt)
		back, err := report.ReadJSON(strings.NewReader(saved))
		if err != nil {
			t.Fatalf("ReadJSON: %v", err)
		}
		if back.Redacted == writeOpt.NoRedact {
			t.Errorf("NoRedact=%v: read back Redacted = %v", writeOpt.NoRedact, back.Redacted)
		}
		for _, opt := range []report.Options{{}, {NoRedact: true}, {Color: true}} {
			// A redacted report read back renders as the redacted original,
			// even under NoRedact; a raw one renders as the raw original.
			for _, f := range report.Formats() {
				want := render(t, f, fixture(), report.Options{NoRedact: writeOpt.NoRedact && opt.NoRedact, Color: opt.Color})
				if got := render(t, f, back, opt); got != want {
					t.Errorf("written with %+v, rendered with %+v as %s: read-back output differs (-want +got):\n%s",
						writeOpt, opt, f, cmp.Diff(want, got))
				}
			}
		}
	}

	// A raw report reads back into the very findings that were written.
	back, err := report.ReadJSON(strings.NewReader(render(t, report.JSON, fixture(), report.Options{NoRedact: true})))
	if err != nil {
		t.Fatal(err)
	}
	want := fixture()
	want.Tool = report.Tool{Name: "leakgate", Version: "v0.1.0-test"}
	if diff := cmp.Diff(want, back, secretCmp, cmpopts.IgnoreFields(leak.Finding{}, "Offset", "End")); diff != "" {
		t.Errorf("ReadJSON (-want +got):\n%s", diff)
	}
}

// TestReadJSONRedacted checks a redacted report read back: secrets are the
// stored text, shown as is, and never re-redacted.
func TestReadJSONRedacted(t *testing.T) {
	t.Parallel()
	back, err := report.ReadJSON(strings.NewReader(render(t, report.JSON, fixture(), report.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Redacted {
		t.Fatal("read back report is not Redacted")
	}
	var got, want []string
	for i, f := range back.Findings {
		got = append(got, f.Secret.Reveal())
		want = append(want, fixture().Findings[i].Secret.Redacted())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	out := render(t, report.Text, back, report.Options{NoRedact: true})
	if !strings.Contains(out, "AKIA****") || strings.Contains(out, "AKIA****"+"****") {
		t.Errorf("text of a redacted report does not show the stored text as is:\n%s", out)
	}
}

func TestReadJSONMissingRedactedIsRaw(t *testing.T) {
	t.Parallel()
	// A contract-shaped report without the "redacted" addition: its secrets
	// are taken as raw, so they are redacted again, never shown as they are.
	in := `{"version":1,"tool":{"name":"leakgate","version":"x"},"findings":[
	  {"rule":"r","description":"d","secret":"abcdefghijklmnop","fingerprint":"f","file":"a","line":1,"column":1,"status":""}],
	  "summary":{"findings":1,"complete":true,"errors":[]},"future_field":{"x":[1,2]}}`
	r, err := report.ReadJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.Redacted {
		t.Error("Redacted = true, want false")
	}
	if got := r.Findings[0].Status; got != leak.Unchecked {
		t.Errorf("status = %q, want unchecked", got)
	}
	if out := render(t, report.Text, r, report.Options{}); strings.Contains(out, "abcdefghijklmnop") {
		t.Errorf("secret shown unredacted:\n%s", out)
	}
}

func TestReadJSONErrors(t *testing.T) {
	t.Parallel()
	sarifOut := render(t, report.SARIF, fixture(), report.Options{})
	jsonlOut := render(t, report.JSONL, fixture(), report.Options{})
	emptyJSONL := render(t, report.JSONL, emptyFixture(), report.Options{})
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"blank", " \n\t", "empty input"},
		{"garbage", "this is not json", "not JSON"},
		{"truncated", `{"version":1,"tool":{"name":"leakgate"`, "not JSON"},
		{"array", `[1,2]`, "is a JSON array, not an object"},
		{"string", `"hello"`, "is a JSON string, not an object"},
		{"null", `null`, "null, not an object"},
		{"sarif", sarifOut, "looks like a SARIF file"},
		{"jsonl", jsonlOut, "looks like a JSONL stream"},
		{"jsonl summary only", emptyJSONL, "looks like a JSONL stream"},
		{"no version", `{"tool":{"name":"leakgate"},"findings":[]}`, `no "version"`},
		{"string version", `{"version":"1","tool":{"name":"leakgate"},"findings":[]}`, `"version" is "1", not a number`},
		{"version 2", `{"version":2,"tool":{"name":"leakgate"},"findings":[]}`, "unsupported leakgate report version 2"},
		{"no tool", `{"version":1,"findings":[]}`, `no "tool"`},
		{"other tool", `{"version":1,"tool":{"name":"gitleaks"},"findings":[]}`, `written by "gitleaks"`},
		{"no findings", `{"version":1,"tool":{"name":"leakgate"},"summary":{}}`, `no "findings"`},
		{"findings not array", `{"version":1,"tool":{"name":"leakgate"},"findings":{}}`, "cannot unmarshal"},
		{"bad date", `{"version":1,"tool":{"name":"leakgate"},"findings":[{"rule":"r","file":"f","line":2,"date":"yesterday"}]}`, "finding 1 (r at f:2): date"},
		{"no rule", `{"version":1,"tool":{"name":"leakgate"},"findings":[{"file":"f"}]}`, `no "rule"`},
		{"trailing data", `{"version":1,"tool":{"name":"leakgate"},"findings":[]} {}`, "unexpected data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := report.ReadJSON(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadJSON = %+v, want error containing %q", r, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "report: read JSON report: ") {
				t.Errorf("ReadJSON error = %q, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want report.Format
	}{{"text", report.Text}, {"json", report.JSON}, {"JSONL", report.JSONL}, {" sarif ", report.SARIF}} {
		got, err := report.ParseFormat(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "xml", "github"} {
		_, err := report.ParseFormat(in)
		if err == nil || !strings.Contains(err.Error(), "valid formats: text, json, jsonl, sarif") {
			t.Errorf("ParseFormat(%q) error = %v, want one listing the formats", in, err)
		}
	}
	var f report.Format
	if err := f.Set("sarif"); err != nil || f != report.SARIF || f.String() != "sarif" {
		t.Errorf("Set(sarif): %v, %q", err, f)
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Version = 2
	for _, tt := range []struct {
		name   string
		format report.Format
		r      *report.Report
		want   string
	}{
		{"unknown format", "xml", fixture(), `unknown format "xml"`},
		{"nil report", report.JSON, nil, "nil report"},
		{"version 2", report.JSON, r, "unsupported report version 2"},
	} {
		var buf bytes.Buffer
		err := report.Write(&buf, tt.format, tt.r, report.Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Write error = %v, want one containing %q", tt.name, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Write wrote %q before failing", tt.name, buf.String())
		}
	}
}

func TestTextLiveFirst(t *testing.T) {
	t.Parallel()
	out := render(t, report.Text, fixture(), report.Options{})
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "[LIVE] src/deploy/aws.env:3:19  aws-access-key-id  AKIA****") {
		t.Errorf("first line = %q, want the live finding", first)
	}
	if strings.Count(out, "[LIVE]") != 1 {
		t.Errorf("want exactly one LIVE marker:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without Options.Color:\n%q", out)
	}
	if c := render(t, report.Text, fixture(), report.Options{Color: true}); !strings.Contains(c, "\x1b[1;31m[LIVE]\x1b[0m") {
		t.Errorf("no coloured LIVE marker with Options.Color:\n%q", c)
	}
}

func TestTextControlCharacters(t *testing.T) {
	t.Parallel()
	r := emptyFixture()
	r.Findings = []leak.Finding{{
		RuleID: "r", Secret: leak.NewSecret("abcdefgh"),
		Origin: leak.Origin{Path: "evil\x1b[2Jname", Line: 1, Column: 1},
	}}
	out := render(t, report.Text, r, report.Options{})
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape character reached the text output:\n%q", out)
	}
	if !strings.Contains(out, `"evil\x1b[2Jname":1:1`) {
		t.Errorf("path not shown quoted:\n%s", out)
	}
}

// The text summary lists at most 50 errors; the JSON report all of them.
func TestTextManyErrors(t *testing.T) {
	t.Parallel()
	r := emptyFixture()
	r.Summary.Complete = false
	for i := range 120 {
		r.Summary.Errors = append(r.Summary.Errors, fmt.Sprintf("blob %03d: corrupt", i))
	}
	out := render(t, report.Text, r, report.Options{})
	if n := strings.Count(out, ": corrupt"); n != 50 || !strings.Contains(out, "blob 049: corrupt") || !strings.Contains(out, "error: and 70 more (-f json lists them all)") {
		t.Errorf("%d errors listed:\n%s", n, out)
	}
	if !strings.Contains(out, "scan incomplete: 120 errors") {
		t.Errorf("summary line:\n%s", out)
	}
	if js := render(t, report.JSON, r, report.Options{}); strings.Count(js, ": corrupt") != 120 {
		t.Error("the JSON report does not list every error")
	}
}

var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	// CI clones the repository with shared/ beside it.
	path, err := filepath.Abs(filepath.Join("..", "..", "shared", "schemas", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	return c.Compile(path)
})

func TestSARIFSchema(t *testing.T) {
	t.Parallel()
	sch, err := sarifSchema()
	if err != nil {
		t.Fatalf("cannot load the official SARIF 2.1.0 schema (expected at ../../shared/schemas/sarif-schema-2.1.0.json, with shared/ beside the repository): %v", err)
	}
	for name, r := range map[string]*report.Report{"full": fixture(), "empty": emptyFixture()} {
		for _, opt := range []report.Options{{}, {NoRedact: true}} {
			out := render(t, report.SARIF, r, opt)
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s %+v: SARIF not valid against the schema: %v", name, opt, err)
			}
			if name == "full" {
				// The check is not vacuous: a broken region fails it.
				bad := strings.Replace(out, `"startLine": 12`, `"startLine": 0`, 1)
				inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
				if err != nil {
					t.Fatal(err)
				}
				if sch.Validate(inst) == nil {
					t.Error("SARIF with startLine 0 passed the schema")
				}
			}
		}
	}
}

// TestSARIFGitHub checks what GitHub code scanning requires beyond the
// schema, and leakgate's own promises.
func TestSARIFGitHub(t *testing.T) {
	t.Parallel()
	type result struct {
		RuleID              string `json:"ruleId"`
		RuleIndex           *int   `json:"ruleIndex"`
		Level               string `json:"level"`
		Message             struct{ Text string }
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		Locations           []struct {
			PhysicalLocation struct {
				ArtifactLocation struct{ URI string } `json:"artifactLocation"`
				Region           struct {
					StartLine, StartColumn, EndColumn int
				}
			} `json:"physicalLocation"`
		}
		Properties map[string]any
	}
	var doc struct {
		Schema  string `json:"$schema"`
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version, InformationURI string
					Rules                         []struct {
						ID               string
						ShortDescription struct{ Text string }
					}
				}
			}
			Results []result
		}
	}
	if err := json.Unmarshal([]byte(render(t, report.SARIF, fixture(), report.Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || !strings.Contains(doc.Schema, "sarif-schema-2.1.0.json") || len(doc.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", doc.Version, doc.Schema, len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "leakgate" || d.Version != "v0.1.0-test" || d.InformationURI != "https://github.com/leakgate/leakgate" {
		t.Errorf("driver = %+v", d)
	}
	var ruleIDs []string
	for _, r := range d.Rules {
		ruleIDs = append(ruleIDs, r.ID+": "+r.ShortDescription.Text)
	}
	wantRules := []string{"aws-access-key-id: AWS access key ID", "generic-api-key: Generic API key", "github-pat: GitHub personal access token"}
	if diff := cmp.Diff(wantRules, ruleIDs); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	fx := fixture()
	if len(run.Results) != len(fx.Findings) {
		t.Fatalf("%d results, want %d", len(run.Results), len(fx.Findings))
	}
	for i, res := range run.Results {
		f := fx.Findings[i]
		if res.RuleIndex == nil || d.Rules[*res.RuleIndex].ID != res.RuleID || res.RuleID != f.RuleID {
			t.Errorf("result %d: ruleId %q, ruleIndex %v", i, res.RuleID, res.RuleIndex)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("result %d: locations %+v", i, res.Locations)
		}
		if got := res.PartialFingerprints["leakgate/v1"]; got != f.Fingerprint {
			t.Errorf("result %d: fingerprint %q, want %q", i, got, f.Fingerprint)
		}
		if !strings.Contains(res.Message.Text, f.RuleID) || !strings.Contains(res.Message.Text, f.Secret.Redacted()) {
			t.Errorf("result %d: message %q names neither rule nor redacted secret", i, res.Message.Text)
		}
	}
	loc := run.Results[1].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "docs/read%20me%20%C3%BC.md" {
		t.Errorf("escaped URI = %q", loc.ArtifactLocation.URI)
	}
	if loc.Region.EndColumn != 0 {
		t.Errorf("decoded secret has endColumn %d; its written form is longer than the secret", loc.Region.EndColumn)
	}
	if got := run.Results[2].Locations[0].PhysicalLocation.Region; got.StartLine != 3 || got.StartColumn != 19 || got.EndColumn != 39 {
		t.Errorf("region = %+v, want 3:19-39", got)
	}
	levels := []string{}
	for _, res := range run.Results {
		levels = append(levels, res.Level)
	}
	if diff := cmp.Diff([]string{"error", "warning", "error", "error"}, levels); diff != "" {
		t.Errorf("levels (-want +got):\n%s", diff)
	}
	wantProps := map[string]any{
		"commit": "3f1c2e4d5a6b7c8d9e0f11223344556677889900", "author": "Jane Doe", "email": "jane@example.com",
		"date": "2024-05-01T10:00:00+02:00", "status": "live", "identity": "arn:aws:iam::123456789012:user/ci-deploy",
	}
	if diff := cmp.Diff(wantProps, run.Results[2].Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"status": "unchecked"}, run.Results[0].Properties); diff != "" {
		t.Errorf("properties without git origin (-want +got):\n%s", diff)
	}
}

func TestSARIFURI(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"a/b.go":          "a/b.go",
		"c:weird/x.txt":   "c%3Aweird/x.txt",
		"dir/100% sure":   "dir/100%25%20sure",
		"q?x#y/[z].env":   "q%3Fx%23y/%5Bz%5D.env",
		"ü/ñ.txt":         "%C3%BC/%C3%B1.txt",
		"plain-file.yaml": "plain-file.yaml",
	} {
		r := emptyFixture()
		r.Findings = []leak.Finding{{RuleID: "r", Secret: leak.NewSecret("abcdefgh"), Origin: leak.Origin{Path: path, Line: 1, Column: 1}}}
		var doc struct {
			Runs []struct {
				Results []struct {
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						} `json:"physicalLocation"`
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(render(t, report.SARIF, r, report.Options{})), &doc); err != nil {
			t.Fatal(err)
		}
		if got := doc.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != want {
			t.Errorf("URI of %q = %q, want %q", path, got, want)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	f.Add(`{"version":1,"tool":{"name":"leakgate"},"findings":[],"summary":{"findings":0,"complete":true,"errors":[]}}`)
	f.Add(`{"version":1,"tool":{"name":"leakgate"},"redacted":true,"findings":[{"rule":"r","secret":"ab****","line":-1,"column":5,"end_column":2}]}`)
	f.Add(`{"version":1,"tool":{"name":"leakgate"},"findings":[{"rule":"r","secret":"x\u001b","file":"\u0000","date":"2024-01-01T00:00:00Z"}],"summary":{"duration_seconds":1e300}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		r, err := report.ReadJSON(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, format := range report.Formats() {
			var buf bytes.Buffer
			if err := report.Write(&buf, format, r, report.Options{}); err != nil {
				t.Fatalf("Write(%s) of a report ReadJSON accepted: %v", format, err)
			}
		}
	})
}
