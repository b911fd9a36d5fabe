package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

func init() { register("mailgun", newMailgun) }

// mailgunVerifier checks Mailgun private API keys, the legacy key-… form and
// the newer hex-hex-hex form, with GET <base>/v3/domains?limit=1 and HTTP
// Basic auth api:<key> (base https://api.mailgun.net; accounts in the EU
// region set [verify.endpoints] mailgun = "https://api.eu.mailgun.net").
// Listing domains changes nothing. 200 with a domain list is live
// (identity: how many domains the account has); 401 is dead; anything else
// is unknown. Mailgun is not in PROVIDERS.md: the endpoint and the 401
// mapping follow Mailgun's public API reference and are UNCONFIRMED here,
// as is whether a key of an EU-region account is accepted by the US host
// (assumed: keys belong to the account, regions only hold its data).
//
// Webhook signing keys (mailgun-webhook-signing-key) only sign webhook
// payloads and authenticate nothing, so they are not claimed.
type mailgunVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*mailgunVerifier)(nil)

func newMailgun(o *Options) Verifier {
	return &mailgunVerifier{client: o.HTTPClient(), base: o.Endpoint("mailgun", "https://api.mailgun.net")}
}

func (*mailgunVerifier) Provider() string { return "mailgun" }
func (*mailgunVerifier) Rules() []string {
	return []string{"mailgun-private-api-key", "mailgun-api-key"}
}

func (v *mailgunVerifier) Verify(ctx context.Context, c Credential) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.base+"/v3/domains?limit=1", nil)
	if err != nil {
		return Unknown("building the request: " + err.Error())
	}
	req.SetBasicAuth("api", c.Secret.Reveal())
	resp, fail := Send(v.client, req)
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			TotalCount *int              `json:"total_count"`
			Items      []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.TotalCount == nil {
			return Unknown("Mailgun answered 200 without a domain list")
		}
		return Live("Mailgun account with " + strconv.Itoa(*body.TotalCount) + " domains")
	case http.StatusUnauthorized:
		return Dead("Mailgun rejected the key (HTTP 401)")
	}
	return Unexpected(resp)
}
