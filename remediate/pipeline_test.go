package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leakgate/leakgate/leak"
)

// stepRevoker is a revoker with two steps per secret whose Apply runs a
// hook: to crash, fail or panic on demand.
type stepRevoker struct {
	mu    sync.Mutex
	calls []string
	hook  func(ctx context.Context, t *Target, s Step, n int) (Outcome, error)
}

func (r *stepRevoker) Provider() string    { return "fake" }
func (r *stepRevoker) Handles(string) bool { return true }
func (r *stepRevoker) Plan(_ context.Context, t *Target) []Step {
	return []Step{
		{Action: "revoke", Target: "token " + t.Secret.Redacted(), Credentials: "none"},
		{Action: "rotate", Target: "token " + t.Secret.Redacted(), Credentials: "none"},
	}
}
func (r *stepRevoker) Apply(ctx context.Context, t *Target, s Step) (Outcome, error) {
	r.mu.Lock()
	r.calls = append(r.calls, short(t.Fingerprint)+" "+s.Action)
	n := len(r.calls)
	r.mu.Unlock()
	if r.hook != nil {
		return r.hook(ctx, t, s, n)
	}
	return Done, nil
}

// fakeTicketer records what it was told.
type fakeTicketer struct {
	mu     sync.Mutex
	opened map[string][]StepResult
}

func (f *fakeTicketer) Provider() string { return "tickets" }
func (f *fakeTicketer) Plan(_ context.Context, t *Target) Step {
	return Step{Action: "open-ticket", Target: "issue in org/repo", Credentials: "GITHUB_TOKEN"}
}
func (f *fakeTicketer) Apply(_ context.Context, t *Target, s Step, revs []StepResult) (string, Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened == nil {
		f.opened = map[string][]StepResult{}
	}
	f.opened[t.Fingerprint] = revs
	return "https://example.test/org/repo/issues/1", Done, nil
}

const fakeSecret = "tok_4f9Qz7LmX2pR8sVw1nKc"

func secretFindings(statuses ...leak.Status) []leak.Finding {
	var fs []leak.Finding
	for i, st := range statuses {
		sec := fakeSecret + string(rune('a'+i))
		fs = append(fs, leak.Finding{RuleID: "fake-token", Secret: leak.NewSecret(sec), Fingerprint: leak.Fingerprint("fake-token", sec),
			Origin: leak.Origin{Path: "f.txt", Line: i + 1, Column: 1}, Status: st})
	}
	return fs
}

func TestCrashBetweenStepsResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	audit, state := files(dir)
	cfg := testConfig(t, newClock(), nil, nil)
	cfg.Parallel = 1
	tk := &fakeTicketer{}

	// First run: the process "dies" right after the first step succeeded.
	ctx, cancel := context.WithCancel(context.Background())
	rv := &stepRevoker{hook: func(_ context.Context, t *Target, s Step, n int) (Outcome, error) {
		if n == 1 {
			cancel()
		}
		return Done, nil
	}}
	run := func(ctx context.Context) (*Plan, *Summary) {
		p := NewWith(cfg, []Revoker{rv}, tk)
		plan := p.Plan(ctx, TargetsFromFindings(secretFindings(leak.Live), false))
		st, err := LoadState(state)
		if err != nil {
			t.Fatal(err)
		}
		al, err := OpenAuditLog(audit)
		if err != nil {
			t.Fatal(err)
		}
		defer al.Close()
		return plan, p.Apply(ctx, plan, al, st)
	}
	_, sum1 := run(ctx)
	if !sum1.Canceled || sum1.Done != 1 || sum1.Failed != 2 || sum1.OK() {
		t.Fatalf("first run: %+v", sum1)
	}
	if len(tk.opened) != 0 {
		t.Error("ticket opened in the interrupted run")
	}

	// Second run: the done step is skipped, the rest is carried out.
	rv.hook = nil
	plan, sum2 := run(context.Background())
	if sum2.Skipped != 1 || sum2.Done != 2 || !sum2.OK() {
		t.Fatalf("second run: %+v", sum2)
	}
	fp := plan.Targets[0].Fingerprint
	if d := cmp.Diff([]string{short(fp) + " revoke", short(fp) + " rotate"}, rv.calls); d != "" {
		t.Errorf("revoker calls (-want +got):\n%s", d)
	}
	revs := tk.opened[fp]
	if len(revs) != 2 || revs[0].Outcome != Skipped || revs[1].Outcome != Done {
		t.Errorf("ticket told %+v", revs)
	}
	if got := plan.Targets[0].Results[2].URL; got == "" {
		t.Error("no ticket URL")
	}

	// The audit log holds both runs, every phase of every step.
	es := readAudit(t, audit)
	runs := map[string]bool{}
	for _, e := range es {
		runs[e.RunID] = true
	}
	want := []string{
		"run-start",
		"planned fake/revoke", "attempt fake/revoke", "result fake/revoke done",
		"planned fake/rotate", "result fake/rotate failed",
		"planned tickets/open-ticket", "result tickets/open-ticket failed",
		"run-end",
		"run-start",
		"skipped fake/revoke skipped",
		"planned fake/rotate", "attempt fake/rotate", "result fake/rotate done",
		"planned tickets/open-ticket", "attempt tickets/open-ticket", "result tickets/open-ticket done",
		"run-end",
	}
	if d := cmp.Diff(want, events(es)); d != "" || len(runs) != 2 {
		t.Errorf("audit (-want +got), %d runs:\n%s", len(runs), d)
	}
	// A third run does nothing new.
	_, sum3 := run(context.Background())
	if sum3.Skipped != 3 || len(rv.calls) != 2 {
		t.Errorf("third run: %+v, calls %v", sum3, rv.calls)
	}
	noSecret(t, []string{fakeSecret}, []string{audit, state})
}

func TestSelection(t *testing.T) {
	t.Parallel()
	fs := secretFindings(leak.Live, leak.Dead, leak.Unknown, leak.Unchecked)
	for _, tc := range []struct {
		name      string
		unknown   bool
		alsoDead  bool
		wantSteps []int
	}{
		{"live only", false, false, []int{3, 0, 0, 0}},
		{"include unknown", true, false, []int{3, 0, 3, 3}},
		{"tickets for dead", false, true, []int{3, 1, 0, 0}},
	} {
		cfg := testConfig(t, newClock(), nil, nil)
		cfg.IncludeUnknown, cfg.Ticket.AlsoDead = tc.unknown, tc.alsoDead
		plan := NewWith(cfg, []Revoker{&stepRevoker{}}, &fakeTicketer{}).Plan(context.Background(), TargetsFromFindings(fs, false))
		var got []int
		for _, tp := range plan.Targets {
			got = append(got, len(tp.Steps))
			if len(tp.Steps) == 0 && tp.Skipped == "" {
				t.Errorf("%s: %s has no steps and no reason", tc.name, tp.Status)
			}
			if n := len(tp.Steps); n > 0 && tp.Steps[n-1].Action != "open-ticket" {
				t.Errorf("%s: the ticket is not last: %+v", tc.name, tp.Steps)
			}
		}
		if d := cmp.Diff(tc.wantSteps, got); d != "" {
			t.Errorf("%s: steps per target (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestFailureIsolationAndPanic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	audit, state := files(dir)
	cfg := testConfig(t, newClock(), nil, nil)
	rv := &stepRevoker{hook: func(_ context.Context, t *Target, s Step, n int) (Outcome, error) {
		if s.Action == "revoke" && n == 1 {
			panic("boom with " + t.Secret.Reveal())
		}
		if s.Action == "rotate" {
			return Failed, errors.New("provider said no to " + t.Secret.Reveal())
		}
		return Done, nil
	}}
	cfg.Parallel = 1
	fs := secretFindings(leak.Live, leak.Live)
	p := NewWith(cfg, []Revoker{rv}, nil)
	plan := p.Plan(context.Background(), TargetsFromFindings(fs, false))
	al, _ := OpenAuditLog(audit)
	st, _ := LoadState(state)
	sum := p.Apply(context.Background(), plan, al, st)
	al.Close()
	if sum.Done != 1 || sum.Failed != 3 || sum.OK() || sum.Canceled {
		t.Fatalf("summary %+v", sum)
	}
	var out bytes.Buffer
	WriteResultsText(&out, plan, sum)
	WriteJSON(&out, plan, sum)
	if !strings.Contains(out.String(), "internal error: boom") || !strings.Contains(out.String(), "Failed steps:") {
		t.Errorf("output:\n%s", out.String())
	}
	noSecret(t, []string{fakeSecret}, []string{audit, state}, out.String())
}

func TestAuditLogUnwritableStopsActing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	audit, _ := files(dir)
	al, err := OpenAuditLog(audit)
	if err != nil {
		t.Fatal(err)
	}
	al.Close() // every write now fails
	rv := &stepRevoker{}
	cfg := testConfig(t, newClock(), nil, nil)
	p := NewWith(cfg, []Revoker{rv}, nil)
	plan := p.Plan(context.Background(), TargetsFromFindings(secretFindings(leak.Live), false))
	sum := p.Apply(context.Background(), plan, al, nil)
	if len(rv.calls) != 0 || sum.OK() || len(sum.Errors) == 0 {
		t.Errorf("acted without an audit log: calls %v, summary %+v", rv.calls, sum)
	}
}

func TestStateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "s.json")
	s, err := LoadState(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Complete("a/b/c", StepState{Outcome: Done, URL: "u"}); err != nil {
		t.Fatal(err)
	}
	s2, err := LoadState(name)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := s2.Completed("a/b/c"); !ok || st.URL != "u" {
		t.Errorf("reloaded %+v %v", st, ok)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	os.WriteFile(name, []byte("{"), 0o600)
	if _, err := LoadState(name); err == nil {
		t.Error("corrupt state accepted")
	}
}

func TestPlanJSON(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, newClock(), nil, nil)
	plan := NewWith(cfg, []Revoker{&stepRevoker{}}, &fakeTicketer{}).Plan(context.Background(), TargetsFromFindings(secretFindings(leak.Live), false))
	var b bytes.Buffer
	if err := WriteJSON(&b, plan, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version int
		Mode    string
		Plan    struct {
			Targets []struct {
				Fingerprint string
				Secret      string
				Steps       []Step
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.Mode != "plan" || len(doc.Plan.Targets) != 1 || len(doc.Plan.Targets[0].Steps) != 3 {
		t.Errorf("doc = %+v", doc)
	}
	ids := map[string]bool{}
	for _, s := range doc.Plan.Targets[0].Steps {
		if s.ID == "" || ids[s.ID] {
			t.Errorf("step id %q missing or repeated", s.ID)
		}
		ids[s.ID] = true
	}
	noSecret(t, []string{fakeSecret}, nil, b.String())
}

// nearestByLine finds what a pass over every finding of the list would:
// the nearest line with another fingerprint, the first on a tie.
func TestNearestByLine(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		var fs []leak.Finding
		for range 1 + r.IntN(30) {
			fs = append(fs, leak.Finding{Fingerprint: fmt.Sprint(r.IntN(4)), Origin: leak.Origin{Line: 1 + r.IntN(20)}})
		}
		list := make([]int, len(fs))
		for i := range list {
			list[i] = i
		}
		sort.SliceStable(list, func(a, b int) bool { return fs[list[a]].Origin.Line < fs[list[b]].Origin.Line })
		for i := range fs {
			want, wantD := -1, 0
			for j := range fs {
				d := fs[j].Origin.Line - fs[i].Origin.Line
				if d < 0 {
					d = -d
				}
				if fs[j].Fingerprint != fs[i].Fingerprint && (want < 0 || d < wantD) {
					want, wantD = j, d
				}
			}
			if got := nearestByLine(fs, list, &fs[i]); got != want {
				t.Fatalf("round %d finding %d: got %d, want %d", round, i, got, want)
			}
		}
	}
}
