package verify

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/leakgate/leakgate/leak"
)

func init() { register("aws", newAWS) }

// The rules whose findings awsVerifier checks. An access key id is checked
// together with a secret access key found near it, either found on its own
// or written right after the key id.
const (
	awsKeyIDRule      = "aws-access-key-id"
	awsSecretRule     = "aws-secret-access-key"
	awsSecretPairRule = "aws-secret-access-key-pair"
)

// awsVerifier asks AWS STS who a key pair belongs to: GetCallerIdentity,
// signed with SigV4 for us-east-1 by aws-sdk-go-v2 (PROVIDERS.md §2.2). It
// needs no IAM permission and changes nothing.
//
//   - 200 with an Account and an Arn is live: "AWS account <Account>, <Arn>".
//   - InvalidClientTokenId (key id unknown or deleted), SignatureDoesNotMatch
//     (wrong secret for this key id) and ExpiredToken are dead, for this pair.
//   - Any other error code (IncompleteSignature, RequestExpired, OptInRequired,
//     Throttling, ...), a 5xx, a network error or an unreadable answer is
//     unknown; throttling and 5xx ask the Checker to retry.
//
// AKIA keys are called with their secret. An ASIA key is an STS session:
// it is called with its secret and the session token found nearest to it
// (Credential.Extras), and is unknown without a call when there is none;
// ABIA and ACCA ids do not sign requests and are unknown too. The account id decoded
// offline from the key id (§2.1) is added to dead and unknown reasons.
//
// SignatureDoesNotMatch caveat (§2.2): AWS caches a bad signature for about
// five seconds per key id, so the right secret tried just after a wrong one
// for the same id is refused too. When that happens the verifier asks the
// Checker to retry once after the window instead of calling the pair dead.
//
// The SDK is configured by hand (no config.LoadDefaultConfig): no shared
// config file, profile or environment credential of the operator is read,
// and the request is signed only with the leaked pair. The base URL is
// [verify.endpoints] aws-sts or aws, else AWS_ENDPOINT_URL_STS, else
// AWS_ENDPOINT_URL, else https://sts.amazonaws.com.
type awsVerifier struct {
	client *http.Client
	base   string
	now    func() time.Time

	mu sync.Mutex
	// badSig remembers, per key id, when a secret (by fingerprint) was
	// answered SignatureDoesNotMatch; retried marks the pairs already
	// retried because of AWS's bad-signature cache.
	badSig  map[string]map[string]time.Time
	retried map[string]bool
}

var (
	_ Verifier = (*awsVerifier)(nil)
	_ Paired   = (*awsVerifier)(nil)
)

// awsBadSignatureCache is how long AWS keeps refusing a key id after a bad
// signature (PROVIDERS.md §2.2: "about 5 s").
const awsBadSignatureCache = 5 * time.Second

func newAWS(o *Options) Verifier {
	return &awsVerifier{
		client:  o.HTTPClient(),
		base:    awsSTSEndpoint(o),
		now:     time.Now,
		badSig:  map[string]map[string]time.Time{},
		retried: map[string]bool{},
	}
}

// awsSTSEndpoint is the STS base URL: [verify.endpoints] aws-sts, else
// aws (the provider's name), else the SDK's environment variables, else
// the public global endpoint.
func awsSTSEndpoint(o *Options) string {
	if u := o.Endpoints["aws-sts"]; u != "" {
		return strings.TrimRight(u, "/")
	}
	return o.Endpoint("aws", "https://sts.amazonaws.com", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")
}

func (*awsVerifier) Provider() string { return "aws" }

func (*awsVerifier) Rules() []string {
	return []string{awsKeyIDRule, awsSecretRule, awsSecretPairRule}
}

func (*awsVerifier) Companions(rule string) []string {
	switch rule {
	case awsKeyIDRule:
		return []string{awsSecretRule, awsSecretPairRule}
	case awsSecretRule, awsSecretPairRule:
		return []string{awsKeyIDRule}
	}
	return nil
}

var (
	awsKeyIDPattern  = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)
	awsSecretPattern = regexp.MustCompile(`[A-Za-z0-9/+]{40}$`)
)

// awsParts sorts a credential into key id and secret key, whichever part
// the Checker handed over as Secret. A secret of the pair rule that holds
// both parts (the key id, separators, then the secret) is split.
func awsParts(c Credential) (id, secret string) {
	a, b := c.Secret.Reveal(), c.Companion.Reveal()
	if c.Rule == awsKeyIDRule {
		id, secret = a, b
	} else {
		id, secret = b, a
	}
	if len(secret) > 40 {
		if k := awsKeyIDPattern.FindString(secret); k != "" {
			id = k
		}
		secret = awsSecretPattern.FindString(secret)
	}
	return id, secret
}

// awsSessionRule finds STS session tokens, the third part of a temporary
// (ASIA) key.
const awsSessionRule = "aws-session-token"

// Extras implements MultiPart: a temporary key needs its session token.
func (*awsVerifier) Extras(string) []string { return []string{awsSessionRule} }

func (v *awsVerifier) Verify(ctx context.Context, c Credential) Result {
	id, secret := awsParts(c)
	session := ""
	account := ""
	if acct, ok := awsAccountID(id); ok {
		account = "; account " + acct + " per the key id"
	}
	if len(id) != 20 || len(secret) != 40 {
		return Unknown("not an AWS key id and secret key pair")
	}
	switch id[:4] {
	case "AKIA":
	case "ASIA":
		session = c.Extras[awsSessionRule].Reveal()
		if session == "" {
			return Unknown("temporary (ASIA) key without its session token nearby: STS needs all three parts" + account)
		}
	default:
		return Unknown(id[:4] + " id: not an access key that signs requests" + account)
	}

	client := sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(v.base),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, session),
		HTTPClient:       v.client,
		RetryMaxAttempts: 1, // the Checker retries
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		if out.Account == nil || out.Arn == nil || *out.Account == "" || *out.Arn == "" {
			return Unknown("STS answered without an account and ARN" + account)
		}
		return Live("AWS account " + *out.Account + ", " + *out.Arn)
	}
	return v.judge(ctx, err, id, secret, account)
}

// judge maps a GetCallerIdentity error to a result.
func (v *awsVerifier) judge(ctx context.Context, err error, id, secret, account string) Result {
	status := 0
	var header http.Header
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		if re.Response != nil {
			header = re.Response.Header
		}
	}
	if status == 0 {
		// No answer from STS: the call failed on the way.
		r := Unknown(netReason(ctx, err) + account)
		r.Retry = ctx.Err() == nil && !isTimeout(err)
		return r
	}
	switch {
	case status == http.StatusTooManyRequests:
		return awsRetry(Unknown("rate limited (HTTP 429)"+account), header)
	case status >= 500:
		return awsRetry(Unknown(fmt.Sprintf("STS error (HTTP %d)%s", status, account)), header)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return Unknown(fmt.Sprintf("unreadable STS answer (HTTP %d)%s", status, account))
	}
	code := api.ErrorCode()
	switch code {
	case "InvalidClientTokenId":
		return Dead("AWS does not know this access key id (InvalidClientTokenId)" + account)
	case "ExpiredToken":
		return Dead("the credentials have expired (ExpiredToken)" + account)
	case "SignatureDoesNotMatch":
		if wait, ok := v.recentBadSignature(id, secret); ok {
			r := Unknown("SignatureDoesNotMatch just after another secret was refused for this key id; retrying after AWS's bad-signature cache" + account)
			r.Retry, r.RetryAfter = true, wait
			return r
		}
		return Dead("the secret key does not match this access key id (SignatureDoesNotMatch)" + account)
	case "Throttling", "ThrottlingException", "RequestLimitExceeded":
		return awsRetry(Unknown("STS throttled the call ("+code+")"+account), header)
	}
	if code == "" {
		code = "no error code"
	}
	return Unknown(fmt.Sprintf("STS refused the call: %s (HTTP %d)%s", code, status, account))
}

// awsRetry asks the Checker to retry r, after the answer's Retry-After.
func awsRetry(r Result, h http.Header) Result {
	r.Retry, r.RetryAfter = true, RetryAfter(h, time.Now())
	return r
}

// recentBadSignature records that secret was refused for id, and reports
// whether another secret was refused for the same id within AWS's cache
// window (and this pair was not retried yet), with how long to wait.
func (v *awsVerifier) recentBadSignature(id, secret string) (time.Duration, bool) {
	fp := leak.Fingerprint(awsSecretRule, secret)
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	seen := v.badSig[id]
	if seen == nil {
		seen = map[string]time.Time{}
		v.badSig[id] = seen
	}
	var latest time.Time
	for other, at := range seen {
		if other != fp && at.After(latest) {
			latest = at
		}
	}
	if _, ok := seen[fp]; !ok {
		seen[fp] = now
	}
	key := id + "\x00" + fp
	if latest.IsZero() || now.Sub(latest) >= awsBadSignatureCache || v.retried[key] {
		return 0, false
	}
	v.retried[key] = true
	return awsBadSignatureCache - now.Sub(latest) + time.Second, true
}

// awsAccountID decodes the AWS account id from an access key id, offline
// (PROVIDERS.md §2.1): base32 of the characters after the prefix, the
// first 6 bytes as a big-endian integer, bits 7..46. Old ids whose fifth
// character is I or J do not carry it.
func awsAccountID(id string) (string, bool) {
	if len(id) != 20 || id[4] == 'I' || id[4] == 'J' {
		return "", false
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id[4:])
	if err != nil || len(b) < 6 {
		return "", false
	}
	var buf [8]byte
	copy(buf[2:], b[:6])
	x := binary.BigEndian.Uint64(buf[:])
	return fmt.Sprintf("%012d", (x&0x7fffffffff80)>>7), true
}
