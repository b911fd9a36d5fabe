package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
)

// AWS's documented example key pair: not a credential anywhere.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// iamFake answers the IAM and STS Query API calls of the AWS revoker.
type iamFake struct {
	mu      sync.Mutex
	status  string
	updates int
	deny    bool
}

func (f *iamFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`
	meta := `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>`
	switch r.PostForm.Get("Action") {
	case "GetCallerIdentity":
		arn := "arn:aws:iam::111122223333:user/ops"
		if strings.Contains(r.Header.Get("Authorization"), exampleKeyID) {
			arn = "arn:aws:iam::111122223333:user/alice"
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult>%s</GetCallerIdentityResponse>`, arn, meta)
	case "ListAccessKeys":
		fmt.Fprintf(w, `<ListAccessKeysResponse %s><ListAccessKeysResult><AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>%s</ListAccessKeysResponse>`, ns, exampleKeyID, f.status, meta)
	case "UpdateAccessKey":
		if f.deny {
			w.WriteHeader(403)
			fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform iam:UpdateAccessKey on %s</Message></Error><RequestId>e</RequestId></ErrorResponse>`, ns, r.PostForm.Get("AccessKeyId"))
			return
		}
		f.updates++
		f.status = r.PostForm.Get("Status")
		fmt.Fprintf(w, `<UpdateAccessKeyResponse %s>%s</UpdateAccessKeyResponse>`, ns, meta)
	default:
		w.WriteHeader(400)
	}
}

// remediateEnv points the AWS credential chain and endpoints at the fake,
// through the standard environment variables.
func remediateEnv(t *testing.T, url string) string {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDOPERATORTEST",
		"AWS_SECRET_ACCESS_KEY":       "operator-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL_IAM":        url,
		"AWS_ENDPOINT_URL_STS":        url,
		"AWS_MAX_ATTEMPTS":            "1",
		"VAULT_ADDR":                  "",
		"VAULT_TOKEN":                 "",
		"LEAKGATE_OPERATOR":           "incident-commander",
	} {
		t.Setenv(k, v)
	}
	return dir
}

func writeTestReport(t *testing.T, name string, noRedact bool) {
	fs := []leak.Finding{
		{RuleID: "aws-access-key-id", Description: "AWS access key ID", Secret: leak.NewSecret(exampleKeyID), Origin: leak.Origin{Path: "deploy/.env", Line: 1, Column: 19}, Status: leak.Live},
		{RuleID: "aws-secret-access-key", Description: "AWS secret access key", Secret: leak.NewSecret(exampleSecret), Origin: leak.Origin{Path: "deploy/.env", Line: 2, Column: 23}, Status: leak.Live},
	}
	for i := range fs {
		fs[i].Fingerprint = leak.Fingerprint(fs[i].RuleID, fs[i].Secret.Reveal())
	}
	var b bytes.Buffer
	rep := &report.Report{Version: 1, Tool: report.Tool{Name: "leakgate", Version: "test"}, Findings: fs}
	rep.Summary.Complete = true
	if err := report.Write(&b, report.JSON, rep, report.Options{NoRedact: noRedact}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestRemediateCLI runs leakgate remediate in process against a fake
// IAM/STS reached through AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS:
// plan, apply, re-run, JSON, failures, and the secret never shown.
func TestRemediateCLI(t *testing.T) {
	fake := &iamFake{status: "Active"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := remediateEnv(t, srv.URL)
	rep := filepath.Join(dir, "scan.json")
	writeTestReport(t, rep, true)
	audit, state := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "state.json")
	conf := filepath.Join(dir, "leakgate.toml")
	os.WriteFile(conf, fmt.Appendf(nil, "[remediate]\nproviders = [\"aws\"]\naudit-log = %q\nstate = %q\n[remediate.ticket]\nlabels = [\"security\"]\n", audit, state), 0o600)

	var outputs []string
	check := func(args []string, wantCode int, wantOut ...string) string {
		t.Helper()
		code, out, errOut := runCLI(args...)
		outputs = append(outputs, out, errOut)
		if code != wantCode {
			t.Fatalf("leakgate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		for _, w := range wantOut {
			if !strings.Contains(out+errOut, w) {
				t.Errorf("leakgate %s: output lacks %q:\n%s\n%s", strings.Join(args, " "), w, out, errOut)
			}
		}
		return out
	}

	check([]string{"remediate", "--report", rep, "-c", conf}, 0,
		"dry run", "aws deactivate-access-key: access key AKIA****", "where: "+srv.URL, "part of the credential", "Plan: 2 secrets, 1 to act on, 1 steps.")
	if fake.updates != 0 {
		t.Fatal("the plan changed something")
	}
	check([]string{"remediate", "--report", rep, "-c", conf, "--apply"}, 0,
		"being applied", "aws deactivate-access-key: done", "1 done", "Time to revoke: 1 revocations, the last", "Audit log: "+audit)
	if fake.updates != 1 || fake.status != "Inactive" {
		t.Fatalf("fake: %+v", fake)
	}
	check([]string{"remediate", "--report", rep, "-c", conf, "--apply"}, 0, "1 skipped", "no revocation carried out in this run")
	if fake.updates != 1 {
		t.Errorf("re-run revoked again: %d updates", fake.updates)
	}
	out := check([]string{"remediate", "--report", rep, "-c", conf, "--format", "json"}, 0)
	var doc struct {
		Mode string
		Plan struct {
			Targets []struct{ Steps []struct{ ID, Action string } }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Mode != "plan" || doc.Plan.Targets[0].Steps[0].Action != "deactivate-access-key" {
		t.Errorf("json plan: %v %+v\n%s", err, doc, out)
	}

	// Permission denied fails the run (fresh state and key).
	fake.status, fake.deny = "Active", true
	state2 := filepath.Join(dir, "state2.json")
	check([]string{"remediate", "--report", rep, "-c", conf, "--apply", "--state", state2}, 1,
		"permission denied", "1 failed", "Failed steps:")

	// The audit log holds both applying runs and more, and no secret.
	b, _ := os.ReadFile(audit)
	if n := strings.Count(string(b), `"event":"run-start"`); n != 3 {
		t.Errorf("audit log has %d runs, want 3", n)
	}
	if !strings.Contains(string(b), `"operator":"incident-commander (aws=arn:aws:iam::111122223333:user/ops)"`) {
		t.Errorf("operator not recorded:\n%s", b)
	}
	for _, name := range []string{audit, state, state2} {
		b, _ := os.ReadFile(name)
		outputs = append(outputs, string(b))
	}
	for i, o := range outputs {
		for _, s := range []string{exampleKeyID, exampleSecret} {
			if strings.Contains(o, s) {
				t.Errorf("secret in output %d:\n%s", i, o)
			}
		}
	}
}

func TestRemediateCLIErrors(t *testing.T) {
	dir := remediateEnv(t, "http://127.0.0.1:1")
	red := filepath.Join(dir, "redacted.json")
	writeTestReport(t, red, false)
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[remediate]\nprovidrs = []\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"remediate"}, 2, "--report FILE is required"},
		{[]string{"remediate", "--report", filepath.Join(dir, "missing.json")}, 2, "missing.json"},
		{[]string{"remediate", "--report", bad}, 2, "not JSON"},
		{[]string{"remediate", "--report", red, "-c", bad}, 2, `unknown key "remediate.providrs"`},
		{[]string{"remediate", "--report", red, "--format", "sarif"}, 2, "want text or json"},
		{[]string{"remediate", "--report", red, "--only", "nosuch"}, 2, `unknown provider "nosuch"`},
		// A redacted report plans, with the problem said.
		{[]string{"remediate", "--report", red, "--only", "aws"}, 0, "the report is redacted"},
		{[]string{"remediate", "--report", red, "--only", "aws", "--apply", "--audit-log", filepath.Join(dir, "a.jsonl"), "--state", filepath.Join(dir, "s.json")}, 1, "1 failed"},
	} {
		code, out, errOut := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("leakgate %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}
