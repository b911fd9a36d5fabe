package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

func init() { register("shopify", newShopify) }

// shopifyVerifier checks a Shopify Admin API access token (shpat_, shpca_,
// shppa_) against its shop: GET https://<shop>.myshopify.com/admin/api/
// <version>/shop.json with X-Shopify-Access-Token (Shopify Admin REST API,
// "Shop"; PROVIDERS.md has no section on Shopify). 200 with a shop is
// live, the identity being the shop's name; 401 is
// dead; anything else (403, 404 for an unknown shop, 402 for a frozen one,
// a redirect) is unknown.
//
// A token is useless without its shop, so the verifier is Paired with the
// rule "shopify-shop-domain": a finding of that rule near the token (in
// the same file) gives the shop. It is a companion rule: a shop domain is
// not a secret, so its findings are never reported, only used here. A
// token with no shop domain in its file comes back unknown ("no other part
// of this credential was found near it (shopify-shop-domain)"), without a
// call.
//
// The shop host must match ^[a-z0-9][a-z0-9-]*\.myshopify\.com$: the token
// is never sent to any other host named by a finding. [verify.endpoints]
// shopify, when set, replaces scheme and host (for tests and proxies).
//
// UNCONFIRMED: that Shopify still serves API version 2024-01 requests (it
// answers retired versions with the oldest supported one, as far as is
// known), and the exact 401 body; covered by fake-server tests.
type shopifyVerifier struct {
	client   *http.Client
	endpoint string // configured override, or ""
}

var _ Verifier = (*shopifyVerifier)(nil)

func newShopify(o *Options) Verifier {
	return &shopifyVerifier{client: o.HTTPClient(), endpoint: o.Endpoint("shopify", "")}
}

func (*shopifyVerifier) Provider() string { return "shopify" }
func (*shopifyVerifier) Rules() []string  { return []string{"shopify-access-token"} }

// shopifyShopRule is the companion rule that finds shop domains.
const shopifyShopRule = "shopify-shop-domain"

// Companions implements Paired.
func (*shopifyVerifier) Companions(rule string) []string {
	if rule == "shopify-access-token" {
		return []string{shopifyShopRule}
	}
	return nil
}

// shopifyAPIVersion is the Admin API version asked for.
const shopifyAPIVersion = "2024-01"

var shopifyShopHost = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)

// shopifyShop returns the shop host named by a shop-domain finding (a bare
// host or an https URL), or "" when it is not a *.myshopify.com host.
func shopifyShop(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Port() != "" || u.User != nil {
			return ""
		}
		s = u.Host
	}
	if !shopifyShopHost.MatchString(s) {
		return ""
	}
	return s
}

func (v *shopifyVerifier) Verify(ctx context.Context, c Credential) Result {
	token, shop := c.Secret.Reveal(), c.Companion.Reveal()
	if c.Rule == shopifyShopRule {
		token, shop = shop, token
	}
	if c.Companion.IsZero() {
		return Unknown("no *.myshopify.com shop domain found near the token")
	}
	host := shopifyShop(shop)
	if host == "" {
		return Unknown("the shop domain found near the token is not a *.myshopify.com host")
	}
	base := "https://" + host
	if v.endpoint != "" {
		base = v.endpoint
	}
	resp, fail := Get(ctx, v.client, base+"/admin/api/"+shopifyAPIVersion+"/shop.json", "X-Shopify-Access-Token", token, "Accept", "application/json")
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Shop struct {
				Name string `json:"name"`
			} `json:"shop"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Shop.Name == "" {
			return Unknown("Shopify answered 200 without a shop")
		}
		// The shop's host is the companion secret, which the Checker
		// redacts; the shop's name is what identifies it.
		return Live("Shopify shop " + body.Shop.Name)
	case http.StatusUnauthorized:
		return Dead("the shop rejected the access token (HTTP 401)")
	}
	return Unexpected(resp)
}
