package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// receiveFlags are the flags of hook pre-receive.
type receiveFlags struct {
	config      string
	baseline    string
	verify      bool
	verifyTime  time.Duration
	noRedact    bool
	jobs        int
	maxFileSize int64
	exampleKeys bool
	timeout     time.Duration
	onTimeout   string
	onError     string
	allowBypass bool
	auditLog    string
}

// bypassOption is the push option that asks to skip the scan:
// git push -o leakgate.skip="reason".
const bypassOption = "leakgate.skip"

func (e *env) hookPreReceiveCmd() *cobra.Command {
	var f receiveFlags
	c := &cobra.Command{
		Use:   "pre-receive [flags]",
		Short: "Git server hook: reject pushes that add secrets",
		Long: `Run as a git server's pre-receive hook: read "<old-id> <new-id> <ref>" lines
on standard input and scan what the push brings that the repository does not
have yet: the commits no existing ref reaches, and of the blobs they introduce
only those new to the repository (read from git's quarantine directory).
Deleted refs scan nothing; annotated tags scan the commits they point at; a
tag of a blob or a tree scans it (each file of the tree) at the tag's name.

A push that adds a secret is rejected with a message naming the file, line,
rule, commit and the redacted secret, and how to fix it. On GitLab every line
starts with "GL-HOOK-ERR: ". Messages go to standard output, which GitHub
Enterprise Server, GitLab and plain git all show to the pusher.

With --allow-bypass, "git push -o leakgate.skip=REASON" skips the scan; every
bypass is recorded in --audit-log (the server needs
"git config receive.advertisePushOptions true").

Exit codes: 0 the push is accepted; 1 a secret was found, or a bypass was
refused; 2 the push could not be fully scanned (errors, or --timeout with
--on-timeout reject) and no secret was found, or the hook could not run.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return e.runPreReceive(c.Context(), &f, time.Now())
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "server-wide rules and settings `FILE` (default: the built-in rules; a pushed .leakgate.toml is never read)")
	fl.StringVar(&f.baseline, "baseline", "", "a previous JSON report `FILE`; findings whose fingerprint it holds are not reported")
	fl.BoolVar(&f.verify, "verify", false, "check each secret found with its provider, within the time budget, to mark live ones in the message (the push is rejected either way)")
	fl.DurationVar(&f.verifyTime, "verify-timeout", time.Second, "with --verify: bound each provider call")
	fl.BoolVar(&f.noRedact, "no-redact", false, "show secrets in full in the rejection message")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel workers")
	fl.Int64Var(&f.maxFileSize, "max-file-size", source.DefaultMaxFileSize, "skip (and count) blobs larger than this many `BYTES`")
	fl.BoolVar(&f.exampleKeys, "include-example-keys", false, "report documented example keys such as AKIAIOSFODNN7EXAMPLE")
	fl.DurationVar(&f.timeout, "timeout", 4*time.Second, "time budget for the whole hook (GitHub Enterprise Server gives all hooks 5s)")
	fl.StringVar(&f.onTimeout, "on-timeout", "allow", "when the budget runs out with no secret found so far: allow or reject the push")
	fl.StringVar(&f.onError, "on-error", "reject", "when the push cannot be fully scanned and no secret was found: allow or reject the push")
	fl.BoolVar(&f.allowBypass, "allow-bypass", false, "let pushers skip the scan with git push -o leakgate.skip=REASON (audited)")
	fl.StringVar(&f.auditLog, "audit-log", "", "append one JSON line per push decision (bypasses, timeouts, rejections, acceptances) to `FILE`")
	return c
}

// hookEnv is what a git server tells a hook through the environment.
type hookEnv struct {
	gitlab     bool   // GL_ID, GL_PROTOCOL or GL_REPOSITORY set
	who        string // the pusher as the server names them (GitHub or GitLab login)
	user       string // who for the audit log: the login, else GL_ID, else the system user
	repo       string // GITHUB_REPO_NAME, GL_PROJECT_PATH or the repository directory
	quarantine string // GIT_QUARANTINE_PATH
	options    []string
}

func readHookEnv(getenv func(string) string) hookEnv {
	h := hookEnv{
		gitlab:     getenv("GL_ID") != "" || getenv("GL_PROTOCOL") != "" || getenv("GL_REPOSITORY") != "",
		quarantine: getenv("GIT_QUARANTINE_PATH"),
	}
	h.who = firstNonEmpty(getenv("GITHUB_USER_LOGIN"), getenv("GL_USERNAME"))
	h.user = firstNonEmpty(h.who, getenv("GL_ID"), getenv("USER"), getenv("LOGNAME"))
	h.repo = firstNonEmpty(getenv("GITHUB_REPO_NAME"), getenv("GL_PROJECT_PATH"))
	if h.repo == "" {
		if wd, err := os.Getwd(); err == nil {
			h.repo = wd
		}
	}
	if n, err := strconv.Atoi(getenv("GIT_PUSH_OPTION_COUNT")); err == nil {
		for i := range min(n, 1000) {
			h.options = append(h.options, getenv(fmt.Sprintf("GIT_PUSH_OPTION_%d", i)))
		}
	}
	return h
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// bypass returns the reason given with the bypass push option, and
// whether the option was given at all.
func (h *hookEnv) bypass() (reason string, asked bool) {
	for _, o := range h.options {
		name, value, _ := strings.Cut(o, "=")
		if name == bypassOption {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}

// pusher writes the lines the pusher sees, each with the server's prefix.
type pusher struct {
	w      io.Writer
	prefix string
}

func (p pusher) line(format string, args ...any) {
	fmt.Fprintf(p.w, "%s%s\n", p.prefix, fmt.Sprintf(format, args...))
}

func (e *env) runPreReceive(ctx context.Context, f *receiveFlags, start time.Time) error {
	switch {
	case f.onTimeout != "allow" && f.onTimeout != "reject":
		return usageError("--on-timeout %q: want allow or reject", f.onTimeout)
	case f.onError != "allow" && f.onError != "reject":
		return usageError("--on-error %q: want allow or reject", f.onError)
	case f.timeout <= 0:
		return usageError("--timeout %s: want a positive duration", f.timeout)
	}
	h := readHookEnv(os.Getenv)
	out := pusher{w: e.stdout}
	if h.gitlab {
		out.prefix = "GL-HOOK-ERR: "
	}
	audit := &auditLog{path: f.auditLog, now: time.Now, user: h.user, repo: h.repo, warn: e.stderr}

	updates, err := source.ParseRefUpdates(e.stdin)
	if err != nil {
		return cannotRun(out, err)
	}
	audit.updates = updates

	if reason, asked := h.bypass(); asked {
		return e.receiveBypass(out, audit, f, reason)
	}

	if !slices.ContainsFunc(updates, func(u source.RefUpdate) bool { return !u.Deleted() }) {
		// Only deletions (or nothing): nothing to scan, no rules to load.
		audit.write(auditEvent{Event: "accept"})
		return nil
	}

	ctx, cancel := context.WithDeadline(ctx, start.Add(f.timeout))
	defer cancel()

	// Loading the rules is CPU work in this process, listing the push is
	// mostly git's: do both at once.
	type loaded struct {
		det *detect.Detector
		err error
	}
	rulesDone := make(chan loaded, 1)
	go func() {
		det, err := loadDetector(f)
		rulesDone <- loaded{det, err}
	}()
	src := &source.Push{Dir: ".", Updates: updates, Quarantine: h.quarantine, MaxFileSize: f.maxFileSize}
	src.Prepare(ctx)
	ignores, ierr := src.Files(ctx, ".leakgateignore")
	l := <-rulesDone
	if l.err != nil {
		return cannotRun(out, l.err)
	}
	src.PathClass = l.det.Rules().PathClass
	suppress, err := loadBaseline(f.baseline)
	if err != nil {
		return cannotRun(out, err)
	}
	if ierr != nil && ctx.Err() == nil {
		out.line("leakgate: warning: %v", ierr)
	}
	for _, data := range ignores {
		for _, bad := range addFingerprints(suppress, data) {
			out.line("leakgate: warning: .leakgateignore:%s is not a fingerprint (64 hex digits): ignored", bad)
		}
	}
	res, err := scan.Run(ctx, scan.Config{Source: src, Detector: l.det, Jobs: f.jobs, Suppress: suppress})
	if err != nil {
		res = &scan.Result{Summary: report.Summary{Errors: []string{err.Error()}}}
	}
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	if f.verify && len(res.Findings) > 0 && !timedOut {
		e.receiveVerify(ctx, f, res)
	}
	for _, n := range src.Notes() {
		fmt.Fprintf(e.stderr, "leakgate: note: %s\n", n)
	}
	v := decide(res, timedOut, f)
	return e.receiveVerdict(out, audit, f, h, res, v, timedOut)
}

// receiveVerify checks the secrets found with their providers in what is
// left of the hook's budget (each call bounded by --verify-timeout), so the
// rejection can say which are live. It never changes the verdict: a secret
// found rejects the push whatever its status.
func (e *env) receiveVerify(ctx context.Context, f *receiveFlags, res *scan.Result) {
	left := time.Until(deadlineOf(ctx))
	checker, err := e.newChecker(".", f.config, &verifyFlags{timeout: min(f.verifyTime, left), deadline: left})
	if err != nil {
		fmt.Fprintf(e.stderr, "leakgate: verify: %v\n", err)
		return
	}
	checker.Attempts = 1 // no time to wait for a retry
	res.Summary.Verification = verifyFindings(ctx, checker, res.Findings, res.Companions...)
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Second)
}

// cannotRun tells the pusher (stdout, with the server's prefix: on GitLab
// stderr without it would not be shown) that the hook could not run, and
// exits 2.
func cannotRun(out pusher, err error) error {
	out.line("leakgate: push rejected: the pre-receive hook could not run: %v", err)
	out.line("Ask a server administrator.")
	return &exitError{code: scan.ExitIncomplete}
}

// loadDetector builds the detector from the built-in rules, merged with
// the server-wide --config when given.
func loadDetector(f *receiveFlags) (*detect.Detector, error) {
	set := rules.Lean()
	if f.config != "" {
		var err error
		if set, err = rules.Load(f.config, set); err != nil {
			return nil, err
		}
	}
	return detect.New(set, detect.Options{ReportExampleKeys: f.exampleKeys})
}

// refObjects returns the refs whose blob or tree holds a finding
// (findings without a commit, at "REF" or "REF:path"), once each, in
// order.
func refObjects(findings []leak.Finding) []string {
	var refs []string
	for _, f := range findings {
		if f.Origin.Commit != "" {
			continue
		}
		ref, _, _ := strings.Cut(f.Origin.Path, ":")
		if strings.HasPrefix(ref, "refs/") && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs
}

// refObjectsFix tells how to push without refs that point at a blob or
// tree holding a secret: delete a tag, leave out another ref.
func refObjectsFix(refs []string) []string {
	var tags, others []string
	for _, r := range refs {
		if t, ok := strings.CutPrefix(r, "refs/tags/"); ok {
			tags = append(tags, t)
		} else {
			others = append(others, r)
		}
	}
	fix := []string{"A finding named after a ref is in the blob or tree that ref points at, which no commit holds:"}
	if len(tags) > 0 {
		fix = append(fix, "  push without the tag "+strings.Join(tags, ", ")+" (and delete it where you made it: git tag -d "+strings.Join(tags, " ")+").")
	}
	if len(others) > 0 {
		fix = append(fix, "  push without "+strings.Join(others, ", ")+", or point it at a commit.")
	}
	return fix
}

// verdict is what a pre-receive scan decides.
type verdict struct {
	code  int    // exit code
	event string // audit event: accept, reject, timeout, error
}

// decide applies the policies to a scan result: a secret found rejects,
// even one found before the budget ran out; otherwise a timeout is up to
// --on-timeout and an incomplete scan up to --on-error.
func decide(res *scan.Result, timedOut bool, f *receiveFlags) verdict {
	switch {
	case len(res.Findings) > 0:
		return verdict{code: scan.ExitFail, event: "reject"}
	case timedOut && f.onTimeout == "allow":
		return verdict{code: scan.ExitPass, event: "timeout"}
	case timedOut:
		return verdict{code: scan.ExitIncomplete, event: "timeout"}
	case !res.Summary.Complete && f.onError == "allow":
		return verdict{code: scan.ExitPass, event: "error"}
	case !res.Summary.Complete:
		return verdict{code: scan.ExitIncomplete, event: "error"}
	}
	return verdict{code: scan.ExitPass, event: "accept"}
}

func (e *env) receiveVerdict(out pusher, audit *auditLog, f *receiveFlags, h hookEnv, res *scan.Result, v verdict, timedOut bool) error {
	ev := auditEvent{Event: v.event, Findings: len(res.Findings)}
	switch {
	case v.event == "reject":
		fix := []string{
			"How to fix: remove the secret from the commits of this push, then push again.",
			"  In the last commit: edit the file, then git add it and git commit --amend.",
			"  In an older commit: git rebase -i COMMIT~1 (COMMIT as named above), mark that commit \"edit\",",
			"    fix the file, git commit --amend, git rebase --continue.",
			"  If the secret is real, also revoke and rotate it: rewriting history does not undo a leak.",
			"A false positive? Add leakgate:allow in a comment on that line, or add the fingerprint",
			"  to .leakgateignore at the root of the repository, in a commit of this push.",
		}
		if refs := refObjects(res.Findings); len(refs) > 0 {
			fix = append(fix, refObjectsFix(refs)...)
		}
		if f.allowBypass {
			fix = append(fix, "To push anyway (recorded with your name): git push -o leakgate.skip=\"REASON\"")
		}
		_ = report.WriteRejection(out.w, res.Findings, report.Rejection{
			Action: "push", LinePrefix: out.prefix, Who: h.who, Fix: fix, NoRedact: f.noRedact,
		})
		switch {
		case timedOut:
			ev.Detail = fmt.Sprintf("scan did not finish within %s", f.timeout)
			out.line("leakgate: note: the scan did not finish within %s either: the push may hold more secrets than these.", f.timeout)
		case !res.Summary.Complete:
			ev.Detail = strings.Join(res.Summary.Errors, "; ")
			out.line("leakgate: note: the scan was also incomplete (%s)", strings.Join(res.Summary.Errors, "; "))
		}
	case v.event == "timeout":
		ev.Detail = fmt.Sprintf("scan did not finish within %s", f.timeout)
		if v.code == scan.ExitPass {
			out.line("leakgate: warning: the secret scan did not finish within %s; the push is allowed by server policy (--on-timeout allow) and recorded.", f.timeout)
		} else {
			out.line("leakgate: push rejected: the secret scan did not finish within %s (server policy: --on-timeout reject).", f.timeout)
			out.line("Try pushing fewer commits at a time, or ask a server administrator.")
			e.bypassHint(out, f)
		}
	case v.event == "error":
		ev.Detail = strings.Join(res.Summary.Errors, "; ")
		if v.code == scan.ExitPass {
			out.line("leakgate: warning: the push could not be fully scanned; it is allowed by server policy (--on-error allow):")
		} else {
			out.line("leakgate: push rejected: the push could not be fully scanned:")
		}
		for _, msg := range res.Summary.Errors {
			out.line("  %s", msg)
		}
		if v.code != scan.ExitPass {
			out.line("Ask a server administrator.")
			e.bypassHint(out, f)
		}
	}
	if s := res.Summary; s.SkippedBinary > 0 || s.SkippedLarge > 0 {
		// Not scanned by design, but neither pusher nor audit log should
		// have to guess: a secret in a file over --max-file-size passes.
		skipped := fmt.Sprintf("%d binary files and %d files over %d bytes were not scanned", s.SkippedBinary, s.SkippedLarge, f.maxFileSize)
		out.line("leakgate: note: %s.", skipped)
		ev.Detail = strings.TrimPrefix(ev.Detail+"; "+skipped, "; ")
	}
	audit.write(ev)
	if v.code != scan.ExitPass {
		return &exitError{code: v.code}
	}
	return nil
}

func (e *env) bypassHint(out pusher, f *receiveFlags) {
	if f.allowBypass {
		out.line("To push without the scan (recorded with your name): git push -o leakgate.skip=\"REASON\"")
	}
}

// receiveBypass handles a push with the bypass option: allowed (and
// recorded) only with --allow-bypass and a reason.
func (e *env) receiveBypass(out pusher, audit *auditLog, f *receiveFlags, reason string) error {
	reason = redactReason(f, reason)
	if !f.allowBypass {
		audit.write(auditEvent{Event: "bypass-refused", Reason: reason})
		out.line("leakgate: push rejected: bypass is not allowed on this server (push option %s).", bypassOption)
		out.line("Push again without -o %s; if leakgate reports a false positive, add leakgate:allow", bypassOption)
		out.line("in a comment on that line, or its fingerprint to .leakgateignore.")
		return &exitError{code: scan.ExitFail}
	}
	if reason == "" {
		audit.write(auditEvent{Event: "bypass-refused", Detail: "no reason given"})
		out.line("leakgate: push rejected: a bypass needs a reason: git push -o %s=\"REASON\"", bypassOption)
		return &exitError{code: scan.ExitFail}
	}
	if f.auditLog == "" {
		out.line("leakgate: push rejected: bypass is allowed but this server has no audit log to record it (--audit-log).")
		return &exitError{code: scan.ExitIncomplete}
	}
	if err := audit.write(auditEvent{Event: "bypass", Reason: reason}); err != nil {
		out.line("leakgate: push rejected: the bypass could not be recorded in the audit log; ask a server administrator.")
		return &exitError{code: scan.ExitIncomplete}
	}
	out.line("leakgate: warning: secret scan skipped at the pusher's request (%s); recorded in the audit log.", printableReason(reason))
	return nil
}

// redactReason redacts any secret the pusher pasted into a bypass reason
// before it reaches the audit log or the terminal.
func redactReason(f *receiveFlags, reason string) string {
	if reason == "" {
		return reason
	}
	det, err := loadDetector(f)
	if err != nil {
		return leak.Redact(reason) // cannot check it: keep none of it
	}
	found := det.Detect(leak.Chunk{Data: []byte(reason), Origin: leak.Origin{Path: "push-option", Line: 1, Column: 1}})
	for _, fd := range found {
		reason = strings.ReplaceAll(reason, fd.Secret.Reveal(), fd.Secret.Redacted())
	}
	return reason
}

func printableReason(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// loadBaseline returns the fingerprints of the --baseline report. A bare
// repository has no work tree, so unlike scan there is no .leakgateignore
// on disk: the pushed ones are read from the push.
func loadBaseline(path string) (map[string]bool, error) {
	sup := map[string]bool{}
	if path == "" {
		return sup, nil
	}
	fps, err := readBaseline(path)
	if err != nil {
		return nil, err
	}
	for _, fp := range fps {
		sup[fp] = true
	}
	return sup, nil
}

// addFingerprints adds the fingerprints of a .leakgateignore file (one per
// line, "#" starts a comment) to sup, and returns the lines that are not
// fingerprints, each as `N: "text"`.
func addFingerprints(sup map[string]bool, data []byte) (bad []string) {
	for i, line := range strings.Split(string(data), "\n") {
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !isFingerprint(line) {
			bad = append(bad, fmt.Sprintf("%d: %q", i+1, line))
			continue
		}
		sup[strings.ToLower(line)] = true
	}
	return bad
}

// auditLog appends one JSON object per line to a file, and syncs it.
type auditLog struct {
	path    string
	now     func() time.Time
	user    string
	repo    string
	updates []source.RefUpdate
	warn    io.Writer
}

// auditEvent is one line of the audit log. It never holds a secret, nor a
// fingerprint (a hash of a weak secret could be guessed).
type auditEvent struct {
	Time     string     `json:"time"`
	Event    string     `json:"event"`
	User     string     `json:"user"`
	Repo     string     `json:"repo"`
	Refs     []auditRef `json:"refs"`
	Reason   string     `json:"reason,omitempty"`
	Findings int        `json:"findings,omitempty"`
	Detail   string     `json:"detail,omitempty"`
}

type auditRef struct {
	Ref string `json:"ref"`
	Old string `json:"old"`
	New string `json:"new"`
}

// write appends ev, filled in with the time, user, repository and refs.
// Without an audit log it does nothing; an error is also printed to the
// warning writer.
func (a *auditLog) write(ev auditEvent) error {
	if a.path == "" {
		return nil
	}
	ev.Time = a.now().UTC().Format(time.RFC3339Nano)
	ev.User, ev.Repo = a.user, a.repo
	ev.Refs = []auditRef{}
	for _, u := range a.updates {
		ev.Refs = append(ev.Refs, auditRef{Ref: u.Ref, Old: u.Old, New: u.New})
	}
	err := appendJSONLine(a.path, ev)
	if err != nil {
		fmt.Fprintf(a.warn, "leakgate: warning: audit log: %v\n", err)
	}
	return err
}

func appendJSONLine(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return unwrapOS(err)
	}
	// One write call per line: with O_APPEND, concurrent hooks do not
	// interleave within a line.
	if _, err := file.Write(append(line, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return fmt.Errorf("%s: sync: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
