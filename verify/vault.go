package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"
)

func init() { register("vault", newVault) }

// vaultVerifier asks a HashiCorp Vault server about a token:
// GET /v1/auth/token/lookup-self with X-Vault-Token, through the Vault Go
// client (PROVIDERS.md §3.2, §3.4). The lookup reads and does not renew
// the token. Caveat, UNCONFIRMED: for a token created with a use limit
// (num_uses), Vault probably counts the lookup as one use, as it does for
// any request made with the token; there is no self-check without using the
// token, and such tokens are rare in files.
//
//   - 200 with token data is live: "Vault token <display_name>, policies
//     [...], expires <expire_time>" (never the id or the accessor).
//   - 403 is dead: it is how Vault answers a token it does not know
//     ("permission denied"); 401 too.
//   - 412, 429, 472, 473 and 5xx (503 is a sealed Vault) are unknown and
//     retried; a network error or any other answer is unknown.
//
// Service (hvs., s.), batch (hvb., b.) tokens are checked; recovery tokens
// (hvr.) only work against a Vault in recovery mode and are not claimed.
//
// There is no public Vault: the address is [verify.endpoints] vault, else
// VAULT_ADDR (read through Options.Getenv). With neither, every token is
// unknown and no call is made. VAULT_NAMESPACE sets X-Vault-Namespace.
//
// The Vault client also reads the process environment by itself
// (VAULT_TOKEN, VAULT_AGENT_ADDR, VAULT_NAMESPACE, VAULT_HEADERS,
// VAULT_MAX_RETRIES, VAULT_SRV_LOOKUP, VAULT_RATE_LIMIT, TLS settings, ...);
// each is overridden so that only the leaked token is sent, only to the
// configured address, with leakgate's HTTP client (its TLS settings, not
// VAULT_CACERT or VAULT_SKIP_VERIFY), once, and without following a
// redirect to another host.
type vaultVerifier struct {
	client    *http.Client
	addr      string
	namespace string
}

var _ Verifier = (*vaultVerifier)(nil)

func newVault(o *Options) Verifier {
	hc := *o.HTTPClient()
	if hc.Transport == nil {
		// Otherwise vault.NewClient fills in its own transport, built from
		// VAULT_CACERT, VAULT_SKIP_VERIFY and the like.
		hc.Transport = http.DefaultTransport
	}
	return &vaultVerifier{client: &hc, addr: o.Endpoint("vault", "", "VAULT_ADDR"), namespace: o.getenv("VAULT_NAMESPACE")}
}

func (*vaultVerifier) Provider() string { return "vault" }

func (*vaultVerifier) Rules() []string {
	return []string{"vault-service-token", "vault-batch-token", "vault-legacy-token"}
}

// vaultNoAddress is the reason given when no Vault address is configured.
const vaultNoAddress = "no Vault address configured: set VAULT_ADDR or [verify.endpoints] vault"

// newClient builds a Vault client that sends tok, and nothing from the
// operator's environment, to v.addr.
func (v *vaultVerifier) newClient(tok string) (*vault.Client, error) {
	cfg := vault.DefaultConfig()
	if cfg.Error != nil {
		return nil, cfg.Error
	}
	cfg.Address = v.addr
	cfg.AgentAddress = "" // VAULT_AGENT_ADDR would replace Address
	cfg.HttpClient = v.client
	cfg.MaxRetries = 0 // the Checker retries
	cfg.Timeout = 0    // the Checker's context bounds the call
	cfg.Limiter = nil
	cfg.SRVLookup = false
	cfg.DisableRedirects = true // the client would follow one to any host
	cfg.ReadYourWrites = false
	cfg.CloneHeaders, cfg.CloneToken = false, false
	c, err := vault.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	// Drop VAULT_HEADERS and VAULT_NAMESPACE picked up by NewClient.
	c.SetHeaders(http.Header{vault.RequestHeaderName: []string{"true"}})
	if v.namespace != "" {
		c.SetNamespace(v.namespace)
	}
	c.SetToken(tok) // replaces VAULT_TOKEN
	return c, nil
}

func (v *vaultVerifier) Verify(ctx context.Context, c Credential) Result {
	if v.addr == "" {
		return Unknown(vaultNoAddress)
	}
	client, err := v.newClient(c.Secret.Reveal())
	if err != nil {
		return Unknown("configuring the Vault client: " + err.Error())
	}
	secret, err := client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return vaultJudge(ctx, err)
	}
	if secret == nil {
		// An empty answer, or a redirect to another host (not followed).
		return Unknown("Vault answered with no body (an empty answer or a redirect to another host, not followed)")
	}
	if secret.Data == nil {
		return Unknown("Vault answered without token data")
	}
	return vaultIdentity(secret.Data)
}

// vaultJudge maps a Vault client error to a result.
func vaultJudge(ctx context.Context, err error) Result {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		msg := strings.Join(re.Errors, "; ")
		switch s := re.StatusCode; {
		case s == http.StatusForbidden || s == http.StatusUnauthorized:
			return Dead(fmt.Sprintf("Vault refused the token (HTTP %d %s)", s, vaultQuote(msg)))
		case s == http.StatusServiceUnavailable && slices.Contains(re.Errors, "Vault is sealed"):
			r := Unknown("Vault is sealed (HTTP 503)")
			r.Retry = true
			return r
		case s == http.StatusPreconditionFailed, s == http.StatusTooManyRequests, s == 472, s == 473, s >= 500:
			r := Unknown(fmt.Sprintf("Vault error (HTTP %d %s)", s, vaultQuote(msg)))
			r.Retry = true
			return r
		}
		return Unknown(fmt.Sprintf("unexpected answer (HTTP %d)", re.StatusCode))
	}
	var ue *url.Error
	if errors.As(err, &ue) || ctx.Err() != nil {
		r := Unknown(netReason(ctx, err))
		r.Retry = ctx.Err() == nil && !isTimeout(err)
		return r
	}
	return Unknown("unreadable Vault answer: " + err.Error())
}

// vaultQuote shortens a Vault error message for a reason.
func vaultQuote(msg string) string {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
	if len(msg) > 80 {
		msg = msg[:80] + "…"
	}
	if msg == "" {
		return "with no message"
	}
	return fmt.Sprintf("%q", msg)
}

// vaultIdentity describes a token from its lookup data, leaving out the
// token id and accessor.
func vaultIdentity(d map[string]any) Result {
	_, hasPolicies := d["policies"]
	name, _ := d["display_name"].(string)
	if !hasPolicies && name == "" {
		return Unknown("Vault answered without token data")
	}
	if name == "" {
		name = "(no display name)"
	}
	var policies []string
	if ps, ok := d["policies"].([]any); ok {
		for _, p := range ps {
			if s, ok := p.(string); ok {
				policies = append(policies, s)
			}
		}
	}
	id := fmt.Sprintf("Vault token %s, policies [%s]", name, strings.Join(policies, " "))
	switch exp, _ := d["expire_time"].(string); {
	case exp == "":
		id += ", no expiry"
	default:
		if t, err := time.Parse(time.RFC3339Nano, exp); err == nil {
			exp = t.UTC().Format(time.RFC3339)
		}
		id += ", expires " + exp
	}
	return Live(id)
}
