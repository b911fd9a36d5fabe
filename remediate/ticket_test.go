package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// fakeIssues speaks enough of GitHub's Issues REST API: list (paginated,
// filtered by label), create (201), edit.
type fakeIssues struct {
	mu      sync.Mutex
	issues  []map[string]any
	creates int
	edits   int
	status  int // when set, every write answers this
	perPage int
	base    string
}

func (f *fakeIssues) handle(w http.ResponseWriter, r *http.Request, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer ticket-token" {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/repos/acme/secrets/issues":
		if r.URL.Query().Get("labels") != TicketLabel || r.URL.Query().Get("state") != "all" {
			w.WriteHeader(400)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		lo, hi := (page-1)*f.perPage, page*f.perPage
		if hi < len(f.issues) {
			w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/secrets/issues?page=%d>; rel="next"`, f.base, page+1))
		}
		json.NewEncoder(w).Encode(f.issues[min(lo, len(f.issues)):min(hi, len(f.issues))])
	case r.Method == "POST" && r.URL.Path == "/repos/acme/secrets/issues":
		if f.status != 0 {
			w.WriteHeader(f.status)
			fmt.Fprint(w, `{"message":"Issues are disabled for this repo"}`)
			return
		}
		var req map[string]any
		json.Unmarshal([]byte(body), &req)
		f.creates++
		asObjects(req, "labels", "name")
		asObjects(req, "assignees", "login")
		n := len(f.issues) + 1
		req["number"] = n
		req["html_url"] = fmt.Sprintf("https://github.example/acme/secrets/issues/%d", n)
		f.issues = append(f.issues, req)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(req)
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/acme/secrets/issues/"):
		var n int
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/repos/acme/secrets/issues/"), &n)
		var req map[string]any
		json.Unmarshal([]byte(body), &req)
		f.edits++
		is := f.issues[n-1]
		for k, v := range req {
			is[k] = v
		}
		json.NewEncoder(w).Encode(is)
	default:
		w.WriteHeader(404)
	}
}

// asObjects turns a request's list of names into the objects GitHub
// answers with: labels [{name}], assignees [{login}].
func asObjects(m map[string]any, key, field string) {
	list, _ := m[key].([]any)
	var out []map[string]any
	for _, v := range list {
		out = append(out, map[string]any{field: v})
	}
	m[key] = out
}

func TestTicketOpensOnceAndUpdates(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	tok := fakeToken(r, "ghp_")
	fake := &fakeIssues{perPage: 2}
	srv := newRecorder(t, fake.handle)
	fake.base = srv.URL
	// Three unrelated leakgate issues first, so the marker search must page.
	for i := range 3 {
		fake.issues = append(fake.issues, map[string]any{"number": i + 1, "title": "other", "body": ticketMarker(strings.Repeat(fmt.Sprint(i), 64)),
			"html_url": fmt.Sprintf("https://github.example/acme/secrets/issues/%d", i+1)})
	}
	opts := TicketOptions{Repo: "acme/secrets", Token: "ticket-token", BaseURL: srv.URL, Labels: []string{"security"},
		Assignees: []string{"oncall"}, Codeowners: "* @everyone\n/deploy/ @alice @acme/platform\n"}
	tg := target("github-pat", tok)
	tg.Description = "GitHub personal access token"
	tg.CheckedAt = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tg.Locations = append(tg.Locations, leak.Origin{Repo: "acme/app", Commit: "def456", Path: "a|b.yml", Line: 9, Author: "Mallory `x`"})
	revoked := []StepResult{{Step: Step{Provider: "github", Action: "revoke-token", Target: "GitHub token " + tg.Secret.Redacted()}, Outcome: Done, At: tg.CheckedAt}}

	tk, err := NewGitHubTicketer(opts)
	if err != nil {
		t.Fatal(err)
	}
	step := tk.Plan(context.Background(), tg)
	if step.Problem != "" || !strings.Contains(step.Target, "alice") || strings.Contains(step.Target, "platform") {
		t.Errorf("plan %+v", step)
	}
	url, out, err := tk.Apply(context.Background(), tg, step, revoked)
	if err != nil || out != Done || !strings.HasSuffix(url, "/issues/4") || fake.creates != 1 {
		t.Fatalf("first apply: %s %s %v (creates %d)", url, out, err, fake.creates)
	}
	is := fake.issues[3]
	body := is["body"].(string)
	for _, want := range []string{ticketMarker(tg.Fingerprint), tg.Secret.Redacted(), "deploy/app.env", "a\\|b.yml", "def456", "login octo",
		"revoke-token", "**done**", "- [ ] Create a new secret", "### GitHub", "2026-12-01T03:00:00Z"} {
		if !strings.Contains(body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, body)
		}
	}
	labels := fmt.Sprint(is["labels"])
	assignees := fmt.Sprint(is["assignees"])
	if !strings.Contains(labels, "leakgate") || !strings.Contains(labels, "security") || !strings.Contains(assignees, "oncall") || !strings.Contains(assignees, "alice") {
		t.Errorf("labels %s assignees %s", labels, assignees)
	}
	tokenNotIn(t, tok, body, is["title"].(string), url, step.Target)

	// A second run (a new ticketer, as in a new process) finds the issue by
	// its marker: no second issue, and nothing to change.
	tk2, _ := NewGitHubTicketer(opts)
	url2, out2, err := tk2.Apply(context.Background(), tg, tk2.Plan(context.Background(), tg), revoked)
	if err != nil || out2 != Already || url2 != url || fake.creates != 1 || fake.edits != 0 {
		t.Errorf("re-run: %s %s %v (creates %d, edits %d)", url2, out2, err, fake.creates, fake.edits)
	}
	// New facts (the key is now dead) update the same issue.
	tg.Status = leak.Dead
	_, out3, err := tk2.Apply(context.Background(), tg, tk2.Plan(context.Background(), tg), revoked)
	if err != nil || out3 != Done || fake.creates != 1 || fake.edits != 1 || !strings.Contains(fake.issues[3]["body"].(string), "**Verification:** dead") {
		t.Errorf("update: %s %v (creates %d, edits %d)", out3, err, fake.creates, fake.edits)
	}
}

func TestTicketFailures(t *testing.T) {
	t.Parallel()
	fake := &fakeIssues{perPage: 50, status: http.StatusGone}
	srv := newRecorder(t, fake.handle)
	fake.base = srv.URL
	tg := target("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE")
	tk, _ := NewGitHubTicketer(TicketOptions{Repo: "acme/secrets", Token: "ticket-token", BaseURL: srv.URL})
	_, out, err := tk.Apply(context.Background(), tg, tk.Plan(context.Background(), tg), nil)
	if out != Failed || err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("410: %s %v", out, err)
	}
	tokenNotIn(t, "AKIAIOSFODNN7EXAMPLE", err.Error())

	tk, _ = NewGitHubTicketer(TicketOptions{Repo: "acme/secrets", Token: "wrong", BaseURL: srv.URL})
	if _, out, err := tk.Apply(context.Background(), tg, tk.Plan(context.Background(), tg), nil); out != Failed || !strings.Contains(fmt.Sprint(err), "permission denied") {
		t.Errorf("401: %s %v", out, err)
	}
	tk, _ = NewGitHubTicketer(TicketOptions{Repo: "acme/secrets", BaseURL: srv.URL})
	if s := tk.Plan(context.Background(), tg); !strings.Contains(s.Problem, "GITHUB_TOKEN") {
		t.Errorf("no token: %+v", s)
	}
	if _, err := NewGitHubTicketer(TicketOptions{Repo: "acme"}); err == nil {
		t.Error("repo without owner accepted")
	}
	body := TicketBody(tg, nil)
	if !strings.Contains(body, "### AWS") || !strings.Contains(body, "Nothing was revoked") || strings.Contains(body, "AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("AWS body:\n%s", body)
	}
}

func TestCodeownersFor(t *testing.T) {
	t.Parallel()
	const co = `# comment
*            @default
*.env        @envs
/deploy/     @deployer @acme/platform
docs         @writer
apps/**/secrets.yml @vault-team
/root.txt    @rooty
`
	for file, want := range map[string][]string{
		"main.go":                     {"default"},
		"config/app.env":              {"envs"},
		"deploy/k8s/app.yaml":         {"deployer"},
		"deploy/app.env":              {"deployer"},
		"docs/index.md":               {"writer"},
		"src/docs/x.md":               {"writer"},
		"apps/a/b/secrets.yml":        {"vault-team"},
		"apps/secrets.yml":            {"vault-team"},
		"root.txt":                    {"rooty"},
		"sub/root.txt":                {"default"},
		"deployments/other/thing.txt": {"default"},
	} {
		if got := CodeownersFor(co, file); !slices.Equal(got, want) {
			t.Errorf("CodeownersFor(%q) = %v, want %v", file, got, want)
		}
	}
}
