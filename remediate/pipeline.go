package remediate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// companionRules maps a rule to the rules whose findings complete its
// secret (an AWS access key id and its secret access key).
var (
	companionMu    sync.Mutex
	companionRules = map[string][]string{}
)

// RegisterCompanions declares that findings of the companion rules, in
// the same file at the same commit, complete a secret found by rule. They
// are attached to its Target (nearest first) and get no plan of their own.
func RegisterCompanions(rule string, companions ...string) {
	companionMu.Lock()
	defer companionMu.Unlock()
	companionRules[rule] = append(companionRules[rule], companions...)
}

func companionsOf(rule string) []string {
	companionMu.Lock()
	defer companionMu.Unlock()
	return companionRules[rule]
}

// TargetsFromFindings groups findings into targets, one per fingerprint,
// in the order of first appearance, with every location of the secret.
// When redacted is true (a report written without --no-redact) the
// findings' secrets are redacted text: the targets then carry no secret,
// and steps that need one say so.
//
// Companions (an AWS secret key beside its access key id) are attached to
// the target they complete, the nearest by line in the same file at the
// same commit, and their own targets are marked CoveredBy it.
func TargetsFromFindings(findings []leak.Finding, redacted bool) []*Target {
	byFP := map[string]*Target{}
	var out []*Target
	for i := range findings {
		f := &findings[i]
		fp := f.Fingerprint
		if fp == "" {
			continue
		}
		t := byFP[fp]
		if t == nil {
			t = &Target{
				Fingerprint: fp,
				Rule:        f.RuleID,
				Description: f.Description,
				Status:      f.Status,
				Identity:    f.Identity,
				CheckedAt:   f.CheckedAt,
			}
			if !redacted {
				t.Secret = f.Secret
			}
			byFP[fp] = t
			out = append(out, t)
		}
		t.Locations = append(t.Locations, f.Origin)
		// One secret's findings agree on its status, unless a report was
		// merged by hand: the most actionable status wins.
		if rank(f.Status) > rank(t.Status) {
			t.Status = f.Status
		}
		if t.Identity == "" {
			t.Identity = f.Identity
		}
	}
	if redacted {
		return out
	}
	// Per file and rule, the findings in line order: the nearest companion
	// is found by a binary search, not a pass over the file's findings.
	type place struct{ commit, path string }
	at := map[place]map[string][]int{}
	for i := range findings {
		p := place{findings[i].Origin.Commit, findings[i].Origin.Path}
		if at[p] == nil {
			at[p] = map[string][]int{}
		}
		at[p][findings[i].RuleID] = append(at[p][findings[i].RuleID], i)
	}
	for _, byRule := range at {
		for _, list := range byRule {
			sort.SliceStable(list, func(a, b int) bool { return findings[list[a]].Origin.Line < findings[list[b]].Origin.Line })
		}
	}
	for i := range findings {
		f := &findings[i]
		t := byFP[f.Fingerprint]
		for _, r := range companionsOf(f.RuleID) {
			if _, has := t.Companions[r]; has {
				continue // attached from an earlier location of the secret
			}
			j := nearestByLine(findings, at[place{f.Origin.Commit, f.Origin.Path}][r], f)
			if j < 0 {
				continue
			}
			g := &findings[j]
			if t.Companions == nil {
				t.Companions = map[string]leak.Secret{}
			}
			t.Companions[r] = g.Secret
			if c := byFP[g.Fingerprint]; c != nil && c.CoveredBy == "" {
				c.CoveredBy = t.Fingerprint
			}
		}
	}
	return out
}

// nearestByLine returns, of list (indexes into findings in line order), the
// finding nearest to f by line with another fingerprint, the first in
// findings order on a tie; -1 when there is none.
func nearestByLine(findings []leak.Finding, list []int, f *leak.Finding) int {
	pos := sort.Search(len(list), func(n int) bool { return findings[list[n]].Origin.Line >= f.Origin.Line })
	best, bestD := -1, 0
	consider := func(j int) bool { // reports whether the walk may go on
		g := &findings[j]
		if g.Fingerprint == f.Fingerprint {
			return true
		}
		d := g.Origin.Line - f.Origin.Line
		if d < 0 {
			d = -d
		}
		switch {
		case best < 0 || d < bestD || d == bestD && j < best:
			best, bestD = j, d
			return true
		case d == bestD:
			return true
		}
		return false // farther than the best: so is everything beyond
	}
	for n := pos; n < len(list) && consider(list[n]); n++ {
	}
	for n := pos - 1; n >= 0 && consider(list[n]); n-- {
	}
	return best
}

func rank(s leak.Status) int {
	switch s {
	case leak.Live:
		return 3
	case leak.Unknown:
		return 2
	case leak.Unchecked:
		return 1
	}
	return 0
}

// Plan is what remediation will do, per unique secret, in order.
type Plan struct {
	Emergency      bool          `json:"emergency"`
	IncludeUnknown bool          `json:"include_unknown"`
	Targets        []*TargetPlan `json:"targets"`
}

// TargetPlan is the plan for one secret: its steps in order (revocations
// first, the ticket last) and, after Apply, what became of them.
type TargetPlan struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Description string `json:"description,omitempty"`
	// Secret is the redacted secret.
	Secret    string        `json:"secret"`
	Status    leak.Status   `json:"status"`
	Identity  string        `json:"identity,omitempty"`
	Locations []leak.Origin `json:"locations"`
	// Skipped says why the secret is not acted on (its status, or that it
	// is part of another target).
	Skipped string `json:"skipped,omitempty"`
	// Manual says what is left to do by hand when no revoker acts on the
	// secret.
	Manual  string       `json:"manual,omitempty"`
	Steps   []Step       `json:"steps"`
	Results []StepResult `json:"results,omitempty"`

	target   *Target
	revokers []Revoker // revokers[i] carries out Steps[i]; nil for the ticket
}

// Problems counts the steps that cannot be carried out.
func (p *Plan) Problems() int {
	n := 0
	for _, t := range p.Targets {
		for _, s := range t.Steps {
			if s.Problem != "" {
				n++
			}
		}
	}
	return n
}

// Pipeline plans and applies remediation with the enabled revokers and the
// configured ticketer.
type Pipeline struct {
	cfg      *Config
	revokers []Revoker
	ticketer Ticketer
}

// New builds the enabled revokers and the ticketer of cfg.
func New(cfg *Config) (*Pipeline, error) {
	rs, err := buildRevokers(cfg)
	if err != nil {
		return nil, err
	}
	tk, err := buildTicketer(cfg)
	if err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, revokers: rs, ticketer: tk}, nil
}

// NewWith builds a pipeline from given revokers and ticketer (which may be
// nil), bypassing the registry: for tests and embedders.
func NewWith(cfg *Config, revokers []Revoker, ticketer Ticketer) *Pipeline {
	return &Pipeline{cfg: cfg, revokers: revokers, ticketer: ticketer}
}

// Plan decides, without changing anything, the steps for each target:
// live secrets (and unknown or unchecked ones with IncludeUnknown) get the
// revocation steps of every revoker that handles their rule, then a ticket
// when a ticketer is configured; dead secrets get only a ticket, and only
// when [remediate.ticket] also-dead is set.
func (p *Pipeline) Plan(ctx context.Context, targets []*Target) *Plan {
	plan := &Plan{Emergency: p.cfg.Emergency, IncludeUnknown: p.cfg.IncludeUnknown}
	for _, t := range targets {
		tp := &TargetPlan{
			Fingerprint: t.Fingerprint,
			Rule:        t.Rule,
			Description: t.Description,
			Secret:      "(redacted in the report)",
			Status:      t.Status,
			Identity:    t.Identity,
			Locations:   t.Locations,
			Steps:       []Step{},
			target:      t,
		}
		if !t.Secret.IsZero() {
			tp.Secret = t.Secret.Redacted()
		}
		plan.Targets = append(plan.Targets, tp)
		revoke, ticket := p.selectTarget(t, tp)
		if revoke {
			for _, r := range p.revokers {
				if !r.Handles(t.Rule) {
					continue
				}
				for _, s := range r.Plan(ctx, t) {
					s.Fingerprint = t.Fingerprint
					if s.Provider == "" {
						s.Provider = r.Provider()
					}
					tp.Steps = append(tp.Steps, s)
					tp.revokers = append(tp.revokers, r)
				}
			}
			if len(tp.Steps) == 0 {
				tp.Manual = "no revoker acts on " + t.Rule + " secrets: rotate it by hand at its provider"
			}
		}
		if ticket && p.ticketer != nil {
			s := p.ticketer.Plan(ctx, t)
			s.Fingerprint = t.Fingerprint
			if s.Provider == "" {
				s.Provider = p.ticketer.Provider()
			}
			if s.Action == "" {
				s.Action = "open-ticket"
			}
			tp.Steps = append(tp.Steps, s)
			tp.revokers = append(tp.revokers, nil)
		}
		assignIDs(tp)
	}
	return plan
}

// selectTarget decides whether t is revoked and whether it gets a ticket,
// and says why not in tp.Skipped.
func (p *Pipeline) selectTarget(t *Target, tp *TargetPlan) (revoke, ticket bool) {
	if t.CoveredBy != "" {
		tp.Skipped = "part of the credential " + short(t.CoveredBy) + ", remediated with it"
		return false, false
	}
	switch t.Status {
	case leak.Live:
		return true, true
	case leak.Dead:
		if p.cfg.Ticket.AlsoDead {
			tp.Skipped = "dead: nothing to revoke; a ticket is opened (also-dead)"
			return false, true
		}
		tp.Skipped = "dead: nothing to revoke"
		return false, false
	default:
		if p.cfg.IncludeUnknown {
			return true, true
		}
		tp.Skipped = "status " + string(t.Status) + ": not acted on without --include-unknown"
		return false, false
	}
}

// assignIDs gives every step of tp a stable ID: fingerprint prefix,
// provider and action, numbered when an action repeats.
func assignIDs(tp *TargetPlan) {
	seen := map[string]int{}
	for i := range tp.Steps {
		s := &tp.Steps[i]
		if s.ID != "" {
			continue
		}
		id := short(tp.Fingerprint) + "/" + s.Provider + "/" + s.Action
		seen[id]++
		if n := seen[id]; n > 1 {
			id = fmt.Sprintf("%s#%d", id, n)
		}
		s.ID = id
	}
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

// Summary is what an Apply run did.
type Summary struct {
	RunID string `json:"run_id"`
	// Targets counts secrets in the plan; Acted those with steps.
	Targets int `json:"targets"`
	Acted   int `json:"acted"`
	Done    int `json:"done"`
	Already int `json:"already"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// FailedSteps lists every failed step with its error.
	FailedSteps []StepResult `json:"failed_steps"`
	// Manual lists the secrets no revoker acts on, to rotate by hand.
	Manual []string `json:"manual,omitempty"`
	// Revocations counts revocation steps carried out in this run.
	Revocations int       `json:"revocations"`
	Started     time.Time `json:"started"`
	// Elapsed is the whole run.
	Elapsed time.Duration `json:"-"`
	// LastRevocation is the time from the start of the run to the end of
	// the last revocation carried out in it; zero when none was.
	LastRevocation time.Duration `json:"-"`
	ElapsedSeconds float64       `json:"elapsed_seconds"`
	// LastRevocationSeconds is LastRevocation in seconds.
	LastRevocationSeconds float64 `json:"last_revocation_seconds,omitempty"`
	// Canceled is set when the run was interrupted before every step ran.
	Canceled bool `json:"canceled,omitempty"`
	// Errors are run-level failures (the audit log or state file could not
	// be written).
	Errors   []string `json:"errors,omitempty"`
	AuditLog string   `json:"audit_log,omitempty"`
	State    string   `json:"state,omitempty"`
}

// OK reports whether every step succeeded (done, already or skipped) and
// the run was complete.
func (s *Summary) OK() bool {
	return s.Failed == 0 && !s.Canceled && len(s.Errors) == 0
}

// run is the shared state of one Apply.
type run struct {
	p        *Pipeline
	id       string
	operator string
	host     string
	audit    *AuditLog
	state    *State
	start    time.Time

	mu       sync.Mutex
	lastRev  time.Duration
	revs     int
	auditErr error
	errs     []string
}

// Apply carries out plan: targets in parallel (at most Config.Parallel at
// once), each target's steps in order. Every step leaves "planned",
// "attempt" and "result" entries in audit (nil for none) and, when it
// succeeds, a record in state (nil for none), so a re-run skips it. A
// failure of one step or one provider does not stop the others. Apply
// fills in the targets' Results and returns the summary.
func (p *Pipeline) Apply(ctx context.Context, plan *Plan, audit *AuditLog, state *State) *Summary {
	r := &run{
		p:        p,
		id:       newRunID(p.cfg.now()),
		operator: p.cfg.operator(),
		host:     p.cfg.hostname(),
		audit:    audit,
		state:    state,
		start:    p.cfg.now(),
	}
	r.operator = r.identify(ctx, plan)
	r.write(AuditEntry{Event: EventRunStart, Detail: map[string]any{
		"targets": len(plan.Targets), "emergency": plan.Emergency, "include_unknown": plan.IncludeUnknown,
	}})

	sem := make(chan struct{}, p.cfg.parallel())
	var wg sync.WaitGroup
	for _, tp := range plan.Targets {
		if len(tp.Steps) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.applyTarget(ctx, tp)
		}()
	}
	wg.Wait()

	sum := r.summarize(plan)
	if audit != nil {
		sum.AuditLog = audit.Path()
	}
	if state != nil {
		sum.State = state.Path()
	}
	r.write(AuditEntry{Event: EventRunEnd, Detail: map[string]any{
		"done": sum.Done, "already": sum.Already, "skipped": sum.Skipped, "failed": sum.Failed,
		"canceled": sum.Canceled, "elapsed_seconds": sum.ElapsedSeconds,
		"last_revocation_seconds": sum.LastRevocationSeconds,
	}})
	r.mu.Lock()
	sum.Errors = append(sum.Errors, r.errs...)
	r.mu.Unlock()
	return sum
}

// OperatorIdentifier is implemented by revokers that can tell whose
// credentials the operator uses (an AWS caller ARN); the audit log records
// it beside the local user name.
type OperatorIdentifier interface {
	OperatorIdentity(ctx context.Context) (string, error)
}

func (r *run) identify(ctx context.Context, plan *Plan) string {
	used := map[Revoker]bool{}
	for _, tp := range plan.Targets {
		for i, rv := range tp.revokers {
			if rv != nil && tp.Steps[i].Problem == "" {
				used[rv] = true
			}
		}
	}
	var ids []string
	for _, rv := range r.p.revokers {
		oi, ok := rv.(OperatorIdentifier)
		if !ok || !used[rv] {
			continue
		}
		if id, err := oi.OperatorIdentity(ctx); err == nil && id != "" {
			ids = append(ids, rv.Provider()+"="+id)
		}
	}
	if len(ids) == 0 {
		return r.operator
	}
	return r.operator + " (" + strings.Join(ids, ", ") + ")"
}

func (r *run) applyTarget(ctx context.Context, tp *TargetPlan) {
	var revs []StepResult
	for i, s := range tp.Steps {
		rv := tp.revokers[i]
		var res StepResult
		if rv != nil {
			res = r.step(ctx, tp, s, func(ctx context.Context) (Outcome, string, error) {
				out, err := rv.Apply(ctx, tp.target, s)
				return out, "", err
			})
			if res.Outcome == Done {
				r.mu.Lock()
				r.revs++
				if d := res.At.Sub(r.start); d > r.lastRev {
					r.lastRev = d
				}
				r.mu.Unlock()
			}
			revs = append(revs, res)
		} else {
			tk := r.p.ticketer
			done := revs
			res = r.step(ctx, tp, s, func(ctx context.Context) (Outcome, string, error) {
				u, out, err := tk.Apply(ctx, tp.target, s, done)
				return out, u, err
			})
		}
		tp.Results = append(tp.Results, res)
	}
}

// step carries out one step with retries, auditing each phase.
func (r *run) step(ctx context.Context, tp *TargetPlan, s Step, call func(context.Context) (Outcome, string, error)) StepResult {
	cfg := r.p.cfg
	// Revokers describe targets redacted; scrub anyway, as a second lock.
	base := AuditEntry{
		Step: s.ID, Fingerprint: s.Fingerprint, Provider: s.Provider, Action: s.Action,
		Target: scrub(s.Target, tp.target), Where: scrub(s.Where, tp.target), Credentials: s.Credentials,
	}
	result := func(out Outcome, errMsg, u string) StepResult {
		return StepResult{Step: s, Outcome: out, Error: errMsg, URL: u, At: cfg.now()}
	}
	if st, ok := r.state.Completed(s.ID); ok {
		e := base
		e.Event, e.Outcome, e.URL = EventSkipped, string(Skipped), st.URL
		e.Detail = map[string]any{"completed_at": st.At, "completed_outcome": st.Outcome, "completed_run": st.RunID}
		r.write(e)
		return result(Skipped, "", st.URL)
	}
	e := base
	e.Event = EventPlanned
	r.write(e)
	if s.Problem != "" {
		e := base
		e.Event, e.Outcome, e.Error = EventResult, string(Failed), s.Problem
		r.write(e)
		return result(Failed, s.Problem, "")
	}
	for attempt := 1; ; attempt++ {
		if err := r.blocked(ctx); err != nil {
			e := base
			e.Event, e.Outcome, e.Error = EventResult, string(Failed), "not attempted: "+err.Error()
			r.write(e)
			return result(Failed, e.Error, "")
		}
		e := base
		e.Event, e.Attempt = EventAttempt, attempt
		r.write(e)

		cctx, cancel := context.WithTimeout(ctx, cfg.timeout())
		out, u, err := safeCall(cctx, call)
		timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err == nil && (out == Done || out == Already) {
			res := result(out, "", u)
			e := base
			e.Event, e.Attempt, e.Outcome, e.URL = EventResult, attempt, string(out), u
			r.write(e)
			if serr := r.state.Complete(s.ID, StepState{
				Fingerprint: s.Fingerprint, Provider: s.Provider, Action: s.Action,
				Outcome: out, At: res.At, RunID: r.id, URL: u,
			}); serr != nil {
				r.fail(serr)
			}
			return res
		}
		if err == nil {
			err = fmt.Errorf("%s returned outcome %q without an error", s.Provider, out)
		}
		if timedOut && !errors.As(err, new(*RetryableError)) {
			err = &RetryableError{Err: fmt.Errorf("timed out after %s: %w", cfg.timeout(), err)}
		}
		msg := scrub(err.Error(), tp.target)
		var re *RetryableError
		if errors.As(err, &re) && attempt < cfg.maxAttempts() && ctx.Err() == nil {
			if re.RetryAfter > cfg.maxRetryWait() {
				msg += fmt.Sprintf(" (the provider asked to wait %s, longer than %s: re-run later)", re.RetryAfter, cfg.maxRetryWait())
			} else {
				wait := r.backoff(attempt, re.RetryAfter)
				e := base
				e.Event, e.Attempt, e.Outcome, e.Error = EventResult, attempt, string(Failed), msg
				e.RetryIn = wait.Seconds()
				r.write(e)
				if err := cfg.sleep(ctx, wait); err != nil {
					e := base
					e.Event, e.Outcome, e.Error = EventResult, string(Failed), "not retried: "+err.Error()
					r.write(e)
					return result(Failed, msg, "")
				}
				continue
			}
		}
		e = base
		e.Event, e.Attempt, e.Outcome, e.Error = EventResult, attempt, string(Failed), msg
		r.write(e)
		return result(Failed, msg, "")
	}
}

// blocked says why no further step may be attempted: the run was canceled,
// or the audit log can no longer be written (nothing is done unaudited).
func (r *run) blocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted (%w)", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.auditErr != nil {
		return fmt.Errorf("the audit log cannot be written: %w", r.auditErr)
	}
	return nil
}

// backoff is the wait before retry number attempt: what the provider
// asked for, else exponential from one second (at most 30s) with jitter.
func (r *run) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := time.Second << (attempt - 1)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	j := mrand.Float64
	if r.p.cfg.Jitter != nil {
		j = r.p.cfg.Jitter
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

// safeCall runs call, turning a panic into an error so that one broken
// revoker fails its step, not the run.
func safeCall(ctx context.Context, call func(context.Context) (Outcome, string, error)) (out Outcome, u string, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, u, err = Failed, "", fmt.Errorf("internal error: %v", v)
		}
	}()
	return call(ctx)
}

func (r *run) write(e AuditEntry) {
	e.Time = r.p.cfg.now().UTC()
	e.RunID = r.id
	e.Operator = r.operator
	e.Host = r.host
	if err := r.audit.Write(e); err != nil {
		r.mu.Lock()
		if r.auditErr == nil {
			r.auditErr = err
			r.errs = append(r.errs, err.Error())
		}
		r.mu.Unlock()
	}
}

func (r *run) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err.Error())
}

func (r *run) summarize(plan *Plan) *Summary {
	end := r.p.cfg.now()
	r.mu.Lock()
	s := &Summary{
		RunID:          r.id,
		Targets:        len(plan.Targets),
		Started:        r.start.UTC(),
		Elapsed:        end.Sub(r.start),
		LastRevocation: r.lastRev,
		Revocations:    r.revs,
		FailedSteps:    []StepResult{},
	}
	r.mu.Unlock()
	for _, tp := range plan.Targets {
		if tp.Manual != "" {
			s.Manual = append(s.Manual, tp.Secret+" ("+tp.Rule+", "+short(tp.Fingerprint)+")")
		}
		if len(tp.Steps) == 0 {
			continue
		}
		s.Acted++
		if len(tp.Results) < len(tp.Steps) {
			s.Canceled = true
		}
		for _, res := range tp.Results {
			switch res.Outcome {
			case Done:
				s.Done++
			case Already:
				s.Already++
			case Skipped:
				s.Skipped++
			default:
				s.Failed++
				s.FailedSteps = append(s.FailedSteps, res)
				if strings.HasPrefix(res.Error, "not attempted: run interrupted") {
					s.Canceled = true
				}
			}
		}
	}
	s.ElapsedSeconds = s.Elapsed.Seconds()
	s.LastRevocationSeconds = s.LastRevocation.Seconds()
	return s
}

// RunOptions say whether Run applies the plan and where it records it.
type RunOptions struct {
	// Apply carries the plan out; otherwise Run only plans (dry run).
	Apply bool
	// AuditLog and State name the files Apply writes; empty means
	// Config.AuditLog and Config.State, then DefaultAuditLog and
	// DefaultState.
	AuditLog, State string
	// OnPlan, when set, is called with the plan before anything is
	// applied (to show it first).
	OnPlan func(*Plan)
}

// The files Apply writes when neither flags nor [remediate] name them.
const (
	DefaultAuditLog = "leakgate-remediate.audit.jsonl"
	DefaultState    = "leakgate-remediate.state.json"
)

// Run is the whole pipeline for callers that have targets: leakgate
// remediate (from a saved report) and leakgate scan --verify --remediate
// (from live findings). It builds the revokers of cfg, plans, and with
// opt.Apply carries the plan out, auditing to the audit log and recording
// completed steps in the state file. The error is for what keeps the
// pipeline from running at all (configuration, files); step failures are
// in the Summary, which is nil for a dry run.
func Run(ctx context.Context, cfg *Config, targets []*Target, opt RunOptions) (*Plan, *Summary, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	plan := p.Plan(ctx, targets)
	if opt.OnPlan != nil {
		opt.OnPlan(plan)
	}
	if !opt.Apply {
		return plan, nil, nil
	}
	auditPath := firstNonEmpty(opt.AuditLog, cfg.AuditLog, DefaultAuditLog)
	statePath := firstNonEmpty(opt.State, cfg.State, DefaultState)
	state, err := LoadState(statePath)
	if err != nil {
		return plan, nil, err
	}
	audit, err := OpenAuditLog(auditPath)
	if err != nil {
		return plan, nil, err
	}
	sum := p.Apply(ctx, plan, audit, state)
	if err := audit.Close(); err != nil {
		sum.Errors = append(sum.Errors, "audit log: "+err.Error())
	}
	return plan, sum, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// newRunID is a sortable, unique run identifier: the start time and 4
// random bytes.
func newRunID(t time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// scrub replaces every part of t's secret in s by its redacted form, as
// written and as a URL or form body would carry it.
func scrub(s string, t *Target) string {
	if t == nil {
		return s
	}
	secrets := []leak.Secret{t.Secret}
	keys := make([]string, 0, len(t.Companions))
	for k := range t.Companions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		secrets = append(secrets, t.Companions[k])
	}
	return leak.Scrub(s, secrets...)
}
