package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/report"
)

// githubFake answers the credential revocation API and the Issues API.
type githubFake struct {
	mu      sync.Mutex
	revoked []string
	issues  []map[string]any
	edits   int  // issues edited
	authRev bool // a revocation request carried Authorization
}

func (f *githubFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/credentials/revoke":
		f.authRev = f.authRev || r.Header.Get("Authorization") != ""
		var req struct{ Credentials []string }
		json.Unmarshal(body, &req)
		f.revoked = append(f.revoked, req.Credentials...)
		w.WriteHeader(http.StatusAccepted)
	case r.Method == "GET" && r.URL.Path == "/user":
		w.Header().Set("X-OAuth-Scopes", "repo")
		fmt.Fprint(w, `{"login":"octo","id":1,"type":"User"}`)
	case r.Header.Get("Authorization") != "Bearer issues-token":
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
	case r.Method == "GET" && r.URL.Path == "/repos/acme/secrets/issues":
		json.NewEncoder(w).Encode(f.issues)
	case r.Method == "POST" && r.URL.Path == "/repos/acme/secrets/issues":
		var req map[string]any
		json.Unmarshal(body, &req)
		labels := []map[string]any{}
		for _, l := range req["labels"].([]any) {
			labels = append(labels, map[string]any{"name": l})
		}
		req["labels"] = labels
		req["number"] = len(f.issues) + 1
		req["html_url"] = fmt.Sprintf("https://github.example/acme/secrets/issues/%d", len(f.issues)+1)
		f.issues = append(f.issues, req)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(req)
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/acme/secrets/issues/"):
		// Editing an issue (a re-run whose revocation time moved on).
		var n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/repos/acme/secrets/issues/"), "%d", &n); err != nil || n < 1 || n > len(f.issues) {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"message":"Not Found"}`)
			return
		}
		var req map[string]any
		json.Unmarshal(body, &req)
		for k, v := range req {
			f.issues[n-1][k] = v
		}
		f.edits++
		json.NewEncoder(w).Encode(f.issues[n-1])
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

// The incident walkthrough of the README, for a leaked GitHub token: the
// plan, then --apply revokes it and opens one rotation issue, then a
// re-run does nothing new; the token is in no output, file or issue.
func TestRemediateGitHubIncident(t *testing.T) {
	tok := checksumToken(rand.New(rand.NewPCG(11, 12)), "ghp_")

	fake := &githubFake{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := remediateEnv(t, "http://127.0.0.1:1")
	t.Setenv("GITHUB_TOKEN", "issues-token")
	t.Setenv("GITHUB_API_URL", srv.URL)

	f := leak.Finding{RuleID: "github-pat", Description: "GitHub personal access token", Secret: leak.NewSecret(tok),
		Fingerprint: leak.Fingerprint("github-pat", tok), Status: leak.Live, Identity: "GitHub user octo, scopes: repo",
		Origin: leak.Origin{Path: "ci/deploy.yml", Line: 7, Column: 12, Commit: "0123456789abcdef0123456789abcdef01234567", Author: "Dev"}}
	var rep bytes.Buffer
	doc := &report.Report{Version: 1, Tool: report.Tool{Name: "leakgate", Version: "test"}, Findings: []leak.Finding{f}}
	doc.Summary.Complete = true
	if err := report.Write(&rep, report.JSON, doc, report.Options{NoRedact: true}); err != nil {
		t.Fatal(err)
	}
	scanJSON := filepath.Join(dir, "scan.json")
	os.WriteFile(scanJSON, rep.Bytes(), 0o600)
	audit, state := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "state.json")
	conf := filepath.Join(dir, "leakgate.toml")
	os.WriteFile(conf, []byte("[remediate]\nproviders = [\"github\"]\n[remediate.ticket]\nrepo = \"acme/secrets\"\nlabels = [\"security\"]\n"), 0o600)

	var texts []string
	run := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(append([]string{"remediate", "--report", scanJSON, "-c", conf}, args...)...)
		texts = append(texts, out, errOut)
		if code != wantCode {
			t.Fatalf("remediate %v: exit %d, want %d\n%s%s", args, code, wantCode, out, errOut)
		}
		return out + errOut
	}
	plan := run(0)
	for _, want := range []string{"github revoke-token", "ghp_****", "open-ticket", "acme/secrets"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if len(fake.revoked) != 0 || len(fake.issues) != 0 {
		t.Fatal("the dry run acted")
	}
	out := run(0, "--apply", "--audit-log", audit, "--state", state)
	if len(fake.revoked) != 1 || fake.revoked[0] != tok || fake.authRev {
		t.Errorf("revocations %d (authenticated: %v)", len(fake.revoked), fake.authRev)
	}
	if len(fake.issues) != 1 || !strings.Contains(out, "issues/1") {
		t.Fatalf("issues %d\n%s", len(fake.issues), out)
	}
	body := fake.issues[0]["body"].(string)
	for _, want := range []string{"leakgate:fingerprint=" + f.Fingerprint, "ci/deploy.yml", "GitHub user octo", "revoke-token", "**done**", "- [ ] Create a new secret"} {
		if !strings.Contains(body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, body)
		}
	}
	texts = append(texts, body, fake.issues[0]["title"].(string))

	// Running it again does nothing new: no second revocation, no second issue.
	run(0, "--apply", "--audit-log", audit, "--state", state)
	if fake.edits != 0 {
		t.Errorf("the re-run with the state file edited the issue %d times", fake.edits)
	}
	// Even without the state file, the issue is found by its marker. (That
	// run revokes again: the issue is edited in place if its revocation
	// time, to the second, moved on.)
	run(0, "--apply", "--audit-log", audit, "--state", filepath.Join(dir, "other-state.json"))
	if len(fake.issues) != 1 || fake.edits > 1 {
		t.Errorf("%d issues after re-runs, want 1 (%d edits)", len(fake.issues), fake.edits)
	}
	texts = append(texts, fake.issues[0]["body"].(string))
	if len(fake.revoked) != 2 {
		t.Errorf("%d revocations: the state file should have skipped the second run's", len(fake.revoked))
	}
	for _, name := range []string{audit, state} {
		b, _ := os.ReadFile(name)
		texts = append(texts, string(b))
	}
	for i, s := range texts {
		if strings.Contains(s, tok) {
			t.Errorf("the token appears in output %d:\n%s", i, s)
		}
	}
}

// scan --verify --remediate hands the live findings to the same pipeline:
// a plan on stderr (stdout keeps the report), and with --apply the token
// is revoked.
func TestScanVerifyRemediate(t *testing.T) {
	tok := checksumToken(rand.New(rand.NewPCG(13, 14)), "ghp_")
	fake := &githubFake{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := remediateEnv(t, "http://127.0.0.1:1")
	t.Setenv("GITHUB_API_URL", srv.URL)
	t.Setenv("GITHUB_TOKEN", "")
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "ci.env"), []byte("GH_TOKEN="+tok+"\n"), 0o600)
	os.WriteFile(filepath.Join(tree, ".leakgate.toml"), []byte("[remediate]\nproviders = [\"github\"]\n"), 0o600)

	code, out, errOut := runCLI("scan", "--no-git", "--verify", "--remediate", "-f", "json", tree)
	rep := decodeReport(t, out)
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Status != "live" || !strings.Contains(errOut, "github revoke-token") {
		t.Fatalf("dry run: exit %d, %+v\n%s", code, rep.Findings, errOut)
	}
	if len(fake.revoked) != 0 {
		t.Fatal("the dry run revoked")
	}
	audit := filepath.Join(dir, "audit.jsonl")
	code, out, errOut = runCLI("scan", "--no-git", "--verify", "--remediate", "--apply", "--audit-log", audit, "--state", filepath.Join(dir, "state.json"), "-f", "json", tree)
	if code != 1 || len(fake.revoked) != 1 || !strings.Contains(errOut, "done") {
		t.Fatalf("apply: exit %d, %d revoked\n%s", code, len(fake.revoked), errOut)
	}
	decodeReport(t, out)
	if strings.Contains(out+errOut, tok) {
		t.Error("the token appears in the output")
	}
	if code, _, errOut := runCLI("scan", "--no-git", "--remediate", tree); code != 2 || !strings.Contains(errOut, "needs --verify") {
		t.Errorf("--remediate without --verify: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI("scan", "--no-git", "--apply", tree); code != 2 || !strings.Contains(errOut, "go with --remediate") {
		t.Errorf("--apply alone: %d %s", code, errOut)
	}
}
