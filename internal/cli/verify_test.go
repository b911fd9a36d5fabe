package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakgate/leakgate/detect"
)

// checksumToken makes a fake token of prefix (npm_, ghp_, ...): a random
// body with a valid CRC32 checksum, shaped like a real one, valid for nobody.
func checksumToken(r *rand.Rand, prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 30)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return prefix + string(b) + detect.Base62CRC32(string(b))
}

// npmToken makes a fake npm token.
func npmToken(r *rand.Rand) string { return checksumToken(r, "npm_") }

// npmFake is a registry that answers /-/whoami: live for the tokens in
// live, 401 otherwise. It counts the calls per token.
type npmFake struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
	total int
}

func newNPMFake(t *testing.T, live map[string]bool) *npmFake {
	f := &npmFake{calls: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		f.calls[tok]++
		f.total++
		f.mu.Unlock()
		if r.URL.Path != "/-/whoami" {
			http.NotFound(w, r)
			return
		}
		if live[tok] {
			fmt.Fprintf(w, `{"username":"user-%s"}`, tok[4:8])
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"Unauthorized"}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

type jsonReport struct {
	Findings []struct {
		Rule, Secret, Fingerprint, File, Status, Identity string
		StatusReason                                      string `json:"status_reason"`
	}
	Summary struct {
		Findings     int
		Verification *struct{ Live, Dead, Unknown, Unchecked, Calls int }
	}
}

func decodeReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return r
}

// A tree with 1,000 findings of 200 distinct secrets makes at most 200
// provider calls, and each finding gets its secret's status.
func TestScanVerifyOneCallPerSecret(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var toks []string
	live := map[string]bool{}
	for i := range 200 {
		tok := npmToken(r)
		toks = append(toks, tok)
		if i%50 == 0 {
			live[tok] = true
		}
	}
	fake := newNPMFake(t, live)
	dir := t.TempDir()
	for i := range 1000 {
		body := fmt.Sprintf("NPM_TOKEN=%s\n", toks[i%200])
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.env", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(t.TempDir(), "leakgate.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[verify.endpoints]\nnpm = %q\n", fake.URL)), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, "-f", "json", "--fail-on", "live", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (live secrets with --fail-on live)\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "npm secrets go to "+fake.URL) {
		t.Errorf("stderr does not name the configured endpoint:\n%s", stderr)
	}
	rep := decodeReport(t, out)
	if len(rep.Findings) != 1000 {
		t.Fatalf("%d findings, want 1000", len(rep.Findings))
	}
	if fake.total > 200 || len(fake.calls) != 200 {
		t.Errorf("%d provider calls for %d distinct secrets; want at most 200", fake.total, len(fake.calls))
	}
	v := rep.Summary.Verification
	if v == nil || v.Live != 20 || v.Dead != 980 || v.Calls != fake.total {
		t.Errorf("summary verification = %+v, fake saw %d calls", v, fake.total)
	}
	for _, tok := range toks {
		if strings.Contains(out, tok) || strings.Contains(stderr, tok) {
			t.Fatal("the output holds a full secret without --no-redact")
		}
	}
	for _, f := range rep.Findings {
		if f.Status != "live" && f.Status != "dead" {
			t.Fatalf("finding %s: status %q (%s)", f.File, f.Status, f.StatusReason)
		}
		if f.Status == "live" && !strings.HasPrefix(f.Identity, "npm user user-") {
			t.Errorf("identity %q", f.Identity)
		}
	}
	// --fail-on any (the default) fails on every finding; --fail-on none never.
	if code, _, _ := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, "-f", "json", "--fail-on", "none", dir); code != 0 {
		t.Errorf("--fail-on none: exit %d", code)
	}
}

// leakgate verify re-checks a saved report: a key live yesterday and
// revoked today comes out dead, and a redacted report is refused.
func TestVerifySavedReport(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tok := npmToken(r)
	live := map[string]bool{tok: true}
	fake := newNPMFake(t, live)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.env"), []byte("NPM_TOKEN="+tok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "leakgate.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[verify.endpoints]\nnpm = %q\n", fake.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "scan.json")
	if code, _, stderr := runMain(t, "scan", "--no-git", "--no-redact", "-f", "json", "-o", saved, dir); code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runMain(t, "verify", "-c", cfg, "-f", "json", saved)
	if code != 1 {
		t.Fatalf("verify of a live key: exit %d, want 1\n%s", code, stderr)
	}
	if rep := decodeReport(t, out); rep.Findings[0].Status != "live" || strings.Contains(out, tok) {
		t.Errorf("verify: %+v (must be live and redacted)", rep.Findings[0])
	}
	delete(live, tok) // revoked overnight
	code, out, _ = runMain(t, "verify", "-c", cfg, "-f", "json", saved)
	if rep := decodeReport(t, out); code != 0 || rep.Findings[0].Status != "dead" {
		t.Errorf("verify of a revoked key: exit %d, %+v", code, rep.Findings[0])
	}

	redacted := filepath.Join(t.TempDir(), "redacted.json")
	runMain(t, "scan", "--no-git", "-f", "json", "-o", redacted, dir)
	code, _, stderr = runMain(t, "verify", "-c", cfg, redacted)
	if code != 2 || !strings.Contains(stderr, "--no-redact") {
		t.Errorf("verify of a redacted report: exit %d, %s", code, stderr)
	}
}

// With a baseline, a baselined secret is hidden, unless
// --fail-on-live-baselined is given and verification says it is live.
func TestFailOnLiveBaselined(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	liveTok, deadTok := npmToken(r), npmToken(r)
	fake := newNPMFake(t, map[string]bool{liveTok: true})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.env"), []byte("A="+liveTok+"\nB="+deadTok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "leakgate.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[verify.endpoints]\nnpm = %q\n", fake.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, stderr := runMain(t, "scan", "--no-git", "-f", "json", "-o", base, dir); code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	if code, out, _ := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, "--baseline", base, "-f", "json", dir); code != 0 || decodeReport(t, out).Summary.Findings != 0 {
		t.Errorf("baselined findings: exit %d\n%s", code, out)
	}
	code, out, stderr := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, "--baseline", base, "--fail-on-live-baselined", "-f", "json", dir)
	rep := decodeReport(t, out)
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Status != "live" || !strings.Contains(rep.Findings[0].StatusReason, "baseline") {
		t.Errorf("--fail-on-live-baselined: exit %d, %+v\n%s", code, rep.Findings, stderr)
	}
	if code, _, stderr := runMain(t, "scan", "--no-git", "--fail-on-live-baselined", dir); code != 2 || !strings.Contains(stderr, "needs --verify and --baseline") {
		t.Errorf("--fail-on-live-baselined alone: exit %d %s", code, stderr)
	}
}

func TestVerifyConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[verify.endpoints]\nnpmm = \"http://127.0.0.1:1\"\n"), 0o644)
	if code, _, stderr := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, dir); code != 2 || !strings.Contains(stderr, `unknown provider "npmm"`) {
		t.Errorf("unknown provider: exit %d %s", code, stderr)
	}
	os.WriteFile(cfg, []byte("[verify]\ntimeout = \"fast\"\n"), 0o644)
	if code, _, stderr := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, dir); code != 2 || !strings.Contains(stderr, "fast") {
		t.Errorf("bad timeout: exit %d %s", code, stderr)
	}
}

// scan --verify checks a PostgreSQL URL found in a file against the real
// server .ci/run starts: live with the right password, dead with a wrong
// one, and not tried at all on a private host unless allowed.
func TestScanVerifyPostgres(t *testing.T) {
	host, port, user, pw, db := os.Getenv("LEAKGATE_TEST_PG_HOST"), os.Getenv("LEAKGATE_TEST_PG_PORT"),
		os.Getenv("LEAKGATE_TEST_PG_USER"), os.Getenv("LEAKGATE_TEST_PG_PASSWORD"), os.Getenv("LEAKGATE_TEST_PG_DB")
	if host == "" || port == "" || user == "" || pw == "" || db == "" {
		if os.Getenv("LEAKGATE_REQUIRE_POSTGRES") != "" {
			t.Fatal("LEAKGATE_REQUIRE_POSTGRES is set but the LEAKGATE_TEST_PG_* variables are not")
		}
		t.Skip("no PostgreSQL server described: run bash .ci/run, which starts one")
	}
	wrong := fmt.Sprintf("Wq%dZ8kP3vL", os.Getpid())
	dir := t.TempDir()
	body := fmt.Sprintf("DATABASE_URL=postgres://%s:%s@%s:%s/%s\nOLD_URL=postgres://%s:%s@%s:%s/%s\n", user, pw, host, port, db, user, wrong, host, port, db)
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runMain(t, "scan", "--no-git", "--verify", "--verify-private-hosts", "-f", "json", "--fail-on", "live", dir)
	rep := decodeReport(t, out)
	if code != 1 || len(rep.Findings) != 2 {
		t.Fatalf("exit %d, %d findings\n%s", code, len(rep.Findings), stderr)
	}
	if f := rep.Findings[0]; f.Status != "live" || !strings.Contains(f.Identity, "PostgreSQL user "+user) {
		t.Errorf("right password: %+v", f)
	}
	if f := rep.Findings[1]; f.Status != "dead" {
		t.Errorf("wrong password: %+v", f)
	}
	if strings.Contains(out+stderr, pw) || strings.Contains(out+stderr, wrong) {
		t.Error("a password appears in the output")
	}
	_, out, _ = runMain(t, "scan", "--no-git", "--verify", "-f", "json", dir)
	for _, f := range decodeReport(t, out).Findings {
		if f.Status != "unknown" || !strings.Contains(f.StatusReason, "private") {
			t.Errorf("private host without --verify-private-hosts: %+v", f)
		}
	}
}

// hook pre-receive --verify marks the live secrets of a rejected push,
// within its time budget; the push is rejected either way.
func TestPreReceiveVerify(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	liveTok, deadTok := npmToken(r), npmToken(r)
	fake := newNPMFake(t, map[string]bool{liveTok: true})
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "a.env"), []byte("A="+liveTok+"\nB="+deadTok+"\n"), 0o644)
	git("add", ".")
	git("commit", "-q", "-m", "add tokens")
	head := git("rev-parse", "HEAD")
	git("update-ref", "-d", "refs/heads/main") // the push brings this commit
	cfg := filepath.Join(t.TempDir(), "server.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[verify.endpoints]\nnpm = %q\n", fake.URL)), 0o644)
	t.Chdir(repo)

	var out, errb bytes.Buffer
	stdin := strings.NewReader(strings.Repeat("0", 40) + " " + head + " refs/heads/main\n")
	code := Main(context.Background(), []string{"hook", "pre-receive", "-c", cfg, "--verify"}, stdin, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if n := strings.Count(out.String(), "verified LIVE: npm user"); n != 1 {
		t.Errorf("%d findings marked live, want 1:\n%s", n, out.String())
	}
	if fake.total != 2 || strings.Contains(out.String()+errb.String(), liveTok) {
		t.Errorf("%d provider calls (want 2); or a token in the output:\n%s", fake.total, out.String())
	}
}

// A report written with --no-redact holds secrets: only its owner may read it.
func TestNoRedactReportIsPrivate(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.env"), []byte("NPM_TOKEN="+npmToken(rand.New(rand.NewPCG(9, 9)))+"\n"), 0o644)
	for _, tc := range []struct {
		args []string
		mode os.FileMode
	}{{[]string{"--no-redact"}, 0o600}, {nil, 0o644}} {
		out := filepath.Join(t.TempDir(), "r.json")
		runMain(t, append(append([]string{"scan", "--no-git", "-f", "json", "-o", out}, tc.args...), dir)...)
		fi, err := os.Stat(out)
		if err != nil || fi.Mode().Perm()&^tc.mode != 0 {
			t.Errorf("%v: mode %v, want at most %v (%v)", tc.args, fi.Mode().Perm(), tc.mode, err)
		}
	}
}

// A Shopify token is verified with the shop domain found in its file (a
// companion rule's finding), and the domain itself is never reported.
func TestScanVerifyShopifyCompanion(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		fmt.Fprint(w, `{"shop":{"name":"Acme Goods","myshopify_domain":"acme-goods.myshopify.com"}}`)
	}))
	defer fake.Close()
	tok := "shpat_" + strings.Repeat("a7863c4a", 4)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "shop.env"), []byte("SHOPIFY_SHOP=acme-goods.myshopify.com\nSHOPIFY_ACCESS_TOKEN="+tok+"\n"), 0o644)
	cfg := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[verify.endpoints]\nshopify = %q\n", fake.URL)), 0o644)

	code, out, stderr := runMain(t, "scan", "--no-git", "--verify", "-c", cfg, "-f", "json", dir)
	rep := decodeReport(t, out)
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Rule != "shopify-access-token" {
		t.Fatalf("exit %d, findings %+v\n%s", code, rep.Findings, stderr)
	}
	if f := rep.Findings[0]; f.Status != "live" || !strings.Contains(f.Identity, "Acme Goods") {
		t.Errorf("token: %+v", f)
	}
	if len(paths) != 1 || !strings.HasSuffix(paths[0], "/shop.json") {
		t.Errorf("provider calls: %v", paths)
	}
	// Without --verify the domain is not reported either.
	if code, out, _ := runMain(t, "scan", "--no-git", "-f", "json", dir); code != 1 || len(decodeReport(t, out).Findings) != 1 {
		t.Errorf("without --verify: exit %d\n%s", code, out)
	}
}
