package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/remediate"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/settings"
)

// remediateFlags are the flags of leakgate remediate. scan --remediate
// reuses them (all but --report).
type remediateFlags struct {
	report         string
	apply          bool
	format         string
	config         string
	auditLog       string
	state          string
	includeUnknown bool
	emergency      bool
	only           []string
	parallel       int
	sourceRoot     string
	vaultAddr      string
	vaultNamespace string
	githubAPIURL   string
	gitlabURL      string
	ticketRepo     string
	noTicket       bool
	awsProfile     string
	awsIAMEndpoint string
	awsSTSEndpoint string

	changed func(name string) bool
}

func (e *env) remediateCmd() *cobra.Command {
	var f remediateFlags
	c := &cobra.Command{
		Use:   "remediate --report FILE [flags]",
		Short: "Plan (and with --apply carry out) the revocation of the live secrets of a saved JSON report",
		Long: `Read a JSON report (leakgate scan --verify --no-redact -f json -o scan.json)
and print a plan: for each unique live secret, what will be revoked or
deactivated, where, with whose credentials, and which ticket will be opened.
Nothing is changed unless --apply is given; then every step is carried out,
every planned step, attempt and result is appended to the audit log, and
completed steps are recorded in the state file, so running the same command
again does nothing new and an interrupted run resumes.

Settings come from the [remediate] table of .leakgate.toml (in the current
directory, or -c FILE); the flags override them. Operator credentials come
from each ecosystem's usual place: the AWS credential chain; VAULT_ADDR,
VAULT_TOKEN, VAULT_NAMESPACE; GITHUB_TOKEN and GITHUB_API_URL.

Exit codes: 0 the plan was printed, or every step was carried out (or was
already so); 1 with --apply, a step failed or could not be carried out, or
the run was interrupted; 2 usage, configuration or an unreadable report.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f.changed = func(n string) bool { return c.Flags().Changed(n) }
			return e.runRemediate(c.Context(), &f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.report, "report", "", "the JSON report `FILE` to remediate (written with --format json)")
	fl.BoolVar(&f.apply, "apply", false, "carry the plan out (default: print it only)")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text, json")
	fl.StringVarP(&f.config, "config", "c", "", "settings `FILE` (default: .leakgate.toml in the current directory, if present)")
	fl.StringVar(&f.auditLog, "audit-log", "", "append the audit log to `FILE` (default: [remediate] audit-log, else "+remediate.DefaultAuditLog+")")
	fl.StringVar(&f.state, "state", "", "record completed steps in `FILE` (default: [remediate] state, else "+remediate.DefaultState+")")
	fl.BoolVar(&f.includeUnknown, "include-unknown", false, "also act on secrets whose status is unknown or unchecked")
	fl.BoolVar(&f.emergency, "emergency", false, "allow steps that revoke more than the leaked secret (Vault lease prefixes)")
	fl.StringSliceVar(&f.only, "only", nil, "enable only these `PROVIDERS` (comma-separated: aws, vault, ...)")
	fl.IntVar(&f.parallel, "parallel", 0, "remediate at most `N` secrets at once (default 4)")
	fl.StringVar(&f.sourceRoot, "source-root", "", "`DIR` holding the scanned files, to read database user names (default: current directory)")
	fl.StringVar(&f.vaultAddr, "vault-addr", "", "Vault server `URL` (default: [remediate.vault] address, else VAULT_ADDR)")
	fl.StringVar(&f.vaultNamespace, "vault-namespace", "", "Vault `NAMESPACE` (default: [remediate.vault] namespace, else VAULT_NAMESPACE)")
	fl.StringVar(&f.githubAPIURL, "github-api-url", "", "GitHub API `URL` for tickets and revocation (default: GITHUB_API_URL, else the public API)")
	fl.StringVar(&f.gitlabURL, "gitlab-url", "", "GitLab API `URL` (default: CI_API_V4_URL, else gitlab.com)")
	fl.StringVar(&f.ticketRepo, "ticket-repo", "", "open rotation tickets in `OWNER/REPO`")
	fl.BoolVar(&f.noTicket, "no-ticket", false, "open no tickets")
	fl.StringVar(&f.awsProfile, "aws-profile", "", "AWS shared-config `PROFILE` of the operator's credentials")
	fl.StringVar(&f.awsIAMEndpoint, "aws-iam-endpoint", "", "IAM endpoint `URL` (default: AWS_ENDPOINT_URL_IAM, else iam.amazonaws.com)")
	fl.StringVar(&f.awsSTSEndpoint, "aws-sts-endpoint", "", "STS endpoint `URL` (default: AWS_ENDPOINT_URL_STS, else the regional endpoint)")
	return c
}

func (e *env) runRemediate(ctx context.Context, f *remediateFlags) error {
	if f.report == "" {
		return usageError("remediate: --report FILE is required (a report written with leakgate scan --verify --no-redact -f json -o FILE)")
	}
	fh, err := os.Open(f.report)
	if err != nil {
		return usageError("remediate: report: %v", unwrapOS(err))
	}
	defer fh.Close()
	rep, err := report.ReadJSON(fh)
	if err != nil {
		return usageError("remediate: %s: %v", f.report, err)
	}
	if rep.Redacted {
		fmt.Fprintf(e.stderr, "leakgate: warning: %s is redacted: secrets that must be presented to their provider cannot be revoked (re-run the scan with --no-redact)\n", f.report)
	} else if fi, err := fh.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "leakgate: warning: %s holds secrets and is readable by others (mode %v): chmod 600 it\n", f.report, fi.Mode().Perm())
	}
	return e.remediate(ctx, rep.Findings, rep.Redacted, f)
}

// remediate plans and, with --apply, carries out the remediation of
// findings: leakgate remediate calls it with a saved report's findings,
// leakgate scan --verify --remediate with the findings just verified.
func (e *env) remediate(ctx context.Context, findings []leak.Finding, redacted bool, f *remediateFlags) error {
	if f.format != "text" && f.format != "json" {
		return usageError("remediate: --format %q: want text or json", f.format)
	}
	cfg, err := remediateConfig(f)
	if err != nil {
		return &exitError{code: scan.ExitIncomplete, err: err}
	}
	targets := remediate.TargetsFromFindings(findings, redacted)
	opt := remediate.RunOptions{Apply: f.apply, AuditLog: f.auditLog, State: f.state}
	if f.format == "text" {
		// Show the plan before anything is done.
		opt.OnPlan = func(p *remediate.Plan) { remediate.WritePlanText(e.stdout, p, f.apply) }
	}
	plan, sum, err := remediate.Run(ctx, cfg, targets, opt)
	if err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("remediate: %w", err)}
	}
	if err := writeRemediation(e.stdout, f.format, plan, sum); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("remediate: write: %w", err)}
	}
	if sum == nil {
		if n := plan.Problems(); n > 0 {
			fmt.Fprintf(e.stderr, "leakgate: %d planned steps cannot be carried out (PROBLEM in the plan); --apply would count them as failed\n", n)
		}
		return nil
	}
	if !sum.OK() {
		return &exitError{code: scan.ExitFail, err: fmt.Errorf("remediate: %d steps failed%s (see the summary and %s)",
			sum.Failed, map[bool]string{true: ", the run was interrupted", false: ""}[sum.Canceled], sum.AuditLog)}
	}
	return nil
}

func writeRemediation(w io.Writer, format string, plan *remediate.Plan, sum *remediate.Summary) error {
	if format == "json" {
		return remediate.WriteJSON(w, plan, sum)
	}
	if sum == nil {
		return nil // the plan was written before
	}
	return remediate.WriteResultsText(w, plan, sum)
}

// remediateConfig reads [remediate] of the config file and applies the
// flags over it.
func remediateConfig(f *remediateFlags) (*remediate.Config, error) {
	cfg := &remediate.Config{}
	name := f.config
	if name == "" {
		if _, err := os.Stat(".leakgate.toml"); err == nil {
			name = ".leakgate.toml"
		}
	}
	if name != "" {
		s, err := settings.Load(name)
		if err != nil {
			return nil, err
		}
		if err := s.DecodeRemediate(cfg); err != nil {
			return nil, err
		}
	}
	changed := f.changed
	if changed == nil {
		changed = func(string) bool { return false }
	}
	if changed("include-unknown") {
		cfg.IncludeUnknown = f.includeUnknown
	}
	cfg.Emergency = f.emergency
	if changed("only") {
		cfg.Providers = nil
		for _, p := range f.only {
			if p = strings.TrimSpace(p); p != "" {
				cfg.Providers = append(cfg.Providers, p)
			}
		}
	}
	if f.parallel > 0 {
		cfg.Parallel = f.parallel
	}
	if f.sourceRoot != "" {
		cfg.SourceRoot = f.sourceRoot
	}
	if f.vaultAddr != "" {
		cfg.Vault.Address = f.vaultAddr
	}
	if f.vaultNamespace != "" {
		cfg.Vault.Namespace = f.vaultNamespace
	}
	if f.githubAPIURL != "" {
		cfg.SetEndpoint("github", f.githubAPIURL)
		cfg.Ticket.BaseURL = f.githubAPIURL
	}
	if f.gitlabURL != "" {
		cfg.SetEndpoint("gitlab", f.gitlabURL)
	}
	if f.ticketRepo != "" {
		cfg.Ticket.Repo = f.ticketRepo
	}
	cfg.Ticket.Disabled = f.noTicket
	if f.awsProfile != "" {
		cfg.AWS.Profile = f.awsProfile
	}
	if f.awsIAMEndpoint != "" {
		cfg.SetEndpoint("aws-iam", f.awsIAMEndpoint)
	}
	if f.awsSTSEndpoint != "" {
		cfg.SetEndpoint("aws-sts", f.awsSTSEndpoint)
	}
	return cfg, nil
}

// scanRemediate hands the verified findings of a scan to the remediation
// pipeline when --remediate asks: dry run unless --apply. Its plan and
// results go to stderr, so that stdout keeps the scan's report.
func (e *env) scanRemediate(ctx context.Context, res *scan.Result, f *scanFlags) error {
	if !f.remediate || res == nil {
		return nil
	}
	config := f.config
	if config == "" && f.root != "" {
		if p := filepath.Join(f.root, ".leakgate.toml"); fileExists(p) {
			config = p
		}
	}
	rf := &remediateFlags{format: "text", config: config, apply: f.apply, auditLog: f.auditLog, state: f.remediateState}
	toStderr := &env{stdin: e.stdin, stdout: e.stderr, stderr: e.stderr}
	return toStderr.remediate(ctx, res.Findings, false, rf)
}

// withRemediation combines the gate's outcome with the remediation's: a
// failing gate (exit 1) stands; otherwise a failed remediation decides.
func withRemediation(gate, rem error) error {
	var ge *exitError
	if gate != nil && errors.As(gate, &ge) && ge.code == scan.ExitFail {
		if rem != nil {
			return &exitError{code: scan.ExitFail, err: rem}
		}
		return gate
	}
	if rem != nil {
		return rem
	}
	return gate
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
