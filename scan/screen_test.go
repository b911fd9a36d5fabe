package scan

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/source"
)

// screenRules has a rule whose keyword reaches far below it (far), one
// with a path allowlist (pw) and one limited to the paths it names (env).
const screenRules = `
[[rules]]
id = "aws"
keywords = ["akia"]
regex = '''\b(AKIA[A-Z2-7]{16})\b'''

[[rules]]
id = "far"
keywords = ["[vault]"]
window = 16384
regex = '''(?m)^far = (ft_[a-z2-7]{10})$'''

[[rules]]
id = "pw"
keywords = ["password"]
regex = '''password = "([a-z2-7]{12})"'''
[rules.allowlist]
paths = ['''^vendor/''']

[[rules]]
id = "env"
keywords = ["secret="]
regex = '''SECRET=([a-z2-7]{12})'''
paths = ['''\.env$''']
`

// TestScreenSameFindings checks that a full-history scan that screens the
// versions first (source.Git.Screen) reports exactly what one that
// compares and scans every version reports, with the same summary, on
// random packed histories of more blobs than the packs are read in
// process from: edits, moved and repeated lines, copies to new paths,
// deletions, a binary file, a .env file, a vendored file, a file that
// starts as UTF-16 (in appearance) and loses its byte order mark, a key
// hidden in the whole file by a longer match turned down, unreachable
// blobs with secrets (kept in the pack, in a cruft pack, or dropped), and
// loose objects after the packs.
func TestScreenSameFindings(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	custom := detectorFor(t, screenRules)
	builtin, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for seed := range uint64(3) {
		dir := screenHistory(t, seed)
		for _, det := range []*detect.Detector{custom, builtin} {
			run := func(screen bool) *Result {
				t.Helper()
				g := &source.Git{Dir: dir}
				if screen {
					g.Screen = det
				}
				res, err := Run(context.Background(), Config{Source: g, Detector: det})
				if err != nil || !res.Summary.Complete {
					t.Fatalf("seed %d: %v %+v", seed, err, res)
				}
				st := g.GitStats()
				if screen {
					t.Logf("seed %d: %d of %d blobs screened out", seed, st.Screened, st.Blobs)
				}
				if screen && (st.Screened < 300 || st.Screened == st.Blobs) {
					t.Fatalf("seed %d: %d of %d blobs screened out", seed, st.Screened, st.Blobs)
				}
				return res
			}
			want, got := run(false), run(true)
			if len(want.Findings) == 0 {
				t.Fatalf("seed %d: no findings", seed)
			}
			total += len(want.Findings)
			if !reflect.DeepEqual(want.Findings, got.Findings) {
				t.Errorf("seed %d: screened scan differs:\n%s", seed, findingsDiff(want.Findings, got.Findings))
			}
			w, g := want.Summary, got.Summary
			w.Duration, g.Duration = 0, 0
			if !reflect.DeepEqual(w, g) {
				t.Errorf("seed %d: summary\n%+v\nscreened\n%+v", seed, w, g)
			}
		}
	}
	t.Logf("%d findings compared", total)
}

func findingsDiff(want, got []leak.Finding) string {
	str := func(f leak.Finding) string {
		return fmt.Sprintf("%s %s:%d:%d %.8s %s", f.RuleID, f.Origin.Path, f.Origin.Line, f.Origin.Column, f.Origin.Commit, f.Secret)
	}
	var b strings.Builder
	ws, gs := map[string]bool{}, map[string]bool{}
	for _, f := range want {
		ws[str(f)] = true
	}
	for _, f := range got {
		gs[str(f)] = true
	}
	for _, f := range want {
		if !gs[str(f)] {
			fmt.Fprintf(&b, "  missing %s\n", str(f))
		}
	}
	for _, f := range got {
		if !ws[str(f)] {
			fmt.Fprintf(&b, "  extra   %s\n", str(f))
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("  same findings, other order or fields (%d against %d)", len(want), len(got))
	}
	return b.String()
}

// screenHistory writes a random history of more than 1,000 blobs with git
// fast-import, packs it with long delta chains, and adds loose commits.
func screenHistory(t *testing.T, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	const b32 = "abcdefghijklmnopqrstuvwxyz234567"
	word := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	var secrets []string
	for range 6 {
		secrets = append(secrets,
			"key = AKIA"+word(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
			"far = ft_"+word(10, b32),
			`password = "`+word(12, b32)+`"`,
			"SECRET="+word(12, b32))
	}
	line := func() string {
		if rng.IntN(25) == 0 {
			return secrets[rng.IntN(len(secrets))]
		}
		return fmt.Sprintf("filler %d %s", rng.IntN(50), word(rng.IntN(30), b32+" "))
	}
	files := map[string][]string{}
	paths := []string{"vendor/v.txt", "cfg/.env", "b/bin.dat"}
	for i := range 8 {
		paths = append(paths, fmt.Sprintf("a/f%d.txt", i))
	}
	var stream bytes.Buffer
	mark := 0
	commit := func(n int, changes map[string]*[]string) {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 3\nc%d\n", 1577836800+n*3600, n%10)
		for _, p := range slices.Sorted(func(yield func(string) bool) {
			for p := range changes {
				if !yield(p) {
					return
				}
			}
		}) {
			ls := changes[p]
			if ls == nil {
				fmt.Fprintf(&stream, "D %s\n", p)
				continue
			}
			text := "[vault]\n" + strings.Join(*ls, "\n") + "\n"
			if strings.HasSuffix(p, ".dat") {
				text = "\x00bin\n" + text
			}
			fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", p, len(text), text)
		}
	}
	edit := func(ls []string) []string {
		for range 1 + rng.IntN(3) {
			switch k := rng.IntN(8); {
			case k <= 2 || len(ls) < 3:
				ls = slices.Insert(ls, rng.IntN(len(ls)+1), line())
			case k == 3:
				i := rng.IntN(len(ls))
				ls = slices.Delete(ls, i, i+1)
			case k == 4: // move a block
				i := rng.IntN(len(ls) - 1)
				n := 1 + rng.IntN(min(5, len(ls)-i-1))
				block := slices.Clone(ls[i : i+n])
				ls = slices.Delete(ls, i, i+n)
				ls = slices.Insert(ls, rng.IntN(len(ls)+1), block...)
			case k == 5: // repeat a line
				ls = slices.Insert(ls, rng.IntN(len(ls)+1), ls[rng.IntN(len(ls))])
			case k == 6 && rng.IntN(3) == 0: // the secrets taken out
				ls = slices.DeleteFunc(ls, func(l string) bool { return !strings.HasPrefix(l, "filler") })
			default:
				ls[rng.IntN(len(ls))] = line()
			}
		}
		return ls
	}
	for n := range 650 {
		changes := map[string]*[]string{}
		for range 1 + rng.IntN(3) {
			p := paths[rng.IntN(len(paths))]
			ls := edit(slices.Clone(files[p]))
			files[p] = ls
			changes[p] = &ls
		}
		switch rng.IntN(25) {
		case 0: // a copy at a new path
			src := paths[3+rng.IntN(8)]
			if ls, ok := files[src]; ok {
				p := fmt.Sprintf("copy/c%d.txt", n)
				files[p] = ls
				cp := slices.Clone(ls)
				changes[p] = &cp
			}
		case 1: // a deletion
			p := paths[rng.IntN(len(paths))]
			if _, ok := files[p]; ok && changes[p] == nil {
				delete(files, p)
				changes[p] = nil
			}
		}
		commit(n, changes)
		if n%40 == 0 {
			// A blob no commit holds, with a secret: never reported,
			// unless a repack drops it.
			mark++
			text := "[vault]\n" + strings.Join(files[paths[3]], "\n") + "\n" + secrets[rng.IntN(len(secrets))] + "\n"
			fmt.Fprintf(&stream, "blob\nmark :%d\ndata %d\n%s\n", mark, len(text), text)
		}
	}
	// A file whose first version starts with a UTF-16 byte order mark
	// (its ASCII bytes then read as other characters, with no secret) and
	// whose next version is the same bytes without it, a key in them.
	var u16 []string
	for i := range 40 {
		u16 = append(u16, fmt.Sprintf("line %02d lorem ipsum dolor sit amet, consectetur", i))
	}
	u16[20] = "key = AKIA" + word(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	text := strings.Join(u16, "\n") + "\n"
	if len(text)%2 != 0 {
		text = "x" + text
	}
	// A Datadog block whose match runs to a placeholder key and hides the
	// key on the line under its keyword, which the next version changes:
	// a finding of the changed lines, not of the whole file.
	conf := func(key string) string {
		return "name: app\nport: 8080\ndatadog:\n  hook: datadog_app_key(" + key + ")\n  site: eu\n  tags: a\n  env: prod\n  app_key: 0000000000000000000000000000000000000000\nlevel: info\n"
	}
	for n, key := range []string{word(40, "0123456789abcdef"), word(40, "0123456789abcdef")} {
		content := conf(key)
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 3\nd%d\n", 1577836800+(710+n)*3600, n)
		fmt.Fprintf(&stream, "M 100644 inline cfg/datadog.conf.yaml\ndata %d\n%s\n", len(content), content)
	}
	for n, content := range []string{"\xff\xfe" + text, text} {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 3\nu%d\n", 1577836800+(700+n)*3600, n)
		fmt.Fprintf(&stream, "M 100644 inline u/some_long_name_u16.txt\ndata %d\n%s\n", len(content), content)
	}
	dir := t.TempDir()
	gitIn := func(stdin []byte, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com",
			"GIT_AUTHOR_DATE=2021-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2021-01-01T00:00:00Z")
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	gitIn(nil, "-c", "init.defaultBranch=main", "init", "-q")
	gitIn(stream.Bytes(), "fast-import", "--quiet")
	switch seed % 3 {
	case 0: // unreachable objects kept in the pack
		gitIn(nil, "repack", "-adfkq", "--depth=50", "--window=50")
	case 1: // unreachable objects in a cruft pack
		gitIn(nil, "repack", "-adfq", "--cruft", "--depth=50", "--window=50")
		if m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.mtimes")); len(m) == 0 {
			t.Fatal("git repack --cruft wrote no cruft pack")
		}
	default:
		gitIn(nil, "repack", "-adfq", "--depth=50", "--window=50")
	}
	// Loose objects after the packs: a work tree edit, committed.
	gitIn(nil, "checkout", "-q", "main")
	for n := range 5 {
		p := paths[3+n]
		ls := edit(slices.Clone(files[p]))
		files[p] = ls
		if err := os.WriteFile(dir+"/"+p, []byte("[vault]\n"+strings.Join(ls, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(nil, "add", "-A")
		gitIn(nil, "commit", "-qm", fmt.Sprint("loose ", n))
	}
	return dir
}
