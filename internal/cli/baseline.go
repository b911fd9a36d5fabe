package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// baselineAbout is the first element of a baseline's array: it says what
// the file is, and it lets every real entry start with a comma, so that
// each entry line stands alone (see writeBaseline).
const baselineAbout = "leakgate baseline: fingerprints of accepted findings, sorted, one per line; made by leakgate baseline create"

// baselineEntry is one accepted finding: its fingerprint (which depends
// only on the rule and the secret) and, for the reader, its rule.
type baselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
}

// baselineCmd is "leakgate baseline": it writes baselines that --baseline
// reads.
func (e *env) baselineCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "baseline",
		Short: "Accept the current findings, so that only new ones are reported",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(e.baselineCreateCmd())
	return c
}

func (e *env) baselineCreateCmd() *cobra.Command {
	var f scanFlags
	c := &cobra.Command{
		Use:   "create -o FILE [flags] [PATH]",
		Short: "Scan PATH and write its findings as a baseline",
		Long: `Scan PATH (default ".") as "leakgate scan" does, with the same flags, and
write the fingerprints of its findings to FILE ("-": standard output) as a
baseline that "--baseline FILE" reads: later scans report only what is not in
it.

The baseline holds no secrets, no file names, line numbers, commits or dates:
one entry per distinct secret, its fingerprint (a hash of the rule and the
secret) and its rule, sorted by fingerprint, one per line. So it survives line
moves, renames and rebases; the same findings always give the same bytes; and
entries added on two branches merge line by line (with "merge=union" in
.gitattributes, without any conflict).

Findings already silenced (.leakgateignore, inline leakgate:allow, config
allowlists) are not written. When the scan is incomplete, nothing is written
(an existing FILE is left as it was) and the exit code is 2, so that a broken
scan cannot accept only part of the findings.

Exit codes: 0 the baseline was written (whatever it holds); 2 it was not.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return e.runBaselineCreate(c.Context(), path, &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the baseline to `FILE` (\"-\": standard output); required")
	fl.StringVarP(&f.config, "config", "c", "", "rules and settings `FILE` (default: .leakgate.toml at the root of PATH, if present)")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel workers")
	fl.BoolVar(&f.noGit, "no-git", false, "scan the files on disk even when PATH is a git repository")
	fl.Int64Var(&f.maxFileSize, "max-file-size", source.DefaultMaxFileSize, "skip (and count) files larger than this many `BYTES`")
	fl.BoolVar(&f.exampleKeys, "include-example-keys", false, "report documented example keys such as AKIAIOSFODNN7EXAMPLE")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress display on stderr")
	fl.StringVar(&f.rangeSpec, "range", "", "only what the commits in `A..B` added")
	fl.BoolVar(&f.staged, "staged", false, "only the staged changes")
	fl.StringVar(&f.cache, "cache", "", "remember scanned git blobs and their findings in `FILE`; later scans read only new blobs")
	return c
}

func (e *env) runBaselineCreate(ctx context.Context, path string, f *scanFlags) error {
	if f.output == "" {
		return usageError("baseline create: -o FILE is required (\"-\" for standard output)")
	}
	ps, err := e.prepareScan(ctx, path, f)
	if err != nil {
		return err
	}
	if !f.noProgress && isTerminal(e.stderr) {
		ps.cfg.Progress = e.stderr
	}
	res, err := scan.Run(ctx, ps.cfg)
	if err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("scan %s: %w", path, err)}
	}
	if ps.git != nil {
		e.gitNotes(ps.git, ps.cache, f, res)
	}
	s := res.Summary
	if s.SkippedLarge > 0 {
		fmt.Fprintf(e.stderr, "leakgate: warning: skipped %d files larger than %d bytes (raise --max-file-size to scan them)\n", s.SkippedLarge, f.maxFileSize)
	}
	if !s.Complete {
		e.printErrors(s.Errors)
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("baseline create: the scan is incomplete (%d errors): no baseline written", len(s.Errors))}
	}

	var buf bytes.Buffer
	n := writeBaseline(&buf, res.Findings)
	if f.output == "-" {
		if _, err := e.stdout.Write(buf.Bytes()); err != nil {
			return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("baseline create: %w", err)}
		}
	} else if err := writeFileAtomic(f.output, buf.Bytes()); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: fmt.Errorf("baseline create: %w", unwrapOS(err))}
	}
	where := f.output
	if where == "-" {
		where = "standard output"
	}
	fmt.Fprintf(e.stderr, "leakgate: baseline: %d fingerprints (%d findings) written to %s\n", n, len(res.Findings), where)
	if f.output != "-" {
		e.unionMergeTip(ctx, f.output)
	}
	return nil
}

// unionMergeTip suggests merge=union for a baseline in a git work tree
// that has no merge attribute for it: with it, two branches that accept
// different secrets never conflict.
func (e *env) unionMergeTip(ctx context.Context, file string) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return
	}
	dir := filepath.Dir(abs)
	out, err := gitOutput(ctx, dir, "check-attr", "merge", "--", filepath.Base(abs))
	if err != nil || !strings.HasSuffix(out, ": merge: unspecified") {
		return // not in a work tree, or already set
	}
	fmt.Fprintf(e.stderr, "leakgate: tip: so that baselines accepted on two branches never conflict, add to .gitattributes:\n  %s merge=union\n", filepath.Base(abs))
}

// writeBaseline writes the baseline of findings to w and returns the
// number of entries: one per distinct fingerprint, sorted by fingerprint.
// The format is JSON, one entry per line, each real entry starting with a
// comma after a fixed first element:
//
//	{"version": 1, "baseline": [
//	  {"about": "leakgate baseline: …"}
//	  ,{"fingerprint": "0a1b…", "rule": "github-pat"}
//	  ,{"fingerprint": "9f3c…", "rule": "aws-access-key-id"}
//	]}
//
// so that any line can be added or removed without touching its
// neighbours: entries added on two branches merge line by line, and a
// union merge (merge=union in .gitattributes) always gives valid JSON.
// Same findings, same bytes.
func writeBaseline(w io.Writer, findings []leak.Finding) int {
	entries := make([]baselineEntry, 0, len(findings))
	for _, f := range findings {
		entries = append(entries, baselineEntry{Fingerprint: strings.ToLower(f.Fingerprint), Rule: f.RuleID})
	}
	slices.SortFunc(entries, func(a, b baselineEntry) int {
		return strings.Compare(a.Fingerprint+"\x00"+a.Rule, b.Fingerprint+"\x00"+b.Rule)
	})
	entries = slices.CompactFunc(entries, func(a, b baselineEntry) bool { return a.Fingerprint == b.Fingerprint })

	str := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	fmt.Fprintf(w, "{\"version\": %d, \"baseline\": [\n", BaselineVersion)
	fmt.Fprintf(w, "  {\"about\": %s}\n", str(baselineAbout))
	for _, en := range entries {
		fmt.Fprintf(w, "  ,{\"fingerprint\": %s, \"rule\": %s}\n", str(en.Fingerprint), str(en.Rule))
	}
	fmt.Fprint(w, "]}\n")
	return len(entries)
}

// readBaseline returns the fingerprints that the --baseline file holds. The
// file is either a baseline (leakgate baseline create) or a JSON report
// (--format json), whose findings' fingerprints are taken.
func readBaseline(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", unwrapOS(err))
	}
	var head map[string]json.RawMessage
	if json.Unmarshal(data, &head) != nil || head["baseline"] == nil {
		// Not a baseline: a JSON report, or ReadJSON says what it is.
		rep, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", path, err)
		}
		fps := make([]string, 0, len(rep.Findings))
		for _, f := range rep.Findings {
			fps = append(fps, f.Fingerprint)
		}
		return fps, nil
	}
	var doc struct {
		Version int `json:"version"`
		// Entries are decoded one by one, so that an error can name the entry.
		Baseline []json.RawMessage `json:"baseline"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if doc.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline %s: unsupported baseline version %d (this leakgate reads version %d)", path, doc.Version, BaselineVersion)
	}
	fps := make([]string, 0, len(doc.Baseline))
	for i, raw := range doc.Baseline {
		var en struct {
			Fingerprint *string `json:"fingerprint"`
			About       *string `json:"about"`
		}
		if err := json.Unmarshal(raw, &en); err != nil {
			return nil, fmt.Errorf("baseline %s: entry %d: %w", path, i+1, err)
		}
		switch {
		case en.Fingerprint == nil && en.About != nil:
			continue
		case en.Fingerprint == nil:
			return nil, fmt.Errorf("baseline %s: entry %d has no \"fingerprint\"", path, i+1)
		case !isFingerprint(*en.Fingerprint):
			return nil, fmt.Errorf("baseline %s: entry %d: %q is not a fingerprint (64 hex digits)", path, i+1, *en.Fingerprint)
		}
		fps = append(fps, strings.ToLower(*en.Fingerprint))
	}
	return fps, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that path holds either its old content or all of data.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	// CreateTemp makes the file readable by its owner only; a baseline
	// holds no secret and is meant to be committed.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
