// Package verify asks each secret's provider whether the secret is live:
// one Verifier per provider behind one interface, a Registry that maps rule
// ids to verifiers, and a Checker that runs the checks politely (one call
// per unique secret, bounded concurrency per provider, per-call timeouts,
// retries with backoff on 429 and 5xx honouring Retry-After, an overall
// deadline).
//
// Only an explicitly recognised answer is live or dead; a network error, a
// timeout, a rate limit or anything unexpected is unknown, with the reason.
// A secret is sent only to its provider's host, or to the endpoint the
// operator configured for self-hosted providers; verification is read-only
// and changes nothing at the provider. Base URLs and the *http.Client are
// injectable so tests talk to httptest fakes.
//
// verify never prints; results are written back into the findings.
package verify

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leakgate/leakgate/leak"
)

// Credential is what a verifier checks: the secret of one finding and, for
// multi-part credentials, one candidate for the other part found near it.
type Credential struct {
	// Rule is the id of the rule that found Secret.
	Rule   string
	Secret leak.Secret
	// Companion is the other part of a multi-part credential (the AWS
	// secret key for an access key id, the Twilio account SID for an auth
	// token, ...), found by CompanionRule near Secret. Zero for single-part
	// credentials.
	Companion     leak.Secret
	CompanionRule string
	// Extras are further parts, by rule id, for verifiers that implement
	// MultiPart: the nearest finding of each rule they ask for (the session
	// token of a temporary AWS key). Absent parts are missing from the map.
	Extras map[string]leak.Secret
	// Context is the line around the secret, for verifiers that implement
	// Contextual (a database password's URL).
	Context leak.Secret
}

// Result is a verifier's answer.
type Result struct {
	Status leak.Status
	// Identity says whose the secret is, when the provider tells: an ARN,
	// a login and its scopes, a team.
	Identity string
	// Reason explains an unknown (or dead) status. It must never hold the
	// secret; the Checker scrubs it anyway.
	Reason string
	// Retry asks the Checker to try again later (429, 5xx); RetryAfter, when
	// positive, is how long the provider asked to wait.
	Retry      bool
	RetryAfter time.Duration
}

// Live, Dead and Unknown build results.
func Live(identity string) Result { return Result{Status: leak.Live, Identity: identity} }

// Dead is a result for an explicit authentication failure.
func Dead(reason string) Result { return Result{Status: leak.Dead, Reason: reason} }

// Unknown is a result for anything that is neither live nor dead.
func Unknown(reason string) Result { return Result{Status: leak.Unknown, Reason: reason} }

// Verifier checks the secrets of one provider.
type Verifier interface {
	// Provider names the provider ("github", "aws"): it keys the
	// concurrency limit, [verify.endpoints] and the reports.
	Provider() string
	// Rules are the ids of the rules whose findings it checks.
	Rules() []string
	// Verify checks one credential. It must not change anything at the
	// provider, and must return when ctx is done.
	Verify(ctx context.Context, c Credential) Result
}

// Paired is implemented by verifiers of multi-part credentials.
type Paired interface {
	Verifier
	// Companions returns the ids of the rules whose findings complete a
	// finding of rule, or nil when rule's secret stands alone.
	Companions(rule string) []string
}

// MultiPart is implemented by verifiers of credentials with parts beyond
// the companion.
type MultiPart interface {
	Verifier
	// Extras returns the ids of the rules whose nearest finding in the same
	// file is passed along in Credential.Extras for a finding of rule.
	Extras(rule string) []string
}

// Contextual is implemented by verifiers that need the text around the
// secret (Credential.Context): a database password is checked with the
// URL it was found in.
type Contextual interface {
	Verifier
	// CallKey says which calls are the same, for the one-call-per-secret
	// cache: for a database, the connection (user, hosts, database and
	// password), not the password alone.
	CallKey(c Credential) string
}

// Options configure the verifiers of a Registry.
type Options struct {
	// Client makes every HTTP call. Nil means a client with the Checker's
	// per-call timeout that refuses redirects to another host.
	Client *http.Client
	// Endpoints maps a provider name to a base URL that replaces the
	// provider's public API ([verify.endpoints] in .leakgate.toml).
	Endpoints map[string]string
	// Getenv reads the environment (os.Getenv); ecosystem variables such as
	// GITHUB_API_URL, CI_API_V4_URL, VAULT_ADDR and AWS_ENDPOINT_URL_STS
	// point verifiers at self-hosted instances.
	Getenv func(string) string
	// PrivateHosts allows connections to private and loopback addresses for
	// credentials that carry their own host (database URLs).
	PrivateHosts bool
	// Timeout is the per-call timeout (default 5s).
	Timeout time.Duration
}

// DefaultTimeout bounds one provider call.
const DefaultTimeout = 5 * time.Second

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

// Endpoint returns the base URL for provider: the configured endpoint, else
// the first non-empty environment variable of envs, else def. A trailing
// slash is removed.
func (o *Options) Endpoint(provider, def string, envs ...string) string {
	if u := o.Endpoints[provider]; u != "" {
		return strings.TrimRight(u, "/")
	}
	for _, k := range envs {
		if u := o.getenv(k); u != "" {
			return strings.TrimRight(u, "/")
		}
	}
	return strings.TrimRight(def, "/")
}

// HTTPClient is the client verifiers use.
func (o *Options) HTTPClient() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: o.timeout(), CheckRedirect: sameHostRedirects}
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// sameHostRedirects lets a client follow redirects only within the host it
// was sent to, so a provider (or a spoofed answer) cannot bounce a secret
// to another host.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return http.ErrUseLastResponse
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// A Constructor builds a provider's verifier from the options.
type Constructor func(*Options) Verifier

var (
	constructorsMu sync.Mutex
	constructors   = map[string]Constructor{}
)

// register adds a provider's constructor; each provider's file calls it
// from init, so adding a provider edits no shared list.
func register(name string, c Constructor) {
	constructorsMu.Lock()
	defer constructorsMu.Unlock()
	if _, dup := constructors[name]; dup {
		panic("verify: provider registered twice: " + name)
	}
	constructors[name] = c
}

// Registry maps rule ids to verifiers.
type Registry struct {
	byRule    map[string]Verifier
	verifiers []Verifier
}

// NewRegistry builds every registered provider's verifier with opts,
// leaving out the providers named in disable.
func NewRegistry(opts Options, disable ...string) *Registry {
	off := map[string]bool{}
	for _, d := range disable {
		off[d] = true
	}
	constructorsMu.Lock()
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	constructorsMu.Unlock()
	sort.Strings(names)
	var vs []Verifier
	for _, n := range names {
		if off[n] {
			continue
		}
		vs = append(vs, constructors[n](&opts))
	}
	return NewRegistryOf(vs...)
}

// NewRegistryOf builds a registry of the given verifiers. A rule claimed by
// two verifiers goes to the first.
func NewRegistryOf(vs ...Verifier) *Registry {
	r := &Registry{byRule: map[string]Verifier{}}
	for _, v := range vs {
		r.verifiers = append(r.verifiers, v)
		for _, id := range v.Rules() {
			if _, ok := r.byRule[id]; !ok {
				r.byRule[id] = v
			}
		}
	}
	return r
}

// For returns the verifier of a rule, or nil.
func (r *Registry) For(rule string) Verifier { return r.byRule[rule] }

// Verifiers lists the registry's verifiers.
func (r *Registry) Verifiers() []Verifier { return r.verifiers }

// Providers lists the provider names, sorted.
func Providers() []string {
	constructorsMu.Lock()
	defer constructorsMu.Unlock()
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
