package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// The modes of `leakgate action` (the action's "mode" input).
const (
	modeAuto  = "auto"  // from the event: PR range, pushed range, or full history
	modeFull  = "full"  // every blob reachable from any ref
	modeRange = "range" // --range if given, else the event's range
	modeDir   = "dir"   // the files on disk (--no-git)
)

// actionFlags are the flags of `leakgate action`: those of scan, the mode
// and the SARIF file.
type actionFlags struct {
	scanFlags
	mode      string
	sarifFile string
}

// actionCmd is `leakgate action`, the command the composite GitHub Action
// (action.yml) runs. It is documented in the README rather than in the
// command list: it only makes sense on a GitHub Actions runner.
func (e *env) actionCmd() *cobra.Command {
	var f actionFlags
	c := &cobra.Command{
		Use:   "action [flags] [PATH]",
		Short: "Run as a GitHub Actions step: scan what the event changed, annotate, summarize, write SARIF",
		Long: `Run one scan as a step of a GitHub Actions workflow (action.yml runs this).

The --mode decides what is scanned:
  auto   from GITHUB_EVENT_NAME and the event payload at GITHUB_EVENT_PATH:
         pull_request, pull_request_target: the pull request's base..head;
         merge_group: base_sha..head_sha;
         push: before..after (a new branch: what is not on the default
         branch; a force push whose old commit is gone: the same);
         schedule, workflow_dispatch and any other event: the full history
  full   the full history (every ref)
  range  --range A..B when given, else the event's range (an error when the
         event has none)
  dir    the files on disk under PATH, no history

A relative PATH and --sarif-file are taken from GITHUB_WORKSPACE. The SARIF
file is always written (an empty, incomplete run when the scan could not
run). Findings become error annotations on stdout (at most 10, then one
notice), a Markdown table is appended to GITHUB_STEP_SUMMARY, and findings,
sarif-file and exit-code are appended to GITHUB_OUTPUT. The report in
--format goes to --output, or to stdout inside a ::stop-commands:: block.

Exit codes are those of scan: 0 the gate passed; 1 a finding that --fail-on
counts; 2 no failing finding, but the scan was incomplete or could not run
(for instance, the commits of the range are not in the clone: check out with
fetch-depth: 0).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return e.runAction(c.Context(), path, &f, os.Getenv)
		},
	}
	addScanFlags(c, &f.scanFlags)
	fl := c.Flags()
	fl.StringVar(&f.mode, "mode", modeAuto, "what to scan: auto, full, range, dir")
	fl.StringVar(&f.sarifFile, "sarif-file", "leakgate.sarif", "write the SARIF report to `FILE`")
	return c
}

// actionOutputs are the step outputs the action writes to $GITHUB_OUTPUT,
// in order: the number of findings, the SARIF file's absolute path and the
// exit code. action.yml maps its outputs to these.
var actionOutputs = [...]string{"findings", "sarif-file", "exit-code"}

// ghEnv is what a GitHub Actions runner tells a step through its
// environment.
type ghEnv struct {
	eventName, eventPath string
	workspace            string
	output, summary      string
}

func readGHEnv(getenv func(string) string) ghEnv {
	return ghEnv{
		eventName: getenv("GITHUB_EVENT_NAME"),
		eventPath: getenv("GITHUB_EVENT_PATH"),
		workspace: getenv("GITHUB_WORKSPACE"),
		output:    getenv("GITHUB_OUTPUT"),
		summary:   getenv("GITHUB_STEP_SUMMARY"),
	}
}

// inWorkspace resolves a relative path against the workspace.
func (g ghEnv) inWorkspace(p string) string {
	if p == "" || filepath.IsAbs(p) || g.workspace == "" {
		return p
	}
	return filepath.Join(g.workspace, p)
}

// runAction runs the action: plan, scan, then every GitHub output, each
// written even when the scan could not run, then the gate's exit code.
func (e *env) runAction(ctx context.Context, path string, f *actionFlags, getenv func(string) string) error {
	gh := readGHEnv(getenv)
	path = gh.inWorkspace(path)
	f.config, f.baseline, f.output = gh.inWorkspace(f.config), gh.inWorkspace(f.baseline), gh.inWorkspace(f.output)
	sarifPath := gh.inWorkspace(f.sarifFile)
	if sarifPath == "" {
		sarifPath = gh.inWorkspace("leakgate.sarif")
	}
	if abs, err := filepath.Abs(sarifPath); err == nil {
		sarifPath = abs
	}

	var (
		res    *scan.Result
		scope  string
		code   int
		runErr error
	)
	format, failOn, err := actionPolicy(f)
	if out, _ := filepath.Abs(f.output); err == nil && f.output != "" && out == sarifPath {
		err = usageError("--output and --sarif-file name the same file")
	}
	if err == nil {
		var plan actionPlan
		plan, err = planAction(ctx, f, path, gh)
		scope = plan.scope
		for _, n := range plan.notes {
			fmt.Fprintf(e.stderr, "leakgate: note: %s\n", n)
		}
		if err == nil {
			res, err = e.runPlan(ctx, path, f, plan)
		}
	}
	if err != nil {
		// The scan could not run: every output still says so.
		runErr = err
		var ee *exitError
		if !errors.As(err, &ee) {
			runErr = &exitError{code: scan.ExitIncomplete, err: err}
		}
		res = &scan.Result{Summary: report.Summary{Complete: false, Errors: []string{errorText(err)}}}
		code = scan.ExitIncomplete
	} else {
		relativeTo(res, gh.workspace, path)
		code = failOn.ExitCode(res)
	}

	rep := &report.Report{
		Version:  report.ReportVersion,
		Tool:     report.Tool{Name: report.ToolName, Version: version()},
		Findings: res.Findings,
		Summary:  res.Summary,
	}
	if res.Summary.Errors == nil {
		rep.Summary.Errors = []string{}
	}
	rep.Summary.Findings = len(res.Findings)
	var problems []error
	if err := writeFileWith(sarifPath, func(w io.Writer) error {
		return report.Write(w, report.SARIF, rep, report.Options{NoRedact: f.noRedact})
	}); err != nil {
		problems = append(problems, fmt.Errorf("sarif: %w", err))
	}
	var final error // the step's outcome: the gate, then any remediation failure
	if runErr == nil {
		if err := e.actionLog(res, format, f); err != nil {
			problems = append(problems, err)
		}
		e.warnings(res, format, &f.scanFlags)
		// Remediate before the outputs are written, so that exit-code says
		// how the step really ends.
		final = withRemediation(gateError(failOn, res), e.scanRemediate(ctx, res, &f.scanFlags))
		var ee *exitError
		if errors.As(final, &ee) {
			code = ee.code
		}
	}
	opt := report.GitHubOptions{Scope: scope, ExitCode: code, SARIFFile: relOrSelf(gh.workspace, sarifPath)}
	if err := report.WriteGitHubAnnotations(e.stdout, rep, opt); err != nil {
		problems = append(problems, err)
	}
	if gh.summary != "" {
		if err := appendFileWith(gh.summary, func(w io.Writer) error { return report.WriteGitHubSummary(w, rep, opt) }); err != nil {
			problems = append(problems, fmt.Errorf("step summary: %w", err))
		}
	}
	if gh.output != "" {
		err := appendFileWith(gh.output, func(w io.Writer) error {
			return writeOutputs(w, [][2]string{
				{actionOutputs[0], fmt.Sprint(len(res.Findings))},
				{actionOutputs[1], sarifPath},
				{actionOutputs[2], fmt.Sprint(code)},
			})
		})
		if err != nil {
			problems = append(problems, fmt.Errorf("step outputs: %w", err))
		}
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "leakgate: error: %v\n", p)
	}
	if runErr != nil {
		return runErr
	}
	if len(problems) > 0 && code == scan.ExitPass {
		return &exitError{code: scan.ExitIncomplete}
	}
	return final
}

// actionPolicy checks the flags that scan would check first, so that a
// usage error is reported before anything runs.
func actionPolicy(f *actionFlags) (report.Format, scan.FailOn, error) {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return "", "", usageError("%v", err)
	}
	failOn, err := scan.ParseFailOn(f.failOn)
	if err != nil {
		return "", "", usageError("%v", err)
	}
	if f.staged {
		return "", "", usageError("--staged cannot be used in the action: there is no index to scan on a runner")
	}
	return format, failOn, nil
}

// errorText is err's message, without the exitError wrapper.
func errorText(err error) string {
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		return ee.err.Error()
	}
	return err.Error()
}

// actionLog writes the report in --format to --output, or to stdout
// between ::stop-commands:: and its resume token, so that nothing in it
// (a file named "::error::…") is read as a workflow command.
func (e *env) actionLog(res *scan.Result, format report.Format, f *actionFlags) error {
	if f.output != "" {
		return e.writeReport(res, format, &f.scanFlags)
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	if f.noRedact {
		// Ask the runner to mask each secret before the log shows it.
		for _, fd := range res.Findings {
			for _, line := range strings.Split(fd.Secret.Reveal(), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					fmt.Fprintf(e.stdout, "::add-mask::%s\n", report.EscapeWorkflowData(line))
				}
			}
		}
	}
	fmt.Fprintf(e.stdout, "::group::leakgate report\n::stop-commands::%s\n", token)
	werr := e.writeReport(res, format, &f.scanFlags)
	fmt.Fprintf(e.stdout, "\n::%s::\n::endgroup::\n", token)
	return werr
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return "leakgate-" + hex.EncodeToString(b), nil
}

// relativeTo makes the findings' paths relative to the workspace when the
// scanned directory is inside it, as annotations and code scanning expect
// paths from the root of the repository.
func relativeTo(res *scan.Result, workspace, path string) {
	if workspace == "" {
		return
	}
	ws, err1 := filepath.Abs(workspace)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return
	}
	rel, err := filepath.Rel(ws, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	rel = filepath.ToSlash(rel)
	for i := range res.Findings {
		o := &res.Findings[i].Origin
		o.Path = rel + "/" + o.Path
	}
}

// relOrSelf is p relative to dir when it is inside it, p otherwise.
func relOrSelf(dir, p string) string {
	if dir == "" {
		return p
	}
	if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// writeOutputs writes step outputs in the $GITHUB_OUTPUT syntax: name=value,
// or the heredoc form with a random delimiter when the value has a line
// break.
func writeOutputs(w io.Writer, outputs [][2]string) error {
	var buf bytes.Buffer
	for _, o := range outputs {
		name, value := o[0], o[1]
		if !strings.ContainsAny(value, "\r\n") {
			fmt.Fprintf(&buf, "%s=%s\n", name, value)
			continue
		}
		delim, err := randomToken()
		if err != nil {
			return err
		}
		delim = "ghadelimiter_" + delim
		fmt.Fprintf(&buf, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeFileWith creates (or truncates) name and writes it with write.
func writeFileWith(name string, write func(io.Writer) error) error {
	return fileWith(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, write)
}

// appendFileWith appends to name, as the runner's command files expect.
func appendFileWith(name string, write func(io.Writer) error) error {
	return fileWith(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, write)
}

func fileWith(name string, flag int, write func(io.Writer) error) error {
	fh, err := os.OpenFile(name, flag, 0o644)
	if err != nil {
		return unwrapOS(err)
	}
	if err := write(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// actionPlan is what one run of the action scans.
type actionPlan struct {
	// kind is modeFull, modeRange or modeDir; "" means nothing to scan
	// (a deleted branch).
	kind string
	// rangeSpec is the A..B to scan when kind is modeRange.
	rangeSpec string
	// scope says in plain text what is scanned, for the summary.
	scope string
	// notes are told on stderr: choices the plan made that a user may
	// want to know about.
	notes []string
}

// ghEvent is the part of a GitHub event payload the plan needs.
type ghEvent struct {
	PullRequest *struct {
		Number int `json:"number"`
		Base   struct {
			SHA string `json:"sha"`
		} `json:"base"`
		Head struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	MergeGroup *struct {
		BaseSHA string `json:"base_sha"`
		HeadSHA string `json:"head_sha"`
	} `json:"merge_group"`
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Created    bool   `json:"created"`
	Deleted    bool   `json:"deleted"`
	Forced     bool   `json:"forced"`
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// readEvent reads the event payload at path.
func readEvent(path string) (*ghEvent, error) {
	if path == "" {
		return nil, errors.New("GITHUB_EVENT_PATH is not set: is this running in GitHub Actions? (use --mode full, range or dir elsewhere)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("event payload: %w", unwrapOS(err))
	}
	var ev ghEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("event payload %s: %w", path, err)
	}
	return &ev, nil
}

// planAction decides what to scan from --mode, the event and the flags.
// Errors are exitErrors with code 2.
func planAction(ctx context.Context, f *actionFlags, path string, gh ghEnv) (actionPlan, error) {
	mode := strings.ToLower(strings.TrimSpace(f.mode))
	if mode == "" {
		mode = modeAuto
	}
	if f.noGit {
		if mode != modeAuto && mode != modeDir {
			return actionPlan{}, usageError("--no-git cannot be used with --mode %s", mode)
		}
		mode = modeDir
	}
	if f.rangeSpec != "" {
		if mode != modeAuto && mode != modeRange {
			return actionPlan{}, usageError("--range cannot be used with --mode %s", mode)
		}
		if err := source.ValidateRange(f.rangeSpec); err != nil {
			return actionPlan{}, usageError("--range: %v", err)
		}
		return actionPlan{kind: modeRange, rangeSpec: f.rangeSpec, scope: "the commits in " + f.rangeSpec}, nil
	}
	switch mode {
	case modeDir:
		return actionPlan{kind: modeDir, scope: "the files in " + displayPath(gh.workspace, path)}, nil
	case modeFull:
		return actionPlan{kind: modeFull, scope: "the full history of every ref"}, nil
	case modeAuto, modeRange:
	default:
		return actionPlan{}, usageError("--mode %q: want auto, full, range or dir", f.mode)
	}
	if !source.IsRepository(path) {
		return actionPlan{}, usageError("%s is not a git repository (check out the repository first with actions/checkout, or use mode: dir to scan files)", displayPath(gh.workspace, path))
	}
	switch gh.eventName {
	case "pull_request", "pull_request_target", "merge_group", "push":
	default:
		if mode == modeRange {
			return actionPlan{}, usageError("mode range: a %q event has no commit range (give --range A..B in args, or use mode auto or full)", gh.eventName)
		}
		return actionPlan{kind: modeFull, scope: "the full history of every ref (" + orNone(gh.eventName) + " event)"}, nil
	}
	ev, err := readEvent(gh.eventPath)
	if err != nil {
		return actionPlan{}, &exitError{code: scan.ExitIncomplete, err: err}
	}
	g := gitRepo{dir: path}
	switch gh.eventName {
	case "pull_request", "pull_request_target":
		if ev.PullRequest == nil {
			return actionPlan{}, usageError("%s event payload has no pull_request", gh.eventName)
		}
		pr := ev.PullRequest
		base, head := pr.Base.SHA, pr.Head.SHA
		what := fmt.Sprintf("pull request #%d", pr.Number)
		if err := g.needCommits(ctx, what, gh, [][2]string{{"base", base}, {"head", head}}); err != nil {
			if gh.eventName == "pull_request_target" {
				err.err = fmt.Errorf("%w; on pull_request_target, check out the pull request's head commit too", err.err)
			}
			return actionPlan{}, err
		}
		return rangePlan(what, base, head), nil
	case "merge_group":
		if ev.MergeGroup == nil {
			return actionPlan{}, usageError("merge_group event payload has no merge_group")
		}
		base, head := ev.MergeGroup.BaseSHA, ev.MergeGroup.HeadSHA
		if err := g.needCommits(ctx, "the merge group", gh, [][2]string{{"base", base}, {"head", head}}); err != nil {
			return actionPlan{}, err
		}
		return rangePlan("the merge group", base, head), nil
	}
	return planPush(ctx, g, ev, gh)
}

// planPush plans a push event: the pushed range before..after; for a new
// branch (or a force push whose old commit is no longer in the clone),
// what after has that the default branch has not; for a deleted branch,
// nothing.
func planPush(ctx context.Context, g gitRepo, ev *ghEvent, gh ghEnv) (actionPlan, error) {
	what := "the push"
	if ev.Ref != "" {
		what = "the push to " + ev.Ref
	}
	if ev.Deleted || isZeroSHA(ev.After) && ev.After != "" {
		return actionPlan{scope: "nothing: " + what + " deleted the ref", notes: []string{what + " deleted the ref: nothing to scan"}}, nil
	}
	if err := g.needCommits(ctx, what, gh, [][2]string{{"after", ev.After}}); err != nil {
		return actionPlan{}, err
	}
	var note string
	switch {
	case ev.Created || isZeroSHA(ev.Before) || ev.Before == "":
		note = what + " created it"
	case !isSHA(ev.Before):
		return actionPlan{}, usageError("push event payload: before %q is not a commit id", ev.Before)
	case !g.hasCommit(ctx, ev.Before) && ev.Forced:
		note = fmt.Sprintf("%s was forced and its previous commit %s is not in the clone", what, ev.Before)
	case !g.hasCommit(ctx, ev.Before):
		return actionPlan{}, missingCommit(what, "before", ev.Before, gh, g.dir)
	default:
		return rangePlan(what, ev.Before, ev.After), nil
	}
	// What the branch adds to the default branch, or the whole history.
	def := ev.Repository.DefaultBranch
	if def != "" && ev.Ref != "refs/heads/"+def {
		for _, ref := range []string{"refs/remotes/origin/" + def, "refs/heads/" + def} {
			if sha := g.resolve(ctx, ref); sha != "" && sha != ev.After {
				p := rangePlan(what, sha, ev.After)
				p.scope = fmt.Sprintf("the commits of %s not on %s (%s..%s)", what, def, shortSHA(sha), shortSHA(ev.After))
				p.notes = []string{fmt.Sprintf("%s: scanning the commits not on the default branch %s", note, def)}
				return p, nil
			}
		}
	}
	return actionPlan{
		kind:  modeFull,
		scope: "the full history of every ref (" + note + ")",
		notes: []string{note + ": scanning the full history (the default branch is not in the clone, or this is the default branch)"},
	}, nil
}

func rangePlan(what, base, head string) actionPlan {
	return actionPlan{
		kind:      modeRange,
		rangeSpec: base + ".." + head,
		scope:     fmt.Sprintf("the commits of %s (%s..%s)", what, shortSHA(base), shortSHA(head)),
	}
}

// runPlan runs the scan the plan describes.
func (e *env) runPlan(ctx context.Context, path string, f *actionFlags, plan actionPlan) (*scan.Result, error) {
	sf := f.scanFlags
	switch plan.kind {
	case "":
		return &scan.Result{Summary: report.Summary{Complete: true, Errors: []string{}}}, nil
	case modeDir:
		sf.noGit, sf.rangeSpec = true, ""
	case modeFull:
		sf.noGit, sf.rangeSpec = false, ""
		if !source.IsRepository(path) {
			return nil, usageError("mode full: %s is not a git repository (give the root of the checkout, or use mode: dir)", path)
		}
	case modeRange:
		sf.noGit, sf.rangeSpec = false, plan.rangeSpec
	}
	res, err := e.scanPath(ctx, path, &sf)
	f.root = sf.root
	return res, err
}

// gitRepo asks git about the repository at dir.
type gitRepo struct{ dir string }

// hasCommit reports whether sha names a commit present in the repository.
func (g gitRepo) hasCommit(ctx context.Context, sha string) bool {
	return isSHA(sha) && exec.CommandContext(ctx, "git", "-C", g.dir, "cat-file", "-e", "--end-of-options", sha+"^{commit}").Run() == nil
}

// resolve returns the commit ref names, or "".
func (g gitRepo) resolve(ctx context.Context, ref string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", g.dir, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// needCommits checks that each named commit id is well formed and present.
func (g gitRepo) needCommits(ctx context.Context, what string, gh ghEnv, commits [][2]string) *exitError {
	for _, c := range commits {
		if !isSHA(c[1]) {
			return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("%s event payload: %s %q of %s is not a commit id", gh.eventName, c[0], c[1], what)}
		}
	}
	for _, c := range commits {
		if !g.hasCommit(ctx, c[1]) {
			return missingCommit(what, c[0], c[1], gh, g.dir)
		}
	}
	return nil
}

func missingCommit(what, which, sha string, gh ghEnv, dir string) *exitError {
	return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf(
		"the %s commit %s of %s is not in the clone at %s, so its commits cannot be scanned: check out with actions/checkout and fetch-depth: 0",
		which, sha, what, displayPath(gh.workspace, dir))}
}

// isSHA reports whether s is a full SHA-1 or SHA-256 commit id.
func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// isZeroSHA reports whether s is the all-zero id GitHub sends for a ref
// that did not exist before or does not exist after a push.
func isZeroSHA(s string) bool {
	return s != "" && strings.Trim(s, "0") == ""
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no"
	}
	return s
}

// displayPath shows p relative to the workspace when it is inside it.
func displayPath(workspace, p string) string {
	if rel := relOrSelf(workspace, p); rel != "" {
		return rel
	}
	return p
}
