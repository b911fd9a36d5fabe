package remediate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
)

func awsConfig(t *testing.T, f *fakeAWS, c *clock) *Config {
	cfg := testConfig(t, c, map[string]string{"USER": "someone"}, map[string]string{"aws-iam": f.srv.URL, "aws-sts": f.srv.URL})
	cfg.Providers = []string{"aws"}
	return cfg
}

// runAWS plans and applies the findings, rendering everything to one
// text, and returns the plan, summary and output.
func runAWS(t *testing.T, cfg *Config, fs []leak.Finding, dir string) (*Plan, *Summary, string) {
	t.Helper()
	audit, state := files(dir)
	plan, sum, err := Run(context.Background(), cfg, TargetsFromFindings(fs, false), RunOptions{Apply: true, AuditLog: audit, State: state})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WritePlanText(&out, plan, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteResultsText(&out, plan, sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&out, plan, sum); err != nil {
		t.Fatal(err)
	}
	return plan, sum, out.String()
}

func TestAWSPlanApplyRerun(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t)
	c := newClock()
	dir := t.TempDir()
	cfg := awsConfig(t, f, c)
	audit, state := files(dir)

	// The plan alone changes nothing.
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	targets := TargetsFromFindings(awsFindings(), false)
	plan := p.Plan(context.Background(), targets)
	if len(plan.Targets) != 2 {
		t.Fatalf("targets = %d, want 2 (key id, secret key)", len(plan.Targets))
	}
	key, sec := plan.Targets[0], plan.Targets[1]
	if len(key.Steps) != 1 || key.Steps[0].Action != "deactivate-access-key" || key.Steps[0].Problem != "" {
		t.Fatalf("key steps = %+v", key.Steps)
	}
	if !strings.Contains(key.Steps[0].Target, "IAM user alice") || !strings.Contains(key.Steps[0].Note, "leaked pair") {
		t.Errorf("step = %+v", key.Steps[0])
	}
	if len(key.Locations) != 2 {
		t.Errorf("locations = %v, want both places", key.Locations)
	}
	if sec.Skipped == "" || len(sec.Steps) != 0 {
		t.Errorf("secret key target should be covered by the key id: %+v", sec)
	}
	if n := len(f.calls); n != 0 {
		t.Errorf("planning made %d calls: %v", n, f.calls)
	}

	// Apply deactivates the key, once.
	_, sum, out := runAWS(t, cfg, awsFindings(), dir)
	if sum.Done != 1 || sum.Failed != 0 || !sum.OK() {
		t.Fatalf("summary = %+v\n%s", sum, out)
	}
	if f.keys[exampleKeyID].status != "Inactive" || f.count("UpdateAccessKey") != 1 {
		t.Fatalf("key %+v, UpdateAccessKey calls %d", f.keys[exampleKeyID], f.count("UpdateAccessKey"))
	}
	if f.count("GetCallerIdentity") < 1 || f.count("GetAccessKeyLastUsed") != 0 {
		t.Errorf("owner should come from the leaked pair: calls %v", f.calls)
	}
	if sum.Revocations != 1 || sum.LastRevocation <= 0 || !strings.Contains(out, "Time to revoke: 1 revocations, the last") {
		t.Errorf("time to revoke missing: %+v\n%s", sum, out)
	}
	want := []string{"run-start", "planned aws/deactivate-access-key", "attempt aws/deactivate-access-key", "result aws/deactivate-access-key done", "run-end"}
	if d := cmp.Diff(want, events(readAudit(t, audit))); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	e := readAudit(t, audit)[3]
	if e.Operator != "tester (aws="+operatorARN+")" || e.Host != "testhost" || e.Fingerprint == "" || e.Target == "" || e.RunID == "" {
		t.Errorf("audit entry = %+v", e)
	}

	// A re-run does nothing new: the step is skipped from the state file.
	calls := len(f.calls)
	_, sum2, out2 := runAWS(t, cfg, awsFindings(), dir)
	if sum2.Skipped != 1 || sum2.Done != 0 || !sum2.OK() {
		t.Errorf("re-run summary = %+v", sum2)
	}
	if f.count("UpdateAccessKey") != 1 || len(f.calls) != calls+1 { // +1: the operator's identity
		t.Errorf("re-run called the provider: %v", f.calls[calls:])
	}
	// Without the state file, the key is found already inactive.
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	_, sum3, out3 := runAWS(t, cfg, awsFindings(), dir)
	if sum3.Already != 1 || f.count("UpdateAccessKey") != 1 || !sum3.OK() {
		t.Errorf("already-inactive run: %+v, UpdateAccessKey %d", sum3, f.count("UpdateAccessKey"))
	}
	noSecret(t, []string{exampleKeyID, exampleSecret}, []string{audit, state}, out, out2, out3)
	for _, name := range []string{audit, state} {
		if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", name, fi.Mode(), err)
		}
	}
}

func TestAWSOwnerWithoutSecretKey(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t)
	c := newClock()
	fs := awsFindings()[2:] // the key id alone
	_, sum, out := runAWS(t, awsConfig(t, f, c), fs, t.TempDir())
	if sum.Done != 1 || f.count("GetAccessKeyLastUsed") != 1 {
		t.Fatalf("summary %+v, calls %v\n%s", sum, f.calls, out)
	}
}

func TestAWSFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		faults     []string
		retryAfter string
		timeout    time.Duration
		want       Outcome
		waits      []time.Duration
		errHas     string
	}{
		{name: "500 then success", faults: []string{"500"}, want: Done, waits: []time.Duration{500 * time.Millisecond}},
		{name: "429 with Retry-After", faults: []string{"429"}, retryAfter: "7", want: Done, waits: []time.Duration{7 * time.Second}},
		{name: "429 asking too long", faults: []string{"429"}, retryAfter: "3600", want: Failed, errHas: "re-run later"},
		{name: "500 every time", faults: []string{"500", "500", "500", "500"}, want: Failed, errHas: "ServiceFailure",
			waits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{name: "timeout then success", faults: []string{"hang"}, timeout: 50 * time.Millisecond, want: Done, errHas: "", waits: []time.Duration{500 * time.Millisecond}},
		{name: "permission denied", faults: []string{"deny"}, want: Failed, errHas: "permission denied: the operator's credentials may not call iam:UpdateAccessKey"},
		{name: "key deleted meanwhile", faults: []string{"nosuch"}, want: Already},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t)
			f.retryAfter = tc.retryAfter
			f.fault("UpdateAccessKey", tc.faults...)
			c := newClock()
			cfg := awsConfig(t, f, c)
			if tc.timeout > 0 {
				cfg.Timeout = Duration{Duration: tc.timeout}
			}
			dir := t.TempDir()
			plan, sum, out := runAWS(t, cfg, awsFindings(), dir)
			res := plan.Targets[0].Results
			if len(res) != 1 || res[0].Outcome != tc.want {
				t.Fatalf("results = %+v\n%s", res, out)
			}
			if !strings.Contains(res[0].Error, tc.errHas) {
				t.Errorf("error %q, want %q", res[0].Error, tc.errHas)
			}
			if d := cmp.Diff(tc.waits, c.waits()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if (tc.want == Failed) == sum.OK() {
				t.Errorf("OK() = %v for %s", sum.OK(), tc.want)
			}
			// Every attempt has its entry and its result.
			audit, state := files(dir)
			es := readAudit(t, audit)
			attempts, results := 0, 0
			for _, e := range es {
				switch e.Event {
				case EventAttempt:
					attempts++
				case EventResult:
					results++
				}
			}
			if attempts != f.count("UpdateAccessKey") || results != attempts {
				t.Errorf("attempts %d, results %d, calls %d: %v", attempts, results, f.count("UpdateAccessKey"), events(es))
			}
			noSecret(t, []string{exampleKeyID, exampleSecret}, []string{audit, state}, out)
		})
	}
}

func TestAWSOtherAccount(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t)
	f.opAccount = "999988887777"
	plan, sum, out := runAWS(t, awsConfig(t, f, newClock()), awsFindings(), t.TempDir())
	res := plan.Targets[0].Results
	if sum.Failed != 1 || !strings.Contains(res[0].Error, "belongs to account 111122223333") || f.count("UpdateAccessKey") != 0 {
		t.Errorf("results %+v, calls %v\n%s", res, f.calls, out)
	}
}

func TestAWSPlanProblems(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t)
	c := newClock()
	cfg := awsConfig(t, f, c)
	p, _ := New(cfg)
	mk := func(id string) *Target {
		return &Target{Fingerprint: leak.Fingerprint(ruleAWSKeyID, id), Rule: ruleAWSKeyID, Secret: leak.NewSecret(id), Status: leak.Live}
	}
	redacted := TargetsFromFindings(awsFindings(), true)
	plan := p.Plan(context.Background(), []*Target{mk("ASIAIOSFODNN7EXAMPLE"), mk("ABIAIOSFODNN7EXAMPLE"), redacted[0]})
	for i, want := range []string{"STS sessions", "only long-term", "report is redacted"} {
		s := plan.Targets[i].Steps
		if len(s) != 1 || !strings.Contains(s[0].Problem, want) {
			t.Errorf("target %d: steps %+v, want problem %q", i, s, want)
		}
	}
	// Problems fail in apply, without calling AWS.
	sum := p.Apply(context.Background(), plan, nil, nil)
	if sum.Failed != 3 || len(f.calls) != 0 {
		t.Errorf("summary %+v, calls %v", sum, f.calls)
	}
}

func TestAWSNoOperatorCredentials(t *testing.T) {
	t.Parallel()
	f := newFakeAWS(t)
	cfg := awsConfig(t, f, newClock())
	cfg.AWS.Credentials = failingCreds{}
	p, _ := New(cfg)
	plan := p.Plan(context.Background(), TargetsFromFindings(awsFindings(), false))
	if s := plan.Targets[0].Steps[0]; !strings.Contains(s.Problem, "no AWS operator credentials") {
		t.Errorf("problem = %q", s.Problem)
	}
}

type failingCreds struct{}

func (failingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
}

func TestAWSAccountFromKeyID(t *testing.T) {
	t.Parallel()
	// From PROVIDERS.md's method; the example key starts with AKIAI, for
	// which it does not work.
	if got := awsAccountFromKeyID(exampleKeyID); got != "" {
		t.Errorf("AKIAI… = %q, want none", got)
	}
	if got := awsAccountFromKeyID("ASIAY34FZKBOKMUTVV7A"); got != "609629065308" {
		t.Errorf("account = %q", got)
	}
	if got := arnUser("arn:aws:iam::123456789012:user/division/alice"); got != "alice" {
		t.Errorf("arnUser = %q", got)
	}
}
