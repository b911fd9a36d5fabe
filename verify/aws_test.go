package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/leakgate/leakgate/leak"
)

// AWS's documented example pair (IAM user guide); fake, never valid.
const (
	awsTestKeyID  = "AKIAIOSFODNN7EXAMPLE"
	awsTestSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	// awsTestWrong is another secret-shaped string for the same id.
	awsTestWrong = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
)

// STS Query API answers, as PROVIDERS.md §2.2 shows them.
const (
	stsIdentityXML = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDAJQABLZS4A3QDU576Q</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`
	stsErrorXML = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>%CODE%</Code><Message>%MSG%</Message></Error>
  <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
</ErrorResponse>`
)

func stsError(status int, code, msg string) answer {
	return answer{status: status, header: map[string]string{"Content-Type": "text/xml"},
		body: strings.NewReplacer("%CODE%", code, "%MSG%", msg).Replace(stsErrorXML)}
}

var sigv4Auth = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)/(\d{8})/us-east-1/sts/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// stsSignedBy reports whether r (with body) is a GetCallerIdentity call
// signed with SigV4 for us-east-1/sts by id and secret: it signs the same
// request again and compares the signatures, as STS does.
func stsSignedBy(t *testing.T, r *http.Request, body, id, secret string) bool {
	t.Helper()
	m := sigv4Auth.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Errorf("Authorization %q is not SigV4 for us-east-1/sts", r.Header.Get("Authorization"))
		return false
	}
	if m[1] != id {
		return false
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Errorf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		return false
	}
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader([]byte(body)))
	again.Host = r.Host
	for _, h := range strings.Split(m[3], ";") {
		if h != "host" && h != "content-length" {
			again.Header.Set(h, r.Header.Get(h))
		}
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "sts", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	want := sigv4Auth.FindStringSubmatch(again.Header.Get("Authorization"))
	return want != nil && want[4] == m[4]
}

// checkSTSRequest asserts the shape of a GetCallerIdentity call.
func checkSTSRequest(t *testing.T, r *http.Request, body string) {
	t.Helper()
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.Errorf("request %s %s, want POST /", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type %q", ct)
	}
	form, err := url.ParseQuery(body)
	if err != nil || form.Get("Action") != "GetCallerIdentity" || form.Get("Version") != "2011-06-15" {
		t.Errorf("body %q, want Action=GetCallerIdentity&Version=2011-06-15", body)
	}
	if r.Header.Get("X-Amz-Security-Token") != "" {
		t.Errorf("a session token was sent for a long-term key")
	}
	if !stsSignedBy(t, r, body, awsTestKeyID, awsTestSecret) {
		t.Errorf("the request is not signed by the leaked pair: %q", r.Header.Get("Authorization"))
	}
}

// checkSTSShape asserts the request shape, whichever pair signed it.
func checkSTSShape(t *testing.T, r *http.Request, body string) {
	t.Helper()
	form, err := url.ParseQuery(body)
	if r.Method != http.MethodPost || r.URL.Path != "/" || err != nil || form.Get("Action") != "GetCallerIdentity" {
		t.Errorf("request %s %s %q", r.Method, r.URL.Path, body)
	}
	if !sigv4Auth.MatchString(r.Header.Get("Authorization")) {
		t.Errorf("Authorization %q is not SigV4 for us-east-1/sts", r.Header.Get("Authorization"))
	}
}

func awsFinding(rule, secret string, offset int) leak.Finding {
	f := testFinding(rule, secret)
	f.Offset, f.End = offset, offset+len(secret)
	return f
}

func TestAWS(t *testing.T) {
	t.Parallel()
	cases := append([]providerCase{
		{name: "live", reply: answer{header: map[string]string{"Content-Type": "text/xml"}, body: stsIdentityXML},
			want: leak.Live, identity: "AWS account 123456789012, arn:aws:iam::123456789012:user/Alice"},
		{name: "unknown key id", reply: stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid."),
			want: leak.Dead, reason: "InvalidClientTokenId"},
		{name: "wrong secret", reply: stsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."),
			want: leak.Dead, reason: "SignatureDoesNotMatch"},
		{name: "expired", reply: stsError(403, "ExpiredToken", "The security token included in the request is expired"),
			want: leak.Dead, reason: "ExpiredToken"},
		{name: "clock skew", reply: stsError(400, "RequestExpired", "Request has expired."), want: leak.Unknown, reason: "RequestExpired"},
		{name: "signer bug", reply: stsError(400, "IncompleteSignature", "bad"), want: leak.Unknown, reason: "IncompleteSignature"},
		{name: "throttled", reply: stsError(400, "Throttling", "Rate exceeded"), want: leak.Unknown, reason: "Throttling"},
		{name: "service failure", reply: stsError(503, "ServiceUnavailable", "try later"), want: leak.Unknown, reason: "503"},
		{name: "malformed", reply: answer{body: `<html>`}, want: leak.Unknown},
		{name: "empty identity", reply: answer{body: `<GetCallerIdentityResponse><GetCallerIdentityResult></GetCallerIdentityResult></GetCallerIdentityResponse>`}, want: leak.Unknown},
		{name: "teapot", reply: answer{status: 418}, want: leak.Unknown, reason: "418"},
	}, standardFaults...)
	// Both orientations: the Checker may hand over either part as Secret.
	t.Run("key id first", func(t *testing.T) {
		t.Parallel()
		runProviderCases(t, newAWS, awsFinding(awsKeyIDRule, awsTestKeyID, 0),
			[]leak.Finding{awsFinding(awsSecretRule, awsTestSecret, 40)}, cases, checkSTSRequest)
	})
	t.Run("secret first", func(t *testing.T) {
		t.Parallel()
		runProviderCases(t, newAWS, awsFinding(awsSecretPairRule, awsTestSecret, 21),
			[]leak.Finding{awsFinding(awsKeyIDRule, awsTestKeyID, 0)}, cases[:3], checkSTSRequest)
	})
}

// stsFake is an STS that knows one key pair: it answers the identity to
// requests signed by it, SignatureDoesNotMatch to other secrets for its key
// id (and, while refuse is positive, to that many more requests, as AWS's
// bad-signature cache does), InvalidClientTokenId to other key ids.
type stsFake struct {
	t      *testing.T
	mu     sync.Mutex
	calls  int
	refuse int
}

func (f *stsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := new(bytes.Buffer)
	_, _ = b.ReadFrom(r.Body)
	checkSTSShape(f.t, r, b.String())
	f.mu.Lock()
	f.calls++
	a := stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	switch {
	case !strings.Contains(r.Header.Get("Authorization"), "Credential="+awsTestKeyID+"/"):
	case !stsSignedBy(f.t, r, b.String(), awsTestKeyID, awsTestSecret):
		a = stsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	case f.refuse > 0:
		f.refuse--
		a = stsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	default:
		a = answer{body: stsIdentityXML}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(max(a.status, 200))
	_, _ = w.Write([]byte(a.body))
}

func runSTSFake(t *testing.T, f *stsFake, fs []leak.Finding) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	v := newAWS((&Options{Timeout: time.Second}).withFake(srv.URL))
	c := &Checker{Registry: NewRegistryOf(v), Timeout: time.Second, Attempts: 2,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	c.Verify(context.Background(), fs)
}

func TestAWSPairing(t *testing.T) {
	t.Parallel()
	fs := []leak.Finding{
		awsFinding(awsKeyIDRule, awsTestKeyID, 100),
		awsFinding(awsSecretRule, awsTestWrong, 130),  // nearer, wrong
		awsFinding(awsSecretRule, awsTestSecret, 400), // farther, right
	}
	f := &stsFake{t: t}
	runSTSFake(t, f, fs)
	if fs[0].Status != leak.Live || !strings.Contains(fs[0].Identity, "arn:aws:iam::123456789012:user/Alice") {
		t.Errorf("key id: %s %q (%s), want live via the second secret", fs[0].Status, fs[0].Identity, fs[0].StatusReason)
	}
	if fs[1].Status != leak.Dead || !strings.Contains(fs[1].StatusReason, "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %s (%s), want dead", fs[1].Status, fs[1].StatusReason)
	}
	if fs[2].Status != leak.Live {
		t.Errorf("right secret: %s (%s), want live", fs[2].Status, fs[2].StatusReason)
	}
	if f.calls != 2 {
		t.Errorf("%d STS calls, want 2 (one per pair)", f.calls)
	}
}

// TestAWSBadSignatureCache: the right secret refused just after a wrong one
// (AWS caches the bad signature for ~5s per key id) is retried, not dead.
func TestAWSBadSignatureCache(t *testing.T) {
	t.Parallel()
	fs := []leak.Finding{
		awsFinding(awsKeyIDRule, awsTestKeyID, 100),
		awsFinding(awsSecretRule, awsTestWrong, 130),
		awsFinding(awsSecretRule, awsTestSecret, 400),
	}
	// Keep the order deterministic: one call at a time.
	f := &stsFake{t: t, refuse: 1}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	v := newAWS((&Options{Timeout: time.Second}).withFake(srv.URL))
	var waits []time.Duration
	c := &Checker{Registry: NewRegistryOf(v), Timeout: time.Second, Attempts: 2, Jobs: 1, PerProvider: 1,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	c.Verify(context.Background(), fs)
	if fs[0].Status != leak.Live {
		t.Errorf("key id: %s (%s), want live after the retry", fs[0].Status, fs[0].StatusReason)
	}
	if fs[1].Status != leak.Dead {
		t.Errorf("wrong secret: %s (%s), want dead", fs[1].Status, fs[1].StatusReason)
	}
	if len(waits) != 1 || waits[0] < 5*time.Second || waits[0] > 7*time.Second {
		t.Errorf("waits %v, want one wait past the 5s cache", waits)
	}
}

// TestAWSNoCall: pairs STS cannot check with two parts are unknown
// without a call.
func TestAWSNoCall(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"ASIAY34FZKBOKMUTVV7A", "ABIAY34FZKBOKMUTVV7A"} {
		f := &stsFake{t: t}
		fs := []leak.Finding{awsFinding(awsKeyIDRule, id, 0), awsFinding(awsSecretRule, awsTestSecret, 30)}
		runSTSFake(t, f, fs)
		if fs[0].Status != leak.Unknown || f.calls != 0 {
			t.Errorf("%s: %s (%s) after %d calls, want unknown without a call", id[:4], fs[0].Status, fs[0].StatusReason, f.calls)
		}
		if !strings.Contains(fs[0].StatusReason, "609629065308") {
			t.Errorf("%s: reason %q lacks the account decoded from the key id", id[:4], fs[0].StatusReason)
		}
	}
	fs := []leak.Finding{awsFinding(awsKeyIDRule, awsTestKeyID, 0)}
	runSTSFake(t, &stsFake{t: t}, fs)
	if fs[0].Status != leak.Unknown || !strings.Contains(fs[0].StatusReason, "no other part") {
		t.Errorf("lone key id: %s (%s)", fs[0].Status, fs[0].StatusReason)
	}
}

func TestAWSParts(t *testing.T) {
	t.Parallel()
	id, sec := leak.NewSecret(awsTestKeyID), leak.NewSecret(awsTestSecret)
	for _, c := range []Credential{
		{Rule: awsKeyIDRule, Secret: id, Companion: sec, CompanionRule: awsSecretRule},
		{Rule: awsSecretRule, Secret: sec, Companion: id, CompanionRule: awsKeyIDRule},
		{Rule: awsSecretPairRule, Secret: sec, Companion: id, CompanionRule: awsKeyIDRule},
		// A pair-rule secret that holds both parts, as a CSV line writes them.
		{Rule: awsSecretPairRule, Secret: leak.NewSecret(awsTestKeyID + "," + awsTestSecret)},
		{Rule: awsSecretPairRule, Secret: leak.NewSecret(awsTestKeyID + `", "` + awsTestSecret), Companion: id, CompanionRule: awsKeyIDRule},
	} {
		if gi, gs := awsParts(c); gi != awsTestKeyID || gs != awsTestSecret {
			t.Errorf("awsParts(%s) = %q, %q", c.Rule, gi, gs)
		}
	}
}

func TestAWSAccountID(t *testing.T) {
	t.Parallel()
	// Tal Be'ery's worked example, also used by trufflehog's tests.
	if got, ok := awsAccountID("ASIAY34FZKBOKMUTVV7A"); !ok || got != "609629065308" {
		t.Errorf("account %q, %v", got, ok)
	}
	// Old ids with I or J in fifth place carry no account.
	if _, ok := awsAccountID(awsTestKeyID); ok {
		t.Errorf("decoded an account from an old-style id")
	}
}

// TestAWSNoSDKRetries: the SDK makes one attempt; the Checker retries.
func TestAWSNoSDKRetries(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, func(*http.Request) answer { return stsError(500, "InternalFailure", "oops") })
	v := newAWS((&Options{Timeout: time.Second}).withFake(fake.URL))
	r := v.Verify(t.Context(), Credential{Rule: awsKeyIDRule, Secret: leak.NewSecret(awsTestKeyID),
		Companion: leak.NewSecret(awsTestSecret), CompanionRule: awsSecretRule})
	if r.Status != leak.Unknown || !r.Retry {
		t.Errorf("%+v, want unknown and retry", r)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 1 {
		t.Errorf("%d requests, want 1", len(fake.requests))
	}
}

// TestAWSIgnoresProcessEnv: the operator's AWS credentials and endpoint in
// the process environment (not Options.Getenv) play no part.
func TestAWSIgnoresProcessEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAZ64C6S2E2H5WAB4I")
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsTestWrong)
	t.Setenv("AWS_SESSION_TOKEN", "operator-session")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "eu-west-3")
	runProviderCases(t, newAWS, awsFinding(awsKeyIDRule, awsTestKeyID, 0),
		[]leak.Finding{awsFinding(awsSecretRule, awsTestSecret, 40)}, []providerCase{
			{name: "live", reply: answer{body: stsIdentityXML}, want: leak.Live, identity: "AWS account 123456789012"},
		}, checkSTSRequest)
}

// A temporary (ASIA) key is checked with its secret and the session token
// found nearest to it in the same file, sent as X-Amz-Security-Token.
func TestAWSTemporaryKeyWithSessionToken(t *testing.T) {
	t.Parallel()
	const id = "ASIAY34FZKBOKMUTVV7A"
	session := "IQoJb3JpZ2luX2Vj" + strings.Repeat("Qk9ndXNTZXNzaW9uVG9rZW4", 6)
	var mu sync.Mutex
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("X-Amz-Security-Token"))
		mu.Unlock()
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+id+"/") ||
			!strings.Contains(r.Header.Get("Authorization"), "x-amz-security-token") {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(stsError(403, "InvalidClientTokenId", "bad").body))
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(stsIdentityXML))
	}))
	t.Cleanup(srv.Close)
	v := newAWS((&Options{Timeout: time.Second}).withFake(srv.URL))
	fs := []leak.Finding{
		awsFinding(awsKeyIDRule, id, 0),
		awsFinding(awsSecretRule, awsTestSecret, 40),
		awsFinding(awsSessionRule, session, 100),
	}
	(&Checker{Registry: NewRegistryOf(v), Timeout: time.Second}).Verify(context.Background(), fs)
	if fs[0].Status != leak.Live || fs[1].Status != leak.Live {
		t.Errorf("key id %s (%s), secret %s (%s): want both live", fs[0].Status, fs[0].StatusReason, fs[1].Status, fs[1].StatusReason)
	}
	if fs[2].Status != leak.Unchecked {
		t.Errorf("the session token alone is %s, want unchecked", fs[2].Status)
	}
	if len(tokens) != 1 || tokens[0] != session {
		t.Errorf("%d STS calls, want one, carrying the session token", len(tokens))
	}
}
