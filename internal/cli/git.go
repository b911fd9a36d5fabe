package cli

import (
	"fmt"
	"path/filepath"

	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// gitScan decides whether scanning path reads git history, and checks the
// flags that only make sense there (--range, --staged, --cache).
func gitScan(path string, stdin bool, f *scanFlags) (bool, error) {
	gitOnly := ""
	switch {
	case f.rangeSpec != "" && f.staged:
		return false, usageError("--range and --staged cannot be used together")
	case f.rangeSpec != "":
		gitOnly = "--range"
		if err := source.ValidateRange(f.rangeSpec); err != nil {
			return false, usageError("--range: %v", err)
		}
	case f.staged:
		gitOnly = "--staged"
	case f.cache != "":
		gitOnly = "--cache"
	}
	switch {
	case stdin && gitOnly != "":
		return false, usageError("%s needs a git repository, not standard input", gitOnly)
	case stdin:
		return false, nil
	case f.noGit && gitOnly != "":
		return false, usageError("%s cannot be used with --no-git", gitOnly)
	case f.noGit:
		return false, nil
	case source.IsRepository(path):
		return true, nil
	case gitOnly != "":
		return false, usageError("%s: %s is not a git repository (give the root of a work tree, or a bare repository)", gitOnly, path)
	}
	return false, nil
}

// gitSource is the source for a history, range or staged scan of path.
func gitSource(path string, f *scanFlags) *source.Git {
	return &source.Git{Dir: path, Range: f.rangeSpec, Staged: f.staged, MaxFileSize: f.maxFileSize, AllLines: f.allLines}
}

// openCache opens --cache for the rule set and detector options in use,
// and wires it to the git source.
func (e *env) openCache(g *source.Git, f *scanFlags, set *rules.Set) (*scan.Cache, error) {
	if f.cache == "" {
		return nil, nil
	}
	version := fmt.Sprintf("rules=%s,example-keys=%t,all-lines=%t", set.Version, f.exampleKeys, f.allLines)
	c, err := scan.OpenCache(f.cache, version, set)
	if err != nil {
		return nil, err
	}
	c.Repo = g.Dir
	if abs, err := filepath.Abs(g.Dir); err == nil {
		c.Repo = abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			c.Repo = real
		}
	}
	if c.Reset != "" {
		fmt.Fprintf(e.stderr, "leakgate: note: cache %s %s: starting afresh\n", f.cache, c.Reset)
	}
	g.Known, g.Skip = c.Known, c.Skip
	return c, nil
}

// gitNotes saves the cache (without the blobs a complete full-history
// scan no longer reached) and tells stderr what a git scan could not show
// in the report: a shallow history, skipped submodules and LFS files.
func (e *env) gitNotes(g *source.Git, c *scan.Cache, f *scanFlags, res *scan.Result) {
	for _, n := range g.Notes() {
		fmt.Fprintf(e.stderr, "leakgate: note: %s\n", n)
	}
	gs := g.GitStats()
	if gs.LFS > 0 || gs.Submodules > 0 {
		fmt.Fprintf(e.stderr, "leakgate: note: skipped %d Git LFS pointer files and %d submodule entries\n", gs.LFS, gs.Submodules)
	}
	if c != nil {
		if f.rangeSpec == "" && !f.staged && res.Summary.Complete && !res.Summary.Canceled {
			c.Prune() // what a whole history no longer reaches
		}
		if err := c.Save(); err != nil {
			fmt.Fprintf(e.stderr, "leakgate: warning: %v\n", err)
		}
		fmt.Fprintf(e.stderr, "leakgate: cache: %d of %d blobs already scanned\n", gs.Known, gs.Blobs)
	}
}
