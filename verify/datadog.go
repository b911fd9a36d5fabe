package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/leakgate/leakgate/leak"
)

func init() { register("datadog", newDatadog) }

// datadogVerifier checks Datadog API keys, and application keys together
// with an API key found near them (Datadog API v1/v2; PROVIDERS.md has no
// section on Datadog):
//
//   - API key (32 hex): GET <base>/api/v1/validate with DD-API-KEY. 200
//     {"valid":true} is live; 403 is dead.
//   - application key (40 hex) with an API key: GET
//     <base>/api/v2/users?page[size]=1 with DD-API-KEY and
//     DD-APPLICATION-KEY, a read-only listing that needs both keys. 200 is
//     live. A 403 cannot say which key was refused, or whether the
//     application key merely lacks the user_access_read permission (scoped
//     keys), so the API key is then checked alone to give a precise reason,
//     and the result stays unknown: an application key is never reported
//     dead.
//   - anything else: unknown.
//
// Keys belong to one Datadog site. The base is https://api.datadoghq.com
// (US1), or [verify.endpoints] datadog, or api.<DD_SITE> when DD_SITE
// names a Datadog site (datadoghq.eu, us3.datadoghq.com, ddog-gov.com, …).
// A key of another site is refused with 403 like a revoked one, so a dead
// reason names the site that refused it.
//
// Pairing: datadog-app-key findings are paired with the nearest
// datadog-api-key, datadog-agent-config-key or datadog-api-key-file-write
// finding; the two parts are told apart by length, so either orientation
// works. A 40-hex datadog-agent-config-key finding (an app_key in
// datadog.yaml) is not paired (a rule's companions are per rule, and the
// rule's 32-hex API keys need none) and comes back unknown.
//
// UNCONFIRMED: that /api/v2/users is readable with any unscoped
// application key (the endpoint trufflehog uses for this check), and the
// exact 403 body ({"errors":["Forbidden"]}); both covered by fake-server
// tests.
type datadogVerifier struct {
	client *http.Client
	base   string
	site   string // host of base, for reasons
	// others are the other Datadog sites' API bases, tried for an API key
	// the default site refuses, when neither DD_SITE nor an endpoint chose
	// a site: a key of another site is refused with the same 403 as a
	// revoked one, so it is dead only when every site refuses it.
	others []string
}

// datadogSites are the API bases of Datadog's public sites besides the
// default one.
var datadogSites = []string{
	"https://api.us3.datadoghq.com", "https://api.us5.datadoghq.com", "https://api.datadoghq.eu",
	"https://api.ap1.datadoghq.com", "https://api.ddog-gov.com",
}

var _ Verifier = (*datadogVerifier)(nil)

// datadogSite is a DD_SITE value that names a Datadog site.
var datadogSite = regexp.MustCompile(`^(?:[a-z0-9-]+\.)?(?:datadoghq\.com|datadoghq\.eu|ddog-gov\.com)$`)

func newDatadog(o *Options) Verifier {
	def := "https://api.datadoghq.com"
	chosen := o.Endpoints["datadog"] != ""
	if s := strings.ToLower(strings.TrimSpace(o.getenv("DD_SITE"))); datadogSite.MatchString(s) {
		def, chosen = "https://api."+s, true
	}
	base := o.Endpoint("datadog", def)
	v := &datadogVerifier{client: o.HTTPClient(), base: base, site: datadogHost(base)}
	if !chosen {
		v.others = datadogSites
	}
	return v
}

func (*datadogVerifier) Provider() string { return "datadog" }
func (*datadogVerifier) Rules() []string {
	return []string{"datadog-api-key", "datadog-api-key-file-write", "datadog-agent-config-key", "datadog-app-key"}
}

// Companions implements Paired: an application key needs an API key.
func (*datadogVerifier) Companions(rule string) []string {
	if rule == "datadog-app-key" {
		return []string{"datadog-api-key", "datadog-agent-config-key", "datadog-api-key-file-write"}
	}
	return nil
}

const (
	datadogAPIKeyLen = 32
	datadogAppKeyLen = 40
)

func (v *datadogVerifier) Verify(ctx context.Context, c Credential) Result {
	var api, app string
	for _, s := range []string{c.Secret.Reveal(), c.Companion.Reveal()} {
		switch len(s) {
		case datadogAPIKeyLen:
			api = s
		case datadogAppKeyLen:
			app = s
		}
	}
	switch {
	case app == "" && api != "" && c.Companion.IsZero():
		return v.apiKey(ctx, api)
	case app != "" && api != "":
		return v.appKey(ctx, api, app)
	case app != "" && c.Companion.IsZero():
		return Unknown("a Datadog application key can only be checked with an API key, and none was paired with it")
	}
	return Unknown("not a Datadog API key and application key pair")
}

func (v *datadogVerifier) get(ctx context.Context, path string, headers map[string]string) (*Response, *Result) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+path, nil)
	if err != nil {
		r := Unknown("building the request: " + err.Error())
		return nil, &r
	}
	req.Header.Set("Accept", "application/json")
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	return Send(v.client, req)
}

func datadogHost(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}

// apiKey checks an API key alone: at the chosen site, or, when no site was
// chosen, at each public site until one accepts it.
func (v *datadogVerifier) apiKey(ctx context.Context, api string) Result {
	res := v.apiKeyAt(ctx, api)
	for _, b := range v.others {
		if res.Status != leak.Dead {
			return res
		}
		res = (&datadogVerifier{client: v.client, base: b, site: datadogHost(b)}).apiKeyAt(ctx, api)
	}
	if res.Status == leak.Dead && len(v.others) > 0 {
		return Dead("every public Datadog site refused the API key (HTTP 403)")
	}
	return res
}

// apiKeyAt checks an API key at v's site only.
func (v *datadogVerifier) apiKeyAt(ctx context.Context, api string) Result {
	resp, fail := v.get(ctx, "/api/v1/validate", map[string]string{"DD-API-KEY": api})
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Valid bool `json:"valid"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || !body.Valid {
			return Unknown("Datadog answered 200 without \"valid\": true")
		}
		return Live("Datadog API key (site " + v.site + ")")
	case http.StatusForbidden:
		return Dead("Datadog " + v.site + " refused the API key (HTTP 403); a key of another Datadog site is refused the same way (set [verify.endpoints] datadog or DD_SITE)")
	}
	return Unexpected(resp)
}

// appKey checks an application key with an API key.
func (v *datadogVerifier) appKey(ctx context.Context, api, app string) Result {
	resp, fail := v.get(ctx, "/api/v2/users?page[size]=1", map[string]string{"DD-API-KEY": api, "DD-APPLICATION-KEY": app})
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Data     []json.RawMessage `json:"data"`
			Included []struct {
				Type       string `json:"type"`
				Attributes struct {
					Name string `json:"name"`
				} `json:"attributes"`
			} `json:"included"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Data == nil {
			return Unknown("Datadog answered 200 without a user list")
		}
		id := "Datadog application key, with the API key found near it (site " + v.site
		for _, inc := range body.Included {
			if inc.Type == "orgs" && inc.Attributes.Name != "" {
				id += ", org " + inc.Attributes.Name
				break
			}
		}
		return Live(id + ")")
	case http.StatusForbidden:
		alone := v.apiKey(ctx, api)
		switch alone.Status {
		case leak.Live:
			return Unknown("Datadog " + v.site + " refused the application key with a valid API key (HTTP 403): it is revoked, or lacks the user_access_read permission")
		case leak.Dead:
			return Unknown("the API key found near the application key is refused by Datadog " + v.site + ", so the application key could not be tested")
		}
		return Unknown("Datadog refused the key pair (HTTP 403), and checking the API key alone failed: " + alone.Reason)
	}
	return Unexpected(resp)
}
