package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/settings"
	"github.com/leakgate/leakgate/verify"
)

// verifyFlags are the flags of live verification, shared by scan, verify
// and the hooks.
type verifyFlags struct {
	timeout      time.Duration
	deadline     time.Duration
	privateHosts bool
}

func addVerifyFlags(fl *pflag.FlagSet, v *verifyFlags) {
	fl.DurationVar(&v.timeout, "verify-timeout", 0, "bound each provider call (default 5s, or timeout in [verify])")
	fl.DurationVar(&v.deadline, "verify-deadline", 2*time.Minute, "bound the whole verification; what is not checked by then is unknown")
	fl.BoolVar(&v.privateHosts, "verify-private-hosts", false, "allow verifying database URLs that point at private or loopback addresses")
}

// loadSettings reads the [verify] and [remediate] tables of the config
// file: the one named by --config, or .leakgate.toml at root when present.
func loadSettings(root, config string) (*settings.Settings, error) {
	if config == "" {
		p := filepath.Join(root, ".leakgate.toml")
		if _, err := os.Stat(p); err != nil {
			return &settings.Settings{}, nil
		}
		config = p
	}
	return settings.Load(config)
}

// newChecker builds the verification checker from the flags and the
// config's [verify] table, and tells stderr about endpoints that replace a
// provider's public API (a config file can send secrets elsewhere, so the
// operator should see where).
func (e *env) newChecker(root, config string, v *verifyFlags) (*verify.Checker, error) {
	st, err := loadSettings(root, config)
	if err != nil {
		return nil, err
	}
	timeout := v.timeout
	if timeout <= 0 {
		timeout = st.Verify.Timeout.Duration
	}
	if timeout <= 0 {
		timeout = verify.DefaultTimeout
	}
	opts := verify.Options{
		Endpoints:    st.Verify.Endpoints,
		Getenv:       os.Getenv,
		PrivateHosts: v.privateHosts || st.Verify.PrivateHosts,
		Timeout:      timeout,
	}
	known := verify.Providers()
	names := make([]string, 0, len(st.Verify.Endpoints))
	for name := range st.Verify.Endpoints {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(known, name) && name != "aws-sts" && name != "slack-webhook" {
			return nil, fmt.Errorf("%s: [verify.endpoints]: unknown provider %q (known: %s)", st.File, name, strings.Join(known, ", "))
		}
		fmt.Fprintf(e.stderr, "leakgate: verify: %s secrets go to %s (from %s)\n", name, st.Verify.Endpoints[name], st.File)
	}
	return &verify.Checker{
		Registry: verify.NewRegistry(opts, st.Verify.Disable...),
		Timeout:  timeout,
		Deadline: v.deadline,
	}, nil
}

// verifyFindings checks fs in place, with companions (findings of
// companion rules, never reported) as the other parts of multi-part
// credentials, and returns the counts over fs.
func verifyFindings(ctx context.Context, c *verify.Checker, fs []leak.Finding, companions ...leak.Finding) *report.Verification {
	all := fs
	if len(companions) > 0 {
		all = append(slices.Clip(fs), companions...)
	}
	st := c.Verify(ctx, all)
	if len(companions) > 0 {
		copy(fs, all[:len(fs)])
	}
	return countStatuses(fs, st.Calls)
}

// countStatuses counts the verification statuses of fs.
func countStatuses(fs []leak.Finding, calls int) *report.Verification {
	v := &report.Verification{Calls: calls}
	for i := range fs {
		switch fs[i].Status {
		case leak.Live:
			v.Live++
		case leak.Dead:
			v.Dead++
		case leak.Unknown:
			v.Unknown++
		default:
			v.Unchecked++
		}
	}
	return v
}

// verifyCmd is `leakgate verify REPORT.json`: re-check a saved report.
func (e *env) verifyCmd() *cobra.Command {
	var (
		f      scanFlags
		failOn string
	)
	c := &cobra.Command{
		Use:   "verify [flags] REPORT.json",
		Short: "Re-check the secrets of a saved JSON report with their providers",
		Long: `Re-check every finding of a saved JSON report with its provider: keys found
yesterday may be revoked today. The report must hold the secrets, so it must
have been written with --no-redact (keep such a file private). The report is
written again with each finding's status (live, dead, unknown, unchecked),
identity and check time.

Exit codes: 0 nothing that --fail-on counts (default: live); 1 a finding that
--fail-on counts; 2 the report could not be read or is redacted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.runVerify(c.Context(), args[0], failOn, &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "report format: text, json, jsonl, sarif")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fl.StringVarP(&f.config, "config", "c", "", "settings `FILE` (default: .leakgate.toml in the current directory, if present)")
	fl.StringVar(&failOn, "fail-on", "live", "which findings fail: any, live, none")
	fl.BoolVar(&f.noRedact, "no-redact", false, "show secrets in full in every format")
	fl.BoolVar(&f.noColor, "no-color", false, "no colour in text output (also: NO_COLOR set)")
	addVerifyFlags(fl, &f.verifyFlags)
	return c
}

func (e *env) runVerify(ctx context.Context, path, failOnText string, f *scanFlags) error {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return usageError("%v", err)
	}
	failOn, err := scan.ParseFailOn(failOnText)
	if err != nil {
		return usageError("%v", err)
	}
	fh, err := os.Open(path)
	if err != nil {
		return usageError("verify: %v", unwrapOS(err))
	}
	rep, err := report.ReadJSON(bufio.NewReader(fh))
	fh.Close()
	if err != nil {
		return usageError("verify %s: %v", path, err)
	}
	if rep.Redacted && len(rep.Findings) > 0 {
		return usageError("verify %s: the report's secrets are redacted, so they cannot be checked; write the report with --no-redact (and keep it private), or run leakgate scan --verify", path)
	}
	checker, err := e.newChecker(".", f.config, &f.verifyFlags)
	if err != nil {
		return &exitError{code: scan.ExitIncomplete, err: err}
	}
	for i := range rep.Findings {
		fs := &rep.Findings[i]
		fs.Status, fs.Identity, fs.StatusReason, fs.CheckedAt = leak.Unchecked, "", "", time.Time{}
	}
	rep.Summary.Verification = verifyFindings(ctx, checker, rep.Findings)
	res := &scan.Result{Findings: rep.Findings, Summary: rep.Summary}
	if err := e.writeReport(res, format, f); err != nil {
		return err
	}
	return gateError(failOn, res)
}

// baselineOnly returns the fingerprints that only the baseline hides (not
// .leakgateignore): with --fail-on-live-baselined they are scanned and
// verified, and reported only when live.
func baselineOnly(root string, all map[string]bool) (map[string]bool, error) {
	ignored, err := loadSuppressions(root, "")
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for fp := range all {
		if !ignored[fp] {
			only[fp] = true
		}
	}
	return only, nil
}

// keepLiveBaselined drops the baselined findings of res that verification
// did not find live, as the baseline asks, and keeps the live ones, marked
// in their status reason, so the gate fails on them.
func keepLiveBaselined(res *scan.Result, baselined map[string]bool) {
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if baselined[f.Fingerprint] {
			if f.Status != leak.Live {
				res.Suppressed++
				continue
			}
			f.StatusReason = strings.TrimSpace("in the baseline, but live " + f.StatusReason)
		}
		kept = append(kept, f)
	}
	res.Findings = kept
	res.Summary.Findings = len(kept)
	res.Summary.Verification = countStatuses(kept, res.Summary.Verification.Calls)
}
