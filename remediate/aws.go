package remediate

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The AWS rules the AWS revoker acts on, and the companions that complete
// an access key id.
const (
	ruleAWSKeyID     = "aws-access-key-id"
	ruleAWSSecretKey = "aws-secret-access-key"
	ruleAWSKeyPair   = "aws-secret-access-key-pair"
)

func init() {
	RegisterRevoker("aws", func(cfg *Config) (Revoker, error) { return NewAWS(cfg), nil })
	RegisterCompanions(ruleAWSKeyID, ruleAWSSecretKey, ruleAWSKeyPair)
}

// AWSRevoker deactivates leaked IAM user access keys (AKIA…) with IAM
// UpdateAccessKey Status=Inactive, signed with the operator's credentials
// from the standard AWS credential chain. It never deletes a key:
// deactivation is reversible. The key's owner is found with STS
// GetCallerIdentity signed with the leaked pair when the secret key was
// found beside the key id, else with IAM GetAccessKeyLastUsed. Temporary
// keys (ASIA…) are STS sessions, not IAM keys: their step is planned with
// a problem saying what to do by hand.
type AWSRevoker struct {
	cfg *Config

	once    sync.Once
	awsCfg  aws.Config
	loadErr error

	opMu      sync.Mutex
	opARN     string
	opAccount string
	opErr     error
	opDone    bool
}

var _ Revoker = (*AWSRevoker)(nil)
var _ OperatorIdentifier = (*AWSRevoker)(nil)

// NewAWS returns the AWS revoker. The operator's credentials are loaded on
// first use.
func NewAWS(cfg *Config) *AWSRevoker { return &AWSRevoker{cfg: cfg} }

// Provider implements Revoker.
func (r *AWSRevoker) Provider() string { return "aws" }

// Handles implements Revoker: AWS access key ids.
func (r *AWSRevoker) Handles(rule string) bool { return rule == ruleAWSKeyID }

// Companions lists the rules whose findings complete an access key id.
func (r *AWSRevoker) Companions(rule string) []string {
	if rule == ruleAWSKeyID {
		return []string{ruleAWSSecretKey, ruleAWSKeyPair}
	}
	return nil
}

func (r *AWSRevoker) load(ctx context.Context) (aws.Config, error) {
	r.once.Do(func() {
		opts := []func(*config.LoadOptions) error{
			config.WithRetryMaxAttempts(1), // the pipeline retries, and audits each attempt
		}
		if r.cfg.AWS.Profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(r.cfg.AWS.Profile))
		}
		if r.cfg.AWS.Credentials != nil {
			opts = append(opts, config.WithCredentialsProvider(r.cfg.AWS.Credentials))
		}
		if r.cfg.HTTPClient != nil {
			opts = append(opts, config.WithHTTPClient(r.cfg.HTTPClient))
		}
		r.awsCfg, r.loadErr = config.LoadDefaultConfig(ctx, opts...)
		if r.loadErr == nil && r.awsCfg.Region == "" {
			r.awsCfg.Region = "us-east-1"
		}
	})
	return r.awsCfg, r.loadErr
}

// iamEndpoint is where IAM calls go, for the plan: [remediate.endpoints]
// aws-iam, else AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL (which the SDK
// honours too), else the global endpoint.
func (r *AWSRevoker) iamEndpoint() string {
	return r.cfg.Endpoint("aws-iam", "https://iam.amazonaws.com", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL")
}

func (r *AWSRevoker) iamClient(c aws.Config) *iam.Client {
	return iam.NewFromConfig(c, func(o *iam.Options) {
		o.Region = "us-east-1" // IAM is global and signs for us-east-1
		if u := r.cfg.Endpoints["aws-iam"]; u != "" {
			o.BaseEndpoint = aws.String(u)
		}
	})
}

func (r *AWSRevoker) stsClient(c aws.Config, creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(c, func(o *sts.Options) {
		if creds != nil {
			o.Credentials = creds
		}
		if u := r.cfg.Endpoints["aws-sts"]; u != "" {
			o.BaseEndpoint = aws.String(u)
		}
	})
}

// Plan implements Revoker.
func (r *AWSRevoker) Plan(ctx context.Context, t *Target) []Step {
	s := Step{
		Provider:    "aws",
		Action:      "deactivate-access-key",
		Where:       r.iamEndpoint(),
		Credentials: "operator: AWS credential chain (environment, shared config, SSO, instance role)",
	}
	if r.cfg.AWS.Profile != "" {
		s.Credentials = "operator: AWS profile " + r.cfg.AWS.Profile
	}
	if t.Secret.IsZero() {
		s.Target = "an access key (id redacted in the report)"
		s.Problem = "the report is redacted, so the access key id is unknown: re-run the scan with --no-redact (and protect the file: chmod 600), or use leakgate scan --verify --remediate"
		return []Step{s}
	}
	id := t.Secret.Reveal()
	s.Target = "access key " + t.Secret.Redacted()
	if user := arnUser(t.Identity); user != "" {
		s.Target += " of IAM user " + user
	}
	if acct := awsAccountFromKeyID(id); acct != "" {
		s.Target += " in account " + acct
	}
	switch {
	case strings.HasPrefix(id, "ASIA"):
		s.Action = "revoke-sessions"
		s.Target = "temporary STS credentials " + t.Secret.Redacted()
		s.Problem = "temporary (ASIA) keys are STS sessions, not IAM access keys, and cannot be deactivated; they expire on their own (at most 12 hours, 36 for some roles)"
		s.Note = "by hand: find the role or user the session belongs to (the finding's identity, or CloudTrail), revoke its active sessions (IAM console 'Revoke active sessions', which denies tokens issued before now via aws:TokenIssueTime; UNCONFIRMED), and deactivate the long-term key that created the session, if any"
		return []Step{s}
	case !strings.HasPrefix(id, "AKIA"):
		s.Problem = "only long-term IAM user access keys (AKIA…) can be deactivated; " + id[:4] + " credentials must be revoked where they were issued"
		return []Step{s}
	}
	if _, ok := t.Companions[ruleAWSSecretKey]; ok {
		s.Note = "owner found with STS GetCallerIdentity signed with the leaked pair; "
	} else if _, ok := t.Companions[ruleAWSKeyPair]; ok {
		s.Note = "owner found with STS GetCallerIdentity signed with the leaked pair; "
	} else {
		s.Note = "owner found with IAM GetAccessKeyLastUsed; "
	}
	s.Note += "reversible: aws iam update-access-key --status Active brings the key back; the key is never deleted"
	c, err := r.load(ctx)
	if err == nil {
		if c.Credentials == nil {
			err = errors.New("no credential provider")
		} else if _, err = c.Credentials.Retrieve(ctx); err == nil {
			return []Step{s}
		}
	}
	s.Problem = "no AWS operator credentials: " + firstLine(err.Error()) + " (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in with aws sso login)"
	return []Step{s}
}

// errKeyGone says the access key no longer exists.
var errKeyGone = errors.New("the access key no longer exists")

// Apply implements Revoker.
func (r *AWSRevoker) Apply(ctx context.Context, t *Target, s Step) (Outcome, error) {
	if s.Problem != "" {
		return Failed, errors.New(s.Problem)
	}
	if s.Action != "deactivate-access-key" {
		return Failed, fmt.Errorf("aws: unknown action %q", s.Action)
	}
	c, err := r.load(ctx)
	if err != nil {
		return Failed, fmt.Errorf("aws: load the operator's credentials: %w", err)
	}
	id := t.Secret.Reveal()
	user, err := r.owner(ctx, c, t)
	if errors.Is(err, errKeyGone) {
		return Already, nil
	}
	if err != nil {
		return Failed, err
	}
	client := r.iamClient(c)
	status, err := keyStatus(ctx, client, user, id)
	if errors.Is(err, errKeyGone) {
		return Already, nil
	}
	if err != nil {
		return Failed, err
	}
	if status == iamtypes.StatusTypeInactive {
		return Already, nil
	}
	_, err = client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		AccessKeyId: aws.String(id),
		UserName:    aws.String(user),
		Status:      iamtypes.StatusTypeInactive,
	})
	if err != nil {
		if code(err) == "NoSuchEntity" {
			return Already, nil
		}
		return Failed, awsError("UpdateAccessKey", err)
	}
	return Done, nil
}

// owner finds the IAM user name that owns the key: with the leaked pair
// (STS GetCallerIdentity needs no permission), else with the operator's
// GetAccessKeyLastUsed.
func (r *AWSRevoker) owner(ctx context.Context, c aws.Config, t *Target) (string, error) {
	id := t.Secret.Reveal()
	user, keyAcct := "", awsAccountFromKeyID(id)
	for _, rule := range []string{ruleAWSSecretKey, ruleAWSKeyPair} {
		sec, ok := t.Companions[rule]
		if !ok || sec.IsZero() {
			continue
		}
		out, err := r.stsClient(c, credentials.NewStaticCredentialsProvider(id, sec.Reveal(), "")).
			GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			arn := aws.ToString(out.Arn)
			if a := aws.ToString(out.Account); a != "" {
				keyAcct = a
			}
			if strings.HasSuffix(arn, ":root") {
				return "", errors.New("the key belongs to the account's root user: IAM cannot deactivate it; sign in as root and deactivate it under Security credentials")
			}
			user = arnUser(arn)
		}
		break // a user key, or the pair did not work: ask IAM
	}
	// IAM answers for the operator's account only: a key of another
	// account would look deleted.
	if keyAcct != "" {
		if _, opAcct, err := r.operatorIdentity(ctx); err == nil && opAcct != "" && opAcct != keyAcct {
			return "", fmt.Errorf("the key belongs to account %s, but the operator's credentials are for account %s: use credentials of account %s ([remediate.aws] profile, --aws-profile or AWS_PROFILE)", keyAcct, opAcct, keyAcct)
		}
	}
	if user != "" {
		return user, nil
	}
	out, err := r.iamClient(c).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil {
		if code(err) == "NoSuchEntity" {
			return "", errKeyGone
		}
		return "", awsError("GetAccessKeyLastUsed", err)
	}
	if u := aws.ToString(out.UserName); u != "" {
		return u, nil
	}
	return "", errors.New("IAM GetAccessKeyLastUsed named no user for the key")
}

// keyStatus lists user's access keys and returns the key's status, or
// errKeyGone.
func keyStatus(ctx context.Context, client *iam.Client, user, id string) (iamtypes.StatusType, error) {
	p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if code(err) == "NoSuchEntity" {
				return "", errKeyGone // the user is gone, and its keys with it
			}
			return "", awsError("ListAccessKeys", err)
		}
		for _, k := range page.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) == id {
				return k.Status, nil
			}
		}
	}
	return "", errKeyGone
}

// OperatorIdentity implements OperatorIdentifier: the ARN of the
// operator's credentials (STS GetCallerIdentity).
func (r *AWSRevoker) OperatorIdentity(ctx context.Context) (string, error) {
	arn, _, err := r.operatorIdentity(ctx)
	return arn, err
}

func (r *AWSRevoker) operatorIdentity(ctx context.Context) (arn, account string, err error) {
	r.opMu.Lock()
	defer r.opMu.Unlock()
	if r.opDone {
		return r.opARN, r.opAccount, r.opErr
	}
	c, err := r.load(ctx)
	if err != nil {
		return "", "", err
	}
	out, err := r.stsClient(c, nil).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	r.opDone = true
	if err != nil {
		r.opErr = awsError("GetCallerIdentity", err)
		return "", "", r.opErr
	}
	r.opARN, r.opAccount = aws.ToString(out.Arn), aws.ToString(out.Account)
	return r.opARN, r.opAccount, nil
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// awsError explains an AWS error, marking throttling, 5xx and network
// failures retryable.
func awsError(op string, err error) error {
	var ae smithy.APIError
	status := 0
	var retryAfter time.Duration
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
		retryAfter = parseRetryAfter(re.Response.Header.Get("Retry-After"))
	}
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			return fmt.Errorf("aws: permission denied: the operator's credentials may not call iam:%s (%s)", op, msg)
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
			return fmt.Errorf("aws: %s: the operator's credentials were refused (%s: %s)", op, ae.ErrorCode(), msg)
		case "Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceFailure", "ServiceUnavailable", "InternalFailure":
			return &RetryableError{Err: fmt.Errorf("aws: %s: %s: %s", op, ae.ErrorCode(), msg), RetryAfter: retryAfter}
		}
		if status == http.StatusTooManyRequests || status >= 500 {
			return &RetryableError{Err: fmt.Errorf("aws: %s: HTTP %d %s: %s", op, status, ae.ErrorCode(), msg), RetryAfter: retryAfter}
		}
		return fmt.Errorf("aws: %s: %s: %s", op, ae.ErrorCode(), msg)
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		return &RetryableError{Err: fmt.Errorf("aws: %s: HTTP %d", op, status), RetryAfter: retryAfter}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &RetryableError{Err: fmt.Errorf("aws: %s: %w", op, err)}
	}
	return fmt.Errorf("aws: %s: %w", op, err)
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// arnUser returns the user name of an IAM user ARN
// (arn:aws:iam::123456789012:user/path/name), or "".
func arnUser(arn string) string {
	i := strings.Index(arn, ":user/")
	if !strings.HasPrefix(arn, "arn:") || i < 0 {
		return ""
	}
	p := arn[i+len(":user/"):]
	return p[strings.LastIndexByte(p, '/')+1:]
}

// awsAccountFromKeyID decodes the account id from an access key id,
// offline (PROVIDERS.md §2.1); "" for old keys it does not work for.
func awsAccountFromKeyID(id string) string {
	if len(id) < 20 || id[4] == 'I' || id[4] == 'J' {
		return ""
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(id[4:20])
	if err != nil || len(b) < 6 {
		return ""
	}
	var buf [8]byte
	copy(buf[2:], b[:6])
	x := binary.BigEndian.Uint64(buf[:])
	return fmt.Sprintf("%012d", (x&0x7fffffffff80)>>7)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
