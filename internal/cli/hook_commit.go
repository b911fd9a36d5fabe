package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// defaultBaselineName is the baseline the pre-commit hook uses, at the top
// of the work tree, when --baseline is not given.
const defaultBaselineName = ".leakgate-baseline.json"

// commitFix is the advice printed after the findings when the pre-commit
// hook refuses a commit.
var commitFix = []string{
	"To fix: take the secret out of the staged files (edit it out and `git add` again,",
	"or `git restore --staged FILE` to unstage the file) and load it at run time from",
	"an environment variable or a secret store instead.",
	"A false positive? Put `leakgate:allow` in a comment on its line, or its",
	"fingerprint in .leakgateignore at the top of the repository.",
	"`git commit --no-verify` skips this hook, at your own risk.",
}

// hookPreCommitCmd is "leakgate hook pre-commit": the client-side hook that
// scans the staged changes and refuses a commit that adds a secret.
func (e *env) hookPreCommitCmd() *cobra.Command {
	var f scanFlags
	c := &cobra.Command{
		Use:   "pre-commit [flags]",
		Short: "Scan the staged changes and refuse the commit if they add a secret",
		Long: `Scan the staged changes of the repository of the current directory (what
"leakgate scan --staged" scans) and refuse the commit, with a message on stderr,
when they add a secret. Meant to be run by git as the pre-commit hook ("leakgate
hook install" sets that up) or by the pre-commit framework.

The config is .leakgate.toml at the top of the work tree, if present, and the
baseline is .leakgate-baseline.json there, if present (--baseline picks
another); .leakgateignore there and inline "leakgate:allow" markers apply as
in a scan. Nothing is printed when the commit may go ahead.

Exit codes: 0 nothing found; 1 a secret was found (the commit is refused);
2 the scan could not run or was incomplete (the commit is refused too).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return e.runPreCommit(c.Context(), &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "rules and settings `FILE` (default: .leakgate.toml at the top of the work tree, if present)")
	fl.StringVar(&f.baseline, "baseline", "", "baseline or JSON report `FILE` whose fingerprints are not reported (default: "+defaultBaselineName+" at the top of the work tree, if present)")
	fl.BoolVar(&f.verify, "verify", false, "check each finding with its provider, to mark live ones in the message (the commit is refused either way)")
	addVerifyFlags(fl, &f.verifyFlags)
	fl.BoolVar(&f.noRedact, "no-redact", false, "show secrets in full")
	fl.BoolVar(&f.exampleKeys, "include-example-keys", false, "report documented example keys such as AKIAIOSFODNN7EXAMPLE")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel workers")
	fl.Int64Var(&f.maxFileSize, "max-file-size", source.DefaultMaxFileSize, "skip (and count) staged files larger than this many `BYTES`")
	return c
}

func (e *env) runPreCommit(ctx context.Context, f *scanFlags) error {
	top, err := gitOutput(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return usageError("hook pre-commit: run it inside a git work tree: %v", err)
	}
	f.staged = true
	if f.baseline == "" {
		p := filepath.Join(top, defaultBaselineName)
		if _, err := os.Stat(p); err == nil {
			f.baseline = p
		}
	}
	ps, err := e.prepareScan(ctx, top, f)
	if err != nil {
		return err
	}
	res, err := scan.Run(ctx, ps.cfg)
	if err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("hook pre-commit: %w", err)}
	}
	s := res.Summary
	if s.SkippedLarge > 0 {
		fmt.Fprintf(e.stderr, "leakgate: warning: %d staged files larger than %d bytes were not scanned (raise --max-file-size to scan them)\n", s.SkippedLarge, f.maxFileSize)
	}
	if len(res.Findings) > 0 && f.verify {
		checker, err := e.newChecker(top, f.config, &f.verifyFlags)
		if err != nil {
			return &exitError{code: scan.ExitIncomplete, err: err}
		}
		verifyFindings(ctx, checker, res.Findings, res.Companions...)
	}
	if len(res.Findings) > 0 {
		if err := report.WriteRejection(e.stderr, res.Findings, report.Rejection{
			Action: "commit", Fix: commitFix, NoRedact: f.noRedact,
		}); err != nil {
			return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("hook pre-commit: %w", err)}
		}
		if !s.Complete {
			fmt.Fprintf(e.stderr, "leakgate: the scan was also incomplete (%d errors): %s\n", len(s.Errors), strings.Join(s.Errors, "; "))
		}
		return &exitError{code: scan.ExitFail}
	}
	if !s.Complete {
		e.printErrors(s.Errors)
		fmt.Fprintf(e.stderr, "leakgate: commit stopped: the scan of the staged changes is incomplete (%d errors), so they may hold a secret; fix the cause, or skip this hook with `git commit --no-verify` at your own risk\n", len(s.Errors))
		return &exitError{code: scan.ExitIncomplete}
	}
	return nil
}

// gitOutput runs git in dir ("" for the current directory) and returns
// its trimmed stdout, or an error carrying git's last stderr line.
func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			return "", fmt.Errorf("git %s: %w", args[0], err)
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return strings.TrimRight(string(out), "\r\n"), nil
}

// hookMarker is in every hook script leakgate writes; install recognises
// its own hook by it.
const hookMarker = "# leakgate-managed-hook"

// chainedName is where install --chain moves a hook that was there before,
// next to ours; our hook runs it first.
const chainedName = "pre-commit.local"

// hookInstallCmd is "leakgate hook install": it writes the pre-commit hook
// of the current repository.
func (e *env) hookInstallCmd() *cobra.Command {
	var chain, force bool
	c := &cobra.Command{
		Use:   "install [flags]",
		Short: "Install the pre-commit hook into the current repository",
		Long: `Write the pre-commit hook of the repository of the current directory, in the
hooks directory git uses ("git rev-parse --git-path hooks": core.hooksPath and
linked work trees are respected). The hook runs "leakgate hook pre-commit",
with the leakgate found on PATH when the commit is made, or else the leakgate
binary that ran install (its absolute path is written into the hook).

An existing pre-commit hook that is not leakgate's is never overwritten unless
asked: --chain moves it to pre-commit.local, which the leakgate hook runs first
(a failure there stops the commit with its exit status); --force replaces it.
Installing again over leakgate's own hook changes nothing (--force writes it
again, to record a new fallback path for instance).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if chain && force {
				return usageError("hook install: --chain and --force cannot be used together")
			}
			return e.installHook(c.Context(), chain, force)
		},
	}
	c.Flags().BoolVar(&chain, "chain", false, "keep an existing pre-commit hook as "+chainedName+" and run it before leakgate")
	c.Flags().BoolVar(&force, "force", false, "replace an existing pre-commit hook")
	return c
}

func (e *env) installHook(ctx context.Context, chain, force bool) error {
	dir, err := gitOutput(ctx, "", "rev-parse", "--git-path", "hooks")
	if err != nil {
		return usageError("hook install: run it inside a git repository: %v", err)
	}
	fail := func(err error) error {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("hook install: %w", unwrapOS(err))}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	hook := filepath.Join(dir, "pre-commit")
	script := hookScript(e.fallbackBinary())

	old, err := os.ReadFile(hook)
	_, lerr := os.Lstat(hook)
	exists := lerr == nil
	switch {
	case err == nil && bytes.Contains(old, []byte(hookMarker)):
		if !force {
			fmt.Fprintf(e.stdout, "leakgate pre-commit hook already installed: %s\n", hook)
			return nil
		}
	case exists && chain:
		local := filepath.Join(dir, chainedName)
		if _, err := os.Lstat(local); err == nil {
			return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("hook install: %s is not leakgate's hook, and %s already exists: cannot chain (move one of them away)", hook, local)}
		}
		if err := os.Rename(hook, local); err != nil {
			return fail(err)
		}
		if err := writeHook(hook, script); err != nil {
			// Put the user's hook back where it was.
			if rerr := os.Rename(local, hook); rerr != nil {
				return fail(fmt.Errorf("%w (and moving %s back failed: %w)", err, local, rerr))
			}
			return fail(err)
		}
		fmt.Fprintf(e.stdout, "leakgate pre-commit hook installed: %s (it runs the previous hook, now %s, first)\n", hook, local)
		return nil
	case exists && !force:
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("hook install: %s exists and is not leakgate's hook: left alone (--chain keeps it and runs it before leakgate, --force replaces it)", hook)}
	}
	if exists {
		// A symbolic link is replaced, not written through.
		if err := os.Remove(hook); err != nil {
			return fail(err)
		}
	}
	if err := writeHook(hook, script); err != nil {
		return fail(err)
	}
	fmt.Fprintf(e.stdout, "leakgate pre-commit hook installed: %s\n", hook)
	return nil
}

// writeHook writes an executable hook script: to a temporary file next to
// it, then renamed, so that git never runs half a hook.
func writeHook(path, script string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pre-commit-leakgate-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.WriteString(script); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// fallbackBinary is the absolute path of the running leakgate, for the hook
// to use when leakgate is not on PATH at commit time; "" when unknown.
// Symbolic links are not resolved by us, so that a link that a package
// manager keeps stable across upgrades stays the path. A binary built by
// "go run" is deleted when it exits, so it is no fallback.
func (e *env) fallbackBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		fmt.Fprintf(e.stderr, "leakgate: note: this leakgate is a temporary \"go run\" build: the hook will need leakgate on PATH (go install ./cmd/leakgate)\n")
		return ""
	}
	return exe
}

// hookScript is the pre-commit hook: run pre-commit.local first when it is
// there (install --chain), then leakgate from PATH, or else from fallback.
func hookScript(fallback string) string {
	return `#!/bin/sh
` + hookMarker + `: written by "leakgate hook install".
# Scans the staged changes and refuses the commit when they add a secret.
# Skip it for one commit with: git commit --no-verify
# It runs leakgate from PATH, or else the binary that installed it:
fallback=` + shellQuote(fallback) + `

# A hook that was here before (kept by "leakgate hook install --chain") runs first.
local="$(dirname "$0")/` + chainedName + `"
if [ -x "$local" ]; then
	"$local" "$@" || exit $?
fi

if command -v leakgate >/dev/null 2>&1; then
	exec leakgate hook pre-commit
elif [ -n "$fallback" ] && [ -x "$fallback" ]; then
	exec "$fallback" hook pre-commit
fi
echo "leakgate: the pre-commit hook cannot find leakgate on PATH${fallback:+ nor at $fallback}: install it (go install github.com/leakgate/leakgate/cmd/leakgate@latest), or skip the check once with git commit --no-verify" >&2
exit 2
`
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
