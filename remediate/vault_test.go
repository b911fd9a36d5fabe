package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// A made-up Vault service token of the right shape (not a credential).
var leakedVaultToken = "hvs." + strings.Repeat("CAESIFakeTokenForTests0123456789", 3)

const operatorVaultToken = "hvs.operator-token-for-tests"

// fakeVault speaks Vault's HTTP API (JSON, X-Vault-Token) for token and
// lease revocation, driven by hashicorp/vault/api.
type fakeVault struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// tokens maps live tokens to their accessors.
	tokens   map[string]string
	calls    []string
	denyOp   bool     // the operator's token may not look tokens up
	faults   []int    // statuses for the next calls
	prefixes []string // revoked lease prefixes
	ns       []string // X-Vault-Namespace of each call
}

func newFakeVault(t *testing.T) *fakeVault {
	f := &fakeVault{t: t, tokens: map[string]string{leakedVaultToken: "acc-1", operatorVaultToken: "acc-op"}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	f.calls = append(f.calls, r.Method+" "+path)
	f.ns = append(f.ns, r.Header.Get("X-Vault-Namespace"))
	if len(f.faults) > 0 {
		code := f.faults[0]
		f.faults = f.faults[1:]
		verr(w, code, "injected failure")
		return
	}
	caller := r.Header.Get("X-Vault-Token")
	if _, ok := f.tokens[caller]; !ok {
		verr(w, 403, "permission denied")
		return
	}
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	switch {
	case path == "auth/token/lookup" && (r.Method == "POST" || r.Method == "PUT"):
		if f.denyOp {
			verr(w, 403, "permission denied")
			return
		}
		tok, _ := body["token"].(string)
		acc, ok := f.tokens[tok]
		if !ok {
			verr(w, 403, "bad token")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"accessor": acc, "display_name": "token-ci", "policies": []string{"default"}}})
	case path == "auth/token/revoke-accessor":
		acc, _ := body["accessor"].(string)
		for tok, a := range f.tokens {
			if a == acc {
				delete(f.tokens, tok)
				w.WriteHeader(204)
				return
			}
		}
		verr(w, 400, "invalid accessor")
	case path == "auth/token/lookup-self" && r.Method == "GET":
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"accessor": f.tokens[caller]}})
	case path == "auth/token/revoke-self":
		delete(f.tokens, caller)
		w.WriteHeader(204)
	case strings.HasPrefix(path, "sys/leases/revoke-prefix/"):
		if caller != operatorVaultToken {
			verr(w, 403, "permission denied")
			return
		}
		f.prefixes = append(f.prefixes, strings.TrimPrefix(path, "sys/leases/revoke-prefix/"))
		w.WriteHeader(204)
	default:
		verr(w, 404, "no handler for route")
	}
}

func verr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"errors":[%q]}`, msg)
}

func vaultConfig(t *testing.T, f *fakeVault, env map[string]string) *Config {
	if env == nil {
		env = map[string]string{}
	}
	env["VAULT_ADDR"] = f.srv.URL
	cfg := testConfig(t, newClock(), env, nil)
	cfg.Providers = []string{"vault"}
	return cfg
}

func vaultFindings() []leak.Finding {
	return []leak.Finding{{RuleID: "vault-service-token", Secret: leak.NewSecret(leakedVaultToken),
		Fingerprint: leak.Fingerprint("vault-service-token", leakedVaultToken),
		Origin:      leak.Origin{Path: "ci.yml", Line: 9, Column: 14}, Status: leak.Live}}
}

func TestVaultRevokeToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		env    map[string]string
		denyOp bool
		want   []string
	}{
		{"operator token: lookup then revoke-accessor", map[string]string{"VAULT_TOKEN": operatorVaultToken, "VAULT_NAMESPACE": "team-a/"}, false,
			[]string{"PUT auth/token/lookup", "POST auth/token/revoke-accessor"}},
		{"no operator token: revoke-self", nil, false,
			[]string{"GET auth/token/lookup-self", "PUT auth/token/revoke-self"}},
		{"operator denied: revoke-self", map[string]string{"VAULT_TOKEN": operatorVaultToken}, true,
			[]string{"PUT auth/token/lookup", "GET auth/token/lookup-self", "PUT auth/token/revoke-self"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeVault(t)
			f.denyOp = tc.denyOp
			cfg := vaultConfig(t, f, tc.env)
			dir := t.TempDir()
			plan, sum, out := runAWS(t, cfg, vaultFindings(), dir)
			if sum.Done != 1 || !sum.OK() {
				t.Fatalf("summary %+v\n%s", sum, out)
			}
			if _, live := f.tokens[leakedVaultToken]; live {
				t.Error("token still live")
			}
			got := strings.Join(f.calls, ", ")
			if got != strings.Join(tc.want, ", ") && strings.ReplaceAll(got, "POST", "PUT") != strings.ReplaceAll(strings.Join(tc.want, ", "), "POST", "PUT") {
				t.Errorf("calls = %s, want %s", got, strings.Join(tc.want, ", "))
			}
			if tc.env["VAULT_NAMESPACE"] != "" && f.ns[0] != "team-a/" {
				t.Errorf("namespace header = %q", f.ns[0])
			}
			if !strings.Contains(plan.Targets[0].Steps[0].Credentials, map[bool]string{true: "VAULT_TOKEN", false: "leaked token itself"}[tc.env["VAULT_TOKEN"] != ""]) {
				t.Errorf("credentials = %q", plan.Targets[0].Steps[0].Credentials)
			}
			// Again without the state file: already revoked.
			_, state := files(dir)
			os.Remove(state)
			_, sum2, out2 := runAWS(t, cfg, vaultFindings(), dir)
			if sum2.Already != 1 {
				t.Errorf("second run %+v\n%s", sum2, out2)
			}
			audit, _ := files(dir)
			noSecret(t, []string{leakedVaultToken, operatorVaultToken}, []string{audit, state}, out, out2)
		})
	}
}

func TestVaultFaults(t *testing.T) {
	t.Parallel()
	f := newFakeVault(t)
	f.faults = []int{503, 429}
	cfg := vaultConfig(t, f, map[string]string{"VAULT_TOKEN": operatorVaultToken})
	_, sum, out := runAWS(t, cfg, vaultFindings(), t.TempDir())
	if sum.Done != 1 || !sum.OK() {
		t.Fatalf("summary %+v\n%s", sum, out)
	}
	if n := len(f.calls); n != 4 { // 503, 429, lookup, revoke-accessor
		t.Errorf("calls = %v", f.calls)
	}
}

func TestVaultPlanProblems(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, newClock(), map[string]string{}, nil)
	r, _ := NewVault(cfg)
	batch := &Target{Rule: "vault-batch-token", Secret: leak.NewSecret("hvb.AAAA"), Status: leak.Live}
	if s := r.Plan(context.Background(), batch); !strings.Contains(s[0].Problem, "no Vault address") {
		t.Errorf("no address: %+v", s)
	}
	cfg.Vault.Address = "http://127.0.0.1:1"
	if s := r.Plan(context.Background(), batch); !strings.Contains(s[0].Problem, "batch tokens cannot be revoked") {
		t.Errorf("batch: %+v", s)
	}
	red := &Target{Rule: "vault-service-token", Status: leak.Live}
	if s := r.Plan(context.Background(), red); !strings.Contains(s[0].Problem, "redacted") {
		t.Errorf("redacted: %+v", s)
	}
}

func TestVaultLeases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const line = `DATABASE_URL=postgres://v-token-readonly-x8Rk2mQpZ7vN4tLc9wYh-1712345678:A1a-pX9kqL2mZ7rT4vW8@db.corp:5432/app`
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("# app\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := "A1a-pX9kqL2mZ7rT4vW8"
	col := strings.Index(line, pw) + 1
	fs := []leak.Finding{{RuleID: "postgres-connection-uri", Secret: leak.NewSecret(pw), Fingerprint: leak.Fingerprint("postgres-connection-uri", pw),
		Origin: leak.Origin{Path: "app.env", Line: 2, Column: col}, Status: leak.Live}}

	f := newFakeVault(t)
	cfg := vaultConfig(t, f, map[string]string{"VAULT_TOKEN": operatorVaultToken})
	cfg.SourceRoot = dir
	cfg.Vault.Leases = []LeaseRule{{Username: "^v-token-readonly-", Prefix: "database/creds/readonly/"}}

	// Without --emergency: planned, with the problem and the way out.
	plan, sum, out := runAWS(t, cfg, fs, t.TempDir())
	s := plan.Targets[0].Steps
	if len(s) != 1 || s[0].Action != "revoke-lease" || !strings.Contains(s[0].Problem, "--emergency") || sum.Failed != 1 {
		t.Fatalf("steps %+v, summary %+v\n%s", s, sum, out)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls without --emergency: %v", f.calls)
	}
	// With --emergency: every lease under the prefix, said explicitly.
	cfg.Emergency = true
	plan, sum, out = runAWS(t, cfg, fs, t.TempDir())
	s = plan.Targets[0].Steps
	if len(s) != 1 || s[0].Action != "revoke-lease-prefix" || !strings.Contains(s[0].Target, "EVERY lease under database/creds/readonly/") || sum.Done != 1 {
		t.Fatalf("steps %+v, summary %+v\n%s", s, sum, out)
	}
	if len(f.prefixes) != 1 || f.prefixes[0] != "database/creds/readonly" && f.prefixes[0] != "database/creds/readonly/" {
		t.Errorf("revoked prefixes %v", f.prefixes)
	}
	if !strings.Contains(out, "EMERGENCY") {
		t.Errorf("plan does not say emergency:\n%s", out)
	}
	noSecret(t, []string{pw}, nil, out)

	// A user name no rule matches: no Vault step, left to do by hand.
	cfg.Vault.Leases = []LeaseRule{{Username: "^v-approle-", Prefix: "database/creds/x/"}}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	plan = p.Plan(context.Background(), TargetsFromFindings(fs, false))
	if len(plan.Targets[0].Steps) != 0 || plan.Targets[0].Manual == "" {
		t.Errorf("unmatched user: %+v", plan.Targets[0])
	}
}

func TestUserBefore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ line, pw, want string }{
		{"postgres://v-token-ro-abc:pw123456@h/db", "pw123456", "v-token-ro-abc"},
		{`dsn := "v-ro-abcd:pw123456@tcp(db:3306)/x"`, "pw123456", "v-ro-abcd"},
		{"mysql://us%40er:pw123456@h", "pw123456", "us@er"},
		{"password: pw123456", "pw123456", ""},
	} {
		if got := userBefore(tc.line, strings.Index(tc.line, tc.pw)+1); got != tc.want {
			t.Errorf("userBefore(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}
