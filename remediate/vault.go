package remediate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	vault "github.com/hashicorp/vault/api"
)

func init() {
	RegisterRevoker("vault", func(cfg *Config) (Revoker, error) { return NewVault(cfg) })
}

// The rules of leaked Vault tokens, and of database URLs whose user may be
// a Vault dynamic credential.
var (
	vaultTokenRules = map[string]bool{"vault-service-token": true, "vault-batch-token": true, "vault-legacy-token": true}
	dbURLRules      = map[string]bool{"postgres-connection-uri": true, "mysql-connection-uri": true, "mysql-go-dsn": true}
)

// VaultRevoker revokes leaked Vault tokens and the leases of leaked
// dynamic database credentials through Vault's HTTP API
// (hashicorp/vault/api).
//
// A token is revoked by accessor after looking it up with the operator's
// token (VAULT_TOKEN), or, without an operator token, by the leaked token
// itself (revoke-self). A database user name that matches a configured
// lease rule maps to the lease prefix of its Vault role; Vault cannot map a
// user name to its single lease, so the only automatic remedy revokes every
// lease under the prefix, and only with --emergency.
type VaultRevoker struct {
	cfg    *Config
	leases []leaseRule
}

type leaseRule struct {
	re     *regexp.Regexp
	prefix string
}

var _ Revoker = (*VaultRevoker)(nil)

// NewVault returns the Vault revoker; a lease rule whose pattern does not
// compile is an error.
func NewVault(cfg *Config) (*VaultRevoker, error) {
	r := &VaultRevoker{cfg: cfg}
	for i, l := range cfg.Vault.Leases {
		if l.Username == "" || l.Prefix == "" {
			return nil, fmt.Errorf("[[remediate.vault.leases]] #%d: both username and prefix are needed", i+1)
		}
		re, err := regexp.Compile(l.Username)
		if err != nil {
			return nil, fmt.Errorf("[[remediate.vault.leases]] #%d: username: %w", i+1, err)
		}
		r.leases = append(r.leases, leaseRule{re: re, prefix: strings.TrimLeft(l.Prefix, "/")})
	}
	return r, nil
}

// Provider implements Revoker.
func (r *VaultRevoker) Provider() string { return "vault" }

// Handles implements Revoker: Vault tokens, and database URLs when lease
// rules are configured.
func (r *VaultRevoker) Handles(rule string) bool {
	return vaultTokenRules[rule] || (dbURLRules[rule] && len(r.leases) > 0)
}

func (r *VaultRevoker) address() string {
	if a := r.cfg.Vault.Address; a != "" {
		return strings.TrimRight(a, "/")
	}
	return r.cfg.Endpoint("vault", "", "VAULT_ADDR")
}

func (r *VaultRevoker) namespace() string {
	if n := r.cfg.Vault.Namespace; n != "" {
		return n
	}
	return r.cfg.Env("VAULT_NAMESPACE")
}

// Plan implements Revoker.
func (r *VaultRevoker) Plan(ctx context.Context, t *Target) []Step {
	if dbURLRules[t.Rule] {
		return r.planLease(t)
	}
	s := Step{Provider: "vault", Action: "revoke-token", Where: r.address()}
	if ns := r.namespace(); ns != "" {
		s.Where += " (namespace " + ns + ")"
	}
	s.Target = "Vault token " + t.Secret.Redacted()
	if t.Identity != "" {
		s.Target += " (" + t.Identity + ")"
	}
	s.Note = "revoking a token also revokes its child tokens and the leases it created"
	if r.cfg.Env("VAULT_TOKEN") != "" {
		s.Credentials = "operator: VAULT_TOKEN (auth/token/lookup, then auth/token/revoke-accessor); the leaked token itself (revoke-self) if that is denied"
	} else {
		s.Credentials = "the leaked token itself (auth/token/revoke-self); no VAULT_TOKEN set"
	}
	switch {
	case r.address() == "":
		s.Problem = "no Vault address: set VAULT_ADDR, [remediate.vault] address or --vault-addr"
	case t.Secret.IsZero():
		s.Target = "a Vault token (redacted in the report)"
		s.Problem = "the report is redacted, so the token is unknown: re-run the scan with --no-redact (and protect the file: chmod 600), or use leakgate scan --verify --remediate"
	case strings.HasPrefix(t.Secret.Reveal(), "hvb.") || strings.HasPrefix(t.Secret.Reveal(), "b."):
		s.Problem = "batch tokens cannot be revoked on their own (UNCONFIRMED for every Vault version): they expire with their TTL, or when the token that created them is revoked"
		s.Note = "by hand: revoke the parent token or shorten the role's batch token TTL"
	}
	return []Step{s}
}

// planLease plans the revocation of a dynamic database credential's
// leases; no steps when the URL's user matches no lease rule.
func (r *VaultRevoker) planLease(t *Target) []Step {
	user, rule := r.leaseRuleFor(t)
	if rule == nil {
		return nil
	}
	s := Step{
		Provider: "vault",
		Where:    r.address(),
		Note:     "Vault cannot map a database user name to its lease (lease lookup does not return the user name)",
	}
	if !r.cfg.Emergency {
		s.Action = "revoke-lease"
		s.Target = "the lease of database user " + user + " under " + rule.prefix
		s.Credentials = "operator: VAULT_TOKEN"
		s.Problem = "Vault cannot map the user name " + user + " to its lease: revoke the lease by id (vault lease revoke " + rule.prefix + "<id>), or re-run with --emergency to revoke EVERY lease under " + rule.prefix
		return []Step{s}
	}
	s.Action = "revoke-lease-prefix"
	s.Target = "EVERY lease under " + rule.prefix + " (all credentials of that role, not only user " + user + ")"
	s.Credentials = "operator: VAULT_TOKEN (needs sudo on sys/leases/revoke-prefix)"
	s.Note = "emergency: every application using credentials of this role loses them and must fetch new ones"
	switch {
	case r.address() == "":
		s.Problem = "no Vault address: set VAULT_ADDR, [remediate.vault] address or --vault-addr"
	case r.cfg.Env("VAULT_TOKEN") == "":
		s.Problem = "no operator token: set VAULT_TOKEN to a token allowed to use sys/leases/revoke-prefix (sudo)"
	}
	return []Step{s}
}

// leaseRuleFor returns the user name of a database URL finding and the
// first lease rule it matches, or nil.
func (r *VaultRevoker) leaseRuleFor(t *Target) (string, *leaseRule) {
	user := r.dbUser(t)
	if user == "" {
		return "", nil
	}
	for i := range r.leases {
		if r.leases[i].re.MatchString(user) {
			return user, &r.leases[i]
		}
	}
	return user, nil
}

// dbUser returns the user name of a database URL finding: from its
// identity (as a verifier writes it, "user@host/db"), else from the line
// of the file where it was found, read under Config.SourceRoot.
func (r *VaultRevoker) dbUser(t *Target) string {
	if id := t.Identity; id != "" && !strings.ContainsAny(id, " ") {
		if i := strings.IndexByte(id, '@'); i > 0 {
			return id[:i]
		}
		return id
	}
	root := r.cfg.SourceRoot
	if root == "" {
		root = "."
	}
	for _, o := range t.Locations {
		if o.Path == "" || o.Line < 1 || o.Column < 2 {
			continue
		}
		line, err := readLine(filepath.Join(root, filepath.FromSlash(o.Path)), o.Line)
		if err != nil {
			continue
		}
		if u := userBefore(line, o.Column); u != "" {
			return u
		}
	}
	return ""
}

// userBefore returns the user name written just before the password that
// starts at 1-based column col: "scheme://USER:" or "USER:" at the start
// of a word (Go MySQL DSNs).
func userBefore(line string, col int) string {
	if col-1 > len(line) {
		return ""
	}
	before := line[:col-1]
	if !strings.HasSuffix(before, ":") {
		return ""
	}
	before = before[:len(before)-1]
	start := strings.LastIndex(before, "://")
	if start >= 0 {
		start += 3
	} else {
		start = strings.LastIndexAny(before, " \t\"'`=(,;") + 1
	}
	u := before[start:]
	if u == "" || strings.ContainsAny(u, "/@ ") {
		return ""
	}
	if d, err := url.PathUnescape(u); err == nil {
		u = d
	}
	return u
}

func readLine(name string, n int) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return sc.Text(), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no such line")
}

func (r *VaultRevoker) client(token string) (*vault.Client, error) {
	c := vault.DefaultConfig()
	if c.Error != nil {
		return nil, c.Error
	}
	c.Address = r.address()
	c.MaxRetries = 0 // the pipeline retries, and audits each attempt
	c.Timeout = r.cfg.timeout()
	if r.cfg.HTTPClient != nil {
		c.HttpClient = r.cfg.HTTPClient
	}
	cl, err := vault.NewClient(c)
	if err != nil {
		return nil, err
	}
	cl.SetToken(token)
	if ns := r.namespace(); ns != "" {
		cl.SetNamespace(ns)
	}
	return cl, nil
}

// Apply implements Revoker.
func (r *VaultRevoker) Apply(ctx context.Context, t *Target, s Step) (Outcome, error) {
	if s.Problem != "" {
		return Failed, errors.New(s.Problem)
	}
	switch s.Action {
	case "revoke-token":
		return r.revokeToken(ctx, t)
	case "revoke-lease-prefix":
		_, rule := r.leaseRuleFor(t)
		if rule == nil {
			return Failed, errors.New("vault: the database user name no longer matches a lease rule")
		}
		prefix := rule.prefix
		op, err := r.client(r.cfg.Env("VAULT_TOKEN"))
		if err != nil {
			return Failed, fmt.Errorf("vault: %w", err)
		}
		if err := op.Sys().RevokePrefixWithContext(ctx, prefix); err != nil {
			return Failed, vaultError("sys/leases/revoke-prefix", err)
		}
		return Done, nil
	}
	return Failed, fmt.Errorf("vault: unknown action %q", s.Action)
}

func (r *VaultRevoker) revokeToken(ctx context.Context, t *Target) (Outcome, error) {
	leaked := t.Secret.Reveal()
	var denied error
	if opTok := r.cfg.Env("VAULT_TOKEN"); opTok != "" && opTok != leaked {
		op, err := r.client(opTok)
		if err != nil {
			return Failed, fmt.Errorf("vault: %w", err)
		}
		sec, err := op.Auth().Token().LookupWithContext(ctx, leaked)
		switch {
		case err == nil && sec != nil && sec.Data != nil:
			acc, _ := sec.Data["accessor"].(string)
			if acc == "" {
				return Failed, errors.New("vault: auth/token/lookup returned no accessor")
			}
			if err := op.Auth().Token().RevokeAccessorWithContext(ctx, acc); err != nil {
				if badToken(err) {
					return Already, nil
				}
				return Failed, vaultError("auth/token/revoke-accessor", err)
			}
			return Done, nil
		case err == nil:
			return Failed, errors.New("vault: auth/token/lookup returned no data")
		case badToken(err):
			return Already, nil // the token no longer exists
		case statusOf(err) == http.StatusForbidden:
			denied = vaultError("auth/token/lookup with the operator's token", err)
		default:
			return Failed, vaultError("auth/token/lookup", err)
		}
	}
	self, err := r.client(leaked)
	if err != nil {
		return Failed, fmt.Errorf("vault: %w", err)
	}
	if _, err := self.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		if statusOf(err) == http.StatusForbidden || badToken(err) {
			return Already, nil // the leaked token no longer works
		}
		return Failed, vaultError("auth/token/lookup-self", err)
	}
	if err := self.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
		err = vaultError("auth/token/revoke-self", err)
		if denied != nil {
			err = fmt.Errorf("%w; before that: %w", err, denied)
		}
		return Failed, err
	}
	return Done, nil
}

func statusOf(err error) int {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// badToken reports whether Vault said the token does not exist.
func badToken(err error) bool {
	var re *vault.ResponseError
	if !errors.As(err, &re) || (re.StatusCode != http.StatusForbidden && re.StatusCode != http.StatusBadRequest) {
		return false
	}
	for _, e := range re.Errors {
		e = strings.ToLower(e)
		if strings.Contains(e, "bad token") || strings.Contains(e, "invalid token") || strings.Contains(e, "invalid accessor") {
			return true
		}
	}
	return false
}

// vaultError explains a Vault error, marking 412, 429, 5xx and network
// failures retryable.
func vaultError(op string, err error) error {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		msg := strings.Join(re.Errors, "; ")
		switch {
		case re.StatusCode == http.StatusForbidden:
			return fmt.Errorf("vault: permission denied: the token may not use %s (%s)", op, msg)
		case re.StatusCode == http.StatusTooManyRequests || re.StatusCode == http.StatusPreconditionFailed || re.StatusCode >= 500:
			return &RetryableError{Err: fmt.Errorf("vault: %s: HTTP %d: %s", op, re.StatusCode, msg)}
		}
		return fmt.Errorf("vault: %s: HTTP %d: %s", op, re.StatusCode, msg)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &RetryableError{Err: fmt.Errorf("vault: %s: %w", op, err)}
	}
	return fmt.Errorf("vault: %s: %w", op, err)
}
