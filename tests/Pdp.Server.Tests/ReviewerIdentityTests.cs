using System.Text;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Contracts.V1;
using Pdp.Reviewers;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Verified reviewers over a real server: with Pdp:Review:Oidc configured, RecordDisposition takes the reviewer from
/// the bearer token (validated against a JWKS file), refuses every kind of bad token with its status, and records the
/// token's issuer and subject — never the token.
/// </summary>
public sealed class ReviewerIdentityTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.example.test";
    private const string Audience = "pdp-reviews";

    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _keys = Directory.CreateTempSubdirectory("pdp-oidc-").FullName;
    private readonly string _otherKeys = Directory.CreateTempSubdirectory("pdp-oidc-other-").FullName;
    private PdpTestServer _server = null!;

    private DecisionService.DecisionServiceClient Client => _server.Client;

    private ReviewerTokens _tokens = null!;

    public async ValueTask InitializeAsync()
    {
        _tokens = new ReviewerTokens(_keys, Issuer, Audience);
        DevelopmentKeys.Generate(_otherKeys);
        _server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>(_tokens.ServerSettings()));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var dir in new[] { _policies, _keys, _otherKeys })
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string, StatusCode, string> BadTokens() => new()
    {
        { "missing", StatusCode.Unauthenticated, "bearer token" },
        { "not-a-jwt", StatusCode.Unauthenticated, "not a" },
        { "expired", StatusCode.Unauthenticated, "expired" },
        { "not-yet-valid", StatusCode.Unauthenticated, "not valid yet" },
        { "wrong-issuer", StatusCode.Unauthenticated, "issuer" },
        { "wrong-audience", StatusCode.Unauthenticated, "audience" },
        { "unknown-key", StatusCode.Unauthenticated, "key" },
        { "alg-none", StatusCode.Unauthenticated, "authorization" },
        { "tampered-payload", StatusCode.Unauthenticated, "signature" },
        { "reviewer-differs", StatusCode.PermissionDenied, "differs from the reviewer the bearer token proves" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task RecordDisposition_BadToken_RefusedWithItsStatusAndNothingRecorded(string kind, StatusCode code, string says)
    {
        var decision = await Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var now = DateTimeOffset.UtcNow;
        var token = kind switch
        {
            "missing" => null,
            "not-a-jwt" => "not-a-jwt",
            "expired" => Mint("rita", now.AddHours(-2)),
            "not-yet-valid" => Mint("rita", now.AddHours(1)),
            "wrong-issuer" => Mint("rita", now, issuer: "https://evil.example.test"),
            "wrong-audience" => Mint("rita", now, audience: "someone-else"),
            "unknown-key" => Mint("rita", now, key: Path.Combine(_otherKeys, DevelopmentKeys.PrivateKeyFile)),
            "alg-none" => Unsigned("rita", now),
            "tampered-payload" => Tampered(Mint("rita", now), "rita", "sam"),
            _ => Mint("sam", now),
        };
        var reviewer = kind == "reviewer-differs" ? "rita" : string.Empty;

        var error = await Assert.ThrowsAsync<RpcException>(() => DisposeAsync(decision.DecisionId, reviewer, token));

        Assert.Equal(code, error.StatusCode);
        Assert.Contains(says, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        var stored = await Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Pending, stored.ReviewStatus);
        Assert.Empty(stored.Dispositions);
    }

    [Fact]
    public async Task RecordDisposition_GoodTokenWithoutReviewerField_RecordsTheVerifiedReviewerIssuerAndSubjectNeverTheToken()
    {
        var decision = await Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var token = Mint("rita", DateTimeOffset.UtcNow, subject: "user-4711");

        var answer = await DisposeAsync(decision.DecisionId, string.Empty, token);

        Assert.Equal("rita", answer.Disposition.Reviewer);
        Assert.Equal(ReviewStatus.Approved, answer.Decision.ReviewStatus);
        var record = AuditTrailReader.Read(_server.AuditPath).Single(r => r.Type == "disposition");
        Assert.Equal("rita", record.Payload["reviewer"]!.GetValue<string>());
        Assert.Equal(Issuer, record.Payload["reviewer_issuer"]!.GetValue<string>());
        Assert.Equal("user-4711", record.Payload["reviewer_subject"]!.GetValue<string>());
        Assert.DoesNotContain(token.Split('.')[2], await File.ReadAllTextAsync(_server.AuditPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordDisposition_VerifiedAgentPrincipal_SeparationOfDutiesAppliesToTheVerifiedIdentity()
    {
        var decision = await Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        var error = await Assert.ThrowsAsync<RpcException>(() => DisposeAsync(decision.DecisionId, string.Empty, Mint(ReviewPolicies.Principal, DateTimeOffset.UtcNow)));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("acts for", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OidcConfigured_SayReviewersAreVerifiedAndCountRefusalsByReason()
    {
        var decision = await Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        await Assert.ThrowsAsync<RpcException>(() => DisposeAsync(decision.DecisionId, string.Empty, Mint("rita", DateTimeOffset.UtcNow.AddHours(-2))));

        var scrape = await MetricsScrape.TakeAsync(_server.Admin);

        Assert.Equal(1, scrape.Value("pdp_reviewer_identity_mode", ("mode", "oidc")));
        Assert.Equal(1, scrape.Value("pdp_reviewer_token_failures_total", ("reason", "expired")));
    }

    private string Mint(string reviewer, DateTimeOffset notBefore, string issuer = Issuer, string audience = Audience, string? key = null, string subject = "sub-1") =>
        _tokens.Mint(reviewer, notBefore, subject, issuer, audience, key);

    private static string Unsigned(string reviewer, DateTimeOffset now)
    {
        var header = Base64Url("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64Url($$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","sub":"sub-1","email":"{{reviewer}}","nbf":{{now.ToUnixTimeSeconds()}},"exp":{{now.AddHours(1).ToUnixTimeSeconds()}}}""");
        return $"{header}.{payload}.";
    }

    private static string Tampered(string token, string from, string to)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1])).Replace(from, to, StringComparison.Ordinal);
        return $"{parts[0]}.{Base64Url(payload)}.{parts[2]}";
    }

    private static string Base64Url(string text) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(text);

    private Task<RecordDispositionResponse> DisposeAsync(string decisionId, string reviewer, string? token)
    {
        var headers = new Metadata();
        if (token is not null)
        {
            headers.Add("authorization", $"Bearer {token}");
        }

        return Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = Outcome.Approved }, headers).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
    }
}
