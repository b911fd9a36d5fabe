// Package cli is leakgate's command line: subcommands, flags, help text and
// the wiring of source, detector, scan and report. It is testable in
// process through Main; only package main calls os.Exit.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/remediate"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
	"github.com/leakgate/leakgate/verify"
)

// Version is the leakgate version, set at build time with
// -ldflags "-X github.com/leakgate/leakgate/internal/cli.Version=v1.2.3";
// otherwise taken from the module build info.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageError(format string, args ...any) error {
	return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf(format, args...)}
}

// env is what a command needs from its surroundings.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs leakgate with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "leakgate",
		Short:         "Find leaked secrets, verify them, revoke them, and gate CI on them",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(e.scanCmd(), e.rulesCmd(), e.reportCmd(), e.versionCmd(),
		e.hookCmd(), e.baselineCmd(), e.actionCmd(), e.verifyCmd(), e.remediateCmd())
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	// A GitLab server shows the pusher only lines that start with
	// GL-HOOK-ERR: (a misconfigured hook's flag errors included).
	errw, prefix := stderr, ""
	if len(args) >= 2 && args[0] == "hook" && args[1] == "pre-receive" && readHookEnv(os.Getenv).gitlab {
		errw, prefix = stdout, "GL-HOOK-ERR: "
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(errw, "%sleakgate: %v\n", prefix, ee.err)
		}
		return ee.code
	}
	// cobra's own errors (unknown command, bad args) are usage errors.
	fmt.Fprintf(errw, "%sleakgate: %v\n", prefix, err)
	return scan.ExitIncomplete
}

func (e *env) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the leakgate version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(e.stdout, "leakgate %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// scanFlags are the flags shared by scan and the hooks.
type scanFlags struct {
	format      string
	output      string
	config      string
	baseline    string
	verify      bool
	failOn      string
	noRedact    bool
	jobs        int
	noGit       bool
	maxFileSize int64
	exampleKeys bool
	noColor     bool
	rangeSpec   string
	staged      bool
	allLines    bool
	noProgress  bool
	cache       string
	verifyFlags
	// failOnLiveBaselined also verifies baselined findings and reports the
	// live ones (--fail-on-live-baselined).
	failOnLiveBaselined bool
	// remediation of the verified-live findings (--remediate).
	remediate                bool
	apply                    bool
	auditLog, remediateState string

	// root is set by scanPath: where the config and ignore files were
	// looked for.
	root string
}

func (e *env) scanCmd() *cobra.Command {
	var f scanFlags
	c := &cobra.Command{
		Use:   "scan [flags] [PATH]",
		Short: "Scan a directory, a repository or standard input (\"-\") for secrets",
		Long: `Scan PATH (default ".") for secrets. When PATH is a git repository (a work
tree or a bare repository), every blob reachable from any ref is scanned once
and each finding names the commit that introduced it; --range A..B scans only
what the commits in that range added, --staged only the staged changes.
With --no-git, or when PATH is not a git
repository, the files on disk under PATH are scanned (.git/ skipped, symlinks
not followed, binary and oversized files skipped and counted). "-" reads
standard input.

Exit codes: 0 the gate passed; 1 a finding that --fail-on counts; 2 no failing
finding, but the scan was incomplete or could not run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return e.runScan(c.Context(), path, &f)
		},
	}
	addScanFlags(c, &f)
	return c
}

// addScanFlags registers the flags shared by scan and the commands that
// build on it (the GitHub Action) on c, bound to f.
func addScanFlags(c *cobra.Command, f *scanFlags) {
	fl := c.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "report format: text, json, jsonl, sarif")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fl.StringVarP(&f.config, "config", "c", "", "rules and settings `FILE` (default: .leakgate.toml at the root of PATH, if present)")
	fl.StringVar(&f.baseline, "baseline", "", "a baseline (leakgate baseline create) or previous JSON report `FILE`; findings whose fingerprint it holds are not reported")
	fl.BoolVar(&f.verify, "verify", false, "check each finding with its provider")
	fl.StringVar(&f.failOn, "fail-on", "any", "which findings fail the gate: any, live, none")
	fl.BoolVar(&f.noRedact, "no-redact", false, "show secrets in full in every format")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel workers")
	fl.BoolVar(&f.noGit, "no-git", false, "scan the files on disk even when PATH is a git repository")
	fl.Int64Var(&f.maxFileSize, "max-file-size", source.DefaultMaxFileSize, "skip (and count) files larger than this many `BYTES`")
	fl.BoolVar(&f.exampleKeys, "include-example-keys", false, "report documented example keys such as AKIAIOSFODNN7EXAMPLE")
	fl.BoolVar(&f.noColor, "no-color", false, "no colour in text output (also: NO_COLOR set)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress display on stderr")
	fl.StringVar(&f.rangeSpec, "range", "", "only what the commits in `A..B` added")
	fl.BoolVar(&f.staged, "staged", false, "only the staged changes")
	fl.BoolVar(&f.allLines, "all-lines", false, "in git history, scan every line of every version of a file, not only the lines each commit changed (a secret is then reported again by every commit that edits its file)")
	fl.StringVar(&f.cache, "cache", "", "remember scanned git blobs and their findings in `FILE`; later scans read only new blobs")
	addVerifyFlags(fl, &f.verifyFlags)
	fl.BoolVar(&f.failOnLiveBaselined, "fail-on-live-baselined", false, "with --baseline and --verify: still report (and fail on) a baselined secret that verification says is live")
	fl.BoolVar(&f.remediate, "remediate", false, "with --verify: plan the revocation of live secrets and their rotation tickets, as leakgate remediate does (the plan goes to stderr)")
	fl.BoolVar(&f.apply, "apply", false, "with --remediate: carry the plan out")
	fl.StringVar(&f.auditLog, "audit-log", "", "with --remediate --apply: the audit log `FILE` (default: [remediate] audit-log, else "+remediate.DefaultAuditLog+")")
	fl.StringVar(&f.remediateState, "state", "", "with --remediate --apply: the state `FILE` (default: [remediate] state, else "+remediate.DefaultState+")")
}

func (e *env) runScan(ctx context.Context, path string, f *scanFlags) error {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return usageError("%v", err)
	}
	failOn, err := scan.ParseFailOn(f.failOn)
	if err != nil {
		return usageError("%v", err)
	}
	res, err := e.scanPath(ctx, path, f)
	if err != nil {
		return err
	}
	if err := e.writeReport(res, format, f); err != nil {
		return err
	}
	e.warnings(res, format, f)
	return withRemediation(gateError(failOn, res), e.scanRemediate(ctx, res, f))
}

// scanPath runs the scan that f describes over path ("-": standard input)
// and returns its result, without rendering it or applying the gate.
func (e *env) scanPath(ctx context.Context, path string, f *scanFlags) (*scan.Result, error) {
	if f.failOnLiveBaselined && (!f.verify || f.baseline == "") {
		return nil, usageError("--fail-on-live-baselined needs --verify and --baseline")
	}
	if f.remediate && !f.verify {
		return nil, usageError("--remediate needs --verify: only secrets verified live are revoked")
	}
	if (f.apply || f.auditLog != "" || f.remediateState != "") && !f.remediate {
		return nil, usageError("--apply, --audit-log and --state go with --remediate")
	}
	ps, err := e.prepareScan(ctx, path, f)
	if err != nil {
		return nil, err
	}
	cfg, gitSrc, cache := ps.cfg, ps.git, ps.cache
	f.root = ps.root
	var baselined map[string]bool
	if f.failOnLiveBaselined {
		if baselined, err = baselineOnly(ps.root, cfg.Suppress); err != nil {
			return nil, &exitError{code: scan.ExitIncomplete, err: err}
		}
		for fp := range baselined {
			delete(cfg.Suppress, fp)
		}
	}
	var checker *verify.Checker
	if f.verify {
		if checker, err = e.newChecker(ps.root, f.config, &f.verifyFlags); err != nil {
			return nil, &exitError{code: scan.ExitIncomplete, err: err}
		}
	}
	if !f.noProgress && isTerminal(e.stderr) {
		cfg.Progress = e.stderr
	}
	res, err := scan.Run(ctx, cfg)
	if err != nil {
		return nil, &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("scan %s: %w", path, err)}
	}
	if gitSrc != nil {
		e.gitNotes(gitSrc, cache, f, res)
	}
	if checker != nil {
		res.Summary.Verification = verifyFindings(ctx, checker, res.Findings, res.Companions...)
		if baselined != nil {
			keepLiveBaselined(res, baselined)
		}
	}
	return res, nil
}

// gateError turns a result into the command's outcome under the policy:
// nil when the gate passed, an exitError carrying the exit code otherwise.
func gateError(failOn scan.FailOn, res *scan.Result) error {
	if code := failOn.ExitCode(res); code != scan.ExitPass {
		return &exitError{code: code}
	}
	return nil
}

// writeReport renders res in format to --output, or to stdout.
func (e *env) writeReport(res *scan.Result, format report.Format, f *scanFlags) error {
	out := e.stdout
	if f.output != "" {
		// A report with the secrets in it is readable by its owner only.
		mode := os.FileMode(0o644)
		if f.noRedact {
			mode = 0o600
		}
		file, err := os.OpenFile(f.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
		if err != nil {
			return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("output: %w", unwrapOS(err))}
		}
		defer file.Close()
		out = file
	}
	rep := &report.Report{
		Version:  1,
		Tool:     report.Tool{Name: "leakgate", Version: version()},
		Findings: res.Findings,
		Summary:  res.Summary,
	}
	color := format == report.Text && f.output == "" && !f.noColor && os.Getenv("NO_COLOR") == "" && isTerminal(e.stdout)
	bw := bufio.NewWriter(out)
	if err := report.Write(bw, format, rep, report.Options{NoRedact: f.noRedact, Color: color}); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("write report: %w", err)}
	}
	if err := bw.Flush(); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("write report: %w", err)}
	}
	return nil
}

// warnings tells stderr what the report format may not show: errors,
// skipped files, an incomplete scan.
func (e *env) warnings(res *scan.Result, format report.Format, f *scanFlags) {
	s := res.Summary
	if format != report.Text || f.output != "" {
		e.printErrors(s.Errors)
	}
	if s.SkippedLarge > 0 {
		fmt.Fprintf(e.stderr, "leakgate: warning: skipped %d files larger than %d bytes (raise --max-file-size to scan them)\n", s.SkippedLarge, f.maxFileSize)
	}
	if !s.Complete {
		fmt.Fprintf(e.stderr, "leakgate: the scan is incomplete (%d errors): exit code 2 unless a failing finding was found\n", len(s.Errors))
	}
}

// printErrors writes a scan's errors to stderr, the first maxStderrErrors
// of them one per line (one damaged delta base can take thousands of
// blobs with it; a report lists them all).
func (e *env) printErrors(errs []string) {
	for i, msg := range errs {
		if i == maxStderrErrors && len(errs) > maxStderrErrors+1 {
			fmt.Fprintf(e.stderr, "leakgate: error: and %d more\n", len(errs)-i)
			return
		}
		fmt.Fprintf(e.stderr, "leakgate: error: %s\n", msg)
	}
}

const maxStderrErrors = 50

// loadRules returns the default rules (without their examples: see
// rules.Lean) merged with the config file: the one named by --config, or
// .leakgate.toml at root when present.
func loadRules(root, config string) (*rules.Set, error) {
	base := rules.Lean()
	if config == "" {
		p := filepath.Join(root, ".leakgate.toml")
		if _, err := os.Stat(p); err != nil {
			return base, nil
		}
		config = p
	}
	return rules.Load(config, base)
}

// loadSuppressions reads the fingerprints of .leakgateignore at root and
// of the --baseline file (a baseline or a JSON report).
func loadSuppressions(root, baseline string) (map[string]bool, error) {
	sup := map[string]bool{}
	if data, err := os.ReadFile(filepath.Join(root, ".leakgateignore")); err == nil {
		if bad := addFingerprints(sup, data); len(bad) > 0 {
			return nil, fmt.Errorf(".leakgateignore:%s is not a fingerprint (64 hex digits)", bad[0])
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf(".leakgateignore: %w", unwrapOS(err))
	}
	base, err := loadBaseline(baseline)
	if err != nil {
		return nil, err
	}
	for fp := range base {
		sup[fp] = true
	}
	return sup, nil
}

func isFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func unwrapOS(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
