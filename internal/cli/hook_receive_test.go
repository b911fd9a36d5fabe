package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	found := []leak.Finding{{RuleID: "r"}}
	complete := report.Summary{Complete: true}
	partial := report.Summary{Complete: false, Errors: []string{"scan canceled: the report is partial"}}
	tests := []struct {
		name      string
		res       scan.Result
		timedOut  bool
		onTimeout string
		onError   string
		want      verdict
	}{
		{"clean", scan.Result{Summary: complete}, false, "allow", "reject", verdict{0, "accept"}},
		{"secret", scan.Result{Findings: found, Summary: complete}, false, "allow", "reject", verdict{1, "reject"}},
		// A secret found before the budget ran out rejects whatever the policy.
		{"secret before timeout, allow", scan.Result{Findings: found, Summary: partial}, true, "allow", "allow", verdict{1, "reject"}},
		{"secret before timeout, reject", scan.Result{Findings: found, Summary: partial}, true, "reject", "reject", verdict{1, "reject"}},
		{"timeout, allow", scan.Result{Summary: partial}, true, "allow", "reject", verdict{0, "timeout"}},
		{"timeout, reject", scan.Result{Summary: partial}, true, "reject", "allow", verdict{2, "timeout"}},
		{"incomplete, reject", scan.Result{Summary: partial}, false, "allow", "reject", verdict{2, "error"}},
		{"incomplete, allow", scan.Result{Summary: partial}, false, "reject", "allow", verdict{0, "error"}},
		{"secret and incomplete", scan.Result{Findings: found, Summary: partial}, false, "allow", "allow", verdict{1, "reject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decide(&tt.res, tt.timedOut, &receiveFlags{onTimeout: tt.onTimeout, onError: tt.onError})
			if got != tt.want {
				t.Errorf("decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadHookEnv(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"GIT_PUSH_OPTION_COUNT": "2",
		"GIT_PUSH_OPTION_0":     "ci.skip",
		"GIT_PUSH_OPTION_1":     "leakgate.skip= fixture key =x ",
		"GL_PROTOCOL":           "http",
		"GL_USERNAME":           "gl-dev",
		"GL_PROJECT_PATH":       "group/app",
		"GIT_QUARANTINE_PATH":   "/q",
	}
	h := readHookEnv(func(k string) string { return vars[k] })
	if !h.gitlab || h.who != "gl-dev" || h.user != "gl-dev" || h.repo != "group/app" || h.quarantine != "/q" {
		t.Errorf("readHookEnv = %+v", h)
	}
	reason, asked := h.bypass()
	if !asked || reason != "fixture key =x" {
		t.Errorf("bypass() = %q, %t; want %q, true", reason, asked, "fixture key =x")
	}

	plain := readHookEnv(func(k string) string {
		return map[string]string{"USER": "git", "GIT_PUSH_OPTION_COUNT": "1", "GIT_PUSH_OPTION_0": "leakgate.skip"}[k]
	})
	if plain.gitlab || plain.who != "" || plain.user != "git" {
		t.Errorf("readHookEnv (plain git) = %+v", plain)
	}
	if reason, asked := plain.bypass(); !asked || reason != "" {
		t.Errorf("bypass() = %q, %t; want \"\", true", reason, asked)
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var warn bytes.Buffer
	a := &auditLog{
		path: path, user: "octocat", repo: "acme/app", warn: &warn,
		now:     func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)) },
		updates: []source.RefUpdate{{Old: strings.Repeat("0", 40), New: strings.Repeat("a", 40), Ref: "refs/heads/main"}},
	}
	if err := a.write(auditEvent{Event: "bypass", Reason: "fixture"}); err != nil {
		t.Fatal(err)
	}
	if err := a.write(auditEvent{Event: "reject", Findings: 2}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{
		`{"time":"2026-01-02T02:04:05Z","event":"bypass","user":"octocat","repo":"acme/app","refs":[{"ref":"refs/heads/main","old":"0000000000000000000000000000000000000000","new":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],"reason":"fixture"}`,
		`{"time":"2026-01-02T02:04:05Z","event":"reject","user":"octocat","repo":"acme/app","refs":[{"ref":"refs/heads/main","old":"0000000000000000000000000000000000000000","new":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],"findings":2}`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %s", l)
		}
	}

	bad := &auditLog{path: filepath.Join(t.TempDir(), "no", "such", "dir", "audit.jsonl"), now: time.Now, warn: &warn}
	if err := bad.write(auditEvent{Event: "bypass"}); err == nil {
		t.Error("write to a missing directory: no error")
	}
	if !strings.Contains(warn.String(), "audit log") {
		t.Errorf("no warning on stderr: %q", warn.String())
	}
}

func TestAddFingerprints(t *testing.T) {
	t.Parallel()
	fp := strings.Repeat("ab", 32)
	sup := map[string]bool{}
	bad := addFingerprints(sup, []byte("# comment\n"+strings.ToUpper(fp)+"  # why\n\nnot-a-fingerprint\n"))
	if !sup[fp] || len(sup) != 1 {
		t.Errorf("sup = %v", sup)
	}
	if diff := cmp.Diff([]string{`4: "not-a-fingerprint"`}, bad); diff != "" {
		t.Errorf("bad (-want +got):\n%s", diff)
	}
}

// Errors on stderr stop at 50 and count the rest.
func TestPrintErrorsCapped(t *testing.T) {
	t.Parallel()
	for _, n := range []int{3, 51, 120} {
		var stderr strings.Builder
		e := &env{stderr: &stderr}
		var errs []string
		for i := range n {
			errs = append(errs, fmt.Sprintf("blob %03d missing", i))
		}
		e.printErrors(errs)
		lines := strings.Count(stderr.String(), "\n")
		switch {
		case n <= 51 && (lines != n || strings.Contains(stderr.String(), "more")):
			t.Errorf("%d errors: %d lines:\n%s", n, lines, stderr.String())
		case n > 51 && (lines != 51 || !strings.HasSuffix(stderr.String(), fmt.Sprintf("leakgate: error: and %d more\n", n-50))):
			t.Errorf("%d errors: %d lines, ending %q", n, lines, stderr.String()[max(0, stderr.Len()-60):])
		}
	}
}

// A secret found before the time budget ran out rejects the push, and the
// pusher and the audit log learn that the scan did not finish: the push
// may hold more secrets than those listed.
func TestReceiveVerdictSecretThenTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	found := leak.Finding{RuleID: "aws-access-key-id", Description: "AWS key", Secret: leak.NewSecret("AKIAIOSFODNN7EXAMPLE"),
		Fingerprint: "fp", Origin: leak.Origin{Path: "app.env", Line: 3, Commit: strings.Repeat("a", 40)}}
	res := &scan.Result{Findings: []leak.Finding{found}, Summary: report.Summary{Errors: []string{"scan canceled: the report is partial"}}}
	f := &receiveFlags{timeout: 4 * time.Second, onTimeout: "allow", onError: "allow"}
	v := decide(res, true, f)
	var out, warn bytes.Buffer
	e := &env{stdout: &out, stderr: &warn}
	audit := &auditLog{path: logPath, now: func() time.Time { return time.Unix(0, 0) }, warn: &warn}
	err := e.receiveVerdict(pusher{w: &out}, audit, f, hookEnv{}, res, v, true)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != scan.ExitFail {
		t.Fatalf("receiveVerdict = %v, want exit %d", err, scan.ExitFail)
	}
	if !strings.Contains(out.String(), "app.env") ||
		!strings.Contains(out.String(), "leakgate: note: the scan did not finish within 4s either: the push may hold more secrets than these.") {
		t.Errorf("pusher output:\n%s", out.String())
	}
	if strings.Contains(out.String(), "IOSFODNN7EXAMPLE") {
		t.Errorf("the secret reached the pusher:\n%s", out.String())
	}
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logged), `"event":"reject"`) || !strings.Contains(string(logged), `"detail":"scan did not finish within 4s"`) {
		t.Errorf("audit log: %s", logged)
	}
}
