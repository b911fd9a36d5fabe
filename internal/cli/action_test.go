package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// actionYML is the action's metadata file, at the root of the repository.
const actionYML = "../../action.yml"

// actionMeta is the part of action.yml the tests read.
type actionMeta struct {
	Name    string
	Inputs  map[string]struct{ Description, Default string }
	Outputs map[string]struct{ Description, Value string }
	Runs    struct {
		Using string
		Steps []struct {
			ID, Name, Uses, Run, Shell string
			WorkingDirectory           string `yaml:"working-directory"`
			With, Env                  map[string]string
		}
	}
}

func readActionYML(fatalf func(format string, args ...any)) *actionMeta {
	data, err := os.ReadFile(actionYML)
	if err != nil {
		fatalf("%v", err)
	}
	var m actionMeta
	if err := yaml.Unmarshal(data, &m); err != nil {
		fatalf("action.yml: %v", err)
	}
	return &m
}

// inputRef matches an env value that is exactly one input: ${{ inputs.x }}.
var inputRef = regexp.MustCompile(`^\$\{\{ *inputs\.([A-Za-z_][A-Za-z0-9_-]*) *\}\}$`)

// TestActionYAML keeps action.yml and `leakgate action` from drifting
// apart: every input reaches the scan through env (never interpolated
// into a script), every env variable is used by the script, every flag the
// script passes exists, every run step has a shell, and every output maps
// to an output the Go side writes.
func TestActionYAML(t *testing.T) {
	t.Parallel()
	m := readActionYML(t.Fatalf)
	if m.Name == "" || m.Runs.Using != "composite" {
		t.Fatalf("name %q, runs.using %q: want a named composite action", m.Name, m.Runs.Using)
	}
	used := map[string]bool{}
	var scanRun string
	for i, s := range m.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s): run without shell", i, s.Name)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %d (%s): an expression in the run script (pass it through env): %q", i, s.Name, s.Run)
		}
		for name, v := range s.Env {
			if mm := inputRef.FindStringSubmatch(v); mm != nil {
				used[mm[1]] = true
			}
			if !regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b`).MatchString(s.Run) {
				t.Errorf("step %d (%s): env %s is not used by the script", i, s.Name, name)
			}
		}
		if s.ID == "scan" {
			scanRun = s.Run
		}
	}
	for id := range m.Inputs {
		if !used[id] {
			t.Errorf("input %q is not passed to any step", id)
		}
		if m.Inputs[id].Description == "" {
			t.Errorf("input %q has no description", id)
		}
	}
	for id := range used {
		if _, ok := m.Inputs[id]; !ok {
			t.Errorf("a step uses input %q, which action.yml does not declare", id)
		}
	}
	for id, o := range m.Outputs {
		want := "${{ steps.scan.outputs." + id + " }}"
		if o.Value != want {
			t.Errorf("output %q: value %q, want %q", id, o.Value, want)
		}
		if !slices.Contains(actionOutputs[:], id) {
			t.Errorf("output %q: leakgate action does not write it (it writes %v)", id, actionOutputs)
		}
	}
	if len(m.Outputs) != len(actionOutputs) {
		t.Errorf("action.yml declares %d outputs, leakgate action writes %d", len(m.Outputs), len(actionOutputs))
	}
	if scanRun == "" {
		t.Fatal("no step with id scan")
	}
	cmd := (&env{}).actionCmd()
	for _, mm := range regexp.MustCompile(`(?m)\s--([a-z][a-z-]*)`).FindAllStringSubmatch(scanRun, -1) {
		if cmd.Flags().Lookup(mm[1]) == nil {
			t.Errorf("the scan step passes --%s, which leakgate action does not have", mm[1])
		}
	}
	setup := m.Runs.Steps[0]
	if !strings.HasPrefix(setup.Uses, "actions/setup-go@") ||
		setup.With["go-version-file"] != "${{ github.action_path }}/go.mod" ||
		setup.With["cache-dependency-path"] != "${{ github.action_path }}/go.sum" {
		t.Errorf("first step %+v: want actions/setup-go with the action's go.mod and go.sum", setup)
	}
}

// TestActionScript runs the scripts in testdata/action: GitHub events
// (pull_request, push, schedule, ...) played against git repositories
// built in the script, through `leakgate action` and through the scan
// step of action.yml itself (the actionstep command).
func TestActionScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/action",
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"expandrefs": cmdExpandRefs,
			"sarifvalid": cmdSARIFValid,
			"actionstep": cmdActionStep,
		},
	})
}

// cmdExpandRefs: expandrefs REPO TEMPLATE OUT writes TEMPLATE to OUT with
// each @@REV@@ replaced by the commit id git rev-parse gives for REV in
// REPO, so that event payloads carry real commit ids.
func cmdExpandRefs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: expandrefs REPO TEMPLATE OUT")
	}
	repo := ts.MkAbs(args[0])
	var fail error
	out := regexp.MustCompile(`@@([^@]+)@@`).ReplaceAllStringFunc(ts.ReadFile(args[1]), func(m string) string {
		rev := strings.Trim(m, "@")
		sha, err := exec.Command("git", "-C", repo, "rev-parse", "--verify", rev+"^{commit}").Output()
		if err != nil {
			fail = err
			return m
		}
		return strings.TrimSpace(string(sha))
	})
	ts.Check(fail)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(out), 0o644))
}

var sarifSchemaCLI = sync.OnceValues(func() (*jsonschema.Schema, error) {
	// CI clones the repository with shared/ beside it.
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	return c.Compile(path)
})

// cmdSARIFValid: sarifvalid FILE N checks that FILE is SARIF valid against
// the official schema, with N results.
func cmdSARIFValid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sarifvalid FILE N")
	}
	sch, err := sarifSchemaCLI()
	if err != nil {
		ts.Fatalf("cannot load the SARIF 2.1.0 schema (expected at ../../../shared/schemas beside the repository): %v", err)
	}
	data := ts.ReadFile(args[0])
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(data))
	ts.Check(err)
	if err := sch.Validate(inst); err != nil {
		ts.Fatalf("%s: not valid SARIF 2.1.0: %v", args[0], err)
	}
	var doc struct {
		Runs []struct{ Results []json.RawMessage }
	}
	ts.Check(json.Unmarshal([]byte(data), &doc))
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if len(doc.Runs) != 1 || len(doc.Runs[0].Results) != want {
		ts.Fatalf("%s: %d runs, want 1 run with %d results", args[0], len(doc.Runs), want)
	}
}

// runnerEnv are the variables a runner sets that the scan step reads, and
// those the test scripts need passed on.
var runnerEnv = []string{
	"PATH", "HOME", "TMPDIR", "NO_COLOR", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM",
	"GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_WORKSPACE", "GITHUB_OUTPUT",
	"GITHUB_STEP_SUMMARY", "GITHUB_SHA", "GITHUB_REF", "RUNNER_TEMP",
}

// cmdActionStep: actionstep [INPUT=VALUE...] runs the run script of the
// scan step of action.yml with bash as a runner does (bash --noprofile
// --norc -eo pipefail, in GITHUB_WORKSPACE), with the step's env, its
// ${{ inputs.x }} replaced by the inputs given or action.yml's defaults,
// and $RUNNER_TEMP/leakgate being this package's leakgate.
func cmdActionStep(ts *testscript.TestScript, neg bool, args []string) {
	m := readActionYML(ts.Fatalf)
	inputs := map[string]string{}
	for id, in := range m.Inputs {
		inputs[id] = in.Default
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if _, known := m.Inputs[k]; !ok || !known {
			ts.Fatalf("actionstep: %q is not INPUT=VALUE for an input of action.yml", a)
		}
		inputs[k] = v
	}
	var run string
	var stepEnv map[string]string
	for _, s := range m.Runs.Steps {
		if s.ID == "scan" {
			run, stepEnv = s.Run, s.Env
			if s.Shell != "bash" {
				ts.Fatalf("scan step: shell %q, want bash", s.Shell)
			}
		}
	}
	tmp := ts.Getenv("RUNNER_TEMP")
	if tmp == "" || ts.Getenv("GITHUB_WORKSPACE") == "" {
		ts.Fatalf("actionstep: set RUNNER_TEMP and GITHUB_WORKSPACE first")
	}
	ts.Check(os.MkdirAll(tmp, 0o755))
	bin := filepath.Join(tmp, "leakgate")
	if _, err := os.Lstat(bin); err != nil {
		exe := ""
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if p := filepath.Join(dir, "leakgate"); exe == "" {
				if _, err := os.Stat(p); err == nil {
					exe = p
				}
			}
		}
		if exe == "" {
			ts.Fatalf("actionstep: no leakgate on PATH")
		}
		ts.Check(os.Symlink(exe, bin))
	}
	script := filepath.Join(tmp, "scan-step.sh")
	ts.Check(os.WriteFile(script, []byte(run), 0o644))

	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = ts.Getenv("GITHUB_WORKSPACE")
	for _, name := range runnerEnv {
		if v := ts.Getenv(name); v != "" {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	for name, v := range stepEnv {
		mm := inputRef.FindStringSubmatch(v)
		if mm == nil {
			ts.Fatalf("scan step env %s=%q: the test only knows ${{ inputs.x }}", name, v)
		}
		cmd.Env = append(cmd.Env, name+"="+inputs[mm[1]])
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Make the output checkable with stdout and stderr, as exec does.
	ts.Check(os.WriteFile(ts.MkAbs("step.stdout"), stdout.Bytes(), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("step.stderr"), stderr.Bytes(), 0o644))
	ts.Logf("[actionstep stdout]\n%s[actionstep stderr]\n%s", stdout.String(), stderr.String())
	if neg && err == nil {
		ts.Fatalf("actionstep: unexpected success")
	}
	if !neg && err != nil {
		ts.Fatalf("actionstep: %v", err)
	}
}

// TestActionInjection checks that a file name holding line breaks and
// workflow commands cannot issue a command: outside a ::stop-commands::
// block, every line leakgate action prints is one of its own commands,
// and no secret is printed.
func TestActionInjection(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	name := "evil\n::warning::injected\r\n::error file=x::pwned,.env"
	if err := os.WriteFile(filepath.Join(ws, name), []byte("AWS_KEY=AKIAI44QH8DHBEXAMPLE\n"), 0o644); err != nil {
		t.Skipf("this file system refuses the name: %v", err)
	}
	if err := os.WriteFile(filepath.Join(ws, "rules.toml"), []byte("use-default = false\n[[rules]]\nid = \"test-aws-key\"\ndescription = \"test AWS key id\"\nkeywords = [\"akia\"]\nregex = '''\\b(AKIA[A-Z0-9]{16})\\b'''\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, summary := filepath.Join(ws, "out"), filepath.Join(ws, "summary")
	getenv := func(k string) string {
		return map[string]string{
			"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_WORKSPACE": ws,
			"GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": summary,
		}[k]
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	f := &actionFlags{mode: modeDir, sarifFile: "leakgate.sarif"}
	f.format, f.failOn, f.exampleKeys, f.config, f.jobs = "text", "any", true, "rules.toml", 2
	err := e.runAction(context.Background(), ".", f, getenv)
	var ee *exitError
	if err == nil || !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("runAction: %v, want exit 1\nstderr: %s", err, stderr.String())
	}
	checkCommands(t, stdout.String())
	if !strings.Contains(stdout.String(), "::error file=evil%0A%3A%3Awarning%3A%3Ainjected%0D%0A%3A%3Aerror file=x%3A%3Apwned%2C.env,line=1,col=9,title=leakgate%3A test-aws-key::") {
		t.Errorf("annotation not escaped as expected:\n%s", stdout.String())
	}
	sum, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(line, "|")-strings.Count(line, `\|`) != 6 {
			t.Errorf("a summary row with a broken cell count: %q", line)
		}
	}
	if strings.Contains(string(sum), "AKIAI44QH8DHBEXAMPLE") {
		t.Error("the secret reached the step summary")
	}
}

// checkCommands fails unless every line of out outside a stop-commands
// block is one of the workflow commands leakgate issues, and out has no
// secret.
func checkCommands(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "AKIAI44QH8DHBEXAMPLE") {
		t.Errorf("the secret reached stdout:\n%s", out)
	}
	stop := ""
	ours := regexp.MustCompile(`^::(error|warning|notice)( [a-z]+=[^:,\r\n]*(,[a-z]+=[^:,\r\n]*)*)?::[^\r\n]*$|^::(group::leakgate report|endgroup::)$|^::stop-commands::leakgate-[0-9a-f]{32}$`)
	for _, line := range strings.Split(out, "\n") {
		switch {
		case stop != "" && line == "::"+stop+"::":
			stop = ""
		case stop != "":
		case strings.HasPrefix(line, "::stop-commands::"):
			if !ours.MatchString(line) {
				t.Errorf("unexpected stop-commands line %q", line)
			}
			stop = strings.TrimPrefix(line, "::stop-commands::")
		case strings.HasPrefix(line, "::") && !ours.MatchString(line):
			t.Errorf("a line outside stop-commands reads as a workflow command: %q", line)
		case line != "" && !strings.HasPrefix(line, "::"):
			t.Errorf("a line outside stop-commands that is not a command: %q", line)
		}
	}
	if stop != "" {
		t.Error("stop-commands never resumed")
	}
}

// TestWriteOutputs checks the $GITHUB_OUTPUT syntax, with the heredoc form
// for a value with a line break.
func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := writeOutputs(&b, [][2]string{{"findings", "3"}, {"sarif-file", "a\nb"}}); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^findings=3\nsarif-file<<(ghadelimiter_leakgate-[0-9a-f]{32})\na\nb\n(ghadelimiter_leakgate-[0-9a-f]{32})\n$`)
	m := re.FindStringSubmatch(b.String())
	if m == nil || m[1] != m[2] {
		t.Errorf("outputs:\n%s", b.String())
	}
}

// TestSHA checks which commit ids an event payload may carry.
func TestSHA(t *testing.T) {
	t.Parallel()
	for s, want := range map[string][2]bool{
		strings.Repeat("0", 40):       {true, true},
		strings.Repeat("a", 40):       {true, false},
		strings.Repeat("0", 64):       {true, true},
		strings.Repeat("A", 40):       {false, false},
		"--output=x":                  {false, false},
		"":                            {false, false},
		strings.Repeat("a", 39):       {false, false},
		strings.Repeat("a", 40) + "^": {false, false},
	} {
		if got := [2]bool{isSHA(s), isSHA(s) && isZeroSHA(s)}; got != want {
			t.Errorf("%q: isSHA, isZeroSHA = %v, want %v", s, got, want)
		}
	}
}
