package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func init() { register("gitlab", newGitLab) }

// gitlabVerifier asks GitLab about the token itself:
// GET <base>/personal_access_tokens/self with the PRIVATE-TOKEN header
// (PROVIDERS.md §5; GitLab 15.5+). It answers for personal, project, group
// and impersonation access tokens (all glpat-); it reads, and changes
// nothing.
//
//   - 200, active and not revoked, is live: "GitLab token <name>, scopes
//     a,b, expires <date>, user <id>".
//   - 200 revoked or not active (expired) is dead; so is 401 (the token
//     does not exist or was revoked).
//   - 403 is live: GitLab knows the token but refuses it this endpoint
//     (§0: a valid credential that is not allowed here).
//   - 429, 5xx, a network error or any other answer is unknown.
//
// Deploy, runner, CI job, trigger, feed, agent and other GitLab tokens do
// not authenticate this endpoint (they would all look dead), so their rules
// are not claimed and stay unchecked.
//
// The base URL is [verify.endpoints] gitlab, else CI_API_V4_URL (set in
// GitLab CI, https://HOST/api/v4 on self-managed GitLab), else
// https://gitlab.com/api/v4. An instance whose admin changed the glpat-
// prefix is not recognised by the rule in the first place.
type gitlabVerifier struct {
	client *http.Client
	base   string
}

var _ Verifier = (*gitlabVerifier)(nil)

func newGitLab(o *Options) Verifier {
	return &gitlabVerifier{client: o.HTTPClient(), base: o.Endpoint("gitlab", "https://gitlab.com/api/v4", "CI_API_V4_URL")}
}

func (*gitlabVerifier) Provider() string { return "gitlab" }
func (*gitlabVerifier) Rules() []string  { return []string{"gitlab-pat"} }

// gitlabToken is the answer of GET /personal_access_tokens/self.
type gitlabToken struct {
	ID        *int64   `json:"id"`
	Name      string   `json:"name"`
	Revoked   *bool    `json:"revoked"`
	Active    *bool    `json:"active"`
	Scopes    []string `json:"scopes"`
	UserID    *int64   `json:"user_id"`
	ExpiresAt *string  `json:"expires_at"`
}

func (v *gitlabVerifier) Verify(ctx context.Context, c Credential) Result {
	resp, fail := Get(ctx, v.client, v.base+"/personal_access_tokens/self", "PRIVATE-TOKEN", c.Secret.Reveal())
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var tok gitlabToken
		if err := json.Unmarshal(resp.Body, &tok); err != nil || tok.ID == nil || tok.Active == nil || tok.Revoked == nil {
			return Unknown("GitLab answered 200 without a token description")
		}
		switch {
		case *tok.Revoked:
			return Dead("GitLab says the token was revoked")
		case !*tok.Active:
			return Dead("GitLab says the token is not active (expired)")
		}
		return Live(gitlabIdentity(tok))
	case http.StatusUnauthorized:
		return Dead("GitLab rejected the token (HTTP 401)")
	case http.StatusForbidden:
		return Live("GitLab token (valid, but refused access to its own description: HTTP 403)")
	}
	return Unexpected(resp)
}

func gitlabIdentity(tok gitlabToken) string {
	id := "GitLab token " + tok.Name
	if tok.Name == "" {
		id = fmt.Sprintf("GitLab token #%d", *tok.ID)
	}
	scopes := strings.Join(tok.Scopes, ",")
	if scopes == "" {
		scopes = "none"
	}
	id += ", scopes " + scopes
	if tok.ExpiresAt != nil && *tok.ExpiresAt != "" {
		id += ", expires " + *tok.ExpiresAt
	} else {
		id += ", no expiry"
	}
	if tok.UserID != nil {
		id += fmt.Sprintf(", user %d", *tok.UserID)
	}
	return id
}
