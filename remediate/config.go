package remediate

import (
	"github.com/leakgate/leakgate/settings"

	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config is the [remediate] table of .leakgate.toml, with the flags that
// override it and the runtime hooks tests inject. The zero value plans
// with every registered provider and no ticketer.
type Config struct {
	// Providers enables revokers by name ("aws", "vault", "github", ...);
	// empty enables every registered one.
	Providers []string `toml:"providers"`
	// IncludeUnknown also acts on secrets whose status is unknown or
	// unchecked; by default only live secrets are acted on.
	IncludeUnknown bool `toml:"include-unknown"`
	// AuditLog and State are the default --audit-log and --state files.
	AuditLog string `toml:"audit-log"`
	State    string `toml:"state"`
	// Parallel bounds how many secrets are remediated at once (default 4).
	Parallel int `toml:"parallel"`
	// MaxAttempts bounds the tries of one step on 429, 5xx and timeouts
	// (default 4).
	MaxAttempts int `toml:"max-attempts"`
	// Timeout bounds one provider call (default 30s).
	Timeout Duration `toml:"timeout"`
	// MaxRetryWait is the longest wait a provider's Retry-After is honoured
	// for; a longer one fails the step (re-run later). Default 2m.
	MaxRetryWait Duration `toml:"max-retry-wait"`
	// SourceRoot is where the scanned files are, to read context a report
	// does not carry (the user name of a database URL). Default ".".
	SourceRoot string `toml:"source-root"`
	// Endpoints maps a provider to the base URL used instead of its public
	// API or its ecosystem variable: "aws-iam", "aws-sts", "vault",
	// "github", "gitlab", "slack".
	Endpoints map[string]string `toml:"endpoints"`

	Ticket TicketConfig `toml:"ticket"`
	Vault  VaultConfig  `toml:"vault"`
	AWS    AWSConfig    `toml:"aws"`

	// Emergency allows steps that revoke more than the leaked secret
	// (Vault revoke-prefix): --emergency.
	Emergency bool `toml:"-"`
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string `toml:"-"`
	// HTTPClient makes the providers' HTTP calls; nil means each client
	// library's default.
	HTTPClient *http.Client `toml:"-"`
	// Now and Sleep are the clock; nil means time.Now and a timer that
	// returns early when ctx is done. Tests inject both.
	Now   func() time.Time                                 `toml:"-"`
	Sleep func(ctx context.Context, d time.Duration) error `toml:"-"`
	// Jitter returns a number in [0,1) to spread retries; nil means
	// math/rand.
	Jitter func() float64 `toml:"-"`
	// Operator names who runs the remediation in the audit log; empty
	// means $LEAKGATE_OPERATOR, $GITHUB_ACTOR, $GITLAB_USER_LOGIN or $USER.
	Operator string `toml:"-"`
	// Hostname names the machine in the audit log; empty means os.Hostname.
	Hostname string `toml:"-"`
}

// TicketConfig is [remediate.ticket]: where rotation tickets are opened.
// The ticketer is chosen by Provider (default "github") and is off when
// Repo is empty.
type TicketConfig struct {
	Provider string `toml:"provider"`
	// Repo is "owner/repo".
	Repo      string   `toml:"repo"`
	Labels    []string `toml:"labels"`
	Assignees []string `toml:"assignees"`
	// Codeowners assigns the owners of the files where the secret was found
	// (read from the repository's CODEOWNERS).
	Codeowners bool `toml:"codeowners"`
	// BaseURL is the API base URL (GitHub Enterprise); empty means
	// GITHUB_API_URL, else the public API.
	BaseURL string `toml:"base-url"`
	// AlsoDead opens tickets for dead secrets too (they still need removing
	// from the history and their rotation confirmed).
	AlsoDead bool `toml:"also-dead"`
	// Disabled turns tickets off (--no-ticket).
	Disabled bool `toml:"-"`
}

// VaultConfig is [remediate.vault].
type VaultConfig struct {
	// Address is the Vault server; empty means VAULT_ADDR.
	Address string `toml:"address"`
	// Namespace is the Enterprise namespace; empty means VAULT_NAMESPACE.
	Namespace string `toml:"namespace"`
	// Leases map database user names to the lease prefix of the Vault
	// role that issued them ([[remediate.vault.leases]]).
	Leases []LeaseRule `toml:"leases"`
}

// LeaseRule maps the user names Vault's database secrets engine generates
// (a regular expression) to the prefix of their leases.
type LeaseRule struct {
	Username string `toml:"username"`
	Prefix   string `toml:"prefix"`
}

// AWSConfig is [remediate.aws].
type AWSConfig struct {
	// Profile is the shared-config profile of the operator's credentials;
	// empty means the default chain (AWS_PROFILE, ...).
	Profile string `toml:"profile"`
	// Credentials replaces the credential chain (tests).
	Credentials aws.CredentialsProvider `toml:"-"`
}

// Duration is a time.Duration written as a string ("30s").
type Duration = settings.Duration

// Defaults for Config.
const (
	DefaultParallel     = 4
	DefaultMaxAttempts  = 4
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetryWait = 2 * time.Minute
)

// Env reads an environment variable through Getenv.
func (c *Config) Env(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// Endpoint returns the base URL for provider: the configured endpoint,
// else the first non-empty environment variable of envs, else def,
// without a trailing slash.
func (c *Config) Endpoint(provider, def string, envs ...string) string {
	if u := c.Endpoints[provider]; u != "" {
		return strings.TrimRight(u, "/")
	}
	for _, k := range envs {
		if u := c.Env(k); u != "" {
			return strings.TrimRight(u, "/")
		}
	}
	return strings.TrimRight(def, "/")
}

// SetEndpoint sets a provider's endpoint (a flag overriding the file).
func (c *Config) SetEndpoint(provider, url string) {
	if c.Endpoints == nil {
		c.Endpoints = map[string]string{}
	}
	c.Endpoints[provider] = url
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Config) parallel() int {
	if c.Parallel > 0 {
		return c.Parallel
	}
	return DefaultParallel
}

func (c *Config) maxAttempts() int {
	if c.MaxAttempts > 0 {
		return c.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (c *Config) timeout() time.Duration {
	if c.Timeout.Duration > 0 {
		return c.Timeout.Duration
	}
	return DefaultTimeout
}

func (c *Config) maxRetryWait() time.Duration {
	if c.MaxRetryWait.Duration > 0 {
		return c.MaxRetryWait.Duration
	}
	return DefaultMaxRetryWait
}

func (c *Config) operator() string {
	if c.Operator != "" {
		return c.Operator
	}
	for _, k := range []string{"LEAKGATE_OPERATOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME"} {
		if v := c.Env(k); v != "" {
			return v
		}
	}
	return "unknown"
}

func (c *Config) hostname() string {
	if c.Hostname != "" {
		return c.Hostname
	}
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// RevokerFactory builds a provider's revoker from the configuration. It
// may return a nil Revoker when the provider does not apply.
type RevokerFactory func(*Config) (Revoker, error)

// TicketerFactory builds a ticketer from the configuration; it returns a
// nil Ticketer when tickets are not configured (no repository).
type TicketerFactory func(*Config) (Ticketer, error)

var (
	registryMu sync.Mutex
	revokers   = map[string]RevokerFactory{}
	ticketers  = map[string]TicketerFactory{}
)

// RegisterRevoker makes a provider's revoker known by name. Each revoker's
// file calls it from init, so the pipeline names no provider and adding
// one edits no shared list. Registering a name twice panics.
func RegisterRevoker(name string, f RevokerFactory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := revokers[name]; dup {
		panic("remediate: revoker registered twice: " + name)
	}
	revokers[name] = f
}

// RegisterTicketer makes a ticketer known by name ([remediate.ticket]
// provider). Registering a name twice panics.
func RegisterTicketer(name string, f TicketerFactory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := ticketers[name]; dup {
		panic("remediate: ticketer registered twice: " + name)
	}
	ticketers[name] = f
}

// Providers lists the registered revokers' names, sorted.
func Providers() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(revokers))
	for n := range revokers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// buildRevokers builds the enabled revokers, in name order.
func buildRevokers(cfg *Config) ([]Revoker, error) {
	known := Providers()
	want := cfg.Providers
	if len(want) == 0 {
		want = known
	}
	seen := map[string]bool{}
	var out []Revoker
	for _, name := range want {
		if seen[name] {
			continue
		}
		seen[name] = true
		registryMu.Lock()
		f := revokers[name]
		registryMu.Unlock()
		if f == nil {
			return nil, fmt.Errorf("remediate: unknown provider %q (known: %s)", name, strings.Join(known, ", "))
		}
		r, err := f(cfg)
		if err != nil {
			return nil, fmt.Errorf("remediate: %s: %w", name, err)
		}
		if r != nil {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Provider() < out[j].Provider() })
	return out, nil
}

// buildTicketer builds the configured ticketer, or nil.
func buildTicketer(cfg *Config) (Ticketer, error) {
	if cfg.Ticket.Disabled || cfg.Ticket.Repo == "" {
		return nil, nil
	}
	name := cfg.Ticket.Provider
	if name == "" {
		name = "github"
	}
	registryMu.Lock()
	f := ticketers[name]
	registryMu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("remediate: [remediate.ticket] provider %q is not available in this build", name)
	}
	t, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("remediate: ticket: %w", err)
	}
	return t, nil
}
