package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func shopifyFakeToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func TestShopify(t *testing.T) {
	t.Parallel()
	tok := shopifyFakeToken("shpat_")
	tokF, shopF := testFinding("shopify-access-token", tok), testFinding(shopifyShopRule, "acme-store.myshopify.com")
	shopF.Offset = 60
	cases := append([]providerCase{
		{name: "live", reply: answer{body: `{"shop":{"id":548380009,"name":"Acme Store","email":"owner@example.com","domain":"shop.example.com","province":"California","country":"US","myshopify_domain":"acme-store.myshopify.com","plan_name":"basic","currency":"USD"}}`},
			want: leak.Live, identity: "Shopify shop Acme Store"},
		{name: "revoked", reply: answer{status: 401, body: `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`}, want: leak.Dead},
		{name: "forbidden is not dead", reply: answer{status: 403, body: `{"errors":"[API] This action requires merchant approval."}`}, want: leak.Unknown, reason: "403"},
		{name: "unknown shop", reply: answer{status: 404, body: `{"errors":"Not Found"}`}, want: leak.Unknown, reason: "404"},
		{name: "frozen shop", reply: answer{status: 402, body: `{"errors":"Unavailable Shop"}`}, want: leak.Unknown, reason: "402"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	runProviderCases(t, newShopify, tokF, []leak.Finding{shopF}, cases, func(t *testing.T, r *http.Request, _ string) {
		if r.Method != http.MethodGet || r.URL.Path != "/admin/api/2024-01/shop.json" || r.Header.Get("X-Shopify-Access-Token") != tok ||
			r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s token %q", r.Method, r.URL.Path, r.Header.Get("X-Shopify-Access-Token"))
		}
	})
}

func TestShopifyNoShop(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return answer{status: 500} })
	c := &Checker{Registry: NewRegistryOf(newShopify((&Options{}).withFake(fake.URL)))}
	fs := []leak.Finding{testFinding("shopify-access-token", shopifyFakeToken("shpca_"))}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Unknown || !strings.Contains(fs[0].StatusReason, shopifyShopRule) || len(fake.requests) != 0 {
		t.Errorf("status %s (%s), %d requests", fs[0].Status, fs[0].StatusReason, len(fake.requests))
	}
	v := newShopify(&Options{})
	res := v.Verify(context.Background(), Credential{Rule: "shopify-access-token", Secret: leak.NewSecret(shopifyFakeToken("shpat_"))})
	if res.Status != leak.Unknown || !strings.Contains(res.Reason, "myshopify.com") {
		t.Errorf("result %+v", res)
	}
}

// Without an endpoint override the token goes to the shop's own host, and
// only to a *.myshopify.com host.
func TestShopifyHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"acme-store.myshopify.com", "acme-store.myshopify.com"},
		{"Acme-Store.MyShopify.com", "acme-store.myshopify.com"},
		{"https://acme.myshopify.com/admin", "acme.myshopify.com"},
		{"http://acme.myshopify.com", ""},
		{"https://acme.myshopify.com:8443", ""},
		{"https://user@acme.myshopify.com", ""},
		{"acme.myshopify.com.evil.example", ""},
		{"evil.example", ""},
		{"-acme.myshopify.com", ""},
		{"a.b.myshopify.com", ""},
		{"myshopify.com", ""},
	} {
		if got := shopifyShop(tc.in); got != tc.want {
			t.Errorf("shopifyShop(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	// The request is built for https://<shop>.myshopify.com; a transport
	// records it instead of sending it.
	var got *http.Request
	client := &http.Client{Transport: shopifyRecorder(func(r *http.Request) { got = r })}
	tok := shopifyFakeToken("shppa_")
	v := newShopify(&Options{Client: client})
	for _, c := range []Credential{
		{Rule: "shopify-access-token", Secret: leak.NewSecret(tok), CompanionRule: shopifyShopRule, Companion: leak.NewSecret("acme.myshopify.com")},
		{Rule: shopifyShopRule, Secret: leak.NewSecret("acme.myshopify.com"), CompanionRule: "shopify-access-token", Companion: leak.NewSecret(tok)},
	} {
		got = nil
		v.Verify(context.Background(), c)
		if got == nil || got.URL.String() != "https://acme.myshopify.com/admin/api/2024-01/shop.json" || got.Header.Get("X-Shopify-Access-Token") != tok {
			t.Errorf("request %v", got)
		}
	}
	got = nil
	res := v.Verify(context.Background(), Credential{Rule: "shopify-access-token", Secret: leak.NewSecret(tok),
		CompanionRule: shopifyShopRule, Companion: leak.NewSecret("evil.example")})
	if got != nil || res.Status != leak.Unknown {
		t.Errorf("sent to a foreign host: %v %+v", got, res)
	}
}

type shopifyRecorder func(*http.Request)

func (f shopifyRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return &http.Response{StatusCode: 418, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}
