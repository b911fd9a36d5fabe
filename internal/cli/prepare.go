package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// preparedScan is a scan ready to run: its config, and the git source and
// cache when it reads git (both nil otherwise).
type preparedScan struct {
	// root is where .leakgate.toml and .leakgateignore are looked for.
	root  string
	cfg   scan.Config
	git   *source.Git
	cache *scan.Cache
}

// prepareScan builds the scan of path ("-": standard input) that f asks
// for: the source, the rules (--config, or .leakgate.toml at the root), the
// detector and the suppressions (.leakgateignore at the root, --baseline).
// scan, hook pre-commit and baseline create share it, so that they find
// the same things. It leaves progress and --verify to the caller.
func (e *env) prepareScan(ctx context.Context, path string, f *scanFlags) (_ *preparedScan, err error) {
	stdinScan := path == "-"
	root := path
	if stdinScan {
		root = "."
	} else if info, err := os.Lstat(path); err != nil {
		return nil, usageError("scan %s: %v", path, unwrapOS(err))
	} else {
		if info.Mode()&os.ModeSymlink != 0 {
			// A link named on the command line is followed (a directory
			// walk skips links: it would scan nothing and pass). A
			// dangling one is left to the walk, which counts it skipped.
			if target, err := filepath.EvalSymlinks(path); err == nil {
				path, root = target, target
				info, err = os.Stat(target)
				if err != nil {
					return nil, usageError("scan %s: %v", path, unwrapOS(err))
				}
			}
		}
		if !info.IsDir() && info.Mode()&os.ModeSymlink == 0 {
			// One file: the configuration and .leakgateignore of its
			// directory.
			root = filepath.Dir(path)
		}
	}
	useGit, err := gitScan(path, stdinScan, f)
	if err != nil {
		return nil, err
	}
	var gitSrc *source.Git
	if useGit && !stdinScan {
		// git lists a range or the index while the rules load.
		gitSrc = gitSource(path, f)
		gitSrc.StartListing(ctx)
		defer func() {
			if err != nil {
				gitSrc.StopListing()
			}
		}()
	}
	if !useGit && !stdinScan && !f.noGit && root == path { // a directory
		if top := source.EnclosingWorkTree(path); top != "" {
			fmt.Fprintf(e.stderr, "leakgate: note: %s is inside the git work tree %s: its files on disk are scanned, not history (scan %s for the history)\n", path, top, top)
		}
	}

	set, err := loadRules(root, f.config)
	if err != nil {
		return nil, &exitError{code: scan.ExitIncomplete, err: err}
	}
	det, err := detect.New(set, detect.Options{ReportExampleKeys: f.exampleKeys})
	if err != nil {
		return nil, &exitError{code: scan.ExitIncomplete, err: err}
	}
	suppress, err := loadSuppressions(root, f.baseline)
	if err != nil {
		return nil, &exitError{code: scan.ExitIncomplete, err: err}
	}

	ps := &preparedScan{root: root}
	var src source.Source
	switch {
	case stdinScan:
		src = &source.Reader{R: e.stdin, Name: "<stdin>"}
	case useGit:
		ps.git = gitSrc
		if ps.cache, err = e.openCache(ps.git, f, set); err != nil {
			return nil, &exitError{code: scan.ExitIncomplete, err: err}
		}
		ps.git.Screen = det
		src = ps.git
	default:
		src = &source.Dir{Root: path, MaxFileSize: f.maxFileSize}
	}
	ps.cfg = scan.Config{Source: src, Detector: det, Jobs: f.jobs, Suppress: suppress, Cache: ps.cache}
	return ps, nil
}
