package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

func init() { register("sendgrid", newSendGrid) }

// sendgridVerifier checks SendGrid API keys (PROVIDERS.md §11) with
// GET <base>/v3/scopes and Authorization: Bearer (base
// https://api.sendgrid.com; EU subusers: set [verify.endpoints] sendgrid =
// "https://api.eu.sendgrid.com"). The call lists the key's own scopes and
// changes nothing. 200 with a scopes list is live (identity: how many
// scopes); 403 is live too (a key without the permission to read its
// scopes); 401 is dead; anything else is unknown.
type sendgridVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*sendgridVerifier)(nil)

func newSendGrid(o *Options) Verifier {
	return &sendgridVerifier{client: o.HTTPClient(), base: o.Endpoint("sendgrid", "https://api.sendgrid.com")}
}

func (*sendgridVerifier) Provider() string { return "sendgrid" }
func (*sendgridVerifier) Rules() []string  { return []string{"sendgrid-api-key"} }

func (v *sendgridVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/v3/scopes", "Authorization", "Bearer "+c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct {
			Scopes []string `json:"scopes"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Scopes == nil {
			return Unknown("SendGrid answered 200 without a scopes list")
		}
		return Live("SendGrid key with " + strconv.Itoa(len(body.Scopes)) + " scopes")
	case http.StatusForbidden:
		return Live("SendGrid key (may not read its scopes)")
	case http.StatusUnauthorized:
		return Dead("SendGrid rejected the key (HTTP 401)")
	}
	return Unexpected(resp)
}
